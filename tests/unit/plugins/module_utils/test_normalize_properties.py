"""Property-based tests for _normalize: the invariants that make key, template and bulk runs idempotent.

The Hypothesis profile (derandomized, no example database) is set in tests/unit/conftest.py.
"""

import json
import string
import uuid

import pytest
from hypothesis import assume, given, strategies as st

from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import (
    ALIAS_PREFIX, TEMPLATE_TAG, alias_name, as_policy, canonical_policy, compare_tags, looks_like_id, policies_differ, tags_to_dict,
)

# ---------------------------------------------------------------- strategies

WHITESPACE = st.text(" \t\r\n", max_size=3)
# What the modules accept as an alias name (desired_from_params) and AWS returns after the prefix.
ALIAS_NAMES = st.text(string.ascii_letters + string.digits + "/_-", min_size=1, max_size=20).filter(lambda n: not n.startswith(ALIAS_PREFIX))

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=8)
JSON_OBJECTS = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4)

TAG_KEYS = st.sampled_from(["a", "b", "team", "env", TEMPLATE_TAG]) | st.text(max_size=6)
TAG_VALUES = st.sampled_from(["", "1", "2", "x"]) | st.text(max_size=6)
TAG_DICTS = st.dictionaries(TAG_KEYS, TAG_VALUES, max_size=6)
RANDOMS = st.randoms(use_true_random=True)

ACTIONS = ["kms:*", "kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey*"]
PRINCIPALS = ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/app", "arn:aws:iam::444455556666:user/ops"]
SERVICES = ["logs.amazonaws.com", "s3.amazonaws.com"]
RESOURCES = ["*", "arn:aws:kms:eu-west-1:111122223333:key/k1"]
CONDITION_OPS = ["Bool", "StringEquals", "StringLike"]
CONDITION_KEYS = ["kms:GrantIsForAWSResource", "kms:ViaService", "kms:CallerAccount"]
CONDITION_VALUES = ["true", "false", "ec2.eu-west-1.amazonaws.com", "111122223333"]
# Values the generator never produces, so adding one is always a real change.
NEW_ACTION, NEW_PRINCIPAL, NEW_RESOURCE = "kms:ReplicateKey", "arn:aws:iam::999999999999:root", "arn:aws:kms:us-east-1:999999999999:key/new"


def _values(choices):
    """Distinct values in sorted order: the generated policy has one structural form per meaning."""
    return st.lists(st.sampled_from(choices), min_size=1, max_size=3, unique=True).map(sorted)


_PRINCIPAL = st.just("*") | st.fixed_dictionaries({"AWS": _values(PRINCIPALS)}, optional={"Service": _values(SERVICES)})
_CONDITION_BLOCK = st.dictionaries(st.sampled_from(CONDITION_KEYS), _values(CONDITION_VALUES), min_size=1, max_size=2)
_CONDITION = st.dictionaries(st.sampled_from(CONDITION_OPS), _CONDITION_BLOCK, min_size=1, max_size=2)
STATEMENTS = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"])},
    optional={"Sid": st.sampled_from(["Enable IAM policies", "Allow use", "s3"]), "Principal": _PRINCIPAL, "NotPrincipal": _PRINCIPAL,
              "Action": _values(ACTIONS), "NotAction": _values(ACTIONS), "Resource": _values(RESOURCES), "NotResource": _values(RESOURCES),
              "Condition": _CONDITION})
POLICIES = st.fixed_dictionaries(
    {"Statement": st.lists(STATEMENTS, min_size=1, max_size=4, unique_by=lambda s: json.dumps(s, sort_keys=True))},
    optional={"Version": st.sampled_from(["2012-10-17", "2008-10-17"]), "Id": st.sampled_from(["key-default-1", "key-consolepolicy-3"])})


# The reshuffling below uses one seeded Random per example (st.randoms()): far cheaper than a Hypothesis draw per choice.

def _shuffled(rnd, mapping):
    keys = list(mapping)
    rnd.shuffle(keys)
    return {k: mapping[k] for k in keys}


def _list_or_string(rnd, values):
    """The same values in any order; a single value as a plain string or a one-element list (same meaning per the docstring)."""
    values = rnd.sample(values, len(values))
    return values[0] if len(values) == 1 and rnd.random() < 0.5 else values


def _reformat_statement(rnd, statement):
    result = {}
    for name, value in statement.items():
        if name in ("Action", "NotAction", "Resource", "NotResource"):
            value = _list_or_string(rnd, value)
        elif name in ("Principal", "NotPrincipal") and isinstance(value, dict):
            value = _shuffled(rnd, {k: _list_or_string(rnd, v) for k, v in value.items()})
        elif name == "Condition":
            value = _shuffled(rnd, {op: _shuffled(rnd, {k: _list_or_string(rnd, v) for k, v in values.items()}) for op, values in value.items()})
        result[name] = value
    return _shuffled(rnd, result)


def reformatted(rnd, policy, may_drop_version=False):
    """``policy`` with only the differences policies_differ() promises to ignore, as a dict or as JSON text."""
    twin = dict(policy)
    statements = [_reformat_statement(rnd, s) for s in rnd.sample(policy["Statement"], len(policy["Statement"]))]
    twin["Statement"] = statements[0] if len(statements) == 1 and rnd.random() < 0.5 else statements
    if may_drop_version and rnd.random() < 0.5:
        twin.pop("Version", None)
    twin = _shuffled(rnd, twin)
    if rnd.random() < 0.5:
        return twin
    text = json.dumps(twin, indent=rnd.choice([None, 0, 2, "\t"]), separators=rnd.choice([(",", ":"), (", ", ": "), (" , ", " : ")]),
                      sort_keys=rnd.random() < 0.5, ensure_ascii=rnd.random() < 0.5)
    return rnd.choice(["", " ", "\n"]) + text + rnd.choice(["", "\n", " \t\r\n"])


@st.composite
def changed(draw, policy):
    """``policy`` with one change that is none of the exemptions policies_differ() documents."""
    policy = json.loads(json.dumps(policy))
    statements = policy["Statement"]
    statement = statements[draw(st.integers(0, len(statements) - 1))]
    kinds = ["effect", "action", "resource", "principal", "condition", "id", "add statement"]
    kinds += ["version"] if "Version" in policy else []
    kinds += ["drop statement"] if len(statements) > 1 else []
    kind = draw(st.sampled_from(kinds))
    if kind == "effect":
        statement["Effect"] = "Deny" if statement["Effect"] == "Allow" else "Allow"
    elif kind == "action":
        name = draw(st.sampled_from(["Action", "NotAction"]))
        statement[name] = statement.get(name, []) + [NEW_ACTION]
    elif kind == "resource":
        name = draw(st.sampled_from(["Resource", "NotResource"]))
        statement[name] = draw(st.sampled_from([statement.get(name, []) + [NEW_RESOURCE], [NEW_RESOURCE]]))
    elif kind == "principal":
        statement["Principal"] = {"AWS": [NEW_PRINCIPAL]}
    elif kind == "condition":
        statement["Condition"] = dict(statement.get("Condition") or {}, NumericLessThan={"kms:RecipientAttestation:ImageSha384": ["1"]})
    elif kind == "id":
        policy["Id"] = "changed-id"
    elif kind == "add statement":
        statements.append({"Effect": "Allow", "Principal": {"AWS": [NEW_PRINCIPAL]}, "Action": [NEW_ACTION], "Resource": ["*"]})
    elif kind == "version":
        policy["Version"] = "2012-10-17" if policy["Version"] == "2008-10-17" else "2008-10-17"
    else:
        statements.remove(statement)
    return policy


def _wire_tags(rnd, tags):
    """``tags`` in the list shapes CCKM uses: ``TagKey``/``TagValue`` (key records) or ``tag_key``/``tag_value`` (add-tags bodies)."""
    entries = []
    for key in rnd.sample(list(tags), len(tags)):
        key_name, value_name = rnd.choice([("TagKey", "TagValue"), ("tag_key", "tag_value")])
        entry = {key_name: key}
        if tags[key] is not None or rnd.random() < 0.5:
            entry[value_name] = tags[key]  # a None value may also be left out
        entries.append(entry)
    return entries


def _is_json(text):
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- alias_name

@given(name=ALIAS_NAMES, before=WHITESPACE, after=WHITESPACE)
def test_alias_prefix_is_optional(name, before, after):
    """A user's ``app`` or ``alias/app`` must match the ``alias/app`` AWS reports, or every run would re-create the alias."""
    assert alias_name(name) == name
    assert alias_name(ALIAS_PREFIX + name) == name
    assert alias_name(before + ALIAS_PREFIX + name + after) == name
    assert alias_name(alias_name(ALIAS_PREFIX + name)) == name


@given(st.text())
def test_alias_name_is_idempotent_on_its_results(text):
    """Normalising twice is harmless whenever the result is a plain, trimmed name (``alias/alias/x`` is stripped once, by design)."""
    result = alias_name(text)
    assume(result == result.strip() and not result.startswith(ALIAS_PREFIX))
    assert alias_name(result) == result
    assert alias_name(ALIAS_PREFIX + result) == result


def test_alias_name_of_none_is_none():
    assert alias_name(None) is None


# ---------------------------------------------------------------- tags_to_dict

@given(st.dictionaries(TAG_KEYS, st.none() | TAG_VALUES, max_size=6), RANDOMS)
def test_tags_round_trip_through_every_wire_shape(tags, rnd):
    """Key records carry ``[{TagKey, TagValue}]``, add-tags bodies ``[{tag_key, tag_value}]``, options a dict: all read the same."""
    expected = {k: "" if v is None else v for k, v in tags.items()}
    wire = _wire_tags(rnd, tags)
    assert tags_to_dict(wire) == expected
    assert tags_to_dict(tags) == expected
    assert tags_to_dict(tags_to_dict(wire)) == expected
    assert tags_to_dict([{"TagKey": k, "TagValue": v} for k, v in sorted(expected.items())]) == expected  # what create sends


@given(st.dictionaries(st.text(max_size=5), st.none() | st.booleans() | st.integers() | st.text(max_size=5), max_size=5))
def test_tag_values_become_strings(tags):
    """AWS tag values are strings; comparing ``3`` with ``"3"`` must not report a change."""
    expected = {k: "" if v is None else str(v) for k, v in tags.items()}
    assert tags_to_dict(tags) == expected
    assert tags_to_dict([{"TagKey": k, "TagValue": v} for k, v in tags.items()]) == expected


@given(TAG_DICTS, st.lists(st.sampled_from([{}, {"TagKey": None, "TagValue": "v"}, {"TagValue": "v"}, {"tag_value": "v"}]), max_size=3), RANDOMS)
def test_tag_entries_without_a_key_are_ignored(tags, keyless, rnd):
    wire = _wire_tags(rnd, tags) + keyless
    rnd.shuffle(wire)
    assert tags_to_dict(wire) == tags


@pytest.mark.parametrize("empty", [None, [], {}])
def test_no_tags_is_an_empty_dict(empty):
    assert tags_to_dict(empty) == {}


# ---------------------------------------------------------------- as_policy

@given(JSON_OBJECTS, st.sampled_from([None, 0, 2]), st.booleans(), WHITESPACE, WHITESPACE)
def test_as_policy_parses_json_text_and_keeps_objects(policy, indent, sort_keys, before, after):
    """The API returns policies as JSON text or as objects; both must give the same dict."""
    text = before + json.dumps(policy, indent=indent, sort_keys=sort_keys) + after
    assert as_policy(text) == policy
    assert as_policy(as_policy(text)) == policy
    assert as_policy(policy) is policy


@given(st.text(" \t\r\n\x0b\x0c"))
def test_blank_policy_text_is_no_policy(text):
    assert as_policy(text) is None


@given(st.text().filter(lambda t: t.strip() and not _is_json(t)))
def test_unparseable_policy_text_is_kept(text):
    """Not JSON: returned as is, so the caller can report it (desired_content) instead of crashing."""
    assert as_policy(text) == text


# ---------------------------------------------------------------- canonical_policy / policies_differ

@given(POLICIES, RANDOMS)
def test_canonical_policy_ignores_formatting(policy, rnd):
    """JSON text vs dict, key order, whitespace, statement order, single value vs list: one canonical form."""
    twin = reformatted(rnd, policy)
    assert canonical_policy(twin) == canonical_policy(policy)


@given(POLICIES)
def test_canonical_policy_is_idempotent(policy):
    canonical = canonical_policy(policy)
    assert canonical_policy(canonical) == canonical
    assert canonical_policy(json.dumps(canonical)) == canonical
    assert isinstance(canonical["Statement"], list)
    for statement in canonical["Statement"]:
        for name in ("Action", "NotAction", "Resource", "NotResource"):
            if name in statement:
                assert statement[name] == sorted(set(statement[name]))


@given(POLICIES, RANDOMS)
def test_reformatted_policy_does_not_differ(policy, rnd):
    """What CCKM returns after a put is the same policy reformatted; reporting a change would break idempotence."""
    left = reformatted(rnd, policy, may_drop_version=True)
    right = reformatted(rnd, policy, may_drop_version=True)
    assert not policies_differ(policy, left)
    assert not policies_differ(left, policy)
    assert not policies_differ(left, right)


@given(POLICIES, st.data(), RANDOMS)
def test_real_policy_change_differs(policy, data, rnd):
    """Anything outside the documented exemptions is a change, however the two sides are formatted."""
    other = data.draw(changed(policy))
    twin = reformatted(rnd, other)
    assert policies_differ(policy, other)
    assert policies_differ(policy, twin)
    assert policies_differ(twin, policy)


_ANY_POLICY = (POLICIES | JSON_OBJECTS | st.fixed_dictionaries({"Statement": JSON_VALUES}) | st.none()
               | JSON_OBJECTS.map(json.dumps) | st.text().filter(lambda t: not _is_json(t)))


@given(_ANY_POLICY, _ANY_POLICY)
def test_policies_differ_is_reflexive_and_symmetric(left, right):
    """Also for malformed input: the comparison must never depend on which side is "current"."""
    assert not policies_differ(left, left)
    assert policies_differ(left, right) == policies_differ(right, left)


@given(POLICIES)
def test_policy_differs_from_no_policy(policy):
    assert policies_differ(policy, None)
    assert policies_differ(None, json.dumps(policy))


# ---------------------------------------------------------------- compare_tags

def _apply(current, to_set, to_unset):
    result = dict(current)
    result.update(to_set)
    for key in to_unset:
        assert key in result, "removing a tag the key does not have"
        del result[key]
    return result


@given(TAG_DICTS, TAG_DICTS, st.booleans(), RANDOMS)
def test_compare_tags_gives_exactly_the_needed_changes(current, desired, purge, rnd):
    """Applying the result reaches the desired tags (all, or merged without purge); CCKM's template tag is left alone."""
    wanted = {k: v for k, v in desired.items() if k != TEMPLATE_TAG}
    expected = dict(wanted) if purge else dict(current, **wanted)
    if TEMPLATE_TAG in current:
        expected[TEMPLATE_TAG] = current[TEMPLATE_TAG]
    current_in = rnd.choice([current, _wire_tags(rnd, current)])
    to_set, to_unset = compare_tags(current_in, desired, purge)

    assert _apply(current, to_set, to_unset) == expected
    assert all(current.get(k) != v and wanted.get(k) == v for k, v in to_set.items())  # nothing set that is already right
    assert to_unset == sorted(set(to_unset)) and not set(to_unset) & set(wanted) and TEMPLATE_TAG not in to_unset
    assert purge or not to_unset
    assert compare_tags(_apply(current, to_set, to_unset), desired, purge) == ({}, [])  # converged: the next run is a no-op


@given(TAG_DICTS, st.booleans())
def test_unmanaged_tags_need_no_change(current, purge):
    assert compare_tags(current, None, purge) == ({}, [])


# ---------------------------------------------------------------- looks_like_id

@given(st.uuids(), st.sampled_from([str, str.upper, str.lower]))
def test_uuids_look_like_ids(value, case):
    assert looks_like_id(case(str(value)))
    assert looks_like_id(value)


def _is_canonical_uuid_text(text):
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


@st.composite
def near_uuids(draw):
    """UUID text with one edit: the inputs most likely to be misclassified."""
    text = str(draw(st.uuids()))
    position = draw(st.integers(0, len(text)))
    return draw(st.sampled_from([
        text + "\n", text + " ", " " + text, "\n" + text, "{%s}" % text, "urn:uuid:" + text, text.replace("-", ""),
        text[:position] + text[position + 1:], text[:position] + draw(st.characters()) + text[position:],
    ]))


@given(st.text() | near_uuids())
def test_only_uuid_text_looks_like_an_id(text):
    """Names, aliases and ARNs must not be taken for ids, or lookups would query the wrong field."""
    assert looks_like_id(text) == _is_canonical_uuid_text(text)


@pytest.mark.parametrize("value", ["12345678-1234-1234-1234-123456789abc\n", "", None, 0, "alias/12345678-1234-1234-1234-123456789abc"])
def test_not_ids(value):
    """Regression: a trailing newline (e.g. from a YAML block scalar) used to pass, because ``$`` matches before it."""
    assert not looks_like_id(value)
