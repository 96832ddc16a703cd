"""aws_policy_template planning: (current template, keys using it, options) -> actions, and the predicted template."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import (
    TemplateChoice, TemplateInUse, TemplateResource, find_template, template_view,
)

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}
OPTIONS = {"name": "t", "id": None, "state": "present", "kms": "aws-kms", "account_id": None, "policy": None, "auto_push": False,
           "key_admins": None, "key_admins_roles": None, "key_users": None, "key_users_roles": None, "external_accounts": None,
           "wait": True, "wait_timeout": 60, "wait_sleep": 1}


def current(verified=False, **fields):
    record = dict({"id": "tpl-1", "name": "t", "kms": "kms-id", "kms_name": "aws-kms", "is_verified": verified, "key_users": ["bob"]}, **fields)
    return Snapshot(record, template_view(record))


def resource(in_use=(), **options):
    res = TemplateResource(dict(OPTIONS, **options), client=None, warn=None)
    res.in_use = list(in_use)
    return res


def steps(actions):
    return [(a.name, a.endpoint.method, a.to_result()["path"], a.body) for a in actions]


T = "/api/v1/cckm/aws/templates"
CASES = [
    ("create with lists", None, {}, {"key_users": ["bob"]},
     [("create", "POST", T, dict({"name": "t", "kms": "aws-kms"}, key_admins=[], key_admins_roles=[], key_users=["bob"],
                                 key_users_roles=[], external_accounts=[]))]),
    ("create with a policy", None, {}, {"policy": POLICY}, [("create", "POST", T, {"name": "t", "kms": "aws-kms", "policy": POLICY})]),
    ("same lists", current(), {}, {"key_users": ["bob"]}, []),
    ("content unmanaged", current(), {}, {}, []),
    ("lists differ", current(), {}, {"key_users": ["alice"]},
     [("update", "PATCH", T + "/tpl-1", dict(key_admins=[], key_admins_roles=[], key_users=["alice"], key_users_roles=[], external_accounts=[]))]),
    ("verified, unused", current(True), {}, {"key_users": ["alice"]},
     [("update", "PATCH", T + "/tpl-1", dict(key_admins=[], key_admins_roles=[], key_users=["alice"], key_users_roles=[], external_accounts=[]))]),
    ("verified, in use, auto_push", current(True), {"in_use": ["k1"]}, {"key_users": ["alice"], "auto_push": True},
     [("update", "PATCH", T + "/tpl-1", dict(key_admins=[], key_admins_roles=[], key_users=["alice"], key_users_roles=[], external_accounts=[],
                                             auto_push=True))]),
    ("absent", current(), {}, {"state": "absent"}, [("delete", "DELETE", T + "/tpl-1", None)]),
    ("absent, missing", None, {}, {"state": "absent"}, []),
]


@pytest.mark.parametrize("before, state, options, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(before, state, options, expected):
    res = resource(**dict(state, **options))
    assert steps(res.plan(before)) == expected


def test_prediction_of_an_update_that_pushes_stays_verified_and_of_one_that_does_not_becomes_unverified():
    pushed = resource(["k1"], key_users=["alice"], auto_push=True)
    after = pushed.predict(current(True), pushed.plan(current(True)))
    assert after.view["key_users"] == ["alice"] and after.view["is_verified"] is True
    plain = resource(key_users=["alice"])
    assert plain.predict(current(True), plain.plan(current(True))).view["is_verified"] is False


def test_policy_replaces_the_lists_in_the_prediction():
    res = resource(policy=POLICY)
    after = res.predict(current(), res.plan(current()))
    assert after.view["policy"] == POLICY and after.view["key_users"] == []


@pytest.mark.parametrize("state, options, message", [
    ({"in_use": ["k1"]}, {"key_users": ["alice"]}, "verified and applied to 1 key.*auto_push"),
    ({"in_use": ["k1", "k2"]}, {"state": "absent"}, "applied to 2 key.*cannot be deleted: k1, k2"),
])
def test_templates_in_use_are_protected(state, options, message):
    with pytest.raises(TemplateInUse, match=message):
        resource(**dict(state, **options)).plan(current(True))


@pytest.mark.parametrize("options, message", [
    ({"account_id": "12345", "kms": None}, "account_id: must be a 12-digit AWS account ID"),
    ({"kms": None, "key_users": ["a"]}, "neither kms nor account_id needs a policy"),
    ({"policy": POLICY, "key_users": ["a"]}, "mutually exclusive"),
])
def test_bad_options_fail_before_any_request(options, message):
    with pytest.raises(OptionError, match=message):
        TemplateResource(dict(OPTIONS, **options), client=None, warn=None)


class ListingClient:
    """A template list endpoint answering every query with the same records."""

    def __init__(self, records):
        self.records = records

    def paginate(self, path, params=None, page_size=None):
        return iter(self.records)


def test_saved_policies_listed_beside_templates_are_never_taken_for_one():
    """Fidelity review row 19: the list may hold policy_type saved_policy records with the same name."""
    saved = {"id": "11111111-1111-1111-1111-111111111111", "name": "t", "kms": "kms-id", "policy_type": "saved_policy"}
    template = {"id": "22222222-2222-2222-2222-222222222222", "name": "t", "kms": "kms-id", "policy_type": "template"}
    client = ListingClient([saved, template])
    key = {"kms": "aws-kms", "kms_id": "kms-id", "account_id": "111111111111"}
    assert TemplateChoice(client, "t", [key]).template == template
    assert find_template(client, dict(OPTIONS, kms="kms-id")) == template
    assert TemplateChoice(ListingClient([saved]), "t", [key]).missing


KEY_A = {"kms": "kms-a", "kms_id": "id-kms-a", "account_id": "111111111111"}
KEY_B = {"kms": "kms-b", "kms_id": "id-kms-b", "account_id": "222222222222"}
BY_KMS_A = {"id": "10000000-0000-0000-0000-00000000000a", "name": "payments", "kms": "id-kms-a", "kms_name": "kms-a"}
BY_ACCOUNT_A = {"id": "10000000-0000-0000-0000-00000000000b", "name": "payments", "account_id": "111111111111"}
BY_KMS_B = {"id": "10000000-0000-0000-0000-00000000000c", "name": "payments", "kms": "id-kms-b", "kms_name": "kms-b"}
GLOBAL = {"id": "10000000-0000-0000-0000-00000000000d", "name": "payments", "policy": {}}


@pytest.mark.parametrize("listed, keys, chosen", [
    ([BY_KMS_B, BY_KMS_A], [KEY_A], BY_KMS_A),            # the KMS of the key, not the first listed
    ([BY_KMS_B, BY_ACCOUNT_A], [KEY_A], BY_ACCOUNT_A),    # the account of the key
    ([GLOBAL, BY_KMS_B, BY_KMS_A], [KEY_A], BY_KMS_A),    # an unscoped template never applies to keys
    ([BY_KMS_A, BY_KMS_B], [KEY_B], BY_KMS_B),
])
def test_a_template_name_means_the_template_that_applies_to_the_keys(listed, keys, chosen):
    """Issue 21 #3: names are unique per scope only, so the key's scope decides which template a name means."""
    choice = TemplateChoice(ListingClient(listed), "payments", keys)
    assert choice.template == chosen and choice.id == chosen["id"]


def test_a_name_two_templates_in_the_keys_scope_share_is_ambiguous_and_lists_them():
    with pytest.raises(OptionError, match=r"2 policy templates named 'payments' apply to the keys .*0a for KMS kms-a.*0b for AWS account 1111"):
        TemplateChoice(ListingClient([BY_KMS_A, BY_ACCOUNT_A, BY_KMS_B]), "payments", [KEY_A])


def test_a_name_no_template_in_the_keys_scope_has_warns_in_check_mode_and_fails_before_a_write():
    choice = TemplateChoice(ListingClient([BY_KMS_B, GLOBAL]), "payments", [KEY_A])
    warnings = []
    choice.warn_if_missing(warnings.append)
    assert choice.missing and warnings == ["policy_template 'payments' does not exist yet; check mode assumes an earlier task creates it"]
    with pytest.raises(OptionError, match=r"no policy template named 'payments' applies to the keys; templates of that name: .*0c for KMS kms-b"):
        choice.require()


def test_keys_of_two_scopes_need_a_template_that_applies_to_both():
    choice = TemplateChoice(ListingClient([BY_KMS_A, BY_KMS_B]), "payments", [KEY_A, KEY_B])
    assert choice.missing
    with pytest.raises(OptionError, match="no policy template named 'payments' applies to the keys"):
        choice.require()
