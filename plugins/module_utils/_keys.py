# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS keys in CCKM: list filters and the flat view every key module returns."""

from __future__ import annotations

import json
import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import PENDING_WINDOW_DAYS, check_range
from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import AWS, path_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import Conflict, NotFound, OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import resolve_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import (
    POLICY_LISTS, TEMPLATE_TAG, alias_name, as_policy, compare_tags, looks_like_id, policies_differ, tags_to_dict,
)
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter

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


# -- aws_key: desired state, lookup, plan, predict, apply ----------------------------------------------

TEMPLATES_PATH = AWS + "/templates"
PENDING_DELETION = ("PendingDeletion", "PendingReplicaDeletion")
CREATING = ("Creating",)
CREATE_ONLY = (("key_usage", "KeyUsage"), ("key_spec", "CustomerMasterKeySpec"), ("origin", "Origin"), ("multi_region", "MultiRegion"))

# Option -> fields of the key view it manages (what the diff shows).
MANAGED_FIELDS = {
    "state": ("key_state",), "enabled": ("enabled", "key_state"), "description": ("description",),
    "aliases": ("aliases",), "tags": ("tags",), "policy": ("policy",), "policy_template": ("policy_template_id",),
    "auto_rotation": ("auto_rotation",), "rotation_period_days": ("rotation_period_days",),
    "import_material": ("key_state",), "key_material": ("key_state",), "replica_regions": ("replica_regions",),
    "primary_region": ("primary_region",), "key_usage": ("key_usage",), "key_spec": ("key_spec",),
    "origin": ("origin",), "multi_region": ("multi_region",),
}
MANAGED_FIELDS.update({name: (name,) for name in POLICY_LISTS})


class Action:
    """One CCKM call of a plan: ``POST keys`` (create) or ``POST keys/{id}/<name>``, plus its predicted effect."""

    def __init__(self, name, body=None, description="", effect=None, idempotent=True, landed=None):
        self.name = name
        self.body = body
        self.description = description
        self.effect = effect or {}
        self.idempotent = idempotent
        self.landed = landed          # predicate on the re-read record: True when a lost answer's call was applied

    @property
    def method(self):
        return "POST"

    def path(self, key_id=None):
        if self.name == "create":
            return KEYS_PATH
        return "%s/%s/%s" % (KEYS_PATH, path_id(key_id) if key_id else "{id}", self.name)

    def to_result(self, key_id=None):
        return {"method": self.method, "path": self.path(key_id), "body": self.body, "description": self.description}

    def __repr__(self):
        return "Action(%r, %r)" % (self.name, self.body)


def managed_view(record):
    """``key_view`` plus the policy lists CCKM recorded on the key (sorted), for planning and diffs."""
    if not record:
        return None
    view = key_view(record)
    for name in POLICY_LISTS:
        view[name] = sorted(record.get(name) or [])
    view["rotated_at"] = record.get("rotated_at") or None
    return view


# -- desired state ----------------------------------------------------------------------------------


# AWS limits, checked here so a bad value fails before the first write rather than halfway through a plan.
ALIAS_MAX = 250  # 256 characters with the alias/ prefix
DESCRIPTION_MAX = 8192
TAG_KEY_MAX, TAG_VALUE_MAX = 128, 256


def _alias(option, alias):
    """The alias name without prefix, or an OptionError when AWS would refuse it."""
    name = alias_name(alias)
    if not name or len(name) > ALIAS_MAX or not re.fullmatch(r"[a-zA-Z0-9/_-]+", name):
        raise OptionError(option, "%s is not a valid alias name (1 to %d letters, digits, '/', '_', '-')" % (shown(alias), ALIAS_MAX))
    if name.startswith("aws/"):
        raise OptionError(option, "%s: aliases beginning with alias/aws/ are reserved for AWS managed keys" % shown(alias))
    return name


def _check_tags(tags):
    for name, value in tags.items():
        if not 1 <= len(name) <= TAG_KEY_MAX or name.startswith("aws:"):
            raise OptionError("tags", "tag key %s: 1 to %d characters, not beginning with aws:" % (shown(name), TAG_KEY_MAX))
        if len(value) > TAG_VALUE_MAX:
            raise OptionError("tags", "the value of tag %s is longer than %d characters" % (shown(name), TAG_VALUE_MAX))


def desired_from_params(params):
    """The desired key state from module options (None = unmanaged), validated before any request."""
    desired = dict(params)
    check_range(params, "pending_window_days", *PENDING_WINDOW_DAYS)
    check_range(params, "rotation_period_days", 90, 2560)
    if params.get("alias") is not None:
        desired["alias"] = _alias("alias", params["alias"])
    if params.get("aliases") is not None:
        desired["aliases"] = sorted({_alias("aliases", a) for a in params["aliases"]})
    if len(params.get("description") or "") > DESCRIPTION_MAX:
        raise OptionError("description", "at most %d characters, got %d" % (DESCRIPTION_MAX, len(params["description"])))
    if params.get("policy") is not None:
        policy = params["policy"]
        if isinstance(policy, str):
            try:
                policy = json.loads(policy)
            except ValueError as exc:
                raise OptionError("policy", "not valid JSON: %s" % exc)
        if not isinstance(policy, dict):
            raise OptionError("policy", "must be a JSON object (a key policy document)")
        desired["policy"] = policy
    if params.get("tags") is not None:
        if TEMPLATE_TAG in params["tags"]:
            raise OptionError("tags", "must not contain %s: CCKM sets it; use policy_template" % TEMPLATE_TAG)
        desired["tags"] = tags_to_dict(params["tags"])
        _check_tags(desired["tags"])
    lists = {name: sorted(set(params[name])) for name in POLICY_LISTS if params.get(name) is not None}
    desired["policy_lists"] = lists or None
    if params.get("rotation_period_days") is not None and params.get("auto_rotation") is False:
        raise OptionError(("rotation_period_days", "auto_rotation"), "a rotation period needs auto_rotation=true")
    if params.get("import_material") and params.get("key_material") == "absent":
        raise OptionError(("import_material", "key_material"), "import_material and key_material=absent are mutually exclusive")
    if params.get("key_material") == "absent" and params.get("enabled"):
        raise OptionError(("enabled", "key_material"), "a key without material (key_material=absent) cannot be enabled")
    if params.get("state") == "absent":
        desired["pending_window_days"] = params.get("pending_window_days") or 30
    return desired


def resolve_template(client, desired, check_mode=False, warn=None):
    """policy_template given by name -> its id (one GET); a UUID-looking value is taken as the id as is.

    In check mode a template that does not exist yet may be one an earlier task of the same play would
    create, so the plan goes on with the name as a stand-in id, and says so.
    """
    ref = desired.get("policy_template")
    if ref is None or looks_like_id(ref):
        desired["policy_template_id"] = ref
        return desired
    try:
        template = client.get("%s/%s" % (TEMPLATES_PATH, path_id(ref))) or {}
    except NotFound:
        if not check_mode:
            raise OptionError("policy_template", "no policy template %r" % ref)
        if warn:
            warn("policy_template %r does not exist yet; check mode assumes an earlier task creates it" % ref)
        template = {"id": ref}
    desired["policy_template_id"] = template.get("id")
    return desired


# -- lookup -------------------------------------------------------------------------------------------


def _first_live(records):
    """The first record that still exists in AWS, else the first one."""
    live = [r for r in records if not r.get("gone")]
    return (live or records or [None])[0]


def find_key(client, key_id=None, kms=None, region=None, alias=None):
    """The CCKM record of one key, or None: by CCKM id (GET), AWS key id or ARN (filter), or kms+region+alias (one list)."""
    if key_id is not None:
        if looks_like_id(key_id):  # a CCKM id, or else an AWS key id (both are UUIDs)
            try:
                return client.get("%s/%s" % (KEYS_PATH, path_id(key_id)))
            except NotFound:
                pass
        filters = {"arn" if key_id.startswith("arn:") else "keyid": [key_id]}
    else:
        filters = {"alias": [alias]}
    if kms is not None:
        filters["kms"] = [kms]
    if region is not None:
        filters["region"] = [region]
    found = [view["resource"] for view in list_keys(client, filters, include_resource=True)]
    if key_id is not None and not key_id.startswith("arn:") and region is None:
        found.sort(key=lambda r: ((r.get("aws_param") or {}).get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType") == "REPLICA")
    return _first_live(found)


def _check_scope(client, kms, region):
    """No key by that alias, so the task creates one: fail on an unknown kms or region now, not with the create (one GET)."""
    record = resolve_kms(client, [kms])[0]
    regions = record.get("regions") or []
    if region is not None and regions and region not in regions:
        raise OptionError("region", "%s is not a region of KMS %s (regions: %s)" % (shown(region), record.get("name"), ", ".join(regions)))


# -- planning (pure) --------------------------------------------------------------------------------


def _create_action(desired):
    param = {"Alias": desired["alias"], "Description": desired.get("description"), "KeyUsage": desired.get("key_usage"),
             "CustomerMasterKeySpec": desired.get("key_spec"), "Origin": desired.get("origin"),
             "MultiRegion": desired.get("multi_region") or None, "Policy": desired.get("policy")}
    if desired.get("tags"):
        param["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in sorted(desired["tags"].items())]
    body = {"kms": desired["kms"], "region": desired["region"], "aws_param": {k: v for k, v in param.items() if v is not None}}
    if desired.get("policy_template_id"):
        body["policytemplate"] = desired["policy_template_id"]
    body.update(desired.get("policy_lists") or {})
    external = desired.get("origin") == "EXTERNAL"
    effect = {
        "kms": desired["kms"], "region": desired["region"], "alias": desired["alias"], "aliases": [desired["alias"]],
        "description": desired.get("description") or "", "key_usage": desired.get("key_usage") or "ENCRYPT_DECRYPT",
        "key_spec": desired.get("key_spec") or "SYMMETRIC_DEFAULT", "origin": desired.get("origin") or "AWS_KMS",
        "multi_region": bool(desired.get("multi_region")), "tags": dict(desired.get("tags") or {}),
        "policy_template_id": desired.get("policy_template_id"), "policy": desired.get("policy"),
        "key_state": "PendingImport" if external else "Enabled", "enabled": not external,
        "auto_rotation": False, "rotation_period_days": None, "replica_regions": [],
        "primary_region": desired["region"] if desired.get("multi_region") else None,
    }
    for name in POLICY_LISTS:
        effect[name] = sorted((desired.get("policy_lists") or {}).get(name) or [])
    return Action("create", body, "create key alias/%s in %s (%s)" % (desired["alias"], desired["region"], desired["kms"]),
                  effect, idempotent=False)


def _check_create_only(current, desired):
    for option, wire in CREATE_ONLY:
        wanted = desired.get(option)
        if wanted is not None and wanted != current.get(option):
            raise OptionError(option, "cannot change on an existing key (%s is %r, the task asks for %r); it is set when the key "
                                      "is created (aws_param.%s): create a new key instead" % (current.get("arn"), current.get(option), wanted, wire))


def _state_in(states, wanted=True):
    """Landed-check for state-changing actions: the re-read key's state is (or, with wanted=False, is not) in ``states``."""
    return lambda r: ((r.get("aws_param") or {}).get("KeyState") in states) == wanted


def _plan_deletion_cancel(current, desired):
    if current["key_state"] in PENDING_DELETION:
        effect = {"key_state": "Disabled", "enabled": False, "deletion_date": None}
        return [Action("cancel-deletion", None, "cancel the scheduled deletion", effect, idempotent=False,
                       landed=_state_in(PENDING_DELETION, False))]
    return []


def _plan_material(current, desired):
    state = current["key_state"]
    if desired.get("key_material") == "absent":
        if current.get("origin") != "EXTERNAL":
            raise OptionError("key_material", "absent needs an EXTERNAL key; %s has origin %s" % (current.get("arn") or "the key", current.get("origin")))
        if state == "PendingImport":
            return []
        return [Action("delete-material", None, "delete the imported key material", {"key_state": "PendingImport", "enabled": False},
                       idempotent=False, landed=_state_in(("PendingImport",)))]
    material = desired.get("import_material")
    if not material or state != "PendingImport":
        return []
    if current.get("origin") != "EXTERNAL":
        raise OptionError("import_material", "needs an EXTERNAL key (origin=EXTERNAL)")
    body = {"source_key_identifier": material.get("source_key"), "source_key_tier": material.get("source_key_tier") or "local",
            "key_expiration": bool(material.get("key_expiration")), "valid_to": material.get("valid_to")}
    return [Action("import-material", {k: v for k, v in body.items() if v is not None}, "import key material",
                   {"key_state": "Enabled", "enabled": True, "key_material_origin": "cckm"}, idempotent=False,
                   landed=_state_in(("PendingImport",), False))]


def _plan_enable(current, desired):
    if desired.get("enabled") and current["key_state"] == "Disabled":
        return [Action("enable", None, "enable the key", {"key_state": "Enabled", "enabled": True})]
    if desired.get("enabled") and current["key_state"] == "PendingImport":
        raise OptionError(("enabled", "import_material"), "the key has no key material (PendingImport) to enable; give import_material")
    return []


def _plan_disable(current, desired):
    if desired.get("enabled") is False and current["enabled"]:
        return [Action("disable", None, "disable the key", {"key_state": "Disabled", "enabled": False})]
    return []


def _plan_description(current, desired):
    wanted = desired.get("description")
    if wanted is None or wanted == (current.get("description") or ""):
        return []
    return [Action("update-description", {"description": wanted}, "set the description", {"description": wanted})]


def _plan_aliases(current, desired):
    have = set(current.get("aliases") or [])
    wanted = set(desired.get("aliases") or [])
    keep = {a for a in (desired.get("alias"),) if a}
    actions = []
    final = set(have)
    for alias in sorted(wanted - have):
        final.add(alias)
        actions.append(Action("add-alias", {"alias": alias}, "add alias %s" % alias, {"aliases": sorted(final)}, idempotent=False,
                              landed=lambda r, a=alias: a in key_view(r)["aliases"]))
    if desired.get("purge_aliases") and desired.get("aliases") is not None:
        for alias in sorted(have - wanted - keep):
            final.discard(alias)
            actions.append(Action("delete-alias", {"alias": alias}, "delete alias %s" % alias, {"aliases": sorted(final)},
                                  idempotent=False, landed=lambda r, a=alias: a not in key_view(r)["aliases"]))
    return actions


def _plan_tags(current, desired):
    to_set, to_unset = compare_tags(current.get("tags"), desired.get("tags"), desired.get("purge_tags", True))
    final = dict(current.get("tags") or {})
    actions = []
    if to_set:
        final.update(to_set)
        actions.append(Action("add-tags", {"tags": [{"tag_key": k, "tag_value": v} for k, v in sorted(to_set.items())]},
                              "set tags %s" % ", ".join(sorted(to_set)), {"tags": dict(final)}))
    if to_unset:
        for name in to_unset:
            final.pop(name, None)
        actions.append(Action("remove-tags", {"tags": to_unset}, "remove tags %s" % ", ".join(to_unset), {"tags": dict(final)}))
    return actions


def _lists_effect(lists):
    return {name: sorted((lists or {}).get(name) or []) for name in POLICY_LISTS}


def _plan_policy(current, desired):
    template = desired.get("policy_template_id")
    lists = desired.get("policy_lists")
    if template is not None:
        if current.get("policy_template_id") == template:
            return []
        effect = dict(_lists_effect(None), policy_template_id=template)
        return [Action("policy", {"policytemplate": template}, "apply policy template %s" % template, effect)]
    if desired.get("policy") is not None:
        if not policies_differ(current.get("policy"), desired["policy"]) and not current.get("policy_template_id"):
            return []
        effect = dict(_lists_effect(None), policy_template_id=None, policy=desired["policy"])
        return [Action("policy", {"policy": desired["policy"]}, "set the key policy", effect)]
    if lists is not None:
        wanted = _lists_effect(lists)
        if all(wanted[name] == sorted(current.get(name) or []) for name in POLICY_LISTS) and not current.get("policy_template_id"):
            return []
        return [Action("policy", dict(lists), "set the key policy from %s" % ", ".join(sorted(lists)),
                       dict(wanted, policy_template_id=None))]
    return []


def _plan_rotation(current, desired):
    wanted = desired.get("auto_rotation")
    period = desired.get("rotation_period_days")
    if wanted is None and period is not None:
        wanted = True
    if wanted and (not current.get("auto_rotation") or (period is not None and period != current.get("rotation_period_days"))):
        period = period or current.get("rotation_period_days") or 365
        return [Action("enable-auto-rotation", {"rotation_period_in_days": period}, "enable automatic rotation every %d days" % period,
                       {"auto_rotation": True, "rotation_period_days": period})]
    if wanted is False and current.get("auto_rotation"):
        return [Action("disable-auto-rotation", None, "disable automatic rotation", {"auto_rotation": False, "rotation_period_days": None})]
    return []


def _plan_rotate_now(current, desired):
    if not desired.get("rotate_now"):
        return []
    body = None
    material = desired.get("import_material")
    if current.get("origin") == "EXTERNAL":
        if not material:
            raise OptionError(("rotate_now", "import_material"), "rotating an EXTERNAL key needs import_material (the source of the new material)")
        body = {"source_key_identifier": material.get("source_key"), "source_key_tier": material.get("source_key_tier") or "local",
                "key_expiration": bool(material.get("key_expiration")), "valid_to": material.get("valid_to")}
        body = {k: v for k, v in body.items() if v is not None}
    return [Action("rotate-material", body, "rotate the key material now", {}, idempotent=False,
                   landed=_rotated_since(current.get("rotated_at")))]


def _rotated_since(previous):
    """Landed-check for rotate-material: CCKM stamps ``rotated_at`` on every rotation, so a new stamp means it happened."""
    return lambda r: (r.get("rotated_at") or None) not in (None, previous)


def _member_regions(current):
    regions = set(current.get("replica_regions") or [])
    regions.add(current.get("primary_region") or current.get("region"))
    return regions


def _plan_replicas(current, desired):
    wanted = desired.get("replica_regions")
    if not wanted:
        return []
    missing = sorted(set(wanted) - _member_regions(current))
    if not missing:
        return []
    if not current.get("multi_region"):
        raise OptionError("replica_regions", "needs a multi-Region key (multi_region=true at creation)")
    if current.get("multi_region_key_type") == "REPLICA" or (current.get("primary_region") not in (None, current.get("region"))):
        raise OptionError("replica_regions", "this key is a replica (primary in %s); manage replicas from the primary key"
                          % current.get("primary_region"))
    actions = []
    regions = set(current.get("replica_regions") or [])
    for region in missing:
        regions.add(region)
        actions.append(Action("replicate-key", {"replica_region": region}, "replicate to %s" % region,
                              {"replica_regions": sorted(regions)}, idempotent=False,
                              landed=lambda r, g=region: g in key_view(r)["replica_regions"]))
    return actions


def _plan_primary(current, desired):
    wanted = desired.get("primary_region")
    if wanted is None or wanted == current.get("primary_region"):
        return []
    if not current.get("multi_region"):
        raise OptionError("primary_region", "needs a multi-Region key (multi_region=true at creation)")
    members = _member_regions(current)
    if wanted not in members:
        raise OptionError("primary_region", "the key has no replica in %s (regions: %s); add it to replica_regions"
                          % (wanted, ", ".join(sorted(members))))
    replicas = sorted((members - {wanted}))
    return [Action("update-primary-region", {"PrimaryRegion": wanted}, "make %s the primary region" % wanted,
                   {"primary_region": wanted, "replica_regions": replicas,
                    "multi_region_key_type": "PRIMARY" if wanted == current.get("region") else "REPLICA"})]


# Order matters: material and enable first (rotation needs an Enabled key), disable last.
PLANNERS = (_plan_deletion_cancel, _plan_material, _plan_enable, _plan_description, _plan_aliases, _plan_tags, _plan_policy,
            _plan_rotation, _plan_rotate_now, _plan_replicas, _plan_primary, _plan_disable)


def _run_planners(current, desired, actions):
    """Each planner sees the key as the actions so far would leave it."""
    for planner in PLANNERS:
        actions.extend(planner(predict(current, actions), desired))
    return actions


def plan(current, desired):
    """The CCKM calls that take the key from ``current`` (a managed view, or None) to ``desired``; [] = nothing to do."""
    if desired.get("state") == "absent":
        if current is None or current["key_state"] in PENDING_DELETION:
            return []
        days = desired["pending_window_days"]
        return [Action("schedule-deletion", {"days": days}, "schedule deletion in %d days" % days,
                       {"key_state": "PendingDeletion", "enabled": False}, idempotent=False,
                       landed=_state_in(PENDING_DELETION))]
    if current is None:
        if not desired.get("alias"):
            raise OptionError(("id", "alias"), "key %s not found; to create a key give kms, region and alias" % desired.get("id"))
        create = _create_action(desired)
        return _run_planners(None, desired, [create])
    _check_create_only(current, desired)
    return _run_planners(current, desired, [])


def predict(current, actions):
    """The managed view the key would have after ``actions`` (check mode, and the planners' running state)."""
    view = dict(current) if current else {}
    for action in actions:
        view.update(action.effect)
    return view if (current or actions) else None


# -- applying -------------------------------------------------------------------------------------


def _landed(client, key_id, check):
    def lookup():
        record = find_key(client, key_id)
        return record if record is not None and check(record) else None
    return lookup


def apply(client, key_id, actions, desired=None, wait=None):
    """Send the planned calls in order; returns the CCKM id of the key (new when the plan creates it).

    ``wait`` = (timeout, sleep) waits for new replicas to leave the ``Creating`` state; None does not wait.
    """
    for action in actions:
        if action.name == "create":
            record = client.post(KEYS_PATH, action.body, idempotent=False,
                                 landed=lambda: find_key(client, kms=desired["kms"], region=desired["region"], alias=desired["alias"]))
            key_id = record["id"]
            continue
        landed = _landed(client, key_id, action.landed) if action.landed else None
        answer = client.post(action.path(key_id), action.body, idempotent=action.idempotent if landed is None else False, landed=landed)
        if action.name == "replicate-key" and wait and isinstance(answer, dict):
            replica = _new_replica(client, answer, key_id, action.body["replica_region"])
            if replica is not None:
                _wait_for_replica(client, replica, wait)
    return key_id


def _new_replica(client, answer, key_id, region):
    """The replica record a replicate-key call made: its answer, or (when the answer was lost and the
    landed check returned the primary instead) the replica looked up by key id and region."""
    if answer.get("id") not in (None, key_id):
        return answer
    aws_key_id = key_view(answer)["key_id"]
    return find_key(client, aws_key_id, region=region) if aws_key_id else None


def _key_state(record):
    return (record.get("aws_param") or {}).get("KeyState")


def _wait_for_replica(client, replica, wait):
    """A new replica is ``Creating`` for a while; wait until AWS finished it (later actions may need it)."""
    timeout, sleep = wait
    Waiter(lambda: client.get("%s/%s" % (KEYS_PATH, path_id(replica["id"]))), done=lambda r: _key_state(r) not in CREATING,
           describe=_key_state, what="the replica in %s" % replica.get("region")).wait(timeout, sleep, first=replica)


# -- the module's one call ------------------------------------------------------------------------


def _managed(view, desired):
    if view is None:
        return {}
    fields = {"key_state"}
    for option, names in MANAGED_FIELDS.items():
        if desired.get(option) is not None:
            fields.update(names)
    return {name: view.get(name) for name in sorted(fields)}


def _created_meanwhile(client, conflict, desired):
    """After a 409 on our create: the key another run (fork, play, person) created with the alias meanwhile.

    Re-raises any other 409; when CCKM knows no such key, the alias is taken in AWS by a key CCKM has
    not synchronised yet, and the error says so.
    """
    if (conflict.method, conflict.path) != ("POST", KEYS_PATH):
        raise conflict
    record = find_key(client, kms=desired["kms"], region=desired["region"], alias=desired["alias"])
    if record is None:
        raise Conflict(conflict.status, conflict.method, conflict.path, code=conflict.code, message=conflict.message,
                       hint="CCKM knows no key with alias/%s in %s: a key outside CCKM's inventory holds it; synchronise the "
                            "KMS (ciphertrust.cckm.aws_sync) to manage that key, or choose another alias" % (desired["alias"], desired["region"]))
    return record


def ensure_key(module):
    """aws_key: read -> plan -> (check mode: predict | apply + re-read) -> result with actions and diff."""
    params = module.params
    desired = desired_from_params(params)
    client = module.client()
    resolve_template(client, desired, module.check_mode, module.warn)
    record = find_key(client, params.get("id"), params.get("kms"), params.get("region"), desired.get("alias"))
    if record is None and params.get("id") is None and params.get("kms") is not None:
        _check_scope(client, params["kms"], params.get("region"))
    if record is not None and desired.get("kms") is None:
        desired.update(kms=record.get("kms"), region=record.get("region"))
    if record is not None and record.get("gone"):
        module.warn("key %s no longer exists in AWS (CCKM marks it gone); changes to it will fail" % record.get("id"))
    before = managed_view(record)
    actions = plan(before, desired)
    key_id = record.get("id") if record else None
    if module.check_mode or not actions:
        after_record, after = record, predict(before, actions)
    else:
        wait = (params["wait_timeout"], params["wait_sleep"]) if params.get("wait") else None
        try:
            key_id = apply(client, key_id, actions, desired, wait)
        except Conflict as exc:
            record = _created_meanwhile(client, exc, desired)
            module.warn("alias/%s was created by another run at the same time; this task converged that key instead of creating one"
                        % desired["alias"])
            before = managed_view(record)
            actions = plan(before, desired)
            key_id = apply(client, record["id"], actions, desired, wait)
        after_record = find_key(client, key_id)
        after = managed_view(after_record)
    result = {
        "changed": bool(actions),
        "key": after_record or {},
        "aws_key": after or {},
        "actions": [a.to_result(key_id) for a in actions],
    }
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = {"before": _managed(before, desired), "after": _managed(after, desired)}
    return result
