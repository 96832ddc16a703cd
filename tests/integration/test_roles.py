"""Roles through ansible-playbook against the emulator: converge, then a second pass reports no change, and check mode
writes nothing. Each test is one play running its role several times; probe tasks read the emulator between the passes.
"""

from playbooks import connection_env, probe, rescued, role_task, run_playbook

CLUMIO_ENV_TOKEN = "clumio-test-token"
ACCOUNT = "123456789012"


def clumio_env(emu):
    return {"CLUMIO_API_BASE_URL": emu.url, "CLUMIO_API_TOKEN": CLUMIO_ENV_TOKEN}


def wallet(probed):
    """The seeded wallet in what a probe of ``clumio/wallets`` read."""
    return probed["wallets"][0]


def east(emu, name):
    """A probe of the AWS keys of us-east-1."""
    return probe(name, emu, "aws/keys", region="us-east-1", account_id=ACCOUNT)


def failure(run):
    """The message of the one task that failed in ``run``."""
    failed = [r for r in run.records if r["status"] == "failed"]
    assert len(failed) == 1, [r["task"] for r in failed]
    return failed[0]["result"]["msg"]


def test_clumio_byok_role_is_idempotent_check_safe_and_checks_its_variables(emu, tmp_path):
    variables = {"clumio_byok_account_id": ACCOUNT, "clumio_byok_region": "us-east-1", "clumio_byok_version": 15,
                 "clumio_byok_role_arn": "arn:aws:iam::123456789012:role/ClumioKMSRole"}
    tasks = [role_task("clumio_byok", variables, check=True), probe("after check", emu, "clumio/wallets"),
             role_task("clumio_byok", variables), probe("after first", emu, "clumio/wallets"),
             role_task("clumio_byok", variables), probe("after second", emu, "clumio/wallets"),
             role_task("clumio_byok", dict(variables, clumio_byok_state="absent")), probe("after removal", emu, "clumio/wallets"),
             rescued("bad variables", role_task("clumio_byok", {"clumio_byok_region": "us-east-1", "clumio_byok_state": "gone"})),
             probe("after bad variables", emu, "clumio/wallets")]
    run = run_playbook(tmp_path, tasks, clumio_env(emu))
    assert len(run.between(None, "after check").changed_tasks()) == 1 and wallet(run.probed("after check"))["installed_regions"] == []
    assert len(run.between("after check", "after first").changed_tasks()) == 1
    installed = wallet(run.probed("after first"))
    assert installed["installed_regions"] == ["us-east-1"] and installed["stack_version"] == 15
    assert run.between("after first", "after second").changed_tasks() == []
    assert len(run.between("after second", "after removal").changed_tasks()) == 1
    assert wallet(run.probed("after removal"))["installed_regions"] == []
    assert CLUMIO_ENV_TOKEN not in run.output and installed["token"] not in run.output
    # the role's argument spec rejects bad variables, naming them, before anything is sent to Clumio
    msg = failure(run.between("after removal", "after bad variables"))
    assert "clumio_byok_account_id" in msg and "clumio_byok_state" in msg, msg
    assert run.probed("after bad variables")["post_process_calls"] == run.probed("after removal")["post_process_calls"]


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
    variables = dict(BOOTSTRAP, aws_kms_bootstrap_clumio={"account_id": ACCOUNT, "region": "us-east-1", "version": 15})

    def probes(after):
        return [east(emu, "east " + after), probe("west " + after, emu, "aws/keys", region="eu-west-1", account_id=ACCOUNT),
                probe("wallets " + after, emu, "clumio/wallets")]
    tasks = [role_task("aws_kms_bootstrap", variables, check=True)] + probes("after check") + \
        [role_task("aws_kms_bootstrap", variables)] + probes("after first") + [role_task("aws_kms_bootstrap", variables)]
    run = run_playbook(tmp_path, tasks, env)
    assert run.between(None, "east after check").changed_tasks()
    assert run.probed("east after check")["keys"][0]["Aliases"] == ["alias/made-in-aws"]
    assert run.probed("west after check")["keys"] == [] and wallet(run.probed("wallets after check"))["installed_regions"] == []
    assert run.between("wallets after check", "east after first").changed_tasks()
    keys = {a: k for k in run.probed("east after first")["keys"] for a in k["Aliases"]}
    assert keys["alias/payments"]["Description"] == "Payments" and keys["alias/payments"]["KeyRotationEnabled"] is True
    assert "cckm_policy_template_id" in keys["alias/payments"]["Tags"]
    assert run.probed("west after first")["keys"][0]["KeyState"] == "Disabled"
    assert wallet(run.probed("wallets after first"))["installed_regions"] == ["us-east-1"]
    assert run.between("wallets after first").changed_tasks() == []


def test_rotation_role_sets_rotation_on_matching_keys_only(emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "rot-", "tags": {"team": "a"}})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "other-"})
    variables = {"aws_key_rotation_filters": {"kms": "aws-kms", "tags": {"team": "a"}}, "aws_key_rotation_period_days": 180}

    def changed_keys(run):
        return sorted(k["alias"] for k in run.result("Ensure the rotation settings of every rotatable key")["key_results"] if k["operations"])
    tasks = [rescued("unguarded", role_task("aws_key_rotation", {"aws_key_rotation_filters": {"kms": None}})), east(emu, "after refusal"),
             role_task("aws_key_rotation", variables, check=True), east(emu, "after check"),
             role_task("aws_key_rotation", variables), east(emu, "after first"), role_task("aws_key_rotation", variables)]
    run = run_playbook(tmp_path, tasks, connection_env(emu))
    assert "aws_key_rotation_filters select every key" in failure(run.between(None, "unguarded: rescued"))
    assert not any(k["KeyRotationEnabled"] for k in run.probed("after refusal")["keys"])
    assert changed_keys(run.between("after refusal", "after check")) == ["rot-0", "rot-1", "rot-2"]
    assert not any(k["KeyRotationEnabled"] for k in run.probed("after check")["keys"])
    assert changed_keys(run.between("after check", "after first")) == ["rot-0", "rot-1", "rot-2"]
    rotation = {k["Aliases"][0]: (k["KeyRotationEnabled"], k["RotationPeriodInDays"]) for k in run.probed("after first")["keys"]}
    assert all(rotation["alias/rot-%d" % n] == (True, 180) for n in range(3))
    assert not rotation["alias/other-0"][0] and not rotation["alias/other-1"][0]
    assert run.between("after first").changed_tasks() == []


def key_states(probed):
    return {k["Aliases"][0]: k["KeyState"] for k in probed["keys"] if k["Aliases"]}


def test_decommission_role_has_a_safety_check_and_can_be_cancelled(emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "old-", "tags": {"app": "old"}})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 1, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "keep-"})
    base = {"aws_key_decommission_filters": {"kms": "aws-kms", "tags": {"app": "old"}}, "aws_key_decommission_wait_sleep": 0.2,
            "aws_key_decommission_pending_window_days": 7}
    variables = dict(base, aws_key_decommission_confirm=True)
    cancel = dict(base, aws_key_decommission_state="present")
    tasks = [rescued("unconfirmed", role_task("aws_key_decommission", base)),
             rescued("too many", role_task("aws_key_decommission", dict(variables, aws_key_decommission_max_keys=2))),
             east(emu, "after refusals"),
             role_task("aws_key_decommission", variables, check=True), east(emu, "after check"),
             role_task("aws_key_decommission", variables), east(emu, "after decommission"),
             role_task("aws_key_decommission", variables), east(emu, "after again"),
             role_task("aws_key_decommission", cancel), east(emu, "after cancel"),
             role_task("aws_key_decommission", cancel)]
    run = run_playbook(tmp_path, tasks, connection_env(emu))
    assert "Refusing to decommission 3 key(s)" in failure(run.between(None, "unconfirmed: rescued"))
    assert "Refusing to decommission 3 key(s)" in failure(run.between("unconfirmed: rescued", "too many: rescued"))
    assert set(key_states(run.probed("after refusals")).values()) == {"Enabled"}
    assert run.between("after refusals", "after check").changed_tasks() and set(key_states(run.probed("after check")).values()) == {"Enabled"}
    states = key_states(run.probed("after decommission"))
    assert [states["alias/old-%d" % n] for n in range(3)] == ["PendingDeletion"] * 3 and states["alias/keep-0"] == "Enabled"
    assert run.between("after decommission", "after again").changed_tasks() == []
    assert [key_states(run.probed("after cancel"))["alias/old-%d" % n] for n in range(3)] == ["Disabled"] * 3
    assert run.between("after cancel").changed_tasks() == []


def test_policy_rollout_role_pushes_changes_and_applies_to_matching_keys(emu, tmp_path):
    """Two plays: the first creates the template, a key then uses it (made through the API), the second rolls out a change."""
    env = connection_env(emu)
    template = {"name": "rollout", "kms": "aws-kms", "key_users": ["app-v1"]}
    run_playbook(tmp_path, [role_task("aws_policy_rollout", {"aws_policy_rollout_template": template, "aws_policy_rollout_wait_sleep": 0.2})], env)
    template_id = emu.api("GET", "cckm/aws/templates", params={"name": "rollout"}).json()["resources"][0]["id"]
    used = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "uses-it"},
                                                  "policytemplate": template_id}).json()
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "pay-", "tags": {"app": "pay"}})
    variables = {"aws_policy_rollout_template": dict(template, key_users=["app-v2"]), "aws_policy_rollout_wait_sleep": 0.2,
                 "aws_policy_rollout_filters": {"kms": "aws-kms", "tags": {"app": "pay"}}}
    tasks = [role_task("aws_policy_rollout", variables, check=True), east(emu, "after check"),
             role_task("aws_policy_rollout", variables), east(emu, "after rollout"), role_task("aws_policy_rollout", variables)]
    run = run_playbook(tmp_path, tasks, env)
    check = run.between(None, "after check")
    assert len(check.changed_tasks()) == 2 and "app-v1" in str(run.probed("after check")["keys"][0]["Policy"])
    rollout = run.between("after check", "after rollout")
    assert rollout.result("Ensure the template and push a change to the keys using it")["in_use_by"] == [used["id"]]
    policies = {k["Aliases"][0]: (str(k["Policy"]), k["Tags"].get("cckm_policy_template_id")) for k in run.probed("after rollout")["keys"]}
    assert all("app-v2" in policy and tag == template_id for policy, tag in policies.values())
    assert run.between("after rollout").changed_tasks() == []
