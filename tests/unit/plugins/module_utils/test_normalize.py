"""Policy normalisation, tag comparison and alias canonicalisation."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import alias_name, canonical_policy, compare_tags, policies_differ

BASE = {
    "Version": "2012-10-17",
    "Id": "p",
    "Statement": [
        {"Sid": "a", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "b", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:user/x", "arn:aws:iam::1:user/y"]},
         "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    ],
}

SAME = [
    ("json string with other whitespace and key order",
     '{"Statement": [{"Resource": "*", "Action": "kms:*", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Effect": "Allow", "Sid": "a"},'
     '  {"Sid": "b", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:user/y", "arn:aws:iam::1:user/x"]},'
     '   "Action": ["kms:Decrypt", "kms:Encrypt"], "Resource": ["*"], "Condition": {"Bool": {"kms:GrantIsForAWSResource": ["true"]}}}],'
     ' "Id": "p", "Version": "2012-10-17"}'),
    ("one-element lists and statement order", dict(BASE, Statement=[
        BASE["Statement"][1],
        {"Sid": "a", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root"]}, "Action": ["kms:*"], "Resource": ["*"]}])),
    ("missing Version", {k: v for k, v in BASE.items() if k != "Version"}),
]


@pytest.mark.parametrize("other", [s[1] for s in SAME[:3]], ids=[s[0] for s in SAME[:3]])
def test_equivalent_policies_do_not_differ(other):
    assert not policies_differ(BASE, other)
    assert not policies_differ(other, BASE)


def test_single_statement_object_equals_list():
    one = {"Version": "2012-10-17", "Statement": BASE["Statement"][0]}
    assert not policies_differ(one, dict(one, Statement=[BASE["Statement"][0]]))
    assert canonical_policy(one)["Statement"][0]["Action"] == ["kms:*"]


@pytest.mark.parametrize("other", [
    dict(BASE, Statement=BASE["Statement"][:1]),
    dict(BASE, Version="2008-10-17"),
    dict(BASE, Statement=[dict(BASE["Statement"][0], Effect="Deny"), BASE["Statement"][1]]),
    dict(BASE, Statement=[dict(BASE["Statement"][0], Action=["kms:*", "kms:Decrypt"]), BASE["Statement"][1]]),
    None,
], ids=["statement removed", "other version", "effect", "action added", "no policy"])
def test_real_changes_differ(other):
    assert policies_differ(BASE, other)


@pytest.mark.parametrize("current,desired,purge,expected", [
    ({"a": "1"}, None, True, ({}, [])),
    ({"a": "1", "b": "2"}, {"a": "1"}, True, ({}, ["b"])),
    ({"a": "1", "b": "2"}, {"a": "1"}, False, ({}, [])),
    ({"a": "1"}, {"a": "2", "c": 3}, True, ({"a": "2", "c": "3"}, [])),
    ({"a": "1", "cckm_policy_template_id": "t"}, {}, True, ({}, ["a"])),
    ([{"TagKey": "a", "TagValue": "1"}, {"TagKey": "cckm_policy_template_id", "TagValue": "t"}], {"cckm_policy_template_id": "x"}, True,
     ({}, ["a"])),
], ids=["unmanaged", "purge", "no purge", "set and stringify", "template tag kept", "template tag never set"])
def test_compare_tags(current, desired, purge, expected):
    assert compare_tags(current, desired, purge) == expected


def test_alias_name_strips_prefix_once():
    assert alias_name("alias/app") == "app" and alias_name("app") == "app" and alias_name("alias/alias/x") == "alias/x"


ROOT = {"Version": "2012-10-17", "Statement": [{"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                                                "Action": "kms:*", "Resource": "*"}]}


@pytest.mark.parametrize("given, returned", [
    # fidelity review row 12: AWS stores and returns canonical forms of what was sent
    ({"Principal": {"AWS": "123456789012"}}, {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}),
    ({"Principal": {"AWS": ["123456789012", "arn:aws:iam::210987654321:role/ops"]}},
     {"Principal": {"AWS": ["arn:aws:iam::210987654321:role/ops", "arn:aws:iam::123456789012:root"]}}),
    ({"Principal": "*"}, {"Principal": {"AWS": "*"}}),
    ({"Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}}, {"Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}}),
    ({"Condition": {"NumericLessThan": {"kms:ValidTo": 10}}}, {"Condition": {"NumericLessThan": {"kms:ValidTo": "10"}}}),
    ({"Principal": {"AWS": "arn:aws-us-gov:iam::123456789012:root"}}, {"Principal": {"AWS": "123456789012"}}),
])
def test_the_forms_aws_returns_mean_the_same_policy(given, returned):
    def policy(changes):
        return {"Version": "2012-10-17", "Statement": [dict(ROOT["Statement"][0], **changes)]}
    assert not policies_differ(policy(given), policy(returned))
    assert not policies_differ(policy(returned), policy(given))


@pytest.mark.parametrize("left, right", [
    ({"Principal": {"AWS": "123456789012"}}, {"Principal": {"AWS": "210987654321"}}),
    ({"Principal": {"AWS": "123456789012"}}, {"Principal": {"AWS": "arn:aws:iam::123456789012:user/root"}}),
    ({"Condition": {"Bool": {"kms:GrantIsForAWSResource": True}}}, {"Condition": {"Bool": {"kms:GrantIsForAWSResource": "false"}}}),
])
def test_other_principals_and_condition_values_still_differ(left, right):
    def policy(changes):
        return {"Version": "2012-10-17", "Statement": [dict(ROOT["Statement"][0], **changes)]}
    assert policies_differ(policy(left), policy(right))
