"""CCKM rotation jobs (issue 20 #3): aws_key_rotation_schedule, and aws_key / aws_key_bulk ``rotation_job`` attaching keys to it.

Each case runs the modules' main() in-process against both emulator profiles: the strict one reads the AWS options of a
schedule back as TF's ``aw_param`` and keeps a stale ``job_config_id`` beside ``rotation_job_enabled: false`` on a
detached key; the lenient one echoes what was sent and clears the id (FIDELITY.md rotation_params_read, rotation_job_record).
"""

import importlib

import pytest

from module_runner import run_module

SCHEDULE = {"name": "weekly-rotation", "run_at": "0 9 * * sat", "expiration": "365d", "retain_alias": True}
WHERE = {"kms": "aws-kms", "region": "us-east-1", "alias": "rotated"}


def module(name):
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def schedule(connection, check=False, diff=False, **options):
    return run_module(module("aws_key_rotation_schedule"), dict(connection, **dict(SCHEDULE, **options)), check=check, diff=diff)


def key(connection, check=False, diff=False, **options):
    return run_module(module("aws_key"), dict(connection, **dict(WHERE, **options)), check=check, diff=diff)


def record(emu, key_id):
    return emu.api("GET", "cckm/aws/keys/%s" % key_id).json()


def test_a_schedule_is_created_in_check_mode_as_in_a_real_run_then_left_alone(emu, connection):
    emu.control("POST", "stats/reset")
    check = schedule(connection, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert check["diff"] == {"before": {}, "after": {"name": "weekly-rotation", "run_at": "0 9 * * sat", "description": "", "disabled": False,
                                                     "cloud_name": "aws", "expiration": "365d", "expire_in": None, "retain_alias": True,
                                                     "rotate_material": False}}
    real = schedule(connection, diff=True)
    assert real["rc"] == 0 and real["actions"] == check["actions"] and real["diff"]["after"] == check["diff"]["after"]
    assert real["actions"][0]["body"] == {"name": "weekly-rotation", "operation": "cckm_key_rotation", "run_at": "0 9 * * sat",
                                          "description": "", "disabled": False, "cckm_key_rotation_params": {
                                              "cloud_name": "aws", "expiration": "365d", "aws_param": {"retain_alias": True}}}
    assert real["resource"]["id"] and real["record"]["operation"] == "cckm_key_rotation"
    for check_again in (True, False):
        again = schedule(connection, check=check_again, diff=True)
        assert again["changed"] is False and again["actions"] == [] and again["diff"]["before"] == again["diff"]["after"], again
    assert emu.writes() == {"POST /api/v1/scheduler/job-configs": 1}


def test_a_changed_schedule_is_patched_with_what_differs_and_unset_periods_are_kept(emu, connection):
    created = schedule(connection, expire_in="6h")["resource"]
    emu.control("POST", "stats/reset")
    changed = schedule(connection, diff=True, run_at="0 3 * * *", retain_alias=False, rotate_material=True)  # expire_in unset: kept
    assert changed["rc"] == 0 and changed["changed"] is True
    assert [(a["method"], a["path"]) for a in changed["actions"]] == [("PATCH", "/api/v1/scheduler/job-configs/%s" % created["id"])]
    assert changed["actions"][0]["body"]["cckm_key_rotation_params"] == {"expiration": "365d",
                                                                         "aws_param": {"retain_alias": False, "rotate_material": True}}
    assert changed["diff"]["before"]["run_at"] == "0 9 * * sat" and changed["diff"]["after"]["run_at"] == "0 3 * * *"
    assert changed["resource"] == dict(created, run_at="0 3 * * *", retain_alias=False, rotate_material=True, expire_in="6h")
    again = schedule(connection, run_at="0 3 * * *", retain_alias=False, rotate_material=True)
    assert again["changed"] is False, again
    disabled = schedule(connection, run_at="0 3 * * *", retain_alias=False, rotate_material=True, disabled=True, description="paused")
    assert disabled["changed"] is True and disabled["resource"]["disabled"] is True and disabled["resource"]["description"] == "paused"


def test_a_lost_create_answer_is_found_by_name_never_a_second_schedule(emu, connection):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/scheduler/job-configs", "status": 502, "phase": "after"}]})
    emu.control("POST", "stats/reset")
    result = schedule(connection)
    assert result["rc"] == 0 and result["changed"] is True and result["resource"]["name"] == "weekly-rotation", result
    assert emu.stats()["routes"]["POST /api/v1/scheduler/job-configs"] == 1
    assert emu.api("GET", "scheduler/job-configs", params={"name": "weekly-rotation"}).json()["total"] == 1


def test_a_lost_delete_answer_retried_into_a_404_counts_as_deleted(emu, connection):
    schedule(connection)
    emu.control("POST", "faults", {"rules": [{"method": "DELETE", "path": "/api/v1/scheduler/job-configs/{id}", "status": 503, "phase": "after"}]})
    emu.control("POST", "stats/reset")
    result = schedule(connection, state="absent")
    assert result["rc"] == 0 and result["changed"] is True and result["resource"] is None, result
    assert emu.stats()["routes"]["DELETE /api/v1/scheduler/job-configs/{id}"] == 2  # retried (idempotent), then 404
    assert emu.api("GET", "scheduler/job-configs", params={"name": "weekly-rotation"}).json()["total"] == 0


def test_a_key_is_attached_moved_and_detached_each_idempotent_in_check_mode_as_in_a_real_run(emu, connection):
    weekly = schedule(connection)["resource"]["id"]
    daily = schedule(connection, name="daily-rotation", run_at="0 1 * * *")["resource"]["id"]
    created = key(connection)["resource"]
    assert created["rotation_job_id"] is None and created["rotation_job_disable_encrypt"] is None
    attach = {"rotation_job": {"name": "weekly-rotation", "key_source": "local", "disable_encrypt": True}}
    emu.control("POST", "stats/reset")
    check = key(connection, check=True, diff=True, **attach)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert check["diff"] == {"before": {"key_state": "Enabled", "rotation_job_id": None, "rotation_job_disable_encrypt": None},
                             "after": {"key_state": "Enabled", "rotation_job_id": weekly, "rotation_job_disable_encrypt": True}}
    real = key(connection, diff=True, **attach)
    assert real["rc"] == 0 and real["actions"] == check["actions"] and real["diff"] == check["diff"]
    assert real["actions"] == [{"method": "POST", "path": "/api/v1/cckm/aws/keys/%s/enable-rotation-job" % created["id"],
                                "body": {"job_config_id": weekly, "auto_rotate_disable_encrypt": True, "auto_rotate_key_source": "local"},
                                "description": "attach to rotation schedule weekly-rotation (%s)" % weekly}]
    assert emu.control("GET", "cckm/rotation-jobs")["keys"][created["id"]]["auto_rotate_key_source"] == "local"
    for check_again in (True, False):
        again = key(connection, check=check_again, **attach)
        assert again["changed"] is False and again["actions"] == [], again
    by_id = key(connection, rotation_job={"name": daily})  # a schedule given by ID moves the key
    assert by_id["changed"] is True and by_id["resource"]["rotation_job_id"] == daily
    assert by_id["actions"][0]["description"] == "move from rotation schedule %s to rotation schedule %s" % (weekly, daily)
    assert by_id["resource"]["rotation_job_disable_encrypt"] is False
    not_from_weekly = key(connection, rotation_job={"name": "weekly-rotation", "state": "absent"})
    assert not_from_weekly["changed"] is False  # attached to another schedule than the one named
    detach = key(connection, diff=True, rotation_job={"state": "absent"})
    assert detach["changed"] is True and [a["path"].rsplit("/", 1)[1] for a in detach["actions"]] == ["disable-rotation-job"]
    assert detach["diff"]["after"]["rotation_job_id"] is None and detach["resource"]["rotation_job_id"] is None
    stale = record(emu, created["id"])
    if emu.fidelity("rotation_job_record") == "flagged":
        assert stale["job_config_id"] == daily and stale["rotation_job_enabled"] is False  # a stale id, read as detached
    assert key(connection, rotation_job={"state": "absent"})["changed"] is False


def test_a_key_created_in_the_same_task_is_attached_after_its_creation(emu, connection):
    job_id = schedule(connection)["resource"]["id"]
    result = key(connection, alias="new-rotated", rotation_job={"name": "weekly-rotation"})
    assert result["rc"] == 0 and [a["path"].rsplit("/", 1)[1] for a in result["actions"]] == ["keys", "enable-rotation-job"]
    assert result["resource"]["rotation_job_id"] == job_id


def test_a_lost_attach_answer_is_judged_by_reading_the_key_never_sent_twice(emu, connection):
    schedule(connection)
    key_id = key(connection)["resource"]["id"]
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/cckm/aws/keys/{id}/enable-rotation-job", "status": 502,
                                              "phase": "after"},
                                             {"method": "POST", "path": "/api/v1/cckm/aws/keys/{id}/disable-rotation-job", "status": 504,
                                              "phase": "after"}]})
    emu.control("POST", "stats/reset")
    attached = key(connection, rotation_job={"name": "weekly-rotation"})
    assert attached["rc"] == 0 and attached["changed"] is True and attached["resource"]["rotation_job_id"], attached
    detached = key(connection, rotation_job={"state": "absent"})
    assert detached["rc"] == 0 and detached["resource"]["rotation_job_id"] is None, detached
    routes = emu.stats()["routes"]
    assert routes["POST /api/v1/cckm/aws/keys/{id}/enable-rotation-job"] == 1 and routes["POST /api/v1/cckm/aws/keys/{id}/disable-rotation-job"] == 1
    assert record(emu, key_id)["job_config_id"] in ("", attached["resource"]["rotation_job_id"])


def test_check_mode_assumes_a_schedule_an_earlier_task_creates_and_a_real_run_refuses_before_writing(emu, connection):
    key(connection)
    emu.control("POST", "stats/reset")
    check = key(connection, check=True, rotation_job={"name": "weekly-rotation"})
    assert check["rc"] == 0 and check["changed"] is True
    assert "rotation_job.name 'weekly-rotation' does not exist yet; check mode assumes an earlier task creates it" in check["warnings"]
    real = key(connection, rotation_job={"name": "weekly-rotation"})
    assert real["rc"] == 1 and "rotation_job.name: no cckm_key_rotation scheduler job configuration 'weekly-rotation'" in real["msg"]
    assert emu.writes() == {}


def test_a_schedule_with_keys_is_deleted_only_with_detach_keys(emu, connection):
    job_id = schedule(connection)["resource"]["id"]
    ids = [key(connection, alias="k%d" % n, rotation_job={"name": "weekly-rotation"})["resource"]["id"] for n in range(2)]
    key(connection, alias="detached", rotation_job={"name": "weekly-rotation"})
    key(connection, alias="detached", rotation_job={"state": "absent"})  # strict: keeps a stale job_config_id, must not count
    emu.control("POST", "stats/reset")
    refused = schedule(connection, state="absent")
    assert refused["rc"] == 1 and "2 key(s) are attached to schedule 'weekly-rotation'" in refused["msg"] and "detach_keys=true" in refused["msg"]
    assert emu.writes() == {}
    check = schedule(connection, check=True, diff=True, state="absent", detach_keys=True)
    assert check["rc"] == 0 and sorted(check["detached_keys"]) == sorted(ids) and emu.writes() == {}
    assert [a["method"] for a in check["actions"]] == ["POST", "POST", "DELETE"] and check["diff"]["after"] == {}
    real = schedule(connection, state="absent", detach_keys=True)
    assert real["rc"] == 0 and real["actions"] == check["actions"] and real["resource"] is None and real["record"] is None
    assert all(key(connection, alias=alias)["resource"]["rotation_job_id"] is None for alias in ("k0", "k1", "detached"))
    assert emu.api("GET", "scheduler/job-configs/%s" % job_id).status_code == 404
    gone = schedule(connection, state="absent")
    assert gone["rc"] == 0 and gone["changed"] is False and gone["actions"] == []


def test_keys_attached_to_a_schedule_are_listed_by_aws_key_info(emu, connection):
    job_id = schedule(connection)["resource"]["id"]
    attached = key(connection, alias="on", rotation_job={"name": "weekly-rotation"})["resource"]["id"]
    key(connection, alias="off", rotation_job={"name": "weekly-rotation"})
    key(connection, alias="off", rotation_job={"state": "absent"})
    info = module("aws_key_info")
    assert [k["id"] for k in run_module(info, dict(connection, job_config_id=job_id))["aws_keys"]] == [attached]
    assert [k["alias"] for k in run_module(info, dict(connection, rotation_job_enabled=False))["aws_keys"]] == ["off"]


def test_aws_key_bulk_attaches_many_keys_with_each_key_own_call(emu, connection):
    job_id = schedule(connection)["resource"]["id"]
    emu.control("POST", "cckm/keys", {"count": 4, "kms": "aws-kms", "region": "us-east-1"})
    args = dict(connection, filters={"kms": "aws-kms", "region": "us-east-1"}, rotation_job={"name": "weekly-rotation"}, wait_sleep=0.05)
    emu.control("POST", "stats/reset")
    check = run_module(module("aws_key_bulk"), args, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert {p["operation"]: p["keys"] for p in check["plan"]} == {"enable-rotation-job": 4}
    assert {v["rotation_job_id"] for v in check["diff"]["after"].values()} == {job_id}
    real = run_module(module("aws_key_bulk"), args)
    assert real["rc"] == 0 and [a["path"] for a in real["actions"]] == [a["path"] for a in check["actions"]]
    assert emu.writes() == {"POST /api/v1/cckm/aws/keys/{id}/enable-rotation-job": 4}
    again = run_module(module("aws_key_bulk"), args)
    assert again["changed"] is False and again["actions"] == []
    detach = run_module(module("aws_key_bulk"), dict(args, rotation_job={"state": "absent"}))
    assert detach["changed"] is True and {p["operation"] for p in detach["plan"]} == {"disable-rotation-job"}


@pytest.mark.parametrize("module_name, options, message", [
    ("aws_key_rotation_schedule", {"run_at": "weekly"}, "run_at: 'weekly' is not a cron expression with five fields"),
    ("aws_key_rotation_schedule", {"run_at": None}, "run_at: a cron expression is required when the schedule is present"),
    ("aws_key_rotation_schedule", {"expiration": "1 year"}, "expiration: '1 year' is not a period like 30d (days) or 12h (hours)"),
    ("aws_key_rotation_schedule", {"expire_in": "6m"}, "expire_in: '6m' is not a period"),
    ("aws_key", {"rotation_job": {"key_source": "local"}}, "state is present but all of the following are missing: name"),
    ("aws_key", {"rotation_job": {"name": "weekly-rotation", "disable_encrypt": True, "disable_encrypt_on_all_accounts": True}},
     "parameters are mutually exclusive: disable_encrypt|disable_encrypt_on_all_accounts"),
    ("aws_key", {"rotation_job": {"name": "weekly-rotation", "key_source": "vault"}}, "key_source must be one of"),
    ("aws_key", {"rotation_job": {"name": "weekly-rotation", "partition_id": "p1"}}, "partition_id is only used with key_source=hsm-luna"),
    ("aws_key", {"rotation_job": "weekly-rotation"}, "rotation_job"),
])
def test_bad_input_fails_before_any_request(emu, connection, module_name, options, message):
    emu.control("POST", "stats/reset")
    args = dict(connection, **dict(SCHEDULE if module_name == "aws_key_rotation_schedule" else WHERE, **options))
    result = run_module(module(module_name), args)
    assert result["rc"] == 1 and message in result["msg"], result["msg"]
    assert emu.stats()["requests"] == 0


def test_a_name_held_by_another_operation_is_refused_both_ways(emu, connection):
    sync = run_module(module("aws_sync"), dict(connection, synchronize_all=True, schedule={"name": "nightly", "run_at": "0 2 * * *"}))
    assert sync["rc"] == 0, sync
    emu.control("POST", "stats/reset")
    clash = schedule(connection, name="nightly")
    assert clash["rc"] == 1 and "the scheduler job configuration 'nightly' runs cckm_synchronization, not cckm_key_rotation" in clash["msg"]
    key(connection)
    wrong = key(connection, rotation_job={"name": "nightly"})
    assert wrong["rc"] == 1 and "rotation_job.name: the scheduler job configuration 'nightly' runs cckm_synchronization" in wrong["msg"]
    schedule(connection)
    back = run_module(module("aws_sync"), dict(connection, synchronize_all=True, schedule={"name": "weekly-rotation", "run_at": "0 2 * * *"}))
    assert back["rc"] == 1 and "runs cckm_key_rotation, not cckm_synchronization" in back["msg"]
    assert set(emu.writes()) <= {"POST /api/v1/cckm/aws/keys", "POST /api/v1/scheduler/job-configs"}
