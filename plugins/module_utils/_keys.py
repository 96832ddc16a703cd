# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS keys in CCKM: list filters and the flat view every key module returns."""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import AWS
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import TEMPLATE_TAG, alias_name, as_policy, tags_to_dict

KEYS_PATH = AWS + "/keys"

# Option name -> query parameter of GET /cckm/aws/keys (the API's own names).
LIST_FILTERS = {
    "id": "id",
    "keyid": "keyid",
    "arn": "arn",
    "alias": "alias",
    "kms": "kms",
    "kms_id": "kms_id",
    "region": "region",
    "enabled": "enabled",
    "gone": "gone",
    "tags": "tags",
    "keystate": "keystate",
    "key_material_origin": "key_material_origin",
    "cckm_policy_template_id": "cckm_policy_template_id",
    "multi_region": "multi_region",
    "sort": "sort",
}


def list_query(filters):
    """Query parameters for the given option values; None means "no filter"."""
    query = {}
    for option, param in LIST_FILTERS.items():
        value = filters.get(option)
        if value is None or value == []:
            continue
        if option == "alias":
            value = [alias_name(a) for a in value]
        query[param] = value
    return query


def matches(view, filters):
    """Re-check on our side what the server was asked to filter (CipherTrust ignores parameters it does not know)."""
    checks = (
        ("id", lambda wanted: view["id"] in wanted),
        ("keyid", lambda wanted: view["key_id"] in wanted),
        ("arn", lambda wanted: view["arn"] in wanted),
        ("alias", lambda wanted: bool({alias_name(a) for a in wanted} & set(view["aliases"]))),
        ("kms", lambda wanted: view["kms"] in wanted or view["kms_id"] in wanted),
        ("kms_id", lambda wanted: view["kms_id"] in wanted),
        ("region", lambda wanted: view["region"] in wanted),
        ("keystate", lambda wanted: view["key_state"] in wanted),
        ("enabled", lambda wanted: bool(view["enabled"]) == wanted),
        ("gone", lambda wanted: bool(view["gone"]) == wanted),
        ("multi_region", lambda wanted: bool(view["multi_region"]) == wanted),
        ("tags", lambda wanted: all(_all_tags(view).get(k) == str(v) for k, v in wanted.items())),
        ("cckm_policy_template_id", lambda wanted: view["policy_template_id"] == wanted),
    )
    return all(check(filters[name]) for name, check in checks if filters.get(name) not in (None, []))


def key_view(record):
    """The flat, normalised view of a CCKM key record (aliases without prefix, tags as a dict)."""
    aws = record.get("aws_param") or {}
    all_tags = tags_to_dict(aws.get("Tags"))
    aliases = [alias_name(a) for a in aws.get("Alias") or []]
    multi = aws.get("MultiRegionConfiguration") or {}
    return {
        "id": record.get("id"),
        "kms": record.get("kms"),
        "kms_id": record.get("kms_id"),
        "region": record.get("region"),
        "account_id": aws.get("AWSAccountId"),
        "key_id": aws.get("KeyID"),
        "arn": aws.get("Arn"),
        "alias": aliases[0] if aliases else None,
        "aliases": aliases,
        "description": aws.get("Description"),
        "enabled": aws.get("Enabled"),
        "key_state": aws.get("KeyState"),
        "key_usage": aws.get("KeyUsage"),
        "key_spec": aws.get("KeySpec") or aws.get("CustomerMasterKeySpec"),
        "origin": aws.get("Origin"),
        "multi_region": bool(aws.get("MultiRegion")),
        "multi_region_key_type": multi.get("MultiRegionKeyType"),
        "primary_region": (multi.get("PrimaryKey") or {}).get("Region"),
        "replica_regions": sorted(r.get("Region") for r in multi.get("ReplicaKeys") or [] if r.get("Region")),
        "tags": {k: v for k, v in all_tags.items() if k != TEMPLATE_TAG},
        "policy_template_id": all_tags.get(TEMPLATE_TAG),
        "policy": as_policy(aws.get("Policy")),
        "auto_rotation": aws.get("KeyRotationEnabled"),
        "rotation_period_days": aws.get("RotationPeriodInDays"),
        "deletion_date": record.get("deletion_date") or aws.get("DeletionDate") or None,
        "gone": bool(record.get("gone")),
        "key_material_origin": record.get("key_material_origin"),
    }


def _all_tags(view):
    """User tags plus CCKM's own template tag, as stored on the AWS key."""
    if view["policy_template_id"] is None:
        return view["tags"]
    return dict(view["tags"], **{TEMPLATE_TAG: view["policy_template_id"]})


def list_keys(client, filters, include_resource=False):
    """All keys matching ``filters`` as views (plus the API record when asked), read in large pages."""
    found = []
    for record in client.paginate(KEYS_PATH, list_query(filters)):
        view = key_view(record)
        if matches(view, filters):
            if include_resource:
                view["resource"] = record
            found.append(view)
    return found
