"""Rows of the fidelity review (../shared/api/fidelity-review.md), each proven against both emulator profiles.

The strict profile answers the way the evidence says CipherTrust Manager, AWS and Clumio do (FIDELITY.md in the
emulator's folder); the lenient one the way the emulator did before. The client must converge under both: each
case runs the module twice and the second run must change nothing.
"""

import importlib

from module_runner import run_module


def module(name):
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def twice(name, args):
    """Run a module twice; returns both results (the second must be a no-op)."""
    first = run_module(module(name), args)
    assert first["rc"] == 0, first
    second = run_module(module(name), args, diff=True)
    assert second["rc"] == 0 and second["changed"] is False and second["actions"] == [], second
    return first, second


def kms_id(emu, name="aws-kms"):
    return next(k["id"] for k in emu.api("GET", "cckm/aws/kms").json()["resources"] if k["name"] == name)


def test_row_01_a_key_with_kms_given_by_id_converges(emu, connection):
    args = dict(connection, kms=kms_id(emu), region="us-east-1", alias="by-kms-id", description="d")
    first, second = twice("aws_key", args)
    assert first["changed"] is True and second["resource"]["id"] == first["resource"]["id"]
    assert [k["Aliases"] for k in emu.aws_keys("us-east-1")] == [["alias/by-kms-id"]]
    info = run_module(module("aws_key_info"), dict(connection, kms=[kms_id(emu)]))
    assert [k["alias"] for k in info["aws_keys"]] == ["by-kms-id"]


def test_row_04_a_template_given_by_name_is_found_by_the_list_filter(emu, connection):
    template = emu.api("POST", "cckm/aws/templates", json={"name": "by-name", "kms": "aws-kms", "key_users": ["bob"]}).json()
    first, second = twice("aws_key", dict(connection, kms="aws-kms", region="us-east-1", alias="tpl-by-name", policy_template="by-name"))
    assert first["resource"]["policy_template_id"] == template["id"] == second["resource"]["policy_template_id"]


POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "grants", "Effect": "Allow", "Principal": "*", "Action": ["kms:CreateGrant"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}},
]}


def test_row_12_a_policy_in_a_form_aws_rewrites_is_stable(emu, connection):
    args = dict(connection, kms="aws-kms", region="us-east-1", alias="canonical", policy=POLICY)
    twice("aws_key", args)
    stored = emu.aws_keys("us-east-1")[0]["Policy"]
    if emu.profile == "strict":  # AWS gives back the root ARN and the string "true"
        assert stored["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert stored["Statement"][1]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_row_05_an_alias_taken_in_aws_is_recognised_by_409_or_by_400_naming_the_exception(emu, connection):
    """AlreadyExists reaches CCKM callers as 400 NCERRBadRequest (strict) or 409 (lenient); both lead to the same advice."""
    emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "taken-in-aws"})
    result = run_module(module("aws_key"), dict(connection, kms="aws-kms", region="us-east-1", alias="taken-in-aws"))
    assert result["rc"] == 1 and result["error"]["status"] == (400 if emu.profile == "strict" else 409)
    assert "AlreadyExistsException" in result["msg"] and "ciphertrust.cckm.aws_sync" in result["msg"], result["msg"]
