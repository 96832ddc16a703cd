"""aws_connection and aws_connection_info in-process against the emulator (both fidelity profiles).

Secrets are write-only (TF resource_aws_connection.go): these tests follow what reached the emulator through its
control endpoint ``connections/secrets`` (digests and write counts) and check that no secret is in any output.
"""

import hashlib
import importlib
import json

import pytest

from module_runner import run_module

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
NEW_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC-private\n-----END PRIVATE KEY-----"
ANYWHERE = {"anywhere_role_arn": "arn:aws:iam::111122223333:role/cckm", "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "profile_arn": "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p",
            "trust_anchor_arn": "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/t", "private_key": PRIVATE_KEY}


def module(name):
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def run(args, **kwargs):
    result = run_module(module("aws_connection"), args, **kwargs)
    text = json.dumps(result)
    for secret in (SECRET, NEW_SECRET, PRIVATE_KEY, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-private"):
        assert secret not in text, "a secret reached the output: %s" % text
    return result


def stored(emu, name="aws-prod"):
    return emu.control("GET", "connections/secrets").get(name)


def digest(value):
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def args(connection):
    return dict(connection, name="aws-prod", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key=SECRET, description="prod",
                labels={"team": "security"})


def test_create_check_mode_diff_and_idempotent_rerun(emu, args):
    check = run(args, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and check["secret_updated"] is True
    assert stored(emu) is None and emu.writes() == {}
    assert check["actions"][0]["body"]["secret_access_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert check["diff"]["before"] == {} and check["diff"]["after"]["secret_access_key"] == "******** (new value sent)"
    real = run(args, diff=True)
    assert real["changed"] is True and real["actions"] == check["actions"]
    assert real["resource"]["access_key_id"] == "AKIAIOSFODNN7EXAMPLE" and real["resource"]["labels"] == {"team": "security"}
    assert real["resource"]["aws_region"] == "us-east-1" and real["resource"]["cloud_name"] == "aws"   # the server's defaults
    assert stored(emu) == {"writes": 1, "secret_access_key": digest(SECRET)}
    for check_mode in (True, False):
        again = run(args, check=check_mode, diff=True)
        assert again["changed"] is False and again["actions"] == [] and again["secret_updated"] is False, again
        assert again["diff"]["before"] == again["diff"]["after"]
    assert stored(emu)["writes"] == 1   # on_create: the secret is never resent


def test_a_new_secret_is_not_sent_on_create_only_and_is_with_update_secret_always(emu, args):
    run(args)
    unchanged = run(dict(args, secret_access_key=NEW_SECRET))
    assert unchanged["changed"] is False and stored(emu)["secret_access_key"] == digest(SECRET)
    check = run(dict(args, secret_access_key=NEW_SECRET, update_secret="always"), check=True, diff=True)
    assert check["changed"] is True and check["secret_updated"] is True and stored(emu)["writes"] == 1
    assert check["diff"]["before"]["secret_access_key"] == "********"
    assert check["diff"]["after"]["secret_access_key"] == "******** (new value sent)"
    rotated = run(dict(args, secret_access_key=NEW_SECRET, update_secret="always"))
    assert rotated["changed"] is True and rotated["actions"] == check["actions"]
    assert rotated["actions"][0]["body"] == {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    assert stored(emu) == {"writes": 2, "secret_access_key": digest(NEW_SECRET)}
    again = run(dict(args, secret_access_key=NEW_SECRET, update_secret="always"))
    assert again["changed"] is True and stored(emu)["writes"] == 3   # always means every run


def test_a_new_access_key_id_is_sent_with_its_secret_even_on_create_only(emu, args):
    run(args)
    changed = run(dict(args, access_key_id="AKIANEWKEY0000000001", secret_access_key=NEW_SECRET))
    assert changed["changed"] is True and changed["secret_updated"] is True
    assert changed["resource"]["access_key_id"] == "AKIANEWKEY0000000001"
    assert stored(emu) == {"writes": 2, "secret_access_key": digest(NEW_SECRET)}


def test_modify_readable_fields_and_purge_labels(emu, args):
    run(args)
    changed = run(dict(args, description="production", labels={"env": "prod"}, cloud_name="aws", aws_region="eu-west-1",
                       aws_sts_regional_endpoints="regional", assume_role_arn="arn:aws:iam::111122223333:role/cckm"), diff=True)
    assert changed["changed"] is True and changed["secret_updated"] is False
    body = changed["actions"][0]["body"]
    assert body["labels"] == {"env": "prod", "team": None} and "secret_access_key" not in body
    assert changed["resource"]["labels"] == {"env": "prod"} and changed["resource"]["aws_region"] == "eu-west-1"
    assert changed["diff"]["before"]["description"] == "prod" and changed["diff"]["after"]["description"] == "production"
    kept = run(dict(args, description="production", labels={"tier": "1"}, purge_labels=False))
    assert kept["resource"]["labels"] == {"env": "prod", "tier": "1"}
    assert run(dict(args, description="production", labels={"env": "prod", "tier": "1"}, purge_labels=False))["changed"] is False


def test_only_what_is_given_is_managed(emu, args):
    run(args)
    bare = run({k: v for k, v in args.items() if k in ("host", "username", "password", "name")})
    assert bare["changed"] is False and bare["resource"]["description"] == "prod"


def test_iam_roles_anywhere_connection(emu, connection):
    args = dict(connection, name="anywhere", iam_role_anywhere=ANYWHERE)
    created = run(args, diff=True)
    assert created["changed"] is True and created["resource"]["is_role_anywhere"] is True
    assert created["resource"]["iam_role_anywhere"]["anywhere_role_arn"] == ANYWHERE["anywhere_role_arn"]
    assert created["actions"][0]["body"]["iam_role_anywhere"]["private_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    assert created["diff"]["after"]["private_key"] == "******** (new value sent)"
    assert run(args)["changed"] is False
    moved = run(dict(args, iam_role_anywhere=dict(ANYWHERE, profile_arn="arn:aws:rolesanywhere:us-east-1:111122223333:profile/q")))
    assert moved["changed"] is True and moved["secret_updated"] is True and stored(emu, "anywhere")["writes"] == 2
    refused = run(dict(connection, name="anywhere", access_key_id="AKIA", secret_access_key=SECRET))
    assert refused["failed"] and "type cannot change" in refused["msg"] and "access_key_id" in refused["msg"]


@pytest.mark.parametrize("extra, option", [
    ({"access_key_id": "AKIA"}, "secret_access_key"),
    ({"iam_role_anywhere": ANYWHERE, "access_key_id": "AKIA", "secret_access_key": SECRET}, "iam_role_anywhere"),
    ({"assume_role_external_id": "ext"}, "assume_role_arn"),
    ({"cloud_name": "azure"}, "cloud_name"),
    ({"products": ["cckm", "nope"]}, "products"),
    ({"update_secret": "sometimes"}, "update_secret"),
    ({"iam_role_anywhere": {"anywhere_role_arn": "a"}}, "certificate"),
    ({"name": " "}, "name"),
    ({"labels": {"": "x"}}, "labels"),
])
def test_bad_input_fails_before_any_write(emu, connection, extra, option):
    emu.control("POST", "stats/reset")
    result = run(dict(dict(connection, name="bad"), **extra))
    assert result["failed"] and option in result["msg"], result
    assert emu.writes() == {}


def test_clearing_what_cannot_be_cleared_fails_clearly(emu, args):
    run(args)
    result = run(dict(args, description=""))
    assert result["failed"] and "description" in result["msg"] and "cannot be cleared" in result["msg"]


def test_absent_deletes_and_is_idempotent_and_refuses_a_connection_in_use(emu, args, connection):
    run(args)
    check = run(dict(args, state="absent"), check=True, diff=True)
    assert check["changed"] is True and check["diff"]["after"] == {} and stored(emu) is not None
    gone = run(dict(args, state="absent"))
    assert gone["changed"] is True and gone["resource"] is None and stored(emu) is None
    assert run(dict(args, state="absent"))["changed"] is False
    in_use = run(dict(connection, name="aws-connection", state="absent"))
    assert in_use["failed"] and "aws-kms" in in_use["msg"] and "used by" in in_use["msg"]


def test_a_secret_a_server_returns_is_dropped_and_masked(emu, args):
    """A (hypothetical) server echoing the secret: it never reaches the output (fault rule on the answer is not possible, so the
    view and record cleaners are checked directly)."""
    from ansible_collections.ciphertrust.cckm.plugins.module_utils._connection import clean_record, connection_view, secrets_in
    record = {"id": "i", "name": "n", "secret_access_key": SECRET, "iam_role_anywhere": dict(ANYWHERE)}
    assert SECRET not in json.dumps(clean_record(record)) and PRIVATE_KEY not in json.dumps(clean_record(record))
    assert SECRET not in json.dumps(connection_view(record)) and PRIVATE_KEY not in json.dumps(connection_view(record))
    assert set(secrets_in(record)) == {SECRET, PRIVATE_KEY}


def test_info_lists_and_filters_without_secrets(emu, args, connection):
    run(args)
    info = run_module(module("aws_connection_info"), dict(connection, include_record=True), check=True)
    assert info["rc"] == 0 and info["changed"] is False and info["actions"] == []
    assert sorted(c["name"] for c in info["connections"]) == ["aws-connection", "aws-connection-2", "aws-prod"]
    assert SECRET not in json.dumps(info) and "secret_access_key" not in json.dumps(info)
    one = run_module(module("aws_connection_info"), dict(connection, name="aws-prod"))
    assert [c["access_key_id"] for c in one["connections"]] == ["AKIAIOSFODNN7EXAMPLE"] and one["total"] == 1
    assert run_module(module("aws_connection_info"), dict(connection, name="nope"))["connections"] == []
    assert run_module(module("aws_connection_info"), dict(connection, cloud_name="aws-cn"))["total"] == 0


def test_a_create_whose_answer_is_lost_is_found_not_sent_twice(emu, args):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/connectionmgmt/services/aws/connections", "status": 503,
                                              "phase": "after"}]})
    created = run(args)
    assert created["rc"] == 0 and created["changed"] is True, created
    assert emu.stats()["routes"]["POST /api/v1/connectionmgmt/services/aws/connections"] == 1
    assert stored(emu)["writes"] == 1 and run(args)["changed"] is False
