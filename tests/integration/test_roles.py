"""Roles run against the emulator: converge, then a second run reports no change, and check mode writes nothing."""

from playbooks import connection_env, role_task, run_playbook

CLUMIO_ENV_TOKEN = "clumio-test-token"


def clumio_env(emu):
    return {"CLUMIO_API_BASE_URL": emu.url, "CLUMIO_API_TOKEN": CLUMIO_ENV_TOKEN}


def wallet(emu):
    return emu.control("GET", "/_emulator/clumio/wallets")["wallets"][0]


def test_clumio_byok_role_is_idempotent_and_check_safe(emu, tmp_path):
    variables = {"clumio_byok_account_id": "123456789012", "clumio_byok_region": "us-east-1", "clumio_byok_version": 15,
                 "clumio_byok_role_arn": "arn:aws:iam::123456789012:role/ClumioKMSRole"}
    check = run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu), check=True)
    assert len(check.changed_tasks()) == 1 and wallet(emu)["installed_regions"] == []
    first = run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu))
    assert len(first.changed_tasks()) == 1
    assert wallet(emu)["installed_regions"] == ["us-east-1"] and wallet(emu)["stack_version"] == 15
    assert run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu)).changed_tasks() == []
    removed = run_playbook(tmp_path, [role_task("clumio_byok", dict(variables, clumio_byok_state="absent"))], clumio_env(emu))
    assert len(removed.changed_tasks()) == 1 and wallet(emu)["installed_regions"] == []
    assert CLUMIO_ENV_TOKEN not in first.output and wallet(emu)["token"] not in first.output


def test_role_argument_specs_reject_bad_variables(emu, tmp_path):
    run = run_playbook(tmp_path, [role_task("clumio_byok", {"clumio_byok_region": "us-east-1", "clumio_byok_state": "gone"})],
                       clumio_env(emu), expect_rc=2)
    text = run.output
    assert "clumio_byok_account_id" in text and "clumio_byok_state" in text
    assert emu.control("GET", "/_emulator/clumio/wallets")["post_process_calls"] == []


BOOTSTRAP = {
    "aws_kms_bootstrap_kms": "aws-kms",
    "aws_kms_bootstrap_regions": ["us-east-1"],
    "aws_kms_bootstrap_sync_schedule": "0 2 * * *",
    "aws_kms_bootstrap_wait_sleep": 0.2,
    "aws_kms_bootstrap_templates": [{"name": "payments", "key_admins": ["sec-admin"], "key_users": ["pay-app"]}],
    "aws_kms_bootstrap_keys": [
        {"alias": "payments", "region": "us-east-1", "description": "Payments", "policy_template": "payments",
         "auto_rotation": True, "tags": {"app": "payments"}},
        {"alias": "reports", "region": "eu-west-1", "enabled": False},
    ],
}


def test_bootstrap_role_converges_twice_and_in_check_mode(emu, tmp_path):
    emu.control("POST", "/_emulator/aws/keys", {"region": "us-east-1", "alias": "made-in-aws"})
    env = dict(connection_env(emu), **clumio_env(emu))
    variables = dict(BOOTSTRAP, aws_kms_bootstrap_clumio={"account_id": "123456789012", "region": "us-east-1", "version": 15})
    check = run_playbook(tmp_path, [role_task("aws_kms_bootstrap", variables)], env, check=True)
    assert check.changed_tasks() and emu.aws_keys("us-east-1")[0]["Aliases"] == ["alias/made-in-aws"]
    assert emu.aws_keys("eu-west-1") == [] and wallet(emu)["installed_regions"] == []
    first = run_playbook(tmp_path, [role_task("aws_kms_bootstrap", variables)], env)
    assert first.changed_tasks()
    east = {a: k for k in emu.aws_keys("us-east-1") for a in k["Aliases"]}
    assert east["alias/payments"]["Description"] == "Payments" and east["alias/payments"]["KeyRotationEnabled"] is True
    assert "cckm_policy_template_id" in east["alias/payments"]["Tags"]
    assert emu.aws_keys("eu-west-1")[0]["KeyState"] == "Disabled" and wallet(emu)["installed_regions"] == ["us-east-1"]
    second = run_playbook(tmp_path, [role_task("aws_kms_bootstrap", variables)], env)
    assert second.changed_tasks() == []


def test_rotation_role_sets_rotation_on_matching_keys_only(emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "rot-", "tags": {"team": "a"}})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "other-"})
    variables = {"aws_key_rotation_filters": {"kms": "aws-kms", "tags": {"team": "a"}}, "aws_key_rotation_period_days": 180}

    def changed_keys(run):
        return sorted(k["alias"] for k in run.result("Ensure the rotation settings of every rotatable key")["key_results"] if k["operations"])
    check = run_playbook(tmp_path, [role_task("aws_key_rotation", variables)], connection_env(emu), check=True)
    assert changed_keys(check) == ["rot-0", "rot-1", "rot-2"] and not any(k["KeyRotationEnabled"] for k in emu.aws_keys("us-east-1"))
    first = run_playbook(tmp_path, [role_task("aws_key_rotation", variables)], connection_env(emu))
    assert changed_keys(first) == ["rot-0", "rot-1", "rot-2"]
    rotation = {k["Aliases"][0]: (k["KeyRotationEnabled"], k["RotationPeriodInDays"]) for k in emu.aws_keys("us-east-1")}
    assert all(rotation["alias/rot-%d" % n] == (True, 180) for n in range(3))
    assert not rotation["alias/other-0"][0] and not rotation["alias/other-1"][0]
    assert run_playbook(tmp_path, [role_task("aws_key_rotation", variables)], connection_env(emu)).changed_tasks() == []
    emu.control("POST", "stats/reset")
    unguarded = run_playbook(tmp_path, [role_task("aws_key_rotation", {"aws_key_rotation_filters": {"kms": None}})], connection_env(emu),
                             expect_rc=2)
    assert "aws_key_rotation_filters select every key" in unguarded.output and emu.stats()["requests"] == 0


def key_states(emu):
    return {k["Aliases"][0]: k["KeyState"] for k in emu.aws_keys("us-east-1") if k["Aliases"]}


def test_decommission_role_has_a_safety_check_and_can_be_cancelled(emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "old-", "tags": {"app": "old"}})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 1, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "keep-"})
    env = connection_env(emu)
    base = {"aws_key_decommission_filters": {"kms": "aws-kms", "tags": {"app": "old"}}, "aws_key_decommission_wait_sleep": 0.2,
            "aws_key_decommission_pending_window_days": 7}
    refused = run_playbook(tmp_path, [role_task("aws_key_decommission", base)], env, expect_rc=2)
    assert "Refusing to decommission 3 key(s)" in refused.output
    too_many = run_playbook(tmp_path, [role_task("aws_key_decommission", dict(base, aws_key_decommission_confirm=True,
                                                                              aws_key_decommission_max_keys=2))], env, expect_rc=2)
    assert "Refusing to decommission 3 key(s)" in too_many.output and set(key_states(emu).values()) == {"Enabled"}
    variables = dict(base, aws_key_decommission_confirm=True)
    check = run_playbook(tmp_path, [role_task("aws_key_decommission", variables)], env, check=True)
    assert check.changed_tasks() and set(key_states(emu).values()) == {"Enabled"}
    run_playbook(tmp_path, [role_task("aws_key_decommission", variables)], env)
    states = key_states(emu)
    assert [states["alias/old-%d" % n] for n in range(3)] == ["PendingDeletion"] * 3 and states["alias/keep-0"] == "Enabled"
    assert run_playbook(tmp_path, [role_task("aws_key_decommission", variables)], env).changed_tasks() == []
    cancel = dict(base, aws_key_decommission_state="present")
    run_playbook(tmp_path, [role_task("aws_key_decommission", cancel)], env)
    assert [key_states(emu)["alias/old-%d" % n] for n in range(3)] == ["Disabled"] * 3
    assert run_playbook(tmp_path, [role_task("aws_key_decommission", cancel)], env).changed_tasks() == []


def test_policy_rollout_role_pushes_changes_and_applies_to_matching_keys(emu, tmp_path):
    env = connection_env(emu)
    template = {"name": "rollout", "kms": "aws-kms", "key_users": ["app-v1"]}
    first = {"aws_policy_rollout_template": template, "aws_policy_rollout_wait_sleep": 0.2}
    run_playbook(tmp_path, [role_task("aws_policy_rollout", first)], env)
    template_id = emu.api("GET", "cckm/aws/templates", params={"name": "rollout"}).json()["resources"][0]["id"]
    used = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "uses-it"},
                                                  "policytemplate": template_id}).json()
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "pay-", "tags": {"app": "pay"}})
    variables = {"aws_policy_rollout_template": dict(template, key_users=["app-v2"]), "aws_policy_rollout_wait_sleep": 0.2,
                 "aws_policy_rollout_filters": {"kms": "aws-kms", "tags": {"app": "pay"}}}
    check = run_playbook(tmp_path, [role_task("aws_policy_rollout", variables)], env, check=True)
    assert len(check.changed_tasks()) == 2 and "app-v1" in str(emu.aws_keys("us-east-1")[0]["Policy"])
    run = run_playbook(tmp_path, [role_task("aws_policy_rollout", variables)], env)
    assert run.result("Ensure the template and push a change to the keys using it")["in_use_by"] == [used["id"]]
    policies = {k["Aliases"][0]: (str(k["Policy"]), k["Tags"].get("cckm_policy_template_id")) for k in emu.aws_keys("us-east-1")}
    assert all("app-v2" in policy and tag == template_id for policy, tag in policies.values())
    assert run_playbook(tmp_path, [role_task("aws_policy_rollout", variables)], env).changed_tasks() == []
