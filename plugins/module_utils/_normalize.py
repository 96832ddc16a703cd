# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Conversions between CipherTrust's wire shapes and the plain values users write in playbooks."""

from __future__ import annotations

import json

TEMPLATE_TAG = "cckm_policy_template_id"
ALIAS_PREFIX = "alias/"


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
