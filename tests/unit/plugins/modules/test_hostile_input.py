"""Careless input (issue 21), through the modules in-process: a scope given is a scope kept, credentials never printed."""

import importlib
import json

import pytest
import responses

from module_runner import run_module

aws_key = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key")
aws_key_info = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_info")
aws_key_bulk = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_bulk")


def test_a_key_given_by_id_outside_the_kms_or_region_given_is_refused_before_any_write(emu, connection, case):
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms-2", "region": "us-east-1", "aws_param": {"Alias": "elsewhere"}}).json()
    emu.control("POST", "stats/reset")
    wrong_kms = run_module(aws_key, dict(connection, id=key["id"], kms="aws-kms", state="absent"))
    assert wrong_kms["rc"] == 1 and "id, kms: key %s belongs to KMS aws-kms-2, not 'aws-kms'" % key["id"] in wrong_kms["msg"]
    wrong_region = run_module(aws_key, dict(connection, id=key["id"], region="eu-west-1", state="absent"))
    assert wrong_region["rc"] == 1 and "is in region us-east-1, not 'eu-west-1'" in wrong_region["msg"]
    assert emu.writes() == {} and emu.aws_keys("us-east-1", account_id="210987654321")[0]["KeyState"] == "Enabled"
    case("blast radius", [wrong_kms, wrong_region], writes=sum(emu.writes().values()))
    right = run_module(aws_key, dict(connection, id=key["id"], kms="aws-kms-2", region="us-east-1", description="ok"))
    assert right["rc"] == 0 and right["changed"] is True


def test_credentials_in_host_are_refused_and_never_printed(emu, case):
    host = emu.url.replace("://", "://admin:hunter2-secret@")
    result = run_module(aws_key_info, {"host": host, "username": "admin", "password": "admin"})
    assert result["rc"] == 1 and "host: must not contain a user or password" in result["msg"]
    assert "hunter2-secret" not in json.dumps(result) and emu.stats()["requests"] == 0
    case("blast radius", result, writes=emu.stats()["requests"], secrets=("hunter2-secret",))


def _bulk_server(final_job):
    """A CipherTrust Manager (responses) whose bulk job ends as ``final_job`` says."""
    from ansible_collections.ciphertrust.cckm.tests.unit.fakes import make_jwt
    host = "https://cm.test"
    keys = [{"id": "k%d" % n, "kms": "aws-kms", "region": "us-east-1",
             "aws_param": {"KeyState": "Enabled", "Enabled": True, "Alias": ["alias/b%d" % n], "KeyID": "a%d" % n, "AWSAccountId": "1"}}
            for n in (1, 2)]
    responses.post(host + "/api/v1/auth/tokens", json={"jwt": make_jwt(), "duration": 300})
    responses.get(host + "/api/v1/cckm/aws/keys", json={"total": 2, "resources": keys})
    responses.get(host + "/api/v1/cckm/aws/bulkjob", json={"total": 0, "resources": []})
    responses.post(host + "/api/v1/cckm/aws/bulkjob", json={"id": "j1", "overall_status": "in_progress", "keys": ["k1", "k2"]})
    responses.get(host + "/api/v1/cckm/aws/bulkjob/j1", json=dict({"id": "j1", "keys": ["k1", "k2"]}, **final_job))
    return {"host": host, "username": "admin", "password": "pw", "keys": ["b1", "b2"], "state": "disabled", "wait_sleep": 0}


@pytest.mark.parametrize("final_job, reason", [
    ({"overall_status": "completed", "detailed_status": {}}, "without a result for this key"),
    ({"overall_status": "failed"}, "without a result for this key"),
    ({"overall_status": "failed", "detailed_status": {"k1": "Success", "k2": "Success"}}, "ended failed"),
])
@responses.activate
def test_a_bulk_job_that_did_not_do_its_work_fails_the_task(final_job, reason, case):
    """Issue 21 #4: failed jobs, or completed ones without per-key results, used to end ok with every key unchanged."""
    result = run_module(importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_bulk"),
                        _bulk_server(final_job))
    assert result["rc"] == 1 and "2 of 2 key(s) failed" in result["msg"] and reason in result["msg"], result["msg"]
    assert {k["result"].split(":")[0] for k in result["key_results"]} == {"disablekey"}
    case("hostile server", result, writes=0, secrets=("pw",))  # the one write is the job the task asked for


aws_key_bulk = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_bulk")


@pytest.mark.parametrize("filters", [{}, {"kms": None}, {"kms": []}, {"tags": {}}, {"sort": "alias"}, {"kms": "", "sort": "-alias"}])
def test_filters_that_select_nothing_never_select_every_key(emu, connection, filters, case):
    """Issue 21 #2: a templated variable that renders empty must not schedule deletion of every key."""
    emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "precious"}})
    emu.control("POST", "stats/reset")
    result = run_module(aws_key_bulk, dict(connection, filters=filters, state="pending_deletion"))
    assert result["rc"] == 1 and "all_keys" in result["msg"] and "select every key" in result["msg"], result
    assert emu.writes() == {} and emu.aws_keys("us-east-1")[0]["KeyState"] == "Enabled"
    case("blast radius", result, writes=sum(emu.writes().values()))


def test_every_key_takes_all_keys_and_max_keys_bounds_the_blast_radius(emu, connection, case):
    for number in range(3):
        emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "all-%d" % number}})
    emu.control("POST", "stats/reset")
    bounded = run_module(aws_key_bulk, dict(connection, all_keys=True, state="disabled", max_keys=2))
    assert bounded["rc"] == 1 and "would change 3 keys, more than max_keys=2" in bounded["msg"] and emu.writes() == {}
    case("blast radius", bounded, writes=sum(emu.writes().values()))
    done = run_module(aws_key_bulk, dict(connection, all_keys=True, state="disabled", max_keys=3, wait_sleep=0.05))
    assert done["rc"] == 0 and done["changed"] is True and {k["KeyState"] for k in emu.aws_keys("us-east-1")} == {"Disabled"}


def _template(emu, **scope):
    return emu.api("POST", "cckm/aws/templates", json=dict({"name": "payments", "key_users": ["alice"]}, **scope)).json()


def test_a_template_name_resolves_in_the_keys_scope_and_an_ambiguous_one_fails_listing_the_candidates(emu, connection, case):
    """Issue 21 #3: an account-scoped 'payments' (role/EVERYONE) beside a KMS-scoped one; the first listed used to win."""
    everyone = _template(emu, account_id="123456789012", key_users_roles=["arn:aws:iam::123456789012:role/EVERYONE"])
    kms_two = _template(emu, kms="aws-kms-2")
    key = dict(connection, kms="aws-kms-2", region="us-east-1", alias="pay-2", policy_template="payments")
    result = run_module(aws_key, key)
    assert result["rc"] == 0 and result["resource"]["policy_template_id"] == kms_two["id"], result
    tags = emu.api("GET", "cckm/aws/keys", params={"alias": "pay-2"}).json()["resources"][0]["aws_param"]["Tags"]
    assert {"TagKey": "cckm_policy_template_id", "TagValue": kms_two["id"]} in tags
    first = run_module(aws_key, dict(connection, kms="aws-kms", region="us-east-1", alias="pay-1", policy_template="payments"))
    assert first["rc"] == 0 and first["resource"]["policy_template_id"] == everyone["id"]
    kms_one = _template(emu, kms="aws-kms")
    emu.control("POST", "stats/reset")
    ambiguous = run_module(aws_key, dict(connection, kms="aws-kms", region="us-east-1", alias="pay-1", policy_template="payments",
                                         description="changed"))
    assert ambiguous["rc"] == 1 and "2 policy templates named 'payments' apply to the keys" in ambiguous["msg"]
    assert everyone["id"] in ambiguous["msg"] and kms_one["id"] in ambiguous["msg"] and kms_two["id"] not in ambiguous["msg"]
    bulk = run_module(aws_key_bulk, dict(connection, filters={"kms": "aws-kms"}, policy_template="payments"))
    assert bulk["rc"] == 1 and "2 policy templates named 'payments' apply to the keys" in bulk["msg"]
    assert emu.writes() == {}
    case("blast radius", [ambiguous, bulk], writes=sum(emu.writes().values()))
    by_id = run_module(aws_key_bulk, dict(connection, filters={"kms": "aws-kms"}, policy_template=kms_one["id"], wait_sleep=0))
    assert by_id["rc"] == 0 and by_id["changed"] is True


def test_a_template_name_of_another_scope_only_is_named_in_the_error_before_any_write(emu, connection, case):
    other = _template(emu, kms="aws-kms-2")
    emu.control("POST", "stats/reset")
    result = run_module(aws_key, dict(connection, kms="aws-kms", region="us-east-1", alias="pay-x", policy_template="payments"))
    assert result["rc"] == 1 and "no policy template named 'payments' applies to the keys" in result["msg"]
    assert "%s for KMS aws-kms-2" % other["id"] in result["msg"] and emu.writes() == {}
    case("blast radius", result, writes=sum(emu.writes().values()))
    check = run_module(aws_key, dict(connection, kms="aws-kms", region="us-east-1", alias="pay-x", policy_template="payments"), check=True)
    assert check["rc"] == 0 and check["changed"] is True and any("does not exist yet" in w for w in check["warnings"])


def test_bulk_check_mode_warns_about_a_template_an_earlier_task_would_create_and_a_real_run_fails_first(emu, connection, case):
    """Issue 21 #11: aws_key_bulk --check used to fail where aws_key warns; the real run must still refuse it."""
    emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "later"}})
    emu.control("POST", "stats/reset")
    args = dict(connection, filters={"kms": "aws-kms"}, policy_template="not-yet")
    check = run_module(aws_key_bulk, args, check=True)
    assert check["rc"] == 0 and check["changed"] is True
    assert check["warnings"] == ["policy_template 'not-yet' does not exist yet; check mode assumes an earlier task creates it"]
    real = run_module(aws_key_bulk, args)
    assert real["rc"] == 1 and "policy_template: no policy template 'not-yet'" in real["msg"]
    case("blast radius", [check, real], writes=sum(emu.writes().values()))
