"""Rows of the fidelity review (../shared/api/fidelity-review.md), each proven against both emulator profiles.

The strict profile answers the way the evidence says CipherTrust Manager, AWS and Clumio do (FIDELITY.md in the
emulator's folder); the lenient one the way the emulator did before. The client must converge under both: each
case runs the module twice and the second run must change nothing.
"""

from module_runner import module, run_module


def twice(name, args):
    """Run a module twice; returns the first result (the second must be a no-op)."""
    first = run_module(module(name), args)
    assert first["rc"] == 0, first
    second = run_module(module(name), args, diff=True)
    assert second["rc"] == 0 and second["changed"] is False and second["actions"] == [], second
    return first


def kms_id(emu, name="aws-kms"):
    return next(k["id"] for k in emu.api("GET", "cckm/aws/kms").json()["resources"] if k["name"] == name)


def test_row_01_a_key_with_kms_given_by_id_converges(emu, connection):
    args = dict(connection, kms=kms_id(emu), region="us-east-1", alias="by-kms-id", description="d")
    first = twice("aws_key", args)
    assert first["changed"] is True
    assert [k["Aliases"] for k in emu.aws_keys("us-east-1")] == [["alias/by-kms-id"]]
    info = run_module(module("aws_key_info"), dict(connection, kms=[kms_id(emu)]))
    assert [k["alias"] for k in info["aws_keys"]] == ["by-kms-id"]


def test_row_04_a_template_given_by_name_is_found_by_the_list_filter(emu, connection):
    template = emu.api("POST", "cckm/aws/templates", json={"name": "by-name", "kms": "aws-kms", "key_users": ["bob"]}).json()
    first = twice("aws_key", dict(connection, kms="aws-kms", region="us-east-1", alias="tpl-by-name", policy_template="by-name"))
    assert first["resource"]["policy_template_id"] == template["id"]


POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "grants", "Effect": "Allow", "Principal": "*", "Action": ["kms:CreateGrant"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}},
]}


def test_row_12_a_policy_in_a_form_aws_rewrites_is_stable(emu, connection):
    args = dict(connection, kms="aws-kms", region="us-east-1", alias="canonical", policy=POLICY)
    twice("aws_key", args)
    stored = emu.aws_keys("us-east-1")[0]["Policy"]
    if emu.profile == "strict":  # AWS gives back the root ARN and the string "true"
        assert stored["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
        assert stored["Statement"][1]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_row_05_an_alias_taken_in_aws_is_recognised_by_409_or_by_400_naming_the_exception(emu, connection):
    """AlreadyExists reaches CCKM callers as 400 NCERRBadRequest (strict) or 409 (lenient); both lead to the same advice."""
    emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "taken-in-aws"})
    result = run_module(module("aws_key"), dict(connection, kms="aws-kms", region="us-east-1", alias="taken-in-aws"))
    assert result["rc"] == 1 and result["error"]["status"] == (400 if emu.profile == "strict" else 409)
    assert "AlreadyExistsException" in result["msg"] and "ciphertrust.cckm.aws_sync" in result["msg"], result["msg"]


def test_row_02_a_sync_schedule_is_sent_with_kms_ids_and_read_back_from_either_key(emu, connection):
    schedule = {"name": "nightly", "run_at": "0 2 * * *"}
    args = dict(connection, kms=["aws-kms"], schedule=schedule)
    first = twice("aws_sync", args)
    assert first["actions"][0]["body"]["cckm_synchronization_params"] == {"cloud_name": "aws", "kms": [kms_id(emu)]}
    changed = twice("aws_sync", dict(args, schedule=dict(schedule, run_at="0 3 * * *")))
    assert changed["changed"] is True and changed["resource"]["run_at"] == "0 3 * * *"
    assert "cloud_name" not in changed["actions"][0]["body"]["cckm_synchronization_params"]  # as TF: blank on update
    stored = emu.api("GET", "scheduler/job-configs").json()["resources"][0]
    assert (stored.get("job_config_params") or stored.get("cckm_synchronization_params"))["kms"] == [kms_id(emu)]


def test_row_15_clumio_wallets_are_paged_along_links_next(emu, clumio):
    for number in range(105):  # the seeded wallet plus 105 more: two pages of 100
        emu.control("POST", "clumio/wallets", {"account_native_id": "9%011d" % number, "aws_region": "us-east-1"})
    last = "9%011d" % 104
    first = twice("kms_post_process", dict(clumio, account_native_id=last, aws_region="us-east-1", version=2))
    assert first["changed"] is True and first["request_type"] == "Create" and first["resource"]["installed"] is True


def test_row_14_bulk_targets_are_resolved_without_repeated_filter_values(emu, connection):
    for number in range(3):
        emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "many-%d" % number}})
    emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "other"}})
    args = dict(connection, keys=["many-0", "alias/many-1", "many-2"], state="disabled", wait_sleep=0.05)
    first = twice("aws_key_bulk", args)
    assert sorted(k["alias"] for k in first["key_results"]) == ["many-0", "many-1", "many-2"]
    assert {k["alias"]: k["KeyState"] for k in ({"alias": a["Aliases"][0][6:], **a} for a in emu.aws_keys("us-east-1"))} == {
        "many-0": "Disabled", "many-1": "Disabled", "many-2": "Disabled", "other": "Enabled"}
    info = run_module(module("aws_key_info"), dict(connection, alias=["many-0", "many-2"], region=["us-east-1"]))
    assert sorted(k["alias"] for k in info["aws_keys"]) == ["many-0", "many-2"]


def test_row_07_auto_rotation_right_after_an_enable_waits_out_disabled_exception(emu, connection):
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "late"}}).json()
    emu.api("POST", "cckm/aws/keys/%s/disable" % key["id"])
    emu.control("POST", "config", {"job_delay": 0.5})  # AWS calls the key disabled for 0.5 s after the enable (strict)
    first = twice("aws_key", dict(connection, id=key["id"], enabled=True, auto_rotation=True, rotation_period_days=120))
    assert [a["description"] for a in first["actions"]] == ["enable the key", "enable automatic rotation every 120 days"]
    aws = emu.aws_keys("us-east-1")[0]
    assert aws["KeyRotationEnabled"] is True and aws["RotationPeriodInDays"] == 120
    if emu.profile == "strict":
        assert emu.stats()["routes"]["POST /api/v1/cckm/aws/keys/{id}/enable-auto-rotation"] > 1, emu.stats()


def test_row_11_a_key_scheduled_for_deletion_no_longer_holds_its_template(emu, connection):
    template = emu.api("POST", "cckm/aws/templates", json={"name": "leaving", "kms": "aws-kms", "key_users": ["bob"]}).json()
    where = dict(connection, kms="aws-kms", region="us-east-1", alias="leaving-key")
    assert run_module(module("aws_key"), dict(where, policy_template=template["id"]))["rc"] == 0
    gone = twice("aws_key", dict(where, state="absent", pending_window_days=7))
    assert [a["description"] for a in gone["actions"]] == ["detach policy template %s" % template["id"], "schedule deletion in 7 days"]
    deleted = run_module(module("aws_policy_template"), dict(connection, name="leaving", kms="aws-kms", state="absent"))
    assert deleted["rc"] == 0 and deleted["changed"] is True, deleted


def test_row_08_a_primary_region_move_is_waited_for(emu, connection):
    where = dict(connection, kms="aws-kms", region="us-east-1", alias="mrk", wait_sleep=0.05)
    assert run_module(module("aws_key"), dict(where, multi_region=True, replica_regions=["us-west-2"]))["rc"] == 0
    emu.control("POST", "config", {"job_delay": 0.3})  # the move lands 0.3 s after the call (strict)
    moved = twice("aws_key", dict(where, primary_region="us-west-2"))
    assert moved["resource"]["primary_region"] == "us-west-2" and moved["resource"]["multi_region_key_type"] == "REPLICA"


def test_row_09_material_rotation_is_followed_by_its_status_and_a_lost_answer_is_not_resent(emu, connection):
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "turn"}}).json()
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/api/v1/cckm/aws/keys/{id}/rotate-material", "status": 502,
                                              "phase": "after"}]})
    emu.control("POST", "stats/reset")
    result = run_module(module("aws_key"), dict(connection, id=key["id"], rotate_now=True, wait_sleep=0.05))
    assert result["rc"] == 0 and result["changed"] is True, result
    routes = emu.stats()["routes"]
    assert routes["POST /api/v1/cckm/aws/keys/{id}/rotate-material"] == 1, routes  # applied once: the lookup saw it landed
    status = emu.api("GET", "cckm/aws/keys/%s/rotate-material/status" % key["id"]).json()
    assert status["overall_status"] == "success" and routes["GET /api/v1/cckm/aws/keys/{id}/rotate-material/status"] >= 2


def test_row_17_refresh_shows_what_changed_in_aws_before_planning(emu, connection):
    key = emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "stale"}}).json()
    emu.control("POST", "aws/keys/%s/delete" % key["aws_param"]["KeyID"], {"region": "us-east-1"})  # removed in AWS, CCKM unaware
    cached = run_module(module("aws_key"), dict(connection, id=key["id"]))
    assert cached["rc"] == 0 and not any("no longer exists" in w for w in cached["warnings"]), cached["warnings"]
    emu.control("POST", "stats/reset")
    refreshed = run_module(module("aws_key"), dict(connection, id=key["id"], refresh=True))
    assert any("no longer exists in AWS" in w for w in refreshed["warnings"]), refreshed
    assert refreshed["resource"]["gone"] is True
    assert emu.stats()["routes"]["POST /api/v1/cckm/aws/keys/{id}/refresh"] == 1


def test_row_16_a_wallet_that_does_not_move_fails_the_task_or_with_wait_false_warns_never_a_loop(emu, clumio):
    """Issue 21 #9: Clumio's answer alone is not success; the wallet recording post-process calls is assumed (row 16)."""
    emu.control("POST", "config", {"fidelity": {"post_process_wallet": "still"}})
    args = dict(clumio, account_native_id="123456789012", aws_region="us-east-1", version=4, wait_timeout=1, wait_sleep=0.2)
    failed = run_module(module("kms_post_process"), args)
    assert failed["rc"] == 1 and "Timed out after 1 seconds waiting for the Clumio wallet of AWS account 123456789012 to show the Create" in failed["msg"]
    assert "sent once and not again" in failed["msg"] and "installed_regions [], stack_version" in failed["msg"], failed["msg"]
    assert failed["last_seen"]["token"] == "********"
    assert len(emu.control("GET", "clumio/wallets")["post_process_calls"]) == 1
    for dummy in range(2):  # the wallet is the only observable: each run sends once, and says it cannot see the effect
        result = run_module(module("kms_post_process"), dict(args, wait=False))
        assert result["rc"] == 0 and result["changed"] is True and result["request_type"] == "Create"
        assert any("does not show it" in w and "nothing was sent again" in w for w in result["warnings"]), result["warnings"]
    calls = emu.control("GET", "clumio/wallets")["post_process_calls"]
    assert len(calls) == 3
    routes = emu.stats()["routes"]
    assert routes["POST /wallets/{id}/_refresh"] >= 8  # refreshed before each read of the wallet
