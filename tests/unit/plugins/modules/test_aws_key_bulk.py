"""aws_key_bulk in-process against the emulator: jobs of 100 per account, only differing keys sent, per-key results, check mode plan."""

import math

from module_runner import ONE_PROFILE, run_tasks

pytestmark = ONE_PROFILE
JOB_POSTS = "POST /api/v1/cckm/aws/bulkjob"
LIST_KEYS = "GET /api/v1/cckm/aws/keys"


def bulk(name, **options):
    options.setdefault("wait_sleep", 0.2)
    return {"name": name, "ciphertrust.cckm.aws_key_bulk": options}


def seed(emu, count, prefix, **extra):
    return emu.control("POST", "/_emulator/cckm/keys", dict({"count": count, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": prefix}, **extra))["ids"]


def states(emu, region="us-east-1"):
    return {k["Aliases"][0][len("alias/"):]: k["KeyState"] for k in emu.aws_keys(region) if k["Aliases"]}


def test_250_keys_disabled_by_filter_in_3_jobs_then_no_op(emu, connection):
    seed(emu, 250, "many-", tags={"app": "batch"})
    seed(emu, 5, "other-")
    task = bulk("disable", filters={"kms": "aws-kms", "tags": {"app": "batch"}}, state="disabled")
    check = run_tasks([task], connection, check=True).result("disable")
    assert check["changed"] and check["plan"] == [{"operation": "disablekey", "jobs": 3, "keys": 250}]
    assert JOB_POSTS not in emu.stats()["routes"] and set(states(emu).values()) == {"Enabled"}
    result = run_tasks([task], connection).result("disable")
    assert result["changed"] and result["plan"] == check["plan"] and result["failures"] == 0
    assert len(result["jobs"]) == 3 and {j["overall_status"] for j in result["jobs"]} == {"completed"}
    assert sorted(j["keys"] for j in result["jobs"]) == [50, 100, 100]
    assert all(k["result"] == "Success" and k["previous_state"] == "Enabled" for k in result["key_results"])
    truth = states(emu)
    assert all(truth["many-%d" % n] == "Disabled" for n in range(250)) and all(truth["other-%d" % n] == "Enabled" for n in range(5))
    assert emu.stats()["routes"][JOB_POSTS] == 3
    emu.control("POST", "/_emulator/stats/reset")
    again = run_tasks([task], connection).result("disable")
    assert again["changed"] is False and again["jobs"] == []
    routes = emu.stats()["routes"]
    assert JOB_POSTS not in routes and routes[LIST_KEYS] <= math.ceil(255 / 1000) + 1


def test_mixed_states_send_only_the_keys_that_differ(emu, connection):
    ids = seed(emu, 6, "mix-")
    emu.api("POST", "cckm/aws/keys/%s/disable" % ids[0])
    emu.api("POST", "cckm/aws/keys/%s/schedule-deletion" % ids[1], json={"days": 7})
    result = run_tasks([bulk("enable", keys=["alias/mix-0", "mix-1", ids[2], emu.aws_keys()[3]["Arn"]], state="enabled")],
                       connection).result("enable")
    by_alias = {k["alias"]: k for k in result["key_results"]}
    assert by_alias["mix-0"]["operations"] == ["enablekey"]
    assert by_alias["mix-1"]["operations"] == ["cancelkeydeletion", "enablekey"]
    assert by_alias["mix-2"]["operations"] == [] and by_alias["mix-2"]["result"] == "unchanged"
    assert [j["keys"] for j in result["jobs"]] == [1, 2]
    assert states(emu)["mix-0"] == "Enabled" and states(emu)["mix-1"] == "Enabled"


def test_schedule_cancel_and_template_are_idempotent(emu, connection):
    seed(emu, 4, "life-")
    template = emu.api("POST", "cckm/aws/templates", json={"name": "bulk-t", "kms": "aws-kms", "key_users": ["u1"]}).json()
    run = run_tasks([
        bulk("apply", filters={"alias": ["life-0", "life-1"]}, policy_template="bulk-t"),
        bulk("apply again", filters={"alias": ["life-0", "life-1"]}, policy_template=template["id"]),
        bulk("schedule", filters={"alias": ["life-2", "life-3"]}, state="pending_deletion", pending_window_days=7),
        bulk("schedule again", filters={"alias": ["life-2", "life-3"]}, state="pending_deletion", pending_window_days=7),
    ], connection)
    assert run.result("apply")["changed"] and not run.result("apply again")["changed"]
    assert all(k["Tags"].get("cckm_policy_template_id") == template["id"] for k in emu.aws_keys() if k["Aliases"][0] in ("alias/life-0", "alias/life-1"))
    assert run.result("schedule")["changed"] and not run.result("schedule again")["changed"]
    assert states(emu)["life-2"] == "PendingDeletion"
    run = run_tasks([bulk("cancel", filters={"alias": ["life-2", "life-3"]}, state="present"),
                     bulk("cancel again", filters={"alias": ["life-2", "life-3"]}, state="present")], connection)
    assert run.result("cancel")["changed"] and not run.result("cancel again")["changed"]
    assert states(emu)["life-3"] == "Disabled"


def test_a_key_failing_inside_a_job_fails_the_task_with_its_error(emu, connection):
    ids = seed(emu, 3, "fail-")
    emu.control("POST", "/_emulator/fail-keys", {"key_ids": [ids[1]], "message": "KMSInternalException: simulated"})
    run = run_tasks([bulk("disable", filters={"alias": ["fail-0", "fail-1", "fail-2"]}, state="disabled")],
                    connection, expect_rc=2)
    result = run.result("disable")
    assert "1 of 3 key(s) failed" in result["msg"] and ids[1] in result["msg"] and "KMSInternalException: simulated" in result["msg"]
    assert {k["id"]: k["result"] for k in result["key_results"]}[ids[0]] == "Success"


def test_unknown_keys_and_missing_permission_are_clear(emu, connection):
    seed(emu, 1, "perm-")
    unknown = run_tasks([bulk("x", keys=["alias/nope"], state="disabled")], connection, expect_rc=2).result("x")
    assert "keys: no such key: alias/nope" in unknown["msg"]
    emu.control("POST", "/_emulator/permissions", {"deny": ["keybulkoperation"]})
    denied = run_tasks([bulk("x", keys=["perm-0"], state="disabled")], connection, expect_rc=2).result("x")
    assert "HTTP 403" in denied["msg"] and "keybulkoperation" in denied["msg"]
    assert states(emu)["perm-0"] == "Enabled"


def test_cancel_running_jobs_by_id(emu, connection):
    ids = seed(emu, 2, "cj-")
    emu.control("POST", "/_emulator/config", {"job_delay": 30})
    job = emu.api("POST", "cckm/aws/bulkjob", json={"operation": "disablekey", "keys": ids}).json()
    run = run_tasks([bulk("cancel", cancel_job_ids=[job["id"]]), bulk("again", cancel_job_ids=[job["id"]])], connection)
    assert run.result("cancel")["changed"] and run.result("cancel")["jobs"][0]["abort"] is True
    assert run.result("again")["changed"] is False
