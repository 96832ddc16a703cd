"""Every module's check mode plans exactly what its real run then does (same ``actions``), and writes nothing.

Each case runs the module's main() in-process three times against the emulator: check mode, the real run,
then the real run again, which must find nothing to do.
"""

import pytest

from module_runner import module, run_module

ACCOUNT = "123456789012"


def new_key_ids(emu, count):
    ids = []
    for n in range(count):
        response = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "bulk-%d" % n}})
        assert response.status_code in (200, 201), response.text
        ids.append(response.json()["id"])
    return ids


def template(emu, name="parity-tpl"):
    response = emu.api("POST", "cckm/aws/templates", json={"name": name, "kms": "aws-kms", "key_users": ["bob"]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rotation_schedule(emu, name="parity-rotation"):
    response = emu.api("POST", "scheduler/job-configs", json={"name": name, "operation": "cckm_key_rotation", "run_at": "0 9 * * sat"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def unknown_before(actions, check, real):
    """A resource the task creates has no id before it exists: check mode shows ``{id}`` where the real run shows it."""
    if check["record"] is not None or not isinstance(real["resource"], dict) or not real["resource"].get("id"):
        return actions
    return [dict(a, path=a["path"].replace(real["resource"]["id"], "{id}")) for a in actions]


CASES = {
    "aws_connection create": ("aws_connection", lambda emu: {"name": "parity-conn", "access_key_id": "AKIAPARITY", "secret_access_key": "parity-secret-1",
                                                             "labels": {"a": "1"}}),
    "aws_kms create with acls": ("aws_kms", lambda emu: {"name": "parity-kms", "connection": "aws-connection", "account_id": "444455556666",
                                                         "regions": ["us-east-1"], "acls": [{"group": "g", "actions": ["keycreate"]}]}),
    "aws_key create": ("aws_key", lambda emu: {"kms": "aws-kms", "region": "us-east-1", "alias": "parity", "description": "d",
                                               "aliases": ["parity-2"], "tags": {"a": "1"}, "enabled": False,
                                               "auto_rotation": True, "rotation_period_days": 100}),
    "aws_key with template by name": ("aws_key", lambda emu: {"kms": "aws-kms", "region": "us-east-1", "alias": "parity-tpl-key",
                                                              "policy_template": template(emu) and "parity-tpl"}),
    "aws_key_bulk": ("aws_key_bulk", lambda emu: {"keys": new_key_ids(emu, 3), "state": "disabled", "wait_sleep": 0.05}),
    "aws_policy_template create": ("aws_policy_template", lambda emu: {"name": "parity", "kms": "aws-kms", "key_users": ["alice"]}),
    "aws_key upload with a rotation job": ("aws_key", lambda emu: rotation_schedule(emu) and {
        "kms": "aws-kms", "region": "us-east-1", "alias": "parity-byok", "import_material": {"source_key": "parity-material"},
        "rotation_job": {"name": "parity-rotation", "disable_encrypt": True}}),
    "aws_key_rotation_schedule create": ("aws_key_rotation_schedule", lambda emu: {"name": "parity-rotation", "run_at": "0 9 * * sat",
                                                                                   "expiration": "30d", "rotate_material": True}),
    "aws_sync schedule": ("aws_sync", lambda emu: {"kms": ["aws-kms"], "schedule": {"name": "nightly", "run_at": "0 2 * * *"}}),
    "kms_post_process": ("kms_post_process", lambda emu: {"account_native_id": ACCOUNT, "aws_region": "us-east-1", "version": 3}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_mode_actions_equal_the_real_run(emu, connection, clumio, name):
    module_name, make_args = CASES[name]
    args = dict(make_args(emu), **(clumio if module_name == "kms_post_process" else connection))
    emu.control("POST", "stats/reset")
    check = run_module(module(module_name), args, check=True, diff=True)
    assert check["rc"] == 0, check
    assert emu.writes() == {}, "check mode wrote: %s" % emu.writes()
    real = run_module(module(module_name), args, diff=True)
    assert real["rc"] == 0, real
    assert check["changed"] is real["changed"] is True
    assert check["actions"] == unknown_before(real["actions"], check, real) != []
    assert set(real) >= {"changed", "actions", "resource", "record", "diff"}
    for check_again in (True, False):
        again = run_module(module(module_name), args, check=check_again, diff=True)
        assert again["changed"] is False and again["actions"] == [], again
        assert again["diff"]["before"] == again["diff"]["after"]


def test_a_synchronization_run_is_planned_as_a_job_start(emu, connection):
    args = dict(connection, kms=["aws-kms"], wait_sleep=0.05)
    check = run_module(module("aws_sync"), args, check=True)
    real = run_module(module("aws_sync"), args)
    assert check["actions"] == real["actions"] == [{"method": "POST", "path": "/api/v1/cckm/aws/synchronization-jobs",
                                                    "body": {"kms": ["aws-kms"]}, "description": "start a synchronization job for aws-kms"}]
    assert check["changed"] is False and check["resource"]["id"] is None and real["resource"]["id"] == real["job_id"]


@pytest.mark.parametrize("name, args", [("aws_key_info", {"kms": ["aws-kms"]}), ("aws_policy_template_info", {}), ("aws_connection_info", {}),
                                        ("aws_kms_info", {})])
def test_read_only_modules_return_no_actions(emu, connection, name, args):
    result = run_module(module(name), dict(connection, **args), check=True)
    assert result["rc"] == 0 and result["changed"] is False and result["actions"] == []
