"""aws_connection and aws_kms through ansible-playbook from an empty CipherTrust Manager (no connection, no KMS container):
check mode plans both and writes nothing, the first run creates both, the second changes nothing, and the connection's
secret is in no output (-vvv, --diff); one play, four passes (check, first, second, check again)."""

from playbooks import connection_env, run_passes

SECRET = "Bootstrap-Secret/K7MDENG+bPxRfiCY"
USER = "local|57a191ec-8644-4e2f-aaa9-59ca2ba0dbf9"
TASKS = [
    {"name": "connection", "ciphertrust.cckm.aws_connection": {
        "name": "bootstrap-aws", "access_key_id": "AKIABOOTSTRAP00001", "secret_access_key": SECRET, "labels": {"purpose": "bootstrap"}}},
    {"name": "kms", "ciphertrust.cckm.aws_kms": {
        "name": "bootstrap-kms", "connection": "bootstrap-aws", "account_id": "123456789012", "regions": ["us-east-1", "eu-west-1"],
        "acls": [{"group": "CCKM Key Admins", "actions": ["keycreate", "keyupdate", "keysynchronize"]}, {"user_id": USER, "actions": ["view"]}]}},
    {"name": "connections", "ciphertrust.cckm.aws_connection_info": {"name": "bootstrap-aws"}, "register": "connections"},
    {"name": "containers", "ciphertrust.cckm.aws_kms_info": {"name": "bootstrap-kms"}, "register": "containers"},
]


def test_a_bootstrap_from_nothing_converges_and_keeps_its_secret(emu, tmp_path):
    emu.reset(empty=True)
    passes = run_passes(tmp_path, emu, TASKS, connection_env(emu), ("check", "first", "second", "check again"), diff=True,
                        verbosity=3, secrets=(SECRET,))
    planned, first = passes["check"], passes["first"]
    assert planned.changed_tasks() == ["connection", "kms"] and planned.writes == {}
    assert "earlier task creates it" in planned.output   # check mode assumes the connection the task before creates
    assert first.changed_tasks() == ["connection", "kms"] and first.result("connection")["secret_updated"] is True
    assert first.result("containers")["kms_containers"][0]["connection_id"] == first.result("connection")["resource"]["id"]
    assert passes["second"].changed_tasks() == [] and passes["check again"].changed_tasks() == []
    assert emu.control("GET", "connections/secrets")["bootstrap-aws"]["writes"] == 1   # the first pass's, never resent
    assert first.writes["POST /api/v1/connectionmgmt/services/aws/connections"] == 1
    assert passes["second"].writes == {} and passes["check again"].writes == {}
