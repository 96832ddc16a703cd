# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Planning one key (pure): (current managed view, desired state) -> the CCKM calls to make, and predict().

One planner per managed property, each seeing the key as the steps before it would leave it. Must not
import the client or call an endpoint: the endpoint layer is used only to name the call each step makes.
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import key_view, rotation_job_of
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import POLICY_LISTS, TEMPLATE_TAG, compare_tags, policies_differ
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, predict_view

PENDING_DELETION = ("PendingDeletion", "PendingReplicaDeletion")
ROTATED_ALIAS = "-rotated-"
CREATING = ("Creating",)
CREATE_ONLY = (("key_usage", "KeyUsage"), ("key_spec", "CustomerMasterKeySpec"), ("origin", "Origin"), ("multi_region", "MultiRegion"))

# Option -> fields of the key view it manages (what the diff shows).
MANAGED_FIELDS = {
    "state": ("key_state",), "enabled": ("enabled", "key_state"), "description": ("description",),
    "aliases": ("aliases",), "tags": ("tags",), "policy": ("policy",), "policy_template": ("policy_template_id",),
    "auto_rotation": ("auto_rotation",), "rotation_period_days": ("rotation_period_days",),
    "import_material": ("key_state",), "key_material": ("key_state",), "replica_regions": ("replica_regions",),
    "primary_region": ("primary_region",), "key_usage": ("key_usage",), "key_spec": ("key_spec",),
    "origin": ("origin",), "multi_region": ("multi_region",), "rotation_job": ("rotation_job_id", "rotation_job_disable_encrypt"),
}
MANAGED_FIELDS.update({name: (name,) for name in POLICY_LISTS})


# Step name -> the CCKM call it makes (``POST keys`` or ``POST keys/{id}/<name>``).
ENDPOINTS = {
    "create": _api.CREATE_KEY, "enable": _api.ENABLE_KEY, "disable": _api.DISABLE_KEY,
    "update-description": _api.UPDATE_DESCRIPTION, "add-alias": _api.ADD_ALIAS, "delete-alias": _api.DELETE_ALIAS,
    "add-tags": _api.ADD_TAGS, "remove-tags": _api.REMOVE_TAGS, "policy": _api.SET_POLICY,
    "enable-auto-rotation": _api.ENABLE_AUTO_ROTATION, "disable-auto-rotation": _api.DISABLE_AUTO_ROTATION,
    "rotate-material": _api.ROTATE_MATERIAL, "replicate-key": _api.REPLICATE_KEY,
    "update-primary-region": _api.UPDATE_PRIMARY_REGION, "schedule-deletion": _api.SCHEDULE_DELETION,
    "cancel-deletion": _api.CANCEL_DELETION, "import-material": _api.IMPORT_MATERIAL, "delete-material": _api.DELETE_MATERIAL,
    "upload": _api.UPLOAD_KEY, "enable-rotation-job": _api.ENABLE_ROTATION_JOB, "disable-rotation-job": _api.DISABLE_ROTATION_JOB,
}
# Steps that create the key (``POST keys`` or ``POST upload-key``); a lost answer is looked up by alias.
CREATES = ("create", "upload")
# rotation_job suboption -> enable-rotation-job field (DOC aws-api-rotate; TF AWSEnableKeyRotationJobPayloadJSON)
ROTATION_JOB_FIELDS = (("key_source", "auto_rotate_key_source"), ("disable_encrypt_on_all_accounts", "auto_rotate_disable_encrypt_on_all_accounts"),
                       ("domain_id", "auto_rotate_domain_id"), ("partition_id", "auto_rotate_partition_id"),
                       ("external_cm_domain_id", "auto_rotate_external_cm_domain_id"))


def _step(name, body=None, description="", effect=None, landed=None):
    """A planned key call; ``landed(record)`` judges, on the re-read key, whether a lost answer's call was applied."""
    return Action(name, ENDPOINTS[name], body, description, effect, landed)


def _create_body(desired):
    param = {"Alias": desired["alias"], "Description": desired.get("description"), "KeyUsage": desired.get("key_usage"),
             "CustomerMasterKeySpec": desired.get("key_spec"), "Origin": desired.get("origin"),
             "MultiRegion": desired.get("multi_region") or None, "Policy": desired.get("policy")}
    if desired.get("tags"):
        param["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in sorted(desired["tags"].items())]
    body = {"kms": desired["kms"], "region": desired["region"], "aws_param": {k: v for k, v in param.items() if v is not None}}
    if desired.get("policy_template_id"):
        body["policytemplate"] = desired["policy_template_id"]
    body.update(desired.get("policy_lists") or {})
    return body


def _create_effect(desired):
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
        "rotation_job_id": None, "rotation_job_disable_encrypt": None,
    }
    for name in POLICY_LISTS:
        effect[name] = sorted((desired.get("policy_lists") or {}).get(name) or [])
    return effect


def _create_action(desired):
    return _step("create", _create_body(desired), "create key alias/%s in %s (%s)" % (desired["alias"], desired["region"], desired["kms"]),
                 _create_effect(desired))


def uploads(desired):
    """Whether a missing key is created with its material in one call (``POST upload-key``): import_material names the
    source key (TF ``upload_key`` requires ``source_key_identifier``) and the origin is EXTERNAL or left to it."""
    material = desired.get("import_material")
    return bool(material and material.get("source_key")) and desired.get("origin") in (None, "EXTERNAL")


def material_body(material):
    """The source of key material as import-material and rotate-material take it (seed 004; TF resource_aws_key_import_material.go)."""
    body = {"source_key_identifier": material.get("source_key"), "source_key_tier": material.get("source_key_tier") or "local",
            "key_expiration": bool(material.get("key_expiration")), "valid_to": material.get("valid_to")}
    return {k: v for k, v in body.items() if v is not None}


def _upload_action(desired):
    """TF resource_aws_key.go uploadKey: the create fields, the source key, and the material's expiry as ``aws_param.ValidTo``."""
    material = desired["import_material"]
    body = _create_body(desired)
    body["aws_param"]["Origin"] = "EXTERNAL"
    if material.get("valid_to"):
        body["aws_param"]["ValidTo"] = material["valid_to"]
    body.update(source_key_identifier=material["source_key"], source_key_tier=material.get("source_key_tier") or "local",
                key_expiration=bool(material.get("key_expiration")))
    effect = dict(_create_effect(desired), origin="EXTERNAL", key_state="Enabled", enabled=True, key_material_origin="cckm")
    return _step("upload", body, "create key alias/%s in %s (%s) with the material of %s (%s)"
                 % (desired["alias"], desired["region"], desired["kms"], material["source_key"], body["source_key_tier"]), effect)


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
        return [_step("cancel-deletion", None, "cancel the scheduled deletion", effect,
                      landed=_state_in(PENDING_DELETION, False))]
    return []


def _plan_material(current, desired):
    state = current["key_state"]
    if desired.get("key_material") == "absent":
        if current.get("origin") != "EXTERNAL":
            raise OptionError("key_material", "absent needs an EXTERNAL key; %s has origin %s" % (current.get("arn") or "the key", current.get("origin")))
        if state == "PendingImport":
            return []
        return [_step("delete-material", None, "delete the imported key material", {"key_state": "PendingImport", "enabled": False},
                      landed=_state_in(("PendingImport",)))]
    material = desired.get("import_material")
    if not material or state != "PendingImport":
        return []
    if current.get("origin") != "EXTERNAL":
        raise OptionError("import_material", "needs an EXTERNAL key (origin=EXTERNAL)")
    return [_step("import-material", material_body(material), "import key material",
                  {"key_state": "Enabled", "enabled": True, "key_material_origin": "cckm"},
                  landed=_state_in(("PendingImport",), False))]


def _plan_enable(current, desired):
    if desired.get("enabled") and current["key_state"] == "Disabled":
        return [_step("enable", None, "enable the key", {"key_state": "Enabled", "enabled": True})]
    if desired.get("enabled") and current["key_state"] == "PendingImport":
        raise OptionError(("enabled", "import_material"), "the key has no key material (PendingImport) to enable; give import_material")
    return []


def _plan_disable(current, desired):
    if desired.get("enabled") is False and current["enabled"]:
        return [_step("disable", None, "disable the key", {"key_state": "Disabled", "enabled": False})]
    return []


def _plan_description(current, desired):
    wanted = desired.get("description")
    if wanted is None or wanted == (current.get("description") or ""):
        return []
    return [_step("update-description", {"description": wanted}, "set the description", {"description": wanted})]


def _plan_aliases(current, desired):
    have = set(current.get("aliases") or [])
    wanted = set(desired.get("aliases") or [])
    keep = {a for a in (desired.get("alias"),) if a}
    actions = []
    final = set(have)
    for alias in sorted(wanted - have):
        final.add(alias)
        actions.append(_step("add-alias", {"alias": alias}, "add alias %s" % alias, {"aliases": sorted(final)},
                             landed=lambda r, a=alias: a in key_view(r)["aliases"]))
    if desired.get("purge_aliases") and desired.get("aliases") is not None:
        # CCKM keeps "<alias>-rotated-<time>" aliases on keys it rotated; TF updateAliases never removes them (row 10)
        for alias in sorted(a for a in have - wanted - keep if ROTATED_ALIAS not in a):
            final.discard(alias)
            actions.append(_step("delete-alias", {"alias": alias}, "delete alias %s" %
                           alias, {"aliases": sorted(final)}, landed=lambda r, a=alias: a not in key_view(r)["aliases"]))
    return actions


def _plan_tags(current, desired):
    to_set, to_unset = compare_tags(current.get("tags"), desired.get("tags"), desired.get("purge_tags", True))
    final = dict(current.get("tags") or {})
    actions = []
    if to_set:
        final.update(to_set)
        actions.append(_step("add-tags", {"tags": [{"tag_key": k, "tag_value": v} for k, v in sorted(to_set.items())]},
                             "set tags %s" % ", ".join(sorted(to_set)), {"tags": dict(final)}))
    if to_unset:
        for name in to_unset:
            final.pop(name, None)
        actions.append(_step("remove-tags", {"tags": to_unset}, "remove tags %s" % ", ".join(to_unset), {"tags": dict(final)}))
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
        return [_step("policy", {"policytemplate": template}, "apply policy template %s" % template, effect)]
    if desired.get("policy") is not None:
        if not policies_differ(current.get("policy"), desired["policy"]) and not current.get("policy_template_id"):
            return []
        effect = dict(_lists_effect(None), policy_template_id=None, policy=desired["policy"])
        return [_step("policy", {"policy": desired["policy"]}, "set the key policy", effect)]
    if lists is not None:
        wanted = _lists_effect(lists)
        if all(wanted[name] == sorted(current.get(name) or []) for name in POLICY_LISTS) and not current.get("policy_template_id"):
            return []
        return [_step("policy", dict(lists), "set the key policy from %s" % ", ".join(sorted(lists)),
                      dict(wanted, policy_template_id=None))]
    return []


def _plan_rotation(current, desired):
    wanted = desired.get("auto_rotation")
    period = desired.get("rotation_period_days")
    if wanted is None and period is not None:
        wanted = True
    if wanted and (not current.get("auto_rotation") or (period is not None and period != current.get("rotation_period_days"))):
        period = period or current.get("rotation_period_days") or 365
        return [_step("enable-auto-rotation", {"rotation_period_in_days": period}, "enable automatic rotation every %d days" % period,
                      {"auto_rotation": True, "rotation_period_days": period})]
    if wanted is False and current.get("auto_rotation"):
        return [_step("disable-auto-rotation", None, "disable automatic rotation", {"auto_rotation": False, "rotation_period_days": None})]
    return []


def _plan_rotate_now(current, desired):
    if not desired.get("rotate_now"):
        return []
    body = None
    material = desired.get("import_material")
    if current.get("origin") == "EXTERNAL":
        if not material:
            raise OptionError(("rotate_now", "import_material"), "rotating an EXTERNAL key needs import_material (the source of the new material)")
        body = material_body(material)
    return [_step("rotate-material", body, "rotate the key material now", {},
                  landed=_rotated_since(current.get("rotated_at")))]


def _rotated_since(previous):
    """Landed-check for rotate-material: CCKM stamps ``rotated_at`` on every rotation, so a new stamp means it happened."""
    return lambda r: (r.get("rotated_at") or None) not in (None, previous)


def _attached(job_id, disable_encrypt):
    """Landed-check for enable-rotation-job: the re-read key is attached to ``job_id`` (with the wanted disable_encrypt)."""
    return lambda r: rotation_job_of(r) == job_id and bool(r.get("disable_encrypt_on_auto_rotate")) == disable_encrypt


def _plan_rotation_job(current, desired):
    """Attach the key to a CCKM rotation schedule (DOC aws-api-rotate), move it to another one (TF enableDisableKeyRotation
    enables again), or detach it (``state=absent``; with a name, only from that schedule).

    Only the schedule and ``disable_encrypt`` can be read back (``job_config_id``, ``disable_encrypt_on_auto_rotate``):
    the other suboptions are sent when the key is attached or moved, never compared.
    """
    job = desired.get("rotation_job")
    if not job:
        return []
    attached = current.get("rotation_job_id")
    wanted = desired.get("rotation_job_id")
    if job["state"] == "absent":
        if attached is None or (job.get("name") and attached not in (wanted, job["name"])):
            return []
        return [_step("disable-rotation-job", None, "detach from rotation schedule %s" % attached,
                      {"rotation_job_id": None, "rotation_job_disable_encrypt": None}, landed=lambda r: rotation_job_of(r) is None)]
    disable = job.get("disable_encrypt")
    if attached == wanted and (disable is None or bool(disable) == bool(current.get("rotation_job_disable_encrypt"))):
        return []
    body = {"job_config_id": wanted, "auto_rotate_disable_encrypt": bool(disable)}  # TF always sends the flag
    body.update((field, job[option]) for option, field in ROTATION_JOB_FIELDS if job.get(option) is not None)
    where = job["name"] if job["name"] == wanted else "%s (%s)" % (job["name"], wanted)
    verb = "attach to" if attached is None else "move from rotation schedule %s to" % attached
    return [_step("enable-rotation-job", body, "%s rotation schedule %s" % (verb, where),
                  {"rotation_job_id": wanted, "rotation_job_disable_encrypt": bool(disable)}, landed=_attached(wanted, bool(disable)))]


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
        actions.append(_step("replicate-key", {"replica_region": region}, "replicate to %s" % region,
                             {"replica_regions": sorted(regions)},
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
    return [_step("update-primary-region", {"PrimaryRegion": wanted}, "make %s the primary region" % wanted,
                  {"primary_region": wanted, "replica_regions": replicas,
                   "multi_region_key_type": "PRIMARY" if wanted == current.get("region") else "REPLICA"})]


# Order matters: material and enable first (rotation needs an Enabled key), disable last.
PLANNERS = (_plan_deletion_cancel, _plan_material, _plan_enable, _plan_description, _plan_aliases, _plan_tags, _plan_policy,
            _plan_rotation, _plan_rotate_now, _plan_rotation_job, _plan_replicas, _plan_primary, _plan_disable)


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
        steps = []
        if current.get("policy_template_id"):
            # A template stays "in use" by keys pending deletion; TF Delete removes the tag first (fidelity review row 11)
            steps.append(_step("remove-tags", {"tags": [TEMPLATE_TAG]}, "detach policy template %s" % current["policy_template_id"],
                               {"policy_template_id": None}))
        return steps + [_step("schedule-deletion", {"days": days}, "schedule deletion in %d days" % days,
                              {"key_state": "PendingDeletion", "enabled": False}, landed=_state_in(PENDING_DELETION))]
    if current is None:
        if not desired.get("alias"):
            raise OptionError(("id", "alias"), "key %s not found; to create a key give kms, region and alias" % desired.get("id"))
        if desired.get("import_material"):
            # material at creation means an EXTERNAL key (TF: "EXTERNAL ... is the default for import operations")
            if desired.get("origin") not in (None, "EXTERNAL"):
                raise OptionError(("import_material", "origin"), "import_material needs an EXTERNAL key; origin is %s" % desired["origin"])
            desired = dict(desired, origin="EXTERNAL")
        create = _upload_action(desired) if uploads(desired) else _create_action(desired)
        return _run_planners(None, desired, [create])
    _check_create_only(current, desired)
    return _run_planners(current, desired, [])


def predict(current, actions):
    """The managed view the key would have after ``actions`` (check mode, and the planners' running state)."""
    return predict_view(current, actions)
