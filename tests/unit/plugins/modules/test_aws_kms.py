"""aws_kms and aws_kms_info in-process against the emulator (both fidelity profiles: kms_connection_ref,
kms_delete_with_keys and acl_view_actions each have two answers the module must converge under)."""

import importlib

import pytest

from module_runner import run_module

ACCOUNT = "444455556666"
GROUP = "CCKM Key Admins"
USER = "local|57a191ec-8644-4e2f-aaa9-59ca2ba0dbf9"


def module(name):
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def run(args, **kwargs):
    return run_module(module("aws_kms"), args, **kwargs)


@pytest.fixture
def args(connection):
    return dict(connection, name="prod-account", connection="aws-connection", account_id=ACCOUNT, regions=["us-east-1", "eu-west-1"],
                acls=[{"group": GROUP, "actions": ["keycreate", "keyupdate"]}, {"user_id": USER, "actions": ["view"]}])


def record(emu, name="prod-account"):
    found = [k for k in emu.api("GET", "cckm/aws/kms", params={"limit": -1}).json()["resources"] if k["name"] == name]
    return found[0] if found else None


def connection_id(emu, name="aws-connection"):
    return emu.api("GET", "connectionmgmt/services/aws/connections", params={"name": name}).json()["resources"][0]["id"]


def acls(emu, name="prod-account"):
    return {a.get("user_id") or a.get("group"): set(a["actions"]) for a in record(emu, name)["acls"]}


def test_create_with_acls_check_mode_diff_and_idempotent(emu, args):
    emu.control("POST", "stats/reset")
    check = run(args, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert [a["description"] for a in check["actions"]] == [
        "create KMS container prod-account", "grant ACL actions to group CCKM Key Admins, user %s on KMS container prod-account" % USER]
    assert check["actions"][1]["path"] == "/api/v1/cckm/aws/kms/{id}/update-acls"
    assert check["diff"]["after"]["regions"] == ["eu-west-1", "us-east-1"]
    real = run(args, diff=True)
    assert real["changed"] is True
    kms_id = real["resource"]["id"]
    assert [a["path"] for a in real["actions"]] == ["/api/v1/cckm/aws/kms", "/api/v1/cckm/aws/kms/%s/update-acls" % kms_id]
    assert real["actions"][1]["body"] == {"acls": [{"group": GROUP, "permit": True, "actions": ["keycreate", "keyupdate"]},
                                                   {"user_id": USER, "permit": True, "actions": ["viewbyok", "viewnative"]}]}
    assert real["resource"]["connection"] == "aws-connection" and real["resource"]["connection_id"] == connection_id(emu)
    assert real["diff"]["after"]["acls"] == check["diff"]["after"]["acls"]   # the view actions CCKM adds are not shown
    assert acls(emu)[GROUP] >= {"keycreate", "keyupdate"}
    for check_mode in (True, False):
        again = run(args, check=check_mode, diff=True)
        assert again["changed"] is False and again["actions"] == [], again
        assert again["diff"]["before"] == again["diff"]["after"]


def test_connection_given_by_id_or_name_is_the_same(emu, args):
    run(dict(args, connection=connection_id(emu)))
    expected = "aws-connection" if emu.fidelity("kms_connection_ref") == "name" else connection_id(emu)
    assert record(emu)["connection"] == expected
    assert run(args)["changed"] is False
    moved = run(dict(args, connection="aws-connection-2"))
    assert moved["changed"] is True and moved["actions"][0]["body"] == {"connection": connection_id(emu, "aws-connection-2")}
    assert moved["resource"]["connection"] == "aws-connection-2"


def test_regions_purge_and_add(emu, args):
    run(args)
    added = run(dict(args, regions=["us-west-2"], purge_regions=False))
    assert added["changed"] is True and added["resource"]["regions"] == ["eu-west-1", "us-east-1", "us-west-2"]
    assert run(dict(args, regions=["us-east-1"], purge_regions=False))["changed"] is False
    replaced = run(dict(args, regions=["us-east-1"]))
    assert replaced["changed"] is True and record(emu)["regions"] == ["us-east-1"]


def test_dropping_a_region_with_keys_fails_before_any_write(emu, args):
    run(args)
    assert emu.api("POST", "cckm/aws/keys", json={"kms": "prod-account", "region": "eu-west-1"}).status_code == 201
    emu.control("POST", "stats/reset")
    refused = run(dict(args, regions=["us-east-1"], acls=None), check=True)
    assert refused["failed"] and "eu-west-1" in refused["msg"] and "regions" in refused["msg"]
    refused = run(dict(args, regions=["us-east-1"]))
    assert refused["failed"] and emu.writes() == {}


def test_acls_exact_actions_and_purge(emu, args):
    emu.api("POST", "cckm/aws/kms/aws-kms/update-acls", json={"acls": [{"group": "others", "permit": True, "actions": ["keydelete"]}]})
    run(args)
    narrowed = run(dict(args, acls=[{"group": GROUP, "actions": ["keycreate"]}, {"user_id": USER, "actions": ["view"]}]), diff=True)
    assert narrowed["changed"] is True
    assert narrowed["actions"][0]["body"] == {"acls": [{"group": GROUP, "permit": False, "actions": ["keyupdate"]}]}
    assert "keyupdate" not in acls(emu)[GROUP] and "keycreate" in acls(emu)[GROUP]
    assert narrowed["diff"]["before"]["acls"] != narrowed["diff"]["after"]["acls"]
    kept = run(dict(args, acls=[{"group": GROUP, "actions": ["keycreate"]}]))
    assert kept["changed"] is False and USER in acls(emu)   # not listed, not purged
    purged = run(dict(args, acls=[{"group": GROUP, "actions": ["keycreate"]}], purge_acls=True))
    assert purged["changed"] is True and set(acls(emu)) == {GROUP}
    removed = run(dict(args, acls=[{"group": GROUP, "actions": []}]))
    assert removed["changed"] is True and record(emu)["acls"] == []
    assert run(dict(args, acls=[{"group": GROUP, "actions": []}]))["changed"] is False
    assert acls(emu, "aws-kms") == {"others": {"keydelete"} | ({"viewnative", "viewbyok"} if emu.fidelity("acl_view_actions") == "added" else set())}


def test_the_account_cannot_change(emu, args):
    run(args)
    result = run(dict(args, account_id="999999999999"))
    assert result["failed"] and "account_id" in result["msg"] and ACCOUNT in result["msg"]


def test_an_unknown_connection_is_assumed_in_check_mode_and_fails_a_real_run_before_writing(emu, args):
    emu.control("POST", "stats/reset")
    check = run(dict(args, connection="made-later"), check=True)
    assert check["changed"] is True and any("made-later" in w and "earlier task" in w for w in check["warnings"])
    real = run(dict(args, connection="made-later"))
    assert real["failed"] and "connection" in real["msg"] and "aws-connection" in real["msg"]
    assert emu.writes() == {}


def test_absent_refuses_while_keys_exist_and_force_forgets_them(emu, args):
    run(args)
    keys = [emu.api("POST", "cckm/aws/keys", json={"kms": "prod-account", "region": "us-east-1", "aws_param": {"Alias": "k%d" % n}}).json()
            for n in range(2)]
    refused = run(dict(args, state="absent"))
    assert refused["failed"] and "2 key(s)" in refused["msg"] and "force" in refused["msg"] and "k0" in refused["msg"]
    check = run(dict(args, state="absent", force=True), check=True)
    assert check["changed"] is True and [a["method"] for a in check["actions"]] == ["DELETE", "DELETE", "DELETE"]
    assert record(emu) is not None
    gone = run(dict(args, state="absent", force=True))
    assert gone["changed"] is True and gone["resource"] is None and sorted(gone["forgotten_keys"]) == sorted(k["id"] for k in keys)
    assert record(emu) is None and [k["Aliases"] for k in emu.aws_keys("us-east-1", ACCOUNT)] != []   # the AWS keys stay
    assert run(dict(args, state="absent"))["changed"] is False


def test_an_empty_container_is_deleted_without_force(emu, args):
    run(args)
    assert run(dict(args, state="absent"))["changed"] is True and record(emu) is None


@pytest.mark.parametrize("extra, option", [
    ({"account_id": "12345"}, "account_id"),
    ({"regions": ["mars-1"]}, "regions"),
    ({"regions": ["us-east-1", "us-east-1"]}, "regions"),
    ({"acls": [{"actions": ["keycreate"]}]}, "user_id"),
    ({"acls": [{"group": "g", "user_id": "u", "actions": ["keycreate"]}]}, "user_id"),
    ({"acls": [{"group": "g", "actions": ["fly"]}]}, "actions"),
    ({"assume_role_external_id": "x"}, "assume_role_arn"),
    ({"account_id": None}, "account_id"),
    ({"connection": None, "regions": None}, "connection"),
])
def test_bad_input_fails_before_any_write(emu, args, extra, option):
    emu.control("POST", "stats/reset")
    result = run({k: v for k, v in dict(args, **extra).items() if v is not None})
    assert result["failed"] and option in result["msg"], result
    assert emu.writes() == {}


def test_info_lists_and_resolves_connections(emu, args, connection):
    run(args)
    info = run_module(module("aws_kms_info"), dict(connection, include_record=True), check=True)
    assert info["rc"] == 0 and info["changed"] is False and info["actions"] == []
    assert sorted(k["name"] for k in info["kms_containers"]) == ["aws-kms", "aws-kms-2", "prod-account"]
    mine = next(k for k in info["kms_containers"] if k["name"] == "prod-account")
    assert mine["connection"] == "aws-connection" and mine["connection_id"] == connection_id(emu) and mine["record"]["id"] == mine["id"]
    by_account = run_module(module("aws_kms_info"), dict(connection, account_id=ACCOUNT))
    assert [k["name"] for k in by_account["kms_containers"]] == ["prod-account"] and by_account["total"] == 1
    assert run_module(module("aws_kms_info"), dict(connection, name="nope"))["kms_containers"] == []


def test_a_create_whose_answer_is_lost_is_found_not_sent_twice(emu, args):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/cckm/aws/kms", "status": 503, "phase": "after"}]})
    created = run(args)
    assert created["rc"] == 0 and created["changed"] is True, created
    assert emu.stats()["routes"]["POST /api/v1/cckm/aws/kms"] == 1 and record(emu) is not None
    assert run(args)["changed"] is False
