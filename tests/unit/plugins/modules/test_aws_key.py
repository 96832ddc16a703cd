"""aws_key in-process against the emulator: per-property create/modify/no-op, check mode, diff, lost responses.

AWS ground truth is read from the emulator; none of this depends on a fidelity flag, so one profile is enough.
"""

import pytest

from module_runner import ONE_PROFILE, run_tasks

pytestmark = ONE_PROFILE
MODULE = "ciphertrust.cckm.aws_key"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                   "Action": ["kms:*"], "Resource": "*"}],
}


def key_task(name="t", **options):
    return {"name": name, MODULE: dict(WHERE, **options)}


def run_one(connection, options, check=False, expect_rc=0, name="t"):
    return run_tasks([key_task(name, **options)], connection, check=check, diff=True, expect_rc=expect_rc).result(name)


def truth(emu, region="us-east-1"):
    """AWS keys by alias name (first alias), straight from the AWS side."""
    return {k["Aliases"][0].replace("alias/", "") if k["Aliases"] else k["KeyId"]: k for k in emu.aws_keys(region)}


def make_template(emu, name="tpl-app"):
    response = emu.api("POST", "cckm/aws/templates", json={"name": name, "kms": "aws-kms", "key_users": ["bob"]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_create_then_noop_costs_two_requests(emu, connection):
    template_id = make_template(emu)
    options = {"alias": "alias/app1", "description": "App one", "aliases": ["app1-old"], "tags": {"app": "one", "env": "dev"},
               "policy_template": template_id}
    created = run_one(connection, options)
    assert created["changed"] is True
    assert [a["description"].split(" ")[0] for a in created["actions"]] == ["create", "add"]
    view = created["resource"]
    assert view["aliases"] == ["app1", "app1-old"] and view["tags"] == {"app": "one", "env": "dev"}
    assert view["policy_template_id"] == template_id and view["description"] == "App one"
    assert created["record"]["id"] == view["id"] and created["diff"]["before"] == {}
    aws = truth(emu)["app1"]
    assert aws["Tags"] == {"app": "one", "env": "dev", "cckm_policy_template_id": template_id}
    assert sorted(aws["Aliases"]) == ["alias/app1", "alias/app1-old"] and aws["Description"] == "App one"

    emu.control("POST", "/_emulator/stats/reset")
    again = run_one(connection, options)
    assert again["changed"] is False and again["actions"] == []
    assert again["diff"]["before"] == again["diff"]["after"]
    stats = emu.stats()
    assert stats["requests"] <= 2, stats
    assert len(emu.aws_keys("us-east-1")) == 1


CHANGES = [
    ("description", {"description": "new text"}, lambda k: k["Description"] == "new text"),
    ("tags add", {"tags": {"app": "x", "team": "blue"}, "purge_tags": False}, lambda k: k["Tags"] == {"app": "x", "old": "1", "team": "blue"}),
    ("tags purge", {"tags": {"app": "x"}}, lambda k: k["Tags"] == {"app": "x"}),
    ("aliases", {"aliases": ["base-2"]}, lambda k: sorted(k["Aliases"]) == ["alias/base", "alias/base-1", "alias/base-2"]),
    ("aliases purge", {"aliases": ["base-2"], "purge_aliases": True}, lambda k: sorted(k["Aliases"]) == ["alias/base", "alias/base-2"]),
    ("disable", {"enabled": False}, lambda k: k["KeyState"] == "Disabled"),
    ("policy", {"policy": POLICY}, lambda k: k["Policy"]["Statement"][0]["Sid"] == "root"),
    ("key users", {"key_users": ["carol"], "key_admins_roles": ["ops"]},
     lambda k: "arn:aws:iam::123456789012:user/carol" in str(k["Policy"]) and "role/ops" in str(k["Policy"])),
    ("rotation", {"auto_rotation": True, "rotation_period_days": 200}, lambda k: k["KeyRotationEnabled"] and k["RotationPeriodInDays"] == 200),
]


@pytest.mark.parametrize("options,check", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_each_property_change_is_applied_diffed_and_stable(emu, connection, options, check):
    run_one(connection, {"alias": "base", "aliases": ["base-1"], "tags": {"app": "x", "old": "1"}})
    before = truth(emu)["base"]
    changed = run_one(connection, dict(options, alias="base"))
    assert changed["changed"] is True and changed["actions"]
    assert changed["diff"]["before"] != changed["diff"]["after"]
    after = truth(emu)["base"]
    assert check(after) and not check(before)
    again = run_one(connection, dict(options, alias="base"))
    assert again["changed"] is False, again["actions"]


def test_policy_comparison_is_normalised(connection):
    run_one(connection, {"alias": "pol", "policy": POLICY})
    same = {"Statement": [{"Resource": ["*"], "Action": "kms:*", "Effect": "Allow", "Sid": "root",
                           "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}
    as_string = '{"Version": "2012-10-17",  "Statement": [{"Sid": "root", "Effect": "Allow", "Action": "kms:*", "Resource": "*",' \
                ' "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]}'
    assert run_one(connection, {"alias": "pol", "policy": same})["changed"] is False
    assert run_one(connection, {"alias": "pol", "policy": as_string})["changed"] is False


def test_template_by_name_is_resolved_and_applied(emu, connection):
    template_id = make_template(emu, "by-name")
    run_one(connection, {"alias": "tn"})
    result = run_one(connection, {"alias": "tn", "policy_template": "by-name"})
    assert result["changed"] is True and result["resource"]["policy_template_id"] == template_id
    emu.control("POST", "/_emulator/stats/reset")
    assert run_one(connection, {"alias": "tn", "policy_template": "by-name", "tags": {}})["changed"] is False
    assert emu.stats()["requests"] == 3  # auth, template lookup, key list
    assert truth(emu)["tn"]["Tags"] == {"cckm_policy_template_id": template_id}  # purge_tags never removes CCKM's tag


def check_then_real(emu, connection, options, region="us-east-1"):
    """Run in check mode (nothing may change in AWS), then for real; both must agree on changed and actions."""
    ground = emu.aws_keys(region)
    emu.control("POST", "/_emulator/stats/reset")
    predicted = run_one(connection, options, check=True)
    assert emu.aws_keys(region) == ground
    assert emu.writes() == {}
    real = run_one(connection, options)
    assert predicted["changed"] == real["changed"]
    assert [a["description"] for a in predicted["actions"]] == [a["description"] for a in real["actions"]]
    strip = {"id", "key_id", "arn", "kms_id", "account_id", "deletion_date", "key_material_origin", "gone", "multi_region_key_type"}
    assert {k: v for k, v in predicted["diff"]["after"].items() if k not in strip} == \
        {k: v for k, v in real["diff"]["after"].items() if k not in strip}
    return predicted, real


def test_check_mode_predicts_every_path(emu, connection):
    paths = [
        ("create", {"alias": "cm", "description": "x", "tags": {"a": "b"}, "aliases": ["cm-2"]}),
        ("noop", {"alias": "cm", "description": "x"}),
        ("update", {"alias": "cm", "description": "y", "tags": {"a": "c"}, "auto_rotation": True}),
        ("disable", {"alias": "cm", "enabled": False}),
        ("enable", {"alias": "cm", "enabled": True}),
        ("absent", {"alias": "cm", "state": "absent", "pending_window_days": 7}),
        ("absent again", {"alias": "cm", "state": "absent"}),
        ("cancel", {"alias": "cm", "state": "present"}),
        ("absent missing", {"alias": "never-made", "state": "absent"}),
    ]
    for label, options in paths:
        predicted, real = check_then_real(emu, connection, options)
        assert predicted["changed"] == (label not in ("noop", "absent again", "absent missing")), label
    assert truth(emu)["cm"]["KeyState"] == "Disabled"


def test_disable_then_enable(emu, connection):
    run_one(connection, {"alias": "de"})
    assert run_one(connection, {"alias": "de", "enabled": False})["resource"]["key_state"] == "Disabled"
    assert truth(emu)["de"]["Enabled"] is False
    result = run_one(connection, {"alias": "de", "enabled": True})
    assert result["changed"] and truth(emu)["de"]["KeyState"] == "Enabled"


def test_schedule_deletion_then_cancel(emu, connection):
    run_one(connection, {"alias": "del"})
    gone = run_one(connection, {"alias": "del", "state": "absent", "pending_window_days": 7})
    assert gone["changed"] and gone["actions"][0]["body"] == {"days": 7}
    assert truth(emu)["del"]["KeyState"] == "PendingDeletion" and truth(emu)["del"]["DeletionDate"]
    assert run_one(connection, {"alias": "del", "state": "absent"})["changed"] is False
    back = run_one(connection, {"alias": "del", "enabled": True})
    assert [a["description"] for a in back["actions"]] == ["cancel the scheduled deletion", "enable the key"]
    assert truth(emu)["del"]["KeyState"] == "Enabled"


def test_external_key_material_import_and_delete(emu, connection):
    created = run_one(connection, {"alias": "byok", "origin": "EXTERNAL", "import_material": {"source_key_tier": "local"}})
    assert [a["description"] for a in created["actions"]][1] == "import key material"
    assert truth(emu)["byok"]["KeyState"] == "Enabled"
    deleted = run_one(connection, {"alias": "byok", "key_material": "absent"})
    assert deleted["changed"] and truth(emu)["byok"]["KeyState"] == "PendingImport"
    predicted = run_one(connection, {"alias": "byok", "key_material": "absent"}, check=True)
    assert predicted["changed"] is False
    assert run_one(connection, {"alias": "byok", "key_material": "absent"})["changed"] is False


def test_replicate_to_two_regions_then_noop(emu, connection):
    options = {"alias": "mrk", "multi_region": True, "replica_regions": ["us-west-2", "eu-west-1"]}
    predicted, real = check_then_real(emu, connection, options)
    assert predicted["changed"] and sorted(real["resource"]["replica_regions"]) == ["eu-west-1", "us-west-2"]
    assert len(emu.aws_keys("us-west-2")) == 1 and len(emu.aws_keys("eu-west-1")) == 1
    again = run_one(connection, options)
    assert again["changed"] is False
    more = run_one(connection, {"alias": "mrk", "replica_regions": ["us-west-2"]})
    assert more["changed"] is False  # replicas not listed are kept, never deleted


@pytest.mark.parametrize("options,names", [
    ({"alias": "cx", "policy": POLICY, "key_users": ["bob"]}, ["policy", "key_users"]),
    ({"alias": "cx", "policy_template": "t", "key_users_roles": ["bob"]}, ["policy_template", "key_users_roles"]),  # "admin" is masked: it is the password
    ({"alias": "cx", "multi_region": True}, ["multi_region"]),
    ({"alias": "cx", "key_spec": "RSA_2048"}, ["key_spec"]),
    ({"alias": "cx", "state": "absent", "pending_window_days": 5}, ["pending_window_days"]),
    ({"alias": "cx", "rotation_period_days": 30}, ["rotation_period_days"]),
], ids=["policy+key_users", "template+key_users_roles", "multi_region flip", "key_spec flip", "pending window", "rotation period"])
def test_conflicting_options_fail_before_any_write(emu, connection, options, names):
    run_one(connection, {"alias": "cx"})
    ground = emu.aws_keys()
    emu.control("POST", "/_emulator/stats/reset")
    result = run_one(connection, options, expect_rc=2)
    assert all(name in result["msg"] for name in names), result["msg"]
    assert emu.writes() == {} and emu.aws_keys() == ground


def test_lost_create_response_still_makes_exactly_one_key(emu, connection):
    emu.control("POST", "/_emulator/faults", {"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 502, "count": 1, "phase": "after"}]})
    result = run_one(connection, {"alias": "lost", "tags": {"a": "b"}})
    assert result["changed"] is True and result["resource"]["tags"] == {"a": "b"}
    assert len(emu.aws_keys()) == 1
    assert emu.stats()["routes"]["POST /api/v1/cckm/aws/keys"] == 1
    assert run_one(connection, {"alias": "lost", "tags": {"a": "b"}})["changed"] is False


def test_identify_by_arn_and_aws_key_id(connection):
    created = run_one(connection, {"alias": "ids"})
    by_arn = run_tasks([{"name": "arn", MODULE: {"id": created["resource"]["arn"], "description": "via arn"}},
                        {"name": "keyid", MODULE: {"id": created["resource"]["key_id"], "description": "via arn"}},
                        {"name": "missing", MODULE: {"id": "1234abcd-0000-0000-0000-000000000000", "enabled": True}, "ignore_errors": True}],
                       connection)
    assert by_arn.result("arn")["changed"] is True and by_arn.result("keyid")["changed"] is False
    assert "not found" in by_arn.result("missing")["msg"]


@pytest.mark.parametrize("action,options", [
    ("schedule-deletion", {"state": "absent"}),
    ("add-alias", {"aliases": ["extra"]}),
    ("disable", {"enabled": False}),
])
def test_lost_action_response_is_checked_not_blindly_resent(emu, connection, action, options):
    run_one(connection, {"alias": "la"})
    emu.control("POST", "/_emulator/faults", {"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys/{id}/" + action, "status": 502, "count": 1, "phase": "after"}]})
    result = run_one(connection, dict(options, alias="la"))
    assert result["changed"] is True
    assert run_one(connection, dict(options, alias="la"))["changed"] is False


def test_replicate_waits_for_the_replica_then_moves_the_primary(emu, connection):
    options = {"alias": "mv", "multi_region": True, "replica_regions": ["eu-west-1"], "primary_region": "eu-west-1", "wait_sleep": 0.1}
    predicted, real = check_then_real(emu, connection, options)
    assert [a["description"] for a in real["actions"]][-2:] == ["replicate to eu-west-1", "make eu-west-1 the primary region"]
    assert real["resource"]["primary_region"] == "eu-west-1" and real["resource"]["multi_region_key_type"] == "REPLICA"
    assert emu.aws_keys("eu-west-1")[0]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert run_one(connection, options)["changed"] is False and predicted["changed"] is True
