# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The read model of AWS keys: the flat view every key module returns, list filters, and key lookups.

The first of the four layers of AWS keys in CCKM (this package): ``read`` (views and lookups), ``desired``
(options -> desired state), ``plan`` (pure: current + desired -> actions, predict) and ``apply`` (send the
actions; the aws_key Resource). Each layer imports only the ones before it; ``__init__.py`` stays empty
(ansible-core 2.16's empty-init sanity test).

Imported by aws_key, aws_key_info, aws_key_bulk and aws_sync. Must not import the planning or applying
layers of keys, nor any other resource.
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import (
    POLICY_LISTS, TEMPLATE_TAG, alias_name, as_policy, looks_like_id, tags_to_dict,
)

# Option name -> query parameter of the key list (_api.LIST_KEYS; the API's own names).
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
    "job_config_id": "job_config_id",
    "rotation_job_enabled": "rotation_job_enabled",
    "sort": "sort",
}


def list_query(filters):
    """Query parameters for the given option values; None means "no filter".

    ``kms`` takes names or IDs from users, but the list filter ``kms`` matches the KMS *name* and ``kms_id`` its
    ID (DOC aws-api-fetch; fidelity review row 1): IDs go to ``kms_id``. Given both kinds, neither is sent and
    ``matches`` selects (it checks name and ID alike).
    Filters are sent with one value each: the API types them as strings (DOC aws-api-fetch) and no source shows
    repeated values being ORed (row 14). Given several values, that filter is left to ``matches``.
    """
    query = {}
    for option, param in LIST_FILTERS.items():
        value = filters.get(option)
        if value is None or value == []:
            continue
        if option == "alias":
            value = [alias_name(a) for a in value]
        query[param] = value
    if query.get("kms") and "kms_id" not in query:
        ids = [ref for ref in query["kms"] if looks_like_id(ref)]
        if ids:
            del query["kms"]
            if len(ids) == len(filters["kms"]):
                query["kms_id"] = ids
    return {param: value[0] if isinstance(value, list) else value for param, value in query.items()
            if not isinstance(value, list) or len(value) == 1}


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
        ("key_material_origin", lambda wanted: view["key_material_origin"] in wanted),
        ("enabled", lambda wanted: bool(view["enabled"]) == wanted),
        ("gone", lambda wanted: bool(view["gone"]) == wanted),
        ("multi_region", lambda wanted: bool(view["multi_region"]) == wanted),
        ("tags", lambda wanted: all(_all_tags(view).get(k) == str(v) for k, v in wanted.items())),
        ("cckm_policy_template_id", lambda wanted: view["policy_template_id"] == wanted),
        # a detached key may keep a stale job_config_id (FIDELITY.md rotation_job_record): the view's attachment decides
        ("job_config_id", lambda wanted: view["rotation_job_id"] == wanted),
        ("rotation_job_enabled", lambda wanted: (view["rotation_job_id"] is not None) == wanted),
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
        "rotation_job_id": rotation_job_of(record),
        "rotation_job_disable_encrypt": bool(record.get("disable_encrypt_on_auto_rotate")) if rotation_job_of(record) else None,
    }


def rotation_job_of(record):
    """The ID of the rotation schedule (scheduler job configuration) a key is attached to, or None.

    DOC res-params-klcm: key records carry ``job_config_id``. Whether a detach clears it or leaves it beside
    ``rotation_job_enabled: false`` is unknown (FIDELITY.md rotation_job_record): a key is attached when the id is set
    and ``rotation_job_enabled``, when the record has it, is not false.
    """
    job_id = record.get("job_config_id") or None
    if job_id is None or record.get("rotation_job_enabled") is False:
        return None
    return job_id


def managed_view(record):
    """``key_view`` plus the policy lists CCKM recorded on the key (sorted): what aws_key plans from and returns."""
    if not record:
        return None
    view = key_view(record)
    for name in POLICY_LISTS:
        view[name] = sorted(record.get(name) or [])
    view["rotated_at"] = record.get("rotated_at") or None
    return view


def key_state(record):
    return (record.get("aws_param") or {}).get("KeyState")


def _all_tags(view):
    """User tags plus CCKM's own template tag, as stored on the AWS key."""
    if view["policy_template_id"] is None:
        return view["tags"]
    return dict(view["tags"], **{TEMPLATE_TAG: view["policy_template_id"]})


def list_records(client, query):
    """Every key record a list query returns (large pages)."""
    return _api.LIST_KEYS.pages(client, query)


def list_keys(client, filters, include_record=False):
    """All keys matching ``filters`` as views (plus the API record when asked), read in large pages."""
    found = []
    for record in list_records(client, list_query(filters)):
        view = key_view(record)
        if matches(view, filters):
            if include_record:
                view["record"] = record
            found.append(view)
    return found


def _first_live(records):
    """The first record that still exists in AWS, else the first one."""
    live = [r for r in records if not r.get("gone")]
    return (live or records or [None])[0]


def find_key(client, key_id=None, kms=None, region=None, alias=None):
    """The CCKM record of one key, or None: by CCKM id (GET), AWS key id or ARN (filter), or kms+region+alias (one list)."""
    if key_id is not None:
        if looks_like_id(key_id):  # a CCKM id, or else an AWS key id (both are UUIDs)
            record = _api.GET_KEY(client, key_id)
            if record is not None:
                return record
        filters = {"arn" if key_id.startswith("arn:") else "keyid": [key_id]}
    else:
        filters = {"alias": [alias]}
    if kms is not None:
        filters["kms"] = [kms]
    if region is not None:
        filters["region"] = [region]
    found = [view["record"] for view in list_keys(client, filters, include_record=True)]
    if key_id is not None and not key_id.startswith("arn:") and region is None:
        found.sort(key=lambda r: ((r.get("aws_param") or {}).get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType") == "REPLICA")
    return _first_live(found)


def keys_using_template(client, template_id):
    """CCKM ids of the live keys a policy template is applied to (CCKM tags them with cckm_policy_template_id)."""
    return sorted(record["id"] for record in list_records(client, {TEMPLATE_TAG: template_id}) if not record.get("gone"))


def subject(view):
    """A key in messages: ``alias/app (id)``, or its id."""
    if not view:
        return None
    alias = view.get("alias")
    return "alias/%s (%s)" % (alias, view.get("id")) if alias else str(view.get("id"))
