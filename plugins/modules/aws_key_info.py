#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_key_info
short_description: List AWS KMS keys known to CipherTrust Manager CCKM
version_added: 0.1.0
description:
  - Lists the AWS KMS keys that CipherTrust Cloud Key Manager (CCKM) manages, with every filter of the
    C(GET /api/v1/cckm/aws/keys) API.
  - Reads all matching keys in large pages, so thousands of keys cost a handful of requests.
  - Each key is returned as a flat, normalised view (aliases without C(alias/), tags as a dictionary),
    the same view M(ciphertrust.cckm.aws_key) returns.
  - Keys created directly in AWS appear only after a synchronization (M(ciphertrust.cckm.aws_sync)).
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  id:
    description: CCKM key IDs (UUIDs).
    type: list
    elements: str
  keyid:
    description: AWS key IDs.
    type: list
    elements: str
    aliases: [key_id]
  arn:
    description: AWS key ARNs.
    type: list
    elements: str
  alias:
    description: Alias names, with or without the C(alias/) prefix.
    type: list
    elements: str
  kms:
    description: Names of the CCKM KMS containers (AWS accounts) the keys belong to.
    type: list
    elements: str
  kms_id:
    description: IDs of the CCKM KMS containers.
    type: list
    elements: str
  region:
    description: AWS regions.
    type: list
    elements: str
  enabled:
    description: Only enabled (V(true)) or only not enabled (V(false)) keys.
    type: bool
  gone:
    description: Only keys that no longer exist in AWS (V(true)) or only keys that still exist (V(false)).
    type: bool
  tags:
    description: Only keys carrying all of these tags with these values.
    type: dict
  keystate:
    description: AWS key states, for example V(Enabled), V(Disabled), V(PendingDeletion), V(PendingImport).
    type: list
    elements: str
    aliases: [key_state]
  key_material_origin:
    description: Where the key material came from.
    type: list
    elements: str
    choices: [cckm, native, unknown]
  cckm_policy_template_id:
    description: Only keys to which this CCKM policy template is applied.
    type: str
    aliases: [policy_template_id]
  multi_region:
    description: Only multi-Region keys (V(true)) or only single-Region keys (V(false)).
    type: bool
  job_config_id:
    description:
      - Only keys attached to this CCKM rotation schedule (the ID of the scheduler job configuration, see
        M(ciphertrust.cckm.aws_key_rotation_schedule)).
    type: str
    aliases: [rotation_job_id]
  rotation_job_enabled:
    description: Only keys attached to a CCKM rotation schedule (V(true)) or only keys without one (V(false)).
    type: bool
  sort:
    description:
      - Comma-separated fields to sort by; prefix a field with C(-) for descending order, for example V(-createdAt).
    type: str
  include_record:
    description: Also return each key's record exactly as the API shows it, under RV(aws_keys[].record).
    type: bool
    default: false
    aliases: [include_resource]
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
seealso:
  - module: ciphertrust.cckm.aws_key
  - module: ciphertrust.cckm.aws_sync
"""

EXAMPLES = r"""
- name: List every key of one KMS in one region
  ciphertrust.cckm.aws_key_info:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-east-1
  register: found

- name: Find disabled keys tagged for an application, connection set once for the play
  module_defaults:
    group/ciphertrust.cckm.cckm:
      host: "{{ cm_host }}"
      username: "{{ cm_username }}"
      password: "{{ cm_password }}"
  block:
    - name: Read the keys
      ciphertrust.cckm.aws_key_info:
        keystate: Disabled
        tags:
          app: payments
      register: disabled

    - name: Show their ARNs
      ansible.builtin.debug:
        msg: "{{ disabled.aws_keys | map(attribute='arn') | list }}"
"""

RETURN = r"""
aws_keys:
  description: The matching keys, as flat views.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: CCKM ID of the key (use it with M(ciphertrust.cckm.aws_key) O(ciphertrust.cckm.aws_key#module:id)).
      type: str
      sample: 40387a72-6e24-4cdd-8840-b586757c44bf
    kms:
      description: Name of the KMS container.
      type: str
      sample: aws-kms
    kms_id:
      description: ID of the KMS container.
      type: str
    region:
      description: AWS region.
      type: str
      sample: us-east-1
    account_id:
      description: AWS account ID.
      type: str
      sample: "123456789012"
    key_id:
      description: AWS key ID.
      type: str
    arn:
      description: AWS key ARN.
      type: str
    alias:
      description: The first alias, without C(alias/); null when the key has none.
      type: str
    aliases:
      description: All aliases, without C(alias/).
      type: list
      elements: str
    description:
      description: Key description.
      type: str
    enabled:
      description: Whether the key is enabled.
      type: bool
    key_state:
      description: AWS key state.
      type: str
      sample: Enabled
    key_usage:
      description: AWS key usage.
      type: str
      sample: ENCRYPT_DECRYPT
    key_spec:
      description: AWS key spec.
      type: str
      sample: SYMMETRIC_DEFAULT
    origin:
      description: AWS origin of the key material.
      type: str
      sample: AWS_KMS
    multi_region:
      description: Whether this is a multi-Region key.
      type: bool
    multi_region_key_type:
      description: V(PRIMARY) or V(REPLICA) for multi-Region keys.
      type: str
    primary_region:
      description: Region of the primary key of a multi-Region key.
      type: str
    replica_regions:
      description: Regions of the replicas of a multi-Region primary key.
      type: list
      elements: str
    tags:
      description: User tags (without CCKM's own C(cckm_policy_template_id) tag).
      type: dict
    policy_template_id:
      description: ID of the CCKM policy template applied to the key, if any.
      type: str
    policy:
      description: The key policy document.
      type: dict
    auto_rotation:
      description: Whether AWS automatic rotation is enabled.
      type: bool
    rotation_period_days:
      description: Automatic rotation period in days.
      type: int
    deletion_date:
      description: When a key pending deletion will be deleted.
      type: str
    gone:
      description: True when the key no longer exists in AWS.
      type: bool
    key_material_origin:
      description: Where the key material came from (V(native), V(cckm), V(unknown)).
      type: str
    rotation_job_id:
      description: ID of the CCKM rotation schedule the key is attached to; null when none.
      type: str
    rotation_job_disable_encrypt:
      description: Whether the old key stops encrypting after a scheduled rotation; null when the key has no rotation schedule.
      type: bool
    record:
      description: The key record as the API shows it (only with O(include_record=true)).
      type: dict
      returned: when O(include_record=true)
total:
  description: Number of keys returned.
  returned: always
  type: int
  sample: 3
actions:
  description: The changes made; always empty, as this module only reads.
  returned: always
  type: list
  elements: dict
  sample: []
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import list_keys
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

_STRINGS = {"type": "list", "elements": "str"}

SPEC = ArgumentSpec({
    "id": _STRINGS,
    "keyid": dict(_STRINGS, aliases=["key_id"], no_log=False),
    "arn": _STRINGS,
    "alias": _STRINGS,
    "kms": _STRINGS,
    "kms_id": _STRINGS,
    "region": _STRINGS,
    "enabled": {"type": "bool"},
    "gone": {"type": "bool"},
    "tags": {"type": "dict"},
    "keystate": dict(_STRINGS, aliases=["key_state"], no_log=False),
    "key_material_origin": dict(_STRINGS, choices=["cckm", "native", "unknown"]),
    "cckm_policy_template_id": {"type": "str", "aliases": ["policy_template_id"]},
    "multi_region": {"type": "bool"},
    "job_config_id": {"type": "str", "aliases": ["rotation_job_id"]},
    "rotation_job_enabled": {"type": "bool"},
    "sort": {"type": "str"},
    "include_record": {"type": "bool", "default": False, "aliases": ["include_resource"]},
})


def _read(params, client):
    keys = list_keys(client, params, include_record=params["include_record"])
    return {"aws_keys": keys, "total": len(keys)}


def main():
    CckmModule(SPEC, supports_check_mode=True).read(_read)


if __name__ == "__main__":
    main()
