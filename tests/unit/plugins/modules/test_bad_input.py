"""Bad input over every module's options, in-process: each case must fail, name the offending option(s), and write nothing.

Each case runs against the emulator seeded with what valid tasks would find (a key, an EXTERNAL key without material, a
template); the emulator must then have seen no write at all and hold exactly what it held before, and the result must
hold no secret (the password, the Clumio token: run_tasks scans it). Figures go to docs/reliability.md.
"""

import re
from pathlib import Path

import pytest
from cckm_emulator.harness import Emulator

from module_runner import connection_env, run_tasks
from tests import reliability_report

PASSWORD = "Bad-Input-Pw1"
CLUMIO_TOKEN = "clumio-test-token"
URL = "@EMULATOR_URL@"  # replaced by the emulator's URL when the task is built
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
EXISTING, EXTERNAL, TEMPLATE = "bi-existing", "bi-external", "bi-tpl"
ROTATION, SYNC_SCHEDULE = "bi-rotation", "bi-sync"  # a rotation schedule the EXTERNAL key is attached to, a sync schedule
NEW = "bi-new"  # an alias no key has: a valid task with it would create a key
ACCOUNT = "123456789012"
CLUMIO = {"clumio_url": URL, "clumio_api_token": CLUMIO_TOKEN}
POST_PROCESS = dict(CLUMIO, account_native_id=ACCOUNT, aws_region="us-east-1")
REGIONS = (("123456789012", "us-east-1"), ("123456789012", "us-west-2"), ("123456789012", "eu-west-1"), ("210987654321", "us-east-1"))
HUGE = "x" * 10000
CRON = "0 2 * * *"
WRITE_ERROR = re.compile(r"(Failed to [^:]*: )?(POST|PUT|PATCH|DELETE) /\S+( failed|:)")  # an HTTP error answer to a write the module sent


def key(alias=NEW, **options):
    return dict(WHERE, alias=alias, **options)


def without(options, *names):
    return {k: v for k, v in options.items() if k not in names}


# (case id, module, options, option names the failure message must contain)
CONN = {"name": "bi-conn", "access_key_id": "AKIABADINPUT0001", "secret_access_key": "bad-input-secret-1"}
KMS = {"name": "bi-kms", "connection": "aws-connection", "account_id": "444455556666", "regions": ["us-east-1"]}

CASES = {
    "aws_connection": [
        ("name_missing", without(CONN, "name"), ["name"]),
        ("name_blank", dict(CONN, name="  "), ["name"]),
        ("access_key_id_without_secret", without(CONN, "secret_access_key"), ["access_key_id", "secret_access_key"]),
        ("iam_role_anywhere_and_access_key", dict(CONN, iam_role_anywhere={"anywhere_role_arn": "a", "certificate": "c", "private_key": "p",
                                                                           "profile_arn": "p", "trust_anchor_arn": "t"}),
         ["iam_role_anywhere", "access_key_id"]),
        ("iam_role_anywhere_incomplete", {"name": "bi-conn", "iam_role_anywhere": {"anywhere_role_arn": "a"}}, ["certificate"]),
        ("external_id_without_role", dict(CONN, assume_role_external_id="x"), ["assume_role_external_id", "assume_role_arn"]),
        ("cloud_name_not_in_choices", dict(CONN, cloud_name="azure"), ["cloud_name"]),
        ("sts_not_in_choices", dict(CONN, aws_sts_regional_endpoints="global"), ["aws_sts_regional_endpoints"]),
        ("products_not_in_choices", dict(CONN, products=["cckm", "vault"]), ["products"]),
        ("update_secret_not_in_choices", dict(CONN, update_secret="sometimes"), ["update_secret"]),
        ("labels_list", dict(CONN, labels=[1, 2]), ["labels"]),
        ("labels_empty_name", dict(CONN, labels={"": "x"}), ["labels"]),
        ("absent_in_use", {"name": "aws-connection", "state": "absent"}, ["aws-kms"]),
        ("unsupported_option", dict(CONN, colour="red"), ["colour"]),
    ],
    "aws_connection_info": [
        ("cloud_name_not_in_choices", {"cloud_name": "azure"}, ["cloud_name"]),
        ("include_record_not_bool", {"include_record": "perhaps"}, ["include_record"]),
        ("unsupported_option", {"colour": "red"}, ["colour"]),
    ],
    "aws_kms": [
        ("name_missing", without(KMS, "name"), ["name"]),
        ("account_id_not_12_digits", dict(KMS, account_id="12345"), ["account_id"]),
        ("account_id_unicode_digits", dict(KMS, account_id="\u0661" * 12), ["account_id"]),
        ("regions_not_regions", dict(KMS, regions=["mars-east-1x"]), ["regions"]),
        ("regions_repeated", dict(KMS, regions=["us-east-1", "us-east-1"]), ["regions"]),
        ("create_without_connection", without(KMS, "connection"), ["connection"]),
        ("create_without_account_id", without(KMS, "account_id"), ["account_id"]),
        ("unknown_connection", dict(KMS, connection="no-such-connection"), ["connection"]),
        ("acl_without_principal", dict(KMS, acls=[{"actions": ["keycreate"]}]), ["user_id", "group"]),
        ("acl_user_and_group", dict(KMS, acls=[{"user_id": "u", "group": "g", "actions": ["keycreate"]}]), ["user_id", "group"]),
        ("acl_action_not_in_choices", dict(KMS, acls=[{"group": "g", "actions": ["fly"]}]), ["actions"]),
        ("acl_actions_missing", dict(KMS, acls=[{"group": "g"}]), ["actions"]),
        ("account_id_changed", {"name": "aws-kms", "account_id": "999999999999"}, ["account_id"]),
        ("region_with_keys_removed", {"name": "aws-kms", "regions": ["us-west-2"]}, ["regions"]),
        ("absent_with_keys", {"name": "aws-kms", "state": "absent"}, ["force"]),
        ("external_id_without_role", dict(KMS, assume_role_external_id="x"), ["assume_role_external_id", "assume_role_arn"]),
        ("force_not_bool", dict(KMS, state="absent", force="yes please"), ["force"]),
        ("unsupported_option", dict(KMS, colour="red"), ["colour"]),
    ],
    "aws_kms_info": [
        ("include_record_not_bool", {"include_record": "perhaps"}, ["include_record"]),
        ("unsupported_option", {"colour": "red"}, ["colour"]),
    ],
    "aws_key": [
        ("tags_string", key(tags="not-a-dict"), ["tags"]),
        ("tags_list", key(tags=[1, 2]), ["tags"]),
        ("tags_template_tag", key(EXISTING, tags={"cckm_policy_template_id": "x"}), ["tags"]),
        ("tags_huge_value", key(tags={"k": HUGE}), ["tags"]),
        ("tags_huge_key", key(EXISTING, tags={HUGE: "v"}), ["tags"]),
        ("tags_aws_prefix", key(EXISTING, tags={"aws:owner": "me"}), ["tags"]),
        ("pending_window_days_abc", key(EXISTING, state="absent", pending_window_days="abc"), ["pending_window_days"]),
        ("pending_window_days_6", key(EXISTING, state="absent", pending_window_days=6), ["pending_window_days"]),
        ("pending_window_days_31", key(EXISTING, state="absent", pending_window_days=31), ["pending_window_days"]),
        ("rotation_period_days_89", key(EXISTING, rotation_period_days=89), ["rotation_period_days"]),
        ("rotation_period_days_2561", key(EXISTING, rotation_period_days=2561), ["rotation_period_days"]),
        ("rotation_period_days_abc", key(EXISTING, rotation_period_days="abc"), ["rotation_period_days"]),
        ("rotation_period_without_auto_rotation", key(EXISTING, rotation_period_days=180, auto_rotation=False),
         ["rotation_period_days", "auto_rotation"]),
        ("aliases_dict", key(EXISTING, aliases={"a": "b"}), ["aliases"]),
        ("key_admins_dict", key(EXISTING, key_admins={"alice": 1}), ["key_admins"]),
        ("replica_regions_int_on_single_region_key", key(EXISTING, replica_regions=5), ["replica_regions"]),
        ("enabled_not_bool", key(EXISTING, enabled="maybe"), ["enabled"]),
        ("id_and_alias", key(EXISTING, id="00000000-0000-0000-0000-000000000000"), ["id", "alias"]),
        ("policy_and_policy_template", key(EXISTING, policy={"Statement": []}, policy_template=TEMPLATE), ["policy", "policy_template"]),
        ("policy_and_key_users", key(EXISTING, policy={"Statement": []}, key_users=["bob"]), ["policy", "key_users"]),
        ("policy_template_and_key_admins", key(EXISTING, policy_template=TEMPLATE, key_admins=["alice"]), ["policy_template", "key_admins"]),
        ("import_material_and_key_material", key(EXTERNAL, import_material={}, key_material="absent"), ["import_material", "key_material"]),
        ("key_material_absent_and_enabled", key(EXTERNAL, key_material="absent", enabled=True), ["key_material", "enabled"]),
        ("alias_without_kms", {"alias": NEW, "region": "us-east-1"}, ["alias", "kms"]),
        ("alias_without_region", {"alias": NEW, "kms": "aws-kms"}, ["alias", "region"]),
        ("neither_id_nor_alias", dict(WHERE, description="d"), ["id", "alias"]),
        ("key_expiration_without_valid_to", key(EXTERNAL, import_material={"key_expiration": True}), ["key_expiration", "valid_to"]),
        ("import_material_string", key(EXTERNAL, import_material="local"), ["import_material"]),
        ("import_material_bad_tier", key(EXTERNAL, import_material={"source_key_tier": "cloud"}), ["source_key_tier"]),
        ("policy_not_json", key(policy="{this is not json"), ["policy"]),
        ("policy_json_array", key(policy="[1, 2]"), ["policy"]),
        ("policy_json_string", key(EXISTING, policy='"just a string"'), ["policy"]),
        ("unknown_kms", key(kms="no-such-kms"), ["kms"]),
        ("unknown_region", key(region="mars-east-1"), ["region"]),
        ("unknown_policy_template", key(policy_template="no-such-template"), ["policy_template"]),
        ("alias_huge", key(HUGE), ["alias"]),
        ("alias_forbidden_characters", key("bad alias!"), ["alias"]),
        ("alias_unicode", key("cl\u00e9-\u043a\u043b\u044e\u0447-\U0001f511"), ["alias"]),
        ("alias_aws_reserved", key("alias/aws/mine"), ["alias"]),
        ("alias_empty", key("alias/"), ["alias"]),
        ("aliases_forbidden_characters", key(EXISTING, aliases=["fine", "bad alias!"]), ["aliases"]),
        ("aliases_aws_reserved", key(aliases=["alias/aws/other"]), ["aliases"]),
        ("aliases_huge", key(EXISTING, aliases=[HUGE]), ["aliases"]),
        ("description_huge", key(description=HUGE), ["description"]),
        ("description_huge_unicode", key(EXISTING, description="\u00e9\u263a" * 5000), ["description"]),
        ("state_not_in_choices", key(EXISTING, state="deleted"), ["state"]),
        ("key_usage_not_in_choices", key(key_usage="ENCRYPT"), ["key_usage"]),
        ("key_spec_not_in_choices", key(key_spec="AES_256"), ["key_spec"]),
        ("origin_not_in_choices", key(origin="CLOUDHSM"), ["origin"]),
        ("key_material_not_in_choices", key(EXTERNAL, key_material="present"), ["key_material"]),
        ("key_usage_of_existing_key", key(EXISTING, key_usage="SIGN_VERIFY"), ["key_usage"]),
        ("key_material_absent_on_aws_kms_key", key(EXISTING, key_material="absent"), ["key_material"]),
        ("rotate_external_without_import_material", key(EXTERNAL, rotate_now=True), ["rotate_now", "import_material"]),
        ("enable_key_without_material", key(EXTERNAL, enabled=True), ["enabled", "import_material"]),
        ("primary_region_of_single_region_key", key(EXISTING, primary_region="us-west-2"), ["primary_region"]),
        ("bad_id", {"id": "not-a-key-id", "enabled": False}, ["id"]),
        ("unknown_uuid_id", {"id": "00000000-0000-0000-0000-000000000000", "enabled": False}, ["id"]),
        ("unknown_arn_id", {"id": "arn:aws:kms:us-east-1:123456789012:key/no-such-key", "enabled": False}, ["id"]),
        ("unicode_id", {"id": "\u043a\u043b\u044e\u0447", "description": "d"}, ["id"]),
        ("wait_timeout_abc", key(EXISTING, wait_timeout="soon"), ["wait_timeout"]),
        ("connection_timeout_abc", key(EXISTING, timeout="abc"), ["timeout"]),
        ("unsupported_option", key(EXISTING, colour="red"), ["colour"]),
        ("rotation_job_unknown_schedule", key(EXISTING, rotation_job={"name": "no-such-schedule"}), ["rotation_job"]),
        ("rotation_job_sync_schedule", key(EXISTING, rotation_job={"name": SYNC_SCHEDULE}), ["rotation_job"]),
        ("rotation_job_without_name", key(EXISTING, rotation_job={"key_source": "local"}), ["rotation_job", "name"]),
        ("rotation_job_string", key(EXISTING, rotation_job=ROTATION), ["rotation_job"]),
        ("rotation_job_both_disable_flags", key(EXISTING, rotation_job={"name": ROTATION, "disable_encrypt": True,
                                                                        "disable_encrypt_on_all_accounts": True}),
         ["disable_encrypt", "disable_encrypt_on_all_accounts"]),
        ("rotation_job_bad_key_source", key(EXISTING, rotation_job={"name": ROTATION, "key_source": "vault"}), ["key_source"]),
        ("rotation_job_domain_id_without_dsm", key(EXISTING, rotation_job={"name": ROTATION, "domain_id": "d1"}), ["domain_id", "key_source"]),
        ("rotation_job_state_not_in_choices", key(EXISTING, rotation_job={"name": ROTATION, "state": "paused"}), ["state"]),
        ("upload_into_an_aws_kms_key", key(origin="AWS_KMS", import_material={"source_key": "m"}), ["import_material", "origin"]),
    ],
    "aws_key_rotation_schedule": [
        ("name_missing", {"run_at": CRON}, ["name"]),
        ("run_at_missing", {"name": "bi-r"}, ["run_at"]),
        ("run_at_bad_cron", {"name": "bi-r", "run_at": "every week"}, ["run_at"]),
        ("run_at_six_fields", {"name": "bi-r", "run_at": "0 0 2 * * *"}, ["run_at"]),
        ("expiration_not_a_period", {"name": "bi-r", "run_at": CRON, "expiration": "1 year"}, ["expiration"]),
        ("expire_in_minutes", {"name": "bi-r", "run_at": CRON, "expire_in": "30m"}, ["expire_in"]),
        ("state_not_in_choices", {"name": "bi-r", "run_at": CRON, "state": "paused"}, ["state"]),
        ("disabled_not_bool", {"name": "bi-r", "run_at": CRON, "disabled": "sometimes"}, ["disabled"]),
        ("retain_alias_not_bool", {"name": "bi-r", "run_at": CRON, "retain_alias": [1]}, ["retain_alias"]),
        ("name_of_a_sync_schedule", {"name": SYNC_SCHEDULE, "run_at": CRON}, ["name"]),
        ("delete_with_attached_keys", {"name": ROTATION, "state": "absent"}, ["detach_keys"]),
        ("unsupported_option", {"name": "bi-r", "run_at": CRON, "colour": "red"}, ["colour"]),
    ],
    "aws_key_info": [
        ("tags_string", {"tags": "not-a-dict"}, ["tags"]),
        ("enabled_not_bool", {"enabled": "maybe"}, ["enabled"]),
        ("gone_not_bool", {"gone": "perhaps"}, ["gone"]),
        ("key_material_origin_not_in_choices", {"key_material_origin": ["byok"]}, ["key_material_origin"]),
        ("id_dict", {"id": {"a": 1}}, ["id"]),
        ("include_record_not_bool", {"include_record": "all"}, ["include_record"]),
        ("unsupported_option", {"colour": "red"}, ["colour"]),
    ],
    "aws_key_bulk": [
        ("state_not_in_choices", {"keys": [EXISTING], "state": "destroyed"}, ["state"]),
        ("pending_window_days_6", {"keys": [EXISTING], "state": "pending_deletion", "pending_window_days": 6}, ["pending_window_days"]),
        ("pending_window_days_31", {"keys": [EXISTING], "state": "pending_deletion", "pending_window_days": 31}, ["pending_window_days"]),
        ("pending_window_days_abc", {"keys": [EXISTING], "state": "pending_deletion", "pending_window_days": "abc"}, ["pending_window_days"]),
        ("keys_and_cancel_job_ids", {"keys": [EXISTING], "cancel_job_ids": ["j"], "state": "disabled"}, ["keys", "cancel_job_ids"]),
        ("filters_and_cancel_job_ids", {"filters": {"kms": "aws-kms"}, "cancel_job_ids": ["j"]}, ["filters", "cancel_job_ids"]),
        ("no_keys_filters_or_jobs", {"state": "disabled"}, ["keys", "filters", "cancel_job_ids"]),
        ("filters_string", {"filters": "not a dict", "state": "disabled"}, ["filters"]),
        ("filters_unknown_name", {"filters": {"colour": "red"}, "state": "disabled"}, ["filters"]),
        ("keys_int", {"keys": 42, "state": "disabled"}, ["keys"]),
        ("keys_dict", {"keys": {"a": 1}, "state": "disabled"}, ["keys"]),
        ("keys_unknown_alias", {"keys": [EXISTING, "no-such-alias"], "state": "disabled"}, ["keys"]),
        ("rotation_job_unknown_schedule", {"keys": [EXISTING], "rotation_job": {"name": "no-such-schedule"}}, ["rotation_job"]),
        ("rotation_job_on_keys_pending_deletion", {"keys": [EXISTING], "state": "pending_deletion", "rotation_job": {"name": ROTATION}},
         ["state", "rotation_job"]),
        ("keys_unknown_uuid", {"keys": ["00000000-0000-0000-0000-000000000000"], "state": "disabled"}, ["keys"]),
        ("keys_huge", {"keys": [HUGE], "state": "disabled"}, ["keys"]),
        ("unknown_policy_template", {"keys": [EXISTING], "policy_template": "no-such-template"}, ["policy_template"]),
        ("cancel_unknown_job", {"cancel_job_ids": ["no-such-job"]}, ["cancel_job_ids"]),
        ("fail_on_key_error_not_bool", {"keys": [EXISTING], "state": "disabled", "fail_on_key_error": "sometimes"}, ["fail_on_key_error"]),
        ("wait_sleep_not_float", {"keys": [EXISTING], "state": "disabled", "wait_sleep": "fast"}, ["wait_sleep"]),
        ("unsupported_option", {"keys": [EXISTING], "state": "disabled", "colour": "red"}, ["colour"]),
    ],
    "aws_policy_template": [
        ("state_not_in_choices", {"name": TEMPLATE, "kms": "aws-kms", "state": "deleted"}, ["state"]),
        ("kms_and_account_id", {"name": "bi-t1", "kms": "aws-kms", "account_id": ACCOUNT}, ["kms", "account_id"]),
        ("policy_and_key_admins", {"name": "bi-t1", "kms": "aws-kms", "policy": {"Statement": []}, "key_admins": ["a"]},
         ["policy", "key_admins"]),
        ("neither_name_nor_id", {"kms": "aws-kms", "key_users": ["bob"]}, ["name", "id"]),
        ("policy_not_json", {"name": "bi-t1", "kms": "aws-kms", "policy": "{this is not json"}, ["policy"]),
        ("policy_json_array", {"name": "bi-t1", "kms": "aws-kms", "policy": "[1, 2]"}, ["policy"]),
        ("unknown_kms", {"name": "bi-t1", "kms": "no-such-kms", "key_users": ["bob"]}, ["kms"]),
        ("unknown_id", {"id": "no-such-template-id", "kms": "aws-kms", "key_users": ["bob"]}, ["id"]),
        ("key_admins_dict", {"name": "bi-t1", "kms": "aws-kms", "key_admins": {"a": 1}}, ["key_admins"]),
        ("unscoped_without_policy", {"name": "bi-t1", "key_users": ["bob"]}, ["kms", "account_id", "policy"]),
        ("account_id_not_12_digits", {"name": "bi-t1", "account_id": "not-an-account", "key_users": ["bob"]}, ["account_id"]),
        ("account_id_unicode_digits", {"name": "bi-t1", "account_id": "\u0661" * 12, "key_users": ["bob"]}, ["account_id"]),
        ("auto_push_not_bool", {"name": TEMPLATE, "kms": "aws-kms", "auto_push": "please"}, ["auto_push"]),
        ("unsupported_option", {"name": TEMPLATE, "kms": "aws-kms", "colour": "red"}, ["colour"]),
    ],
    "aws_policy_template_info": [
        ("is_verified_not_bool", {"is_verified": "maybe"}, ["is_verified"]),
        ("include_record_not_bool", {"include_record": [1]}, ["include_record"]),
        ("unsupported_option", {"colour": "red"}, ["colour"]),
    ],
    "aws_sync": [
        ("state_not_in_choices", {"kms": ["aws-kms"], "state": "stopped"}, ["state"]),
        ("cancelled_without_job_id", {"state": "cancelled"}, ["state", "job_id"]),
        ("schedule_and_job_id", {"synchronize_all": True, "job_id": "j", "schedule": {"name": "bi-s", "run_at": CRON}}, ["schedule", "job_id"]),
        ("synchronize_all_and_kms", {"synchronize_all": True, "kms": ["aws-kms"]}, ["synchronize_all", "kms"]),
        ("synchronize_all_and_regions", {"synchronize_all": True, "regions": ["us-east-1"]}, ["synchronize_all", "regions"]),
        ("neither_kms_nor_synchronize_all", {"regions": ["us-east-1"]}, ["kms", "synchronize_all"]),
        ("unknown_kms", {"kms": ["no-such-kms"]}, ["kms"]),
        ("kms_int", {"kms": 7}, ["kms"]),
        ("kms_dict", {"kms": {"a": 1}}, ["kms"]),
        ("unknown_region", {"kms": ["aws-kms"], "regions": ["mars-east-1"]}, ["regions"]),
        ("synchronize_all_not_bool", {"synchronize_all": "sometimes"}, ["synchronize_all"]),
        ("if_running_not_in_choices", {"kms": ["aws-kms"], "if_running": "ignore"}, ["if_running"]),
        ("schedule_without_name", {"synchronize_all": True, "schedule": {"run_at": CRON}}, ["schedule", "name"]),
        ("schedule_without_run_at", {"synchronize_all": True, "schedule": {"name": "bi-s"}}, ["run_at"]),
        ("schedule_bad_cron", {"synchronize_all": True, "schedule": {"name": "bi-s", "run_at": "every night"}}, ["run_at"]),
        ("schedule_cron_six_fields", {"synchronize_all": True, "schedule": {"name": "bi-s", "run_at": "0 0 2 * * *"}}, ["run_at"]),
        ("schedule_state_not_in_choices", {"synchronize_all": True, "schedule": {"name": "bi-s", "run_at": CRON, "state": "paused"}},
         ["state"]),
        ("schedule_with_regions", {"kms": ["aws-kms"], "regions": ["us-east-1"], "schedule": {"name": "bi-s", "run_at": CRON}},
         ["schedule", "regions"]),
        ("schedule_unknown_kms", {"kms": ["no-such-kms"], "schedule": {"name": "bi-s", "run_at": CRON}}, ["kms"]),
        ("schedule_string", {"synchronize_all": True, "schedule": "nightly"}, ["schedule"]),
        ("cancel_unknown_job", {"state": "cancelled", "job_id": "no-such-job"}, ["job_id"]),
        ("wait_sleep_not_float", {"kms": ["aws-kms"], "wait_sleep": "fast"}, ["wait_sleep"]),
        ("unsupported_option", {"kms": ["aws-kms"], "colour": "red"}, ["colour"]),
    ],
    "kms_post_process": [
        ("clumio_api_token_missing", without(POST_PROCESS, "clumio_api_token"), ["clumio_api_token"]),
        ("clumio_url_missing", without(POST_PROCESS, "clumio_url"), ["clumio_url", "clumio_region"]),
        ("clumio_url_and_region", dict(POST_PROCESS, clumio_region="us-east-1"), ["clumio_url", "clumio_region"]),
        ("clumio_region_not_in_choices", dict(without(POST_PROCESS, "clumio_url"), clumio_region="mars-east-1"), ["clumio_region"]),
        ("account_native_id_missing", without(POST_PROCESS, "account_native_id"), ["account_native_id"]),
        ("aws_region_missing", without(POST_PROCESS, "aws_region"), ["aws_region"]),
        ("account_native_id_not_12_digits", dict(POST_PROCESS, account_native_id="12345"), ["account_native_id"]),
        ("account_native_id_unicode_digits", dict(POST_PROCESS, account_native_id="\u0661" * 12), ["account_native_id"]),
        ("account_native_id_without_wallet", dict(POST_PROCESS, account_native_id="999999999999"), ["account_native_id"]),
        ("aws_region_empty", dict(POST_PROCESS, aws_region=""), ["aws_region"]),
        ("aws_region_huge", dict(POST_PROCESS, aws_region=HUGE), ["aws_region"]),
        ("aws_region_unicode", dict(POST_PROCESS, aws_region="us-\u00e9ast-1"), ["aws_region"]),
        ("version_abc", dict(POST_PROCESS, version="abc"), ["version"]),
        ("version_negative", dict(POST_PROCESS, version=-1), ["version"]),
        ("version_too_big", dict(POST_PROCESS, version=2 ** 64), ["version"]),
        ("state_not_in_choices", dict(POST_PROCESS, state="gone"), ["state"]),
        ("request_type_not_in_choices", dict(POST_PROCESS, request_type="Destroy"), ["request_type"]),
        ("token_empty", dict(POST_PROCESS, token=""), ["token"]),
        ("token_not_the_wallets", dict(POST_PROCESS, token="t" * 36), ["token"]),
        ("created_multi_region_cmk_not_bool", dict(POST_PROCESS, created_multi_region_cmk="maybe"), ["created_multi_region_cmk"]),
        ("unsupported_option", dict(POST_PROCESS, colour="red"), ["colour"]),
    ],
    "login": [
        ("refresh_token_lifetime_not_int", {"refresh_token_lifetime": "long"}, ["refresh_token_lifetime"]),
        ("unsupported_option", {"colour": "red"}, ["colour"]),
    ],
}
TABLE = [(module, case, options, names) for module, cases in CASES.items() for case, options, names in cases]


def with_url(value, url):
    """The options with the URL placeholder replaced (the Clumio cases give clumio_url as an option)."""
    if isinstance(value, dict):
        return {k: with_url(v, url) for k, v in value.items()}
    return url if value == URL else value


def seed(emulator):
    """What valid tasks would find: a key, an EXTERNAL key without material (attached to a rotation schedule), a template,
    a rotation and a synchronization schedule."""
    for alias, extra in ((EXISTING, {}), (EXTERNAL, {"Origin": "EXTERNAL"})):
        response = emulator.api("POST", "cckm/aws/keys", json=dict(WHERE, aws_param=dict({"Alias": alias}, **extra)))
        assert response.status_code == 201, response.text
    response = emulator.api("POST", "cckm/aws/templates", json={"name": TEMPLATE, "kms": "aws-kms", "key_users": ["bob"]})
    assert response.status_code == 201, response.text
    sync_params = {"cloud_name": "aws", "synchronize_all": True}
    for name, operation, params in ((ROTATION, "cckm_key_rotation", {"cckm_key_rotation_params": {"cloud_name": "aws"}}),
                                    (SYNC_SCHEDULE, "cckm_synchronization", {"cckm_synchronization_params": sync_params})):
        response = emulator.api("POST", "scheduler/job-configs", json=dict({"name": name, "operation": operation, "run_at": CRON}, **params))
        assert response.status_code == 201, response.text
    external = emulator.api("GET", "cckm/aws/keys", params={"alias": EXTERNAL}).json()["resources"][0]
    rotation = emulator.api("GET", "scheduler/job-configs", params={"name": ROTATION}).json()["resources"][0]
    response = emulator.api("POST", "cckm/aws/keys/%s/enable-rotation-job" % external["id"], json={"job_config_id": rotation["id"]})
    assert response.status_code == 200, response.text


def ground_truth(emulator):
    """Everything a write could change: AWS keys, CCKM records, templates, jobs, schedules, Clumio wallets."""
    def listed(path):
        response = emulator.api("GET", path, params={"limit": -1})
        assert response.status_code == 200, response.text
        return response.json()["resources"]
    clumio = emulator.control("GET", "clumio/wallets")
    return {
        "aws": {"%s/%s" % pair: emulator.aws_keys(pair[1], pair[0]) for pair in REGIONS},
        "cckm_keys": listed("cckm/aws/keys"),
        "templates": listed("cckm/aws/templates"),
        "bulk_jobs": listed("cckm/aws/bulkjob"),
        "sync_jobs": listed("cckm/aws/synchronization-jobs"),
        "schedules": listed("scheduler/job-configs"),
        "kms": listed("cckm/aws/kms"),
        "connections": listed("connectionmgmt/services/aws/connections"),
        "connection_secrets": emulator.control("GET", "connections/secrets"),
        "wallets": clumio["wallets"],
        "post_process_calls": clumio["post_process_calls"],
    }


def problems(result, names):
    """Why a case's record is not a clean rejection naming ``names`` ([] when it is)."""
    if result is None:
        return ["the task did not run"]
    found = []
    if result["status"] != "failed":
        found.append("the task did not fail (%s)" % result["status"])
    if WRITE_ERROR.match(result["msg"]):
        found.append("the module attempted a write before rejecting the input")
    found += ["the message does not name %s" % name for name in names if not re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % name, result["msg"])]
    return found


def test_every_module_is_covered():
    modules = sorted(path.stem for path in (Path(__file__).resolve().parents[4] / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
    assert sorted(CASES) == modules


class Seeded:
    """One emulator for the whole table, seeded once: no case may write, so each starts from the state the last left.
    A case that is not seen to leave it unchanged (it wrote, or it raised) makes the next start from a fresh seed."""

    def __init__(self, emulator):
        self.emulator = emulator
        self._unchanged = None

    def start(self):
        """The ground truth this case must leave as it found it; the next case re-seeds unless :meth:`left_unchanged`."""
        if self._unchanged is None:
            self.emulator.reset()
            seed(self.emulator)
            self._unchanged = ground_truth(self.emulator)
        before, self._unchanged = self._unchanged, None
        return before

    def left_unchanged(self, before):
        """The case left the emulator as :meth:`start` found it: the next case may start from it."""
        self._unchanged = before


@pytest.fixture(scope="module")
def seeded():
    with Emulator("--job-delay", "0.05", "--password", PASSWORD, password=PASSWORD) as emulator:
        yield Seeded(emulator)


@pytest.mark.parametrize("module, case, options, names", TABLE, ids=["%s-%s" % row[:2] for row in TABLE])
def test_case_fails_naming_the_option_and_writes_nothing(seeded, module, case, options, names):  # pylint: disable=redefined-outer-name
    emulator = seeded.emulator
    before = seeded.start()
    emulator.control("POST", "stats/reset")
    task = {"name": case, "ciphertrust.cckm." + module: with_url(options, emulator.url), "ignore_errors": True}
    run = run_tasks([task], env=connection_env(emulator, password=PASSWORD), secrets=(CLUMIO_TOKEN,))
    record = run.records[0]
    found = problems({"status": record["status"], "msg": str(record["result"].get("msg", ""))}, names)
    writes = emulator.writes()
    changed = sorted(name for name, value in ground_truth(emulator).items() if before[name] != value)  # any write at all is a bug
    if not writes and not changed:
        seeded.left_unchanged(before)
    reliability_report.record("bad input: %d cases over %d modules" % (len(TABLE), len(CASES)), failures=int(bool(found or writes or changed)))
    assert found == [], record["result"]
    assert writes == {} and changed == [], (writes, changed)
