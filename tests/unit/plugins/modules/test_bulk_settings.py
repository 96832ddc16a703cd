"""aws_key_bulk's per-key settings (issue 18 #3): rotation, period, tags and description on many keys in one process."""

import importlib

import pytest

from module_runner import run_module

from tests import reliability_report

# faults change what happens, not how long the client would wait in production: retry quickly (conftest)
pytestmark = pytest.mark.usefixtures("brisk_retries")

aws_key_bulk = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_bulk")
ROTATE = {"auto_rotation": True, "rotation_period_days": 200, "tags": {"team": "pay"}, "description": "payments", "wait_sleep": 0.1}


def seed(emu, count, region="us-east-1"):
    emu.control("POST", "cckm/keys", {"count": count, "kms": "aws-kms", "region": region})


def by_alias(emu):
    return {k["KeyId"]: k for k in emu.aws_keys("us-east-1")}


def test_check_mode_predicts_the_per_key_calls_a_real_run_makes_and_a_rerun_makes_none(emu, connection):
    seed(emu, 6)
    args = dict(connection, filters={"kms": "aws-kms", "region": "us-east-1"}, **ROTATE)
    emu.control("POST", "stats/reset")
    check = run_module(aws_key_bulk, args, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert {p["operation"]: p["keys"] for p in check["plan"]} == {"update-description": 6, "add-tags": 6, "enable-auto-rotation": 6}
    assert all(k["result"] == "planned" for k in check["key_results"])
    assert {v["auto_rotation"] for v in check["diff"]["after"].values()} == {True}
    run = run_module(aws_key_bulk, args)
    assert run["rc"] == 0 and run["plan"] == check["plan"] and [a["path"] for a in run["actions"]] == [a["path"] for a in check["actions"]]
    assert {k["result"] for k in run["key_results"]} == {"Success"}
    assert emu.writes() == {"POST /api/v1/cckm/aws/keys/{id}/update-description": 6, "POST /api/v1/cckm/aws/keys/{id}/add-tags": 6,
                            "POST /api/v1/cckm/aws/keys/{id}/enable-auto-rotation": 6}
    for key in emu.aws_keys("us-east-1"):
        assert key["KeyRotationEnabled"] and key["RotationPeriodInDays"] == 200 and key["Description"] == "payments"
        assert key["Tags"]["team"] == "pay"
    emu.control("POST", "stats/reset")
    again = run_module(aws_key_bulk, args)
    assert again["rc"] == 0 and again["changed"] is False and emu.writes() == {}


def test_tags_merge_unless_purge_tags(emu, connection):
    seed(emu, 2)
    base = dict(connection, filters={"kms": "aws-kms", "region": "us-east-1"}, wait_sleep=0.1)
    assert run_module(aws_key_bulk, dict(base, tags={"a": "1", "b": "2"}))["rc"] == 0
    merged = run_module(aws_key_bulk, dict(base, tags={"c": "3"}))
    assert merged["changed"] is True and all(k["Tags"] == {"a": "1", "b": "2", "c": "3"} for k in emu.aws_keys("us-east-1"))
    purged = run_module(aws_key_bulk, dict(base, tags={"c": "3"}, purge_tags=True))
    assert purged["changed"] is True and all(k["Tags"] == {"c": "3"} for k in emu.aws_keys("us-east-1"))


def test_a_disabled_key_gets_no_rotation_call_and_fails_with_its_reason_the_others_converge(emu, connection):
    seed(emu, 3)
    keys = run_module(aws_key_bulk, dict(connection, filters={"kms": "aws-kms", "region": "us-east-1"}, wait_sleep=0.1))["key_results"]
    assert run_module(aws_key_bulk, dict(connection, keys=[keys[0]["id"]], state="disabled", wait_sleep=0.1))["rc"] == 0
    emu.control("POST", "stats/reset")
    result = run_module(aws_key_bulk, dict(connection, filters={"kms": "aws-kms", "region": "us-east-1"}, auto_rotation=True,
                                           wait_sleep=0.1))
    assert result["rc"] == 1 and "1 of 3 key(s) failed" in result["msg"] and "automatic rotation needs an enabled key; the key is Disabled" in result["msg"]
    assert emu.writes() == {"POST /api/v1/cckm/aws/keys/{id}/enable-auto-rotation": 2}
    results = {k["id"]: k["result"] for k in result["key_results"]}
    assert results[keys[1]["id"]] == results[keys[2]["id"]] == "Success"


@pytest.mark.parametrize("options, message", [
    ({"state": "pending_deletion", "auto_rotation": True}, "state, auto_rotation: keys scheduled for deletion are not given new settings"),
    ({"concurrency": 0, "tags": {"a": "b"}}, "concurrency: must be between 1 and 32, got 0"),
    ({"rotation_period_days": 30}, "rotation_period_days: must be between 90 and 2560, got 30"),
    ({"auto_rotation": False, "rotation_period_days": 100}, "a rotation period needs auto_rotation=true"),
    ({"tags": {"cckm_policy_template_id": "x"}}, "tags: must not contain cckm_policy_template_id"),
])
def test_bad_settings_fail_before_any_request(emu, connection, options, message):
    emu.control("POST", "stats/reset")
    result = run_module(aws_key_bulk, dict(connection, filters={"kms": "aws-kms"}, **options))
    assert result["rc"] == 1 and message in result["msg"], result["msg"]
    assert emu.stats()["requests"] == 0


def test_concurrent_calls_under_injected_faults_converge_with_every_key_reported_and_no_duplicates(emulator_factory):
    """20 % of the API answers are faults (some after the change was applied): each key is reported, reruns converge."""
    faulty = emulator_factory("--fault-rate", "0.2", "--seed", "11")
    faulty.control("POST", "cckm/keys", {"count": 24, "kms": "aws-kms", "region": "us-east-1"})
    args = {"host": faulty.url, "username": "admin", "password": "admin", "filters": {"kms": "aws-kms", "region": "us-east-1"},
            "auto_rotation": True, "tags": {"rotation": "yearly"}, "concurrency": 8, "retries": 8, "fail_on_key_error": False}
    for attempt in range(3):
        result = run_module(aws_key_bulk, args)
        assert result["rc"] == 0, result.get("msg")
        assert len(result["key_results"]) == 24 and all(k["result"] for k in result["key_results"])
        if not result["changed"]:
            break
    assert attempt >= 1 and result["changed"] is False
    keys = faulty.aws_keys("us-east-1")
    assert len(keys) == 24 and all(k["KeyRotationEnabled"] and k["Tags"]["rotation"] == "yearly" for k in keys)
    assert faulty.stats()["faults"]["injected"] > 0
    reliability_report.record("fault-rate 0.2: aws_key_bulk settings on 24 keys, concurrency 8", runs=attempt + 1,
                              faults=faulty.stats()["faults"]["injected"], duplicates=len(keys) - 24)
