"""aws_sync in-process against the emulator: out-of-band keys, gone keys, running jobs, failures, token expiry, schedules."""

from module_runner import ONE_PROFILE, run_tasks

pytestmark = ONE_PROFILE
JOBS = "POST /api/v1/cckm/aws/synchronization-jobs"


def sync_task(name="sync", **options):
    options.setdefault("kms", ["aws-kms"])
    options.setdefault("wait_sleep", 0.2)
    return {"name": name, "ciphertrust.cckm.aws_sync": options}


def out_of_band_key(emu, alias, region="us-east-1"):
    return emu.control("POST", "/_emulator/aws/keys", {"region": region, "alias": alias})["KeyId"]


def test_out_of_band_keys_appear_only_after_a_sync(emu, connection):
    key_ids = {out_of_band_key(emu, "oob-1"), out_of_band_key(emu, "oob-2", "eu-west-1")}
    run = run_tasks([
        {"name": "before", "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}},
        sync_task(),
        {"name": "after", "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}},
        sync_task("again"),
    ], connection)
    assert run.result("before")["total"] == 0
    first = run.result("sync")
    assert first["changed"] is True and first["overall_status"] == "completed"
    assert {k["arn"].rsplit("/", 1)[1] for k in first["added"]} == key_ids and first["counts"] == {"added": 2, "updated": 0, "gone": 0}
    assert {k["alias"] for k in run.result("after")["aws_keys"]} == {"oob-1", "oob-2"}
    again = run.result("again")
    assert again["changed"] is False and again["counts"] == {"added": 0, "updated": 0, "gone": 0}
    assert emu.stats()["routes"][JOBS] == 2


def test_key_deleted_in_aws_is_reported_gone(emu, connection):
    key_id = out_of_band_key(emu, "doomed")
    run_tasks([sync_task(regions=["us-east-1"])], connection)
    emu.control("POST", "/_emulator/aws/keys/%s/delete" % key_id, {"region": "us-east-1"})
    run = run_tasks([sync_task(regions=["us-east-1"]),
                     {"name": "gone keys", "ciphertrust.cckm.aws_key_info": {"gone": True}}], connection)
    result = run.result("sync")
    assert result["changed"] is True and [k["alias"] for k in result["gone"]] == ["doomed"]
    assert [k["alias"] for k in run.result("gone keys")["aws_keys"]] == ["doomed"]


def test_kms_and_synchronize_all_together_fail_before_any_write(emu, connection):
    run = run_tasks([sync_task(synchronize_all=True)], connection, expect_rc=2)
    assert "synchronize_all" in run.result("sync")["msg"] and "kms" in run.result("sync")["msg"]
    unknown = run_tasks([sync_task(kms=["no-such-kms"])], connection, expect_rc=2)
    assert "unknown KMS no-such-kms" in unknown.result("sync")["msg"]
    assert JOBS not in emu.stats()["routes"]


def test_check_mode_starts_no_job(emu, connection):
    out_of_band_key(emu, "oob")
    run = run_tasks([sync_task()], connection, check=True)
    assert run.result("sync")["changed"] is False and run.result("sync")["would_start"] == {"kms": ["aws-kms"]}
    assert JOBS not in emu.stats()["routes"]


def test_a_running_sync_is_waited_for_not_failed(emu, connection):
    out_of_band_key(emu, "oob")
    emu.control("POST", "/_emulator/config", {"job_delay": 2})  # in-process the task starts at once: 2 s is still running
    running = emu.api("POST", "cckm/aws/synchronization-jobs", json={"synchronize_all": True}).json()
    run = run_tasks([sync_task()], connection)
    result = run.result("sync")
    assert result["joined_running_job"] is True and result["job_id"] == running["id"]
    assert result["overall_status"] == "completed" and result["counts"]["added"] == 1 and result["changed"] is True
    refused = run_tasks([{"name": "other", "ciphertrust.cckm.aws_sync": {"synchronize_all": True, "wait": False}},
                         sync_task("strict", if_running="fail")], connection, expect_rc=2)
    assert "already running" in refused.result("strict")["msg"] and "if_running" in refused.result("strict")["msg"]


def test_region_errors_fail_the_task(emu, connection):
    emu.control("POST", "/_emulator/fail-sync-regions", {"regions": ["eu-west-1"], "message": "AccessDeniedException: not authorized"})
    run = run_tasks([sync_task()], connection, expect_rc=2)
    msg = run.result("sync")["msg"]
    assert "123456789012/eu-west-1: AccessDeniedException: not authorized" in msg and "us-east-1" not in msg


def test_token_expiry_during_a_long_wait_is_survived(emu, connection):
    emu.control("POST", "/_emulator/config", {"token_ttl": 2, "job_delay": 5})
    run = run_tasks([sync_task(wait_sleep=0.5)], connection)
    assert run.result("sync")["overall_status"] == "completed"
    assert emu.stats()["routes"]["POST /api/v1/auth/tokens"] >= 3


def test_cancel_a_running_job_by_id(emu, connection):
    emu.control("POST", "/_emulator/config", {"job_delay": 30})
    job = emu.api("POST", "cckm/aws/synchronization-jobs", json={"kms": ["aws-kms"]}).json()
    cancel = {"state": "cancelled", "job_id": job["id"], "kms": None}
    run = run_tasks([sync_task("check", **cancel)], connection, check=True)
    assert run.result("check")["changed"] is True and emu.api("GET", "cckm/aws/synchronization-jobs/" + job["id"]).json()["abort"] is False
    run = run_tasks([sync_task("cancel", **cancel), sync_task("again", **cancel)], connection)
    assert run.result("cancel")["changed"] is True and run.result("cancel")["record"]["abort"] is True
    assert run.result("again")["changed"] is False


def test_recurring_schedule_is_desired_state(emu, connection):
    def schedule(name, **fields):
        return sync_task(name, schedule=dict({"name": "nightly"}, **fields))
    run = run_tasks([schedule("check", run_at="0 2 * * *")], connection, check=True, diff=True)
    assert run.result("check")["changed"] is True and emu.api("GET", "scheduler/job-configs").json()["total"] == 0
    run = run_tasks([schedule("create", run_at="0 2 * * *"), schedule("same", run_at="0 2 * * *"),
                     schedule("move", run_at="30 3 * * *")], connection, diff=True)
    assert run.result("create")["changed"] and not run.result("same")["changed"] and run.result("move")["changed"]
    assert run.result("move")["diff"]["before"]["run_at"] == "0 2 * * *" and run.result("move")["diff"]["after"]["run_at"] == "30 3 * * *"
    configs = emu.api("GET", "scheduler/job-configs").json()["resources"]
    kms_id = next(k["id"] for k in emu.api("GET", "cckm/aws/kms").json()["resources"] if k["name"] == "aws-kms")
    assert [(c["name"], c["run_at"], (c.get("job_config_params") or c.get("cckm_synchronization_params"))["kms"]) for c in configs] == [
        ("nightly", "30 3 * * *", [kms_id])]  # sent by ID (fidelity review row 2), read from either key
    run = run_tasks([schedule("remove", state="absent"), schedule("removed", state="absent")], connection)
    assert run.result("remove")["changed"] and not run.result("removed")["changed"]
    assert emu.api("GET", "scheduler/job-configs").json()["total"] == 0
    assert JOBS not in emu.stats()["routes"]
