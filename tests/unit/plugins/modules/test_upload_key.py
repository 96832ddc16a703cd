"""aws_key creating a BYOK key with its material in one call, ``POST upload-key`` (issue 20 #4).

A lost answer is looked up by alias (one key, never two); an upload that left a key without material behind (FIDELITY.md
upload_failure) is converged by importing the material, in the same run after a lost answer or in the next run after an error.
"""

import importlib

import pytest

from module_runner import run_module

aws_key = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key")
UPLOAD = "POST /api/v1/cckm/aws/upload-key"
BYOK = {"kms": "aws-kms", "region": "us-east-1", "alias": "clumio-byok", "description": "Clumio BYOK",
        "import_material": {"source_key": "clumio-material", "key_expiration": True, "valid_to": "2030-07-03T14:24:00Z"},
        "key_users": ["clumio"], "tags": {"app": "clumio"}}


def keys_with_alias(emu, alias="clumio-byok"):
    return [k for k in emu.aws_keys("us-east-1") if "alias/" + alias in k["Aliases"]]


def test_one_upload_call_creates_the_key_with_its_material_in_check_mode_as_in_a_real_run(emu, connection):
    args = dict(connection, **BYOK)
    emu.control("POST", "stats/reset")
    check = run_module(aws_key, args, check=True, diff=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.writes() == {}
    assert check["diff"]["after"]["key_state"] == "Enabled" and check["resource"]["origin"] == "EXTERNAL"
    real = run_module(aws_key, args, diff=True)
    assert real["rc"] == 0 and real["actions"] == check["actions"]
    assert real["actions"] == [{"method": "POST", "path": "/api/v1/cckm/aws/upload-key", "description":
                                "create key alias/clumio-byok in us-east-1 (aws-kms) with the material of clumio-material (local)",
                                "body": {"kms": "aws-kms", "region": "us-east-1", "key_users": ["clumio"],
                                         "source_key_identifier": "clumio-material", "source_key_tier": "local", "key_expiration": True,
                                         "aws_param": {"Alias": "clumio-byok", "Description": "Clumio BYOK", "Origin": "EXTERNAL",
                                                       "ValidTo": "2030-07-03T14:24:00Z",
                                                       "Tags": [{"TagKey": "app", "TagValue": "clumio"}]}}}]
    assert emu.writes() == {UPLOAD: 1}
    resource = real["resource"]
    assert (resource["origin"], resource["key_state"], resource["key_material_origin"], resource["key_users"]) == (
        "EXTERNAL", "Enabled", "cckm", ["clumio"])
    assert real["diff"]["after"] == {k: resource[k] for k in real["diff"]["after"]}
    [truth] = keys_with_alias(emu)
    assert truth["ExpirationModel"] == "KEY_MATERIAL_EXPIRES" and truth["ValidTo"].startswith("2030-07-03")
    for check_again in (True, False):
        again = run_module(aws_key, args, check=check_again, diff=True)
        assert again["changed"] is False and again["actions"] == [], again


def test_a_lost_upload_answer_is_found_by_alias_never_a_second_key(emu, connection):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/cckm/aws/upload-key", "status": 502, "phase": "after"}]})
    emu.control("POST", "stats/reset")
    result = run_module(aws_key, dict(connection, **BYOK))
    assert result["rc"] == 0 and result["changed"] is True and result["resource"]["key_state"] == "Enabled", result
    assert emu.stats()["routes"][UPLOAD] == 1 and len(keys_with_alias(emu)) == 1


def test_an_upload_that_left_a_key_without_material_is_converged_never_duplicated(emu, connection):
    """upload_failure=keeps: the import failed after the key was made. With the answer lost, the lookup finds that key and
    imports its material at once; with the error answered, the task fails and the next run imports it."""
    emu.control("POST", "config", {"fidelity": {"upload_failure": "keeps"}})
    emu.control("POST", "fail-uploads", {"aliases": ["clumio-byok", "lost-byok"], "message": "HSM busy: import failed"})
    failed = run_module(aws_key, dict(connection, **BYOK))
    assert failed["rc"] == 1 and "HSM busy: import failed" in failed["msg"] and "create (uploading its key material) key" in failed["msg"]
    [left] = keys_with_alias(emu)
    assert left["KeyState"] == "PendingImport"
    emu.control("DELETE", "fail-uploads")
    emu.control("POST", "stats/reset")
    rerun = run_module(aws_key, dict(connection, **BYOK))
    assert rerun["rc"] == 0 and [a["path"].rsplit("/", 1)[1] for a in rerun["actions"]] == ["import-material"], rerun
    assert rerun["resource"]["key_state"] == "Enabled" and len(keys_with_alias(emu)) == 1 and UPLOAD not in emu.writes()
    emu.control("POST", "fail-uploads", {"aliases": ["lost-byok"], "message": "HSM busy: import failed"})
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/cckm/aws/upload-key", "status": 504, "phase": "after"}]})
    lost = run_module(aws_key, dict(connection, **dict(BYOK, alias="lost-byok")))
    assert lost["rc"] == 0 and lost["resource"]["key_state"] == "Enabled", lost
    assert len(keys_with_alias(emu, "lost-byok")) == 1


def test_an_alias_taken_in_aws_by_a_key_cckm_does_not_know_fails_saying_how_to_fix_it(emu, connection):
    """The upload's AlreadyExists (409, or 400 naming the exception: FIDELITY.md aws_error_status) is recognised as for a create."""
    emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "clumio-byok"})
    result = run_module(aws_key, dict(connection, **BYOK))
    assert result["rc"] == 1 and "AlreadyExistsException" in result["msg"] and "ciphertrust.cckm.aws_sync" in result["msg"], result["msg"]
    assert len(keys_with_alias(emu)) == 1


def test_another_run_uploading_the_alias_between_our_read_and_our_upload_is_converged_not_duplicated(emu, connection, monkeypatch):
    """Forks or parallel job templates: the other run's key appears right after this run read "absent"; the loser's
    AlreadyExists makes it converge that key (as for a create) with a warning."""
    apply_layer = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.apply")
    read = apply_layer.KeyResource.read

    def racing_read(self):
        before = read(self)
        body = {"kms": "aws-kms", "region": "us-east-1", "source_key_identifier": "clumio-material", "aws_param": {"Alias": "clumio-byok"}}
        other = emu.api("POST", "cckm/aws/upload-key", json=body)
        assert other.status_code == 201, other.text
        return before

    monkeypatch.setattr(apply_layer.KeyResource, "read", racing_read)
    result = run_module(aws_key, dict(connection, **BYOK))
    assert result["rc"] == 0 and result["changed"] is True, result
    assert any("created by another run at the same time" in w for w in result["warnings"]), result["warnings"]
    assert result["resource"]["description"] == "Clumio BYOK" and result["resource"]["tags"] == {"app": "clumio"}
    assert len(keys_with_alias(emu)) == 1


def test_without_a_source_key_the_key_is_created_then_given_material(emu, connection):
    args = dict(connection, **dict(BYOK, import_material={"source_key_tier": "local"}))
    result = run_module(aws_key, args)
    assert result["rc"] == 0 and [a["path"].rsplit("/", 1)[1] for a in result["actions"]] == ["keys", "import-material"]
    assert result["actions"][0]["body"]["aws_param"]["Origin"] == "EXTERNAL" and result["resource"]["key_state"] == "Enabled"
    assert run_module(aws_key, args)["changed"] is False


@pytest.mark.parametrize("options, message", [
    ({"origin": "AWS_KMS"}, "import_material, origin: import_material needs an EXTERNAL key; origin is AWS_KMS"),
    ({"import_material": {"source_key": "m", "key_expiration": True}},
     "key_expiration is True but all of the following are missing: valid_to found in import_material"),
    ({"key_material": "absent"}, "parameters are mutually exclusive: import_material|key_material"),
])
def test_bad_upload_input_fails_before_any_write(emu, connection, options, message):
    emu.control("POST", "stats/reset")
    result = run_module(aws_key, dict(connection, **dict(BYOK, **options)))
    assert result["rc"] == 1 and message in result["msg"], result["msg"]
    assert emu.writes() == {}


def test_a_source_key_cckm_refuses_fails_naming_the_call_and_leaves_no_key_when_the_upload_rolls_back(emu, connection):
    emu.control("POST", "config", {"fidelity": {"upload_failure": "rollback"}})
    emu.control("POST", "fail-uploads", {"aliases": ["clumio-byok"], "message": "source key clumio-material not found"})
    result = run_module(aws_key, dict(connection, **BYOK))
    assert result["rc"] == 1 and "source key clumio-material not found" in result["msg"]
    assert "POST /api/v1/cckm/aws/upload-key" in result["msg"] and keys_with_alias(emu) == []
