"""The fidelity review's acceptance play: the tasks that broke or never converged on a real CipherTrust Manager,
run twice in one ansible-playbook run against the emulator (strict by default; $CCKM_EMULATOR_PROFILE=lenient runs it
against the old answers): the second run changes nothing.
"""

from playbooks import connection_env, run_passes, run_playbook

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "grants", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:CreateGrant", "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}},
]}


def test_the_review_play_converges_on_the_second_run(emu, tmp_path):
    kms_id = next(k["id"] for k in emu.api("GET", "cckm/aws/kms").json()["resources"] if k["name"] == "aws-kms")
    where = {"kms": "aws-kms", "region": "us-east-1"}
    pushed = emu.api("POST", "cckm/aws/templates", json={"name": "pushed", "kms": "aws-kms", "key_users": ["alice"]}).json()
    user = emu.api("POST", "cckm/aws/keys", json=dict(where, aws_param={"Alias": "uses-pushed"}, policytemplate=pushed["id"])).json()
    tasks = [
        {"name": "key by kms id", "ciphertrust.cckm.aws_key": {"kms": kms_id, "region": "us-east-1", "alias": "by-id"}},
        {"name": "schedule", "ciphertrust.cckm.aws_sync": {"kms": ["aws-kms"], "schedule": {"name": "nightly", "run_at": "0 2 * * *"}}},
        {"name": "template", "ciphertrust.cckm.aws_policy_template": {"name": "shared", "kms": "aws-kms", "key_users": ["alice"]}},
        {"name": "key by template name", "ciphertrust.cckm.aws_key": dict(where, alias="templated", policy_template="shared")},
        {"name": "template push", "ciphertrust.cckm.aws_policy_template": {"name": "pushed", "kms": "aws-kms", "key_users": ["bob"],
                                                                           "auto_push": True, "wait_sleep": 0.1}},
        {"name": "canonical policy", "ciphertrust.cckm.aws_key": dict(where, alias="canonical", policy=POLICY)},
    ]
    passes = run_passes(tmp_path, emu, tasks, connection_env(emu), ("first", "second"), diff=True)
    first, second = passes["first"], passes["second"]
    assert [first.result(t["name"])["changed"] for t in tasks] == [True] * len(tasks)
    assert first.result("template push")["in_use_by"] == [user["id"]]
    assert {t["name"]: second.result(t["name"])["changed"] for t in tasks} == {t["name"]: False for t in tasks}
    assert second.writes == {}


def test_a_ten_task_play_with_login_leaves_one_live_refresh_token(emu, tmp_path):
    """Fidelity review row 13: a run must not leave long-lived refresh tokens behind (counted on the emulator)."""
    emu.control("POST", "auth/revoke", {})  # tokens of earlier tests
    env = connection_env(emu)
    defaults = {"group/ciphertrust.cckm.cckm": {"jwt": "{{ cm_login.jwt }}", "refresh_token": "{{ cm_login.refresh_token }}"}}
    tasks = [{"name": "login", "ciphertrust.cckm.login": {}, "register": "cm_login", "no_log": True}] + [
        {"name": "task %d" % n, "ciphertrust.cckm.aws_key_info": {"kms": ["aws-kms"]}, "module_defaults": defaults} for n in range(9)]
    emu.control("POST", "stats/reset")
    run = run_playbook(tmp_path, tasks, env)
    assert run.failed_tasks() == []
    assert emu.stats()["routes"]["POST /api/v1/auth/tokens"] == 1  # one password grant for the play
    assert emu.control("GET", "auth/refresh-tokens")["live"] == 1
