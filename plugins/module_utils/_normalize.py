# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Conversions between CipherTrust's wire shapes and the plain values users write in playbooks."""

from __future__ import annotations

import json
import re

TEMPLATE_TAG = "cckm_policy_template_id"
# The IAM lists CCKM generates a key policy from (keys and templates alike).
POLICY_LISTS = ("key_admins", "key_admins_roles", "key_users", "key_users_roles", "external_accounts")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ACCOUNT_ID = re.compile(r"[0-9]{12}")  # not \d: it also matches other scripts' digits
ALIAS_PREFIX = "alias/"


def looks_like_id(value):
    """True for a UUID: CCKM ids (and AWS key ids) look like this, names and aliases do not."""
    return bool(_UUID.fullmatch(str(value or "")))  # not match(): "$" also matches before a trailing newline


def looks_like_account_id(value):
    """True for an AWS account ID: exactly 12 ASCII digits."""
    return bool(_ACCOUNT_ID.fullmatch(str(value or "")))


def alias_name(alias):
    """``alias/app1`` and ``app1`` are the same alias; return it without the prefix."""
    if alias is None:
        return None
    alias = str(alias).strip()
    return alias[len(ALIAS_PREFIX):] if alias.startswith(ALIAS_PREFIX) else alias


def tags_to_dict(tags):
    """``[{TagKey, TagValue}]`` (or ``tag_key``/``tag_value``, or a dict) -> ``{key: value}``."""
    if isinstance(tags, dict):
        return {str(k): "" if v is None else str(v) for k, v in tags.items()}
    result = {}
    for tag in tags or []:
        key = tag.get("TagKey", tag.get("tag_key"))
        if key is not None:
            value = tag.get("TagValue", tag.get("tag_value"))
            result[str(key)] = "" if value is None else str(value)
    return result


def as_policy(policy):
    """A key policy as a dict, whether the API gave an object or a JSON string."""
    if isinstance(policy, str):
        try:
            return json.loads(policy) if policy.strip() else None
        except ValueError:
            return policy
    return policy


# Policy elements whose value may be one string or a list of strings (same meaning).
_LISTISH = ("Action", "NotAction", "Resource", "NotResource")
# AWS answers a principal account ID with its root ARN (and keeps either form as given): the same principal.
_ROOT_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):root")


def _policy_value(value):
    """A scalar of a policy as AWS compares it: JSON booleans and numbers are the strings AWS returns."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_sorted_list(value):
    values = value if isinstance(value, list) else [value]
    return sorted(set(_policy_value(v) for v in values))


def _principal_id(value):
    """``arn:aws:iam::123456789012:root`` and ``123456789012`` name the same principal."""
    match = _ROOT_ARN.fullmatch(value)
    return match.group(1) if match else value


def _canonical_principal(principal):
    if principal == "*":  # AWS treats "*" and {"AWS": "*"} alike (amazon.aws policy.py does too)
        principal = {"AWS": "*"}
    if isinstance(principal, dict):
        return {str(k): sorted(set(_principal_id(v) for v in _as_sorted_list(v))) for k, v in principal.items()}
    return principal


def _canonical_condition(condition):
    if not isinstance(condition, dict):
        return condition
    return {op: {k: _as_sorted_list(v) for k, v in (values or {}).items()} if isinstance(values, dict) else values
            for op, values in condition.items()}


def _canonical_statement(statement):
    if not isinstance(statement, dict):
        return statement
    result = {}
    for name, value in statement.items():
        if name in _LISTISH:
            value = _as_sorted_list(value)
        elif name in ("Principal", "NotPrincipal"):
            value = _canonical_principal(value)
        elif name == "Condition":
            value = _canonical_condition(value)
        result[name] = value
    return result


def canonical_policy(policy):
    """A key policy in one canonical form: parsed, statements as a sorted list, string-or-list values as sorted lists."""
    policy = as_policy(policy)
    if not isinstance(policy, dict):
        return policy
    result = dict(policy)
    statements = result.get("Statement")
    if statements is not None:
        if not isinstance(statements, list):
            statements = [statements]
        result["Statement"] = sorted((_canonical_statement(s) for s in statements),
                                     key=lambda s: json.dumps(s, sort_keys=True))
    return result


def policies_differ(current, desired):
    """True when two key policies (dicts or JSON strings) mean different things.

    Key order, whitespace, statement order, a single string versus a one-element list (Action, Resource,
    Principal values, condition values) do not count; nor do the forms AWS gives back for the same meaning
    (fidelity review row 12, as amazon.aws' policy.py compares them): an account ID versus its root ARN,
    ``"*"`` versus ``{"AWS": "*"}``, ``true``/``1`` versus ``"true"``/``"1"`` in conditions. A ``Version``
    missing on either side is not compared.
    """
    left, right = canonical_policy(current), canonical_policy(desired)
    if isinstance(left, dict) and isinstance(right, dict) and ("Version" not in left or "Version" not in right):
        left = {k: v for k, v in left.items() if k != "Version"}
        right = {k: v for k, v in right.items() if k != "Version"}
    return left != right


def compare_tags(current, desired, purge):
    """(tags to set as a dict, tag keys to unset as a sorted list) to go from ``current`` to ``desired``.

    ``desired`` None means tags are unmanaged. CCKM's own ``cckm_policy_template_id`` tag is never unset
    (nor set from here).
    """
    current = tags_to_dict(current)
    if desired is None:
        return {}, []
    desired = {k: v for k, v in tags_to_dict(desired).items() if k != TEMPLATE_TAG}
    to_set = {k: v for k, v in desired.items() if current.get(k) != v}
    to_unset = sorted(k for k in current if purge and k not in desired and k != TEMPLATE_TAG)
    return to_set, to_unset
