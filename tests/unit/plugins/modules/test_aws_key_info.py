"""aws_key_info in-process against the emulator: filters, views, request count, TLS, credentials.

The module_defaults group and the CIPHERTRUST_* fallbacks are Ansible's part: tests/integration/test_ansible_features.py.
"""

from module_runner import ONE_PROFILE, connection_env, run_tasks

SECRET = "Pa55-word-not-in-logs"


def seed(emu):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "east-", "tags": {"app": "pay"}})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2, "kms": "aws-kms", "region": "eu-west-1", "alias_prefix": "west-"})
    emu.control("POST", "/_emulator/stats/reset")


@ONE_PROFILE
def test_filters_views_and_request_count(emu, connection):
    seed(emu)
    run = run_tasks([
        {"name": "east", "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms", "region": "us-east-1"}},
        {"name": "by alias", "ciphertrust.cckm.aws_key_info": {"alias": "alias/west-1"}},
        {"name": "by tag", "ciphertrust.cckm.aws_key_info": {"tags": {"app": "pay"}, "include_resource": True}},
        {"name": "none", "ciphertrust.cckm.aws_key_info": {"region": "us-west-2"}},
    ], connection)
    east = run.result("east")
    assert east["changed"] is False and east["total"] == 3
    assert {k["region"] for k in east["aws_keys"]} == {"us-east-1"}
    assert all(k["key_state"] == "Enabled" and k["arn"].startswith("arn:aws:kms:us-east-1:") for k in east["aws_keys"])
    assert [k["alias"] for k in run.result("by alias")["aws_keys"]] == ["west-1"]
    tagged = run.result("by tag")["aws_keys"]
    assert len(tagged) == 3 and all(k["tags"] == {"app": "pay"} and k["record"]["id"] == k["id"] for k in tagged)
    assert run.result("none")["aws_keys"] == []
    routes = emu.stats()["routes"]
    assert routes["POST /api/v1/auth/tokens"] == 4 and routes["GET /api/v1/cckm/aws/keys"] == 4  # one login + one page per task


@ONE_PROFILE
def test_check_mode_reads_the_same(emu, connection):
    seed(emu)
    run = run_tasks([{"name": "east", "ciphertrust.cckm.aws_key_info": {"region": "us-east-1"}}], connection, check=True)
    assert run.result("east")["total"] == 3


def test_wrong_password_fails_clearly_and_never_shows_it(shared_emulator):
    """The password comes through $CIPHERTRUST_PASSWORD, as in AWX; run_tasks scans every result for it."""
    emulator = shared_emulator("--password", SECRET)
    run = run_tasks([{"name": "bad", "ciphertrust.cckm.aws_key_info": {}}], env=connection_env(emulator, password=SECRET + "x"), expect_rc=2,
                    secrets=(SECRET,))
    result = run.result("bad")
    assert "Wrong username or password" in result["msg"] and "Check username/password" in result["msg"]


def test_tls_ca_file_is_used_and_a_missing_ca_is_refused(shared_emulator):
    """The CA file comes through $CIPHERTRUST_CA_FILE (the option's fallback), as the other connection settings."""
    emulator = shared_emulator("--tls")
    ok = run_tasks([{"name": "tls", "ciphertrust.cckm.aws_key_info": {}}], env=connection_env(emulator))
    assert ok.result("tls")["total"] == 0
    env = connection_env(emulator)
    del env["CIPHERTRUST_CA_FILE"]
    refused = run_tasks([{"name": "tls", "ciphertrust.cckm.aws_key_info": {}}], env=env, expect_rc=2)
    assert "TLS error" in refused.result("tls")["msg"]
    insecure = run_tasks([{"name": "tls", "ciphertrust.cckm.aws_key_info": {"validate_certs": False}}], env=env)
    assert any("validate_certs is false" in w for w in insecure.result("tls").get("warnings", []))


@ONE_PROFILE
def test_missing_credentials_are_rejected_before_any_request(emu):
    run = run_tasks([{"name": "nocreds", "ciphertrust.cckm.aws_key_info": {"host": emu.url}}], expect_rc=2)
    assert "password" in run.result("nocreds")["msg"] and "refresh_token" in run.result("nocreds")["msg"]
    assert emu.stats()["requests"] == 0
