"""aws_connection and aws_kms through ansible-playbook from an empty CipherTrust Manager (no connection, no KMS container):
check mode plans both and writes nothing, the first run creates both, the second changes nothing, and the connection's
secret is in no output (-vvv, --diff)."""

from playbooks import connection_env, run_playbook

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
    emu.control("POST", "stats/reset")
    planned = run_playbook(tmp_path, TASKS, connection_env(emu), check=True, diff=True, secrets=(SECRET,))
    assert planned.failed_tasks() == [] and planned.changed_tasks() == ["connection", "kms"] and emu.writes() == {}
    assert "earlier task creates it" in planned.output   # check mode assumes the connection the task before creates
    first = run_playbook(tmp_path, TASKS, connection_env(emu), diff=True, verbosity=3, secrets=(SECRET,))
    assert first.failed_tasks() == [] and first.changed_tasks() == ["connection", "kms"]
    assert first.result("connection")["secret_updated"] is True
    assert first.result("containers")["kms_containers"][0]["connection_id"] == first.result("connection")["resource"]["id"]
    assert emu.control("GET", "connections/secrets")["bootstrap-aws"]["writes"] == 1
    second = run_playbook(tmp_path, TASKS, connection_env(emu), diff=True, secrets=(SECRET,))
    assert second.failed_tasks() == [] and second.changed_tasks() == []
    assert emu.control("GET", "connections/secrets")["bootstrap-aws"]["writes"] == 1
    check = run_playbook(tmp_path, TASKS, connection_env(emu), check=True, diff=True, secrets=(SECRET,))
    assert check.changed_tasks() == []
