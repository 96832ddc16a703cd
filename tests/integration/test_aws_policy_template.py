"""aws_policy_template(_info) against the emulator: seed 003 rules as desired state."""

from playbooks import connection_env, run_playbook

WRITES = ("POST /api/v1/cckm/aws/templates", "PATCH /api/v1/cckm/aws/templates/{id}", "DELETE /api/v1/cckm/aws/templates/{id}")
POLICY = {"Version": "2012-10-17", "Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                  "Action": "kms:*", "Resource": "*"}]}


def tpl(name, task_name=None, **options):
    options.setdefault("name", name)
    return {"name": task_name or name, "ciphertrust.cckm.aws_policy_template": options}


def writes(emu):
    routes = emu.stats()["routes"]
    return {route: routes[route] for route in WRITES if route in routes}


def server_template(emu, name):
    return next(t for t in emu.api("GET", "cckm/aws/templates", params={"limit": -1}).json()["resources"] if t["name"] == name)


def test_create_three_ways_then_no_op_in_two_requests(emu, tmp_path):
    reordered = {"Statement": [dict(reversed(list(POLICY["Statement"][0].items())), Action=["kms:*"])], "Version": "2012-10-17"}
    tasks = [tpl("lists", kms="aws-kms", key_users=["bob", "alice"], key_admins=["admin1"]),
             tpl("policy", account_id="123456789012", policy=POLICY),
             tpl("default", kms="aws-kms")]
    run = run_playbook(tmp_path, tasks, connection_env(emu))
    assert all(run.result(t["name"])["changed"] for t in tasks)
    assert run.result("lists")["resource"]["key_users"] == ["alice", "bob"]
    assert sorted(server_template(emu, "lists")["key_users"]) == ["alice", "bob"]
    for task in [tpl("lists", kms="aws-kms", key_users=["alice", "bob"], key_admins=["admin1"]),
                 tpl("policy", account_id="123456789012", policy=reordered), tpl("default", kms="aws-kms")]:
        emu.control("POST", "/_emulator/stats/reset")
        again = run_playbook(tmp_path, [task], connection_env(emu)).result(task["name"])
        assert again["changed"] is False, again
        assert emu.stats()["requests"] <= 2


def test_verified_templates_rules(emu, tmp_path):
    env = connection_env(emu)
    template = run_playbook(tmp_path, [tpl("t1", kms="aws-kms", key_users=["alice"])], env).result("t1")["resource"]
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "uses-t1"},
                                                 "policytemplate": template["id"]}).json()
    assert server_template(emu, "t1")["is_verified"] is True
    emu.control("POST", "/_emulator/stats/reset")
    refused = run_playbook(tmp_path, [tpl("t1", kms="aws-kms", key_users=["carol"])], env, expect_rc=2).result("t1")
    assert "auto_push" in refused["msg"] and key["id"] in refused["msg"]
    assert writes(emu) == {} and server_template(emu, "t1")["key_users"] == ["alice"]
    pushed = run_playbook(tmp_path, [tpl("t1", kms="aws-kms", key_users=["carol"], auto_push=True, wait_sleep=0.2)], env, diff=True).result("t1")
    # where the push job can be read is unknown (fidelity review row 3): as a bulk job it is followed, else reported
    followed = emu.fidelity("template_push_job") == "bulk"
    assert pushed["changed"] and pushed["push_job"]["overall_status"] == ("completed" if followed else None)
    assert pushed["in_use_by"] == [key["id"]] and followed != any("push job" in w for w in pushed.get("warnings", []))
    assert pushed["diff"]["before"]["key_users"] == ["alice"] and pushed["diff"]["after"]["key_users"] == ["carol"]
    policy = emu.aws_keys("us-east-1")[0]["Policy"]
    assert "carol" in str(policy) and "alice" not in str(policy)
    # Move the key to an explicit policy: the template stays verified but no key uses it any more.
    emu.api("POST", "cckm/aws/keys/%s/policy" % key["id"], json={"policy": POLICY})
    unverified = run_playbook(tmp_path, [tpl("t1", kms="aws-kms", key_users=["dave"])], env).result("t1")
    assert unverified["changed"] and unverified["became_unverified"] is True and unverified["is_verified"] is False
    assert server_template(emu, "t1")["is_verified"] is False


def test_delete_in_use_fails_naming_keys_and_delete_unused_is_idempotent(emu, tmp_path):
    env = connection_env(emu)
    template = run_playbook(tmp_path, [tpl("t2", kms="aws-kms")], env).result("t2")["resource"]
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "policytemplate": template["id"]}).json()
    refused = run_playbook(tmp_path, [tpl("t2", kms="aws-kms", state="absent")], env, expect_rc=2).result("t2")
    assert "cannot be deleted" in refused["msg"] and key["id"] in refused["msg"]
    emu.api("DELETE", "cckm/aws/keys/%s" % key["id"])
    check = run_playbook(tmp_path, [tpl("t2", kms="aws-kms", state="absent")], env, check=True).result("t2")
    assert check["changed"] is True and server_template(emu, "t2")
    run = run_playbook(tmp_path, [tpl("t2", "delete", kms="aws-kms", state="absent"), tpl("t2", "again", kms="aws-kms", state="absent")], env)
    assert run.result("delete")["changed"] is True and run.result("again")["changed"] is False
    assert emu.api("GET", "cckm/aws/templates").json()["total"] == 0


def test_check_mode_predicts_create_and_update_without_writing(emu, tmp_path):
    env = connection_env(emu)
    created = run_playbook(tmp_path, [tpl("t3", kms="aws-kms", key_users=["a"])], env, check=True).result("t3")
    assert created["changed"] is True and created["resource"]["key_users"] == ["a"]
    run_playbook(tmp_path, [tpl("t3", kms="aws-kms", key_users=["a"])], env)
    emu.control("POST", "/_emulator/stats/reset")
    updated = run_playbook(tmp_path, [tpl("t3", kms="aws-kms", key_users=["b"])], env, check=True, diff=True).result("t3")
    assert updated["changed"] is True and updated["diff"]["after"]["key_users"] == ["b"]
    assert writes(emu) == {} and server_template(emu, "t3")["key_users"] == ["a"]


def test_invalid_combinations_are_rejected_before_any_write(emu, tmp_path):
    env = connection_env(emu)
    cases = [
        (tpl("x", policy=POLICY, key_users=["a"], kms="aws-kms"), "mutually exclusive"),
        (tpl("x", kms="aws-kms", account_id="123456789012"), "mutually exclusive"),
        (tpl("x", key_users=["a"]), "needs a policy"),
        ({"name": "x", "ciphertrust.cckm.aws_policy_template": {"kms": "aws-kms"}}, "one of the following is required: name, id"),
        (tpl("x", kms="aws-kms", policy="[1, 2"), "policy"),
    ]
    for task, message in cases:
        result = run_playbook(tmp_path, [task], env, expect_rc=2).result("x")
        assert message in result["msg"], result["msg"]
    assert writes(emu) == {}


def test_info_filters(emu, tmp_path):
    env = connection_env(emu)
    run_playbook(tmp_path, [tpl("a", kms="aws-kms"), tpl("b", account_id="210987654321", policy=POLICY)], env)
    run = run_playbook(tmp_path, [
        {"name": "all", "ciphertrust.cckm.aws_policy_template_info": {}},
        {"name": "by kms", "ciphertrust.cckm.aws_policy_template_info": {"kms_name": "aws-kms"}},
        {"name": "by name", "ciphertrust.cckm.aws_policy_template_info": {"name": "b", "include_resource": True}},
        {"name": "verified", "ciphertrust.cckm.aws_policy_template_info": {"is_verified": True}},
    ], env, check=True)
    assert run.result("all")["total"] == 2
    assert [t["name"] for t in run.result("by kms")["policy_templates"]] == ["a"]
    by_name = run.result("by name")["policy_templates"]
    assert [t["account_id"] for t in by_name] == ["210987654321"] and by_name[0]["record"]["name"] == "b"
    assert run.result("verified")["total"] == 0
