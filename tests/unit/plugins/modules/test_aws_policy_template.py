"""aws_policy_template(_info) in-process against the emulator: seed 003 rules as desired state.

Only the verified-template rules depend on a fidelity flag (where the push job can be read): they run under both profiles.
"""

from module_runner import ONE_PROFILE, run_tasks

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


@ONE_PROFILE
def test_create_three_ways_then_no_op_in_two_requests(emu, connection):
    reordered = {"Statement": [dict(reversed(list(POLICY["Statement"][0].items())), Action=["kms:*"])], "Version": "2012-10-17"}
    tasks = [tpl("lists", kms="aws-kms", key_users=["bob", "alice"], key_admins=["admin1"]),
             tpl("policy", account_id="123456789012", policy=POLICY),
             tpl("default", kms="aws-kms")]
    run = run_tasks(tasks, connection)
    assert all(run.result(t["name"])["changed"] for t in tasks)
    assert run.result("lists")["resource"]["key_users"] == ["alice", "bob"]
    assert sorted(server_template(emu, "lists")["key_users"]) == ["alice", "bob"]
    for task in [tpl("lists", kms="aws-kms", key_users=["alice", "bob"], key_admins=["admin1"]),
                 tpl("policy", account_id="123456789012", policy=reordered), tpl("default", kms="aws-kms")]:
        emu.control("POST", "/_emulator/stats/reset")
        again = run_tasks([task], connection).result(task["name"])
        assert again["changed"] is False, again
        assert emu.stats()["requests"] <= 2


def test_verified_templates_rules(emu, connection):
    template = run_tasks([tpl("t1", kms="aws-kms", key_users=["alice"])], connection).result("t1")["resource"]
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "uses-t1"},
                                                 "policytemplate": template["id"]}).json()
    assert server_template(emu, "t1")["is_verified"] is True
    emu.control("POST", "/_emulator/stats/reset")
    refused = run_tasks([tpl("t1", kms="aws-kms", key_users=["carol"])], connection, expect_rc=2).result("t1")
    assert "auto_push" in refused["msg"] and key["id"] in refused["msg"]
    assert writes(emu) == {} and server_template(emu, "t1")["key_users"] == ["alice"]
    pushed = run_tasks([tpl("t1", kms="aws-kms", key_users=["carol"], auto_push=True, wait_sleep=0.2)], connection, diff=True).result("t1")
    # where the push job can be read is unknown (fidelity review row 3): as a bulk job it is followed, else reported
    followed = emu.fidelity("template_push_job") == "bulk"
    assert pushed["changed"] and pushed["push_job"]["overall_status"] == ("completed" if followed else None)
    assert pushed["in_use_by"] == [key["id"]] and followed != any("push job" in w for w in pushed.get("warnings", []))
    assert pushed["diff"]["before"]["key_users"] == ["alice"] and pushed["diff"]["after"]["key_users"] == ["carol"]
    policy = emu.aws_keys("us-east-1")[0]["Policy"]
    assert "carol" in str(policy) and "alice" not in str(policy)
    # Move the key to an explicit policy: the template stays verified but no key uses it any more.
    emu.api("POST", "cckm/aws/keys/%s/policy" % key["id"], json={"policy": POLICY})
    unverified = run_tasks([tpl("t1", kms="aws-kms", key_users=["dave"])], connection).result("t1")
    assert unverified["changed"] and unverified["became_unverified"] is True and unverified["is_verified"] is False
    assert server_template(emu, "t1")["is_verified"] is False


@ONE_PROFILE
def test_delete_in_use_fails_naming_keys_and_delete_unused_is_idempotent(emu, connection):
    template = run_tasks([tpl("t2", kms="aws-kms")], connection).result("t2")["resource"]
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "policytemplate": template["id"]}).json()
    refused = run_tasks([tpl("t2", kms="aws-kms", state="absent")], connection, expect_rc=2).result("t2")
    assert "cannot be deleted" in refused["msg"] and key["id"] in refused["msg"]
    emu.api("DELETE", "cckm/aws/keys/%s" % key["id"])
    check = run_tasks([tpl("t2", kms="aws-kms", state="absent")], connection, check=True).result("t2")
    assert check["changed"] is True and server_template(emu, "t2")
    run = run_tasks([tpl("t2", "delete", kms="aws-kms", state="absent"), tpl("t2", "again", kms="aws-kms", state="absent")], connection)
    assert run.result("delete")["changed"] is True and run.result("again")["changed"] is False
    assert emu.api("GET", "cckm/aws/templates").json()["total"] == 0


@ONE_PROFILE
def test_check_mode_predicts_create_and_update_without_writing(emu, connection):
    created = run_tasks([tpl("t3", kms="aws-kms", key_users=["a"])], connection, check=True).result("t3")
    assert created["changed"] is True and created["resource"]["key_users"] == ["a"]
    run_tasks([tpl("t3", kms="aws-kms", key_users=["a"])], connection)
    emu.control("POST", "/_emulator/stats/reset")
    updated = run_tasks([tpl("t3", kms="aws-kms", key_users=["b"])], connection, check=True, diff=True).result("t3")
    assert updated["changed"] is True and updated["diff"]["after"]["key_users"] == ["b"]
    assert writes(emu) == {} and server_template(emu, "t3")["key_users"] == ["a"]


@ONE_PROFILE
def test_invalid_combinations_are_rejected_before_any_write(emu, connection):
    cases = [
        (tpl("x", policy=POLICY, key_users=["a"], kms="aws-kms"), "mutually exclusive"),
        (tpl("x", kms="aws-kms", account_id="123456789012"), "mutually exclusive"),
        (tpl("x", key_users=["a"]), "needs a policy"),
        ({"name": "x", "ciphertrust.cckm.aws_policy_template": {"kms": "aws-kms"}}, "one of the following is required: name, id"),
        (tpl("x", kms="aws-kms", policy="[1, 2"), "policy"),
    ]
    for task, message in cases:
        result = run_tasks([task], connection, expect_rc=2).result("x")
        assert message in result["msg"], result["msg"]
    assert writes(emu) == {}


@ONE_PROFILE
def test_info_filters(emu, connection):
    run_tasks([tpl("a", kms="aws-kms"), tpl("b", account_id="210987654321", policy=POLICY)], connection)
    run = run_tasks([
        {"name": "all", "ciphertrust.cckm.aws_policy_template_info": {}},
        {"name": "by kms", "ciphertrust.cckm.aws_policy_template_info": {"kms_name": "aws-kms"}},
        {"name": "by name", "ciphertrust.cckm.aws_policy_template_info": {"name": "b", "include_resource": True}},
        {"name": "verified", "ciphertrust.cckm.aws_policy_template_info": {"is_verified": True}},
    ], connection, check=True)
    assert run.result("all")["total"] == 2
    assert [t["name"] for t in run.result("by kms")["policy_templates"]] == ["a"]
    by_name = run.result("by name")["policy_templates"]
    assert [t["account_id"] for t in by_name] == ["210987654321"] and by_name[0]["record"]["name"] == "b"
    assert run.result("verified")["total"] == 0
