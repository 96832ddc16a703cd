# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The desired state of one key, from aws_key's options, validated before any request.

Pure: must not import the client, the endpoint layer or the planning and applying layers.
"""

from __future__ import annotations

import json
import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import PENDING_WINDOW_DAYS, check_range
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import POLICY_LISTS, TEMPLATE_TAG, alias_name, tags_to_dict

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


# rotation_job source -> the suboption naming where its new keys are made (DOC aws-api-rotate: auto_rotate_*_id)
ROTATION_SOURCE_OPTIONS = {"dsm": "domain_id", "hsm-luna": "partition_id", "external-cm": "external_cm_domain_id"}


def _rotation_job(job):
    """``rotation_job`` validated (DOC aws-api-rotate): a schedule to attach to, or ``state=absent``."""
    job = dict(job)
    job.setdefault("state", "present")
    if job["state"] == "present" and not job.get("name"):
        raise OptionError("rotation_job.name", "the rotation schedule (name or ID) to attach the key to is required unless rotation_job.state=absent")
    if job.get("disable_encrypt") and job.get("disable_encrypt_on_all_accounts"):
        raise OptionError(("rotation_job.disable_encrypt", "rotation_job.disable_encrypt_on_all_accounts"), "are mutually exclusive")
    for source, option in sorted(ROTATION_SOURCE_OPTIONS.items()):
        if job.get(option) is not None and job.get("key_source") != source:
            raise OptionError(("rotation_job.%s" % option, "rotation_job.key_source"), "%s is only used with key_source=%s" % (option, source))
    return job


def desired_from_params(params):
    """The desired key state from module options (None = unmanaged), validated before any request.

    ``policy_template_id`` is filled in by the reader once the template reference is resolved.
    """
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
    if params.get("rotation_job") is not None:
        desired["rotation_job"] = _rotation_job(params["rotation_job"])
    desired["policy_template_id"] = params.get("policy_template")
    return desired
