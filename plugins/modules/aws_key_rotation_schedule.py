#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_key_rotation_schedule
short_description: Manage a CCKM key rotation schedule (a scheduler job configuration for cckm_key_rotation)
version_added: 0.1.0
description:
  - Keeps one CipherTrust Manager scheduler job configuration of operation C(cckm_key_rotation) as desired state, identified by
    O(name), which is created when missing, updated where it differs and deleted with O(state=absent).
  - Keys are attached to the schedule with the O(ciphertrust.cckm.aws_key#module:rotation_job) option of
    M(ciphertrust.cckm.aws_key) (or M(ciphertrust.cckm.aws_key_bulk)); CCKM then rotates them each time the schedule runs.
  - This is CCKM's scheduled rotation (a new key or new key material from a key source), not AWS's own automatic rotation
    (O(ciphertrust.cckm.aws_key#module:auto_rotation)).
  - The same scheduler holds the recurring synchronizations of M(ciphertrust.cckm.aws_sync); a name already used by a job
    configuration of another operation fails the task.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  name:
    description: Name of the scheduler job configuration (unique in CipherTrust Manager).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the schedule.
      - V(absent) deletes it. While keys are attached to it the task fails, naming them, unless O(detach_keys=true).
    type: str
    choices: [present, absent]
    default: present
  run_at:
    description:
      - When the rotation runs, as a cron expression with five fields (minute, hour, day of month, month, day of week), for
        example V(0 9 * * sat). Required when O(state=present).
    type: str
  description:
    description: Description of the job configuration; unset means an empty description.
    type: str
  disabled:
    description: Keep the schedule but do not run it.
    type: bool
    default: false
  expiration:
    description:
      - How long the new key material is valid, as V(<n>d) (days) or V(<n>h) (hours), for example V(365d). When unset the
        schedule's current value is kept (a new schedule gets none, so the material never expires).
    type: str
  expire_in:
    description:
      - Rotate only the keys whose material expires within this period when the schedule runs, as V(<n>d) or V(<n>h), for
        example V(6h). When unset the schedule's current value is kept (a new schedule rotates every attached key).
    type: str
  retain_alias:
    description: Keep the alias, with a timestamp, on the archived key after a rotation (C(aws_param.retain_alias)).
    type: bool
    default: false
  rotate_material:
    description:
      - Rotate the key material of the key itself (C(aws_param.rotate_material)) instead of replacing the key; needs a
        CipherTrust Manager that knows this parameter.
    type: bool
    default: false
  detach_keys:
    description:
      - With O(state=absent), detach the keys attached to the schedule (C(POST keys/{id}/disable-rotation-job)) before deleting
        it, instead of failing.
    type: bool
    default: false
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - Options left unset keep their value, except O(description), O(disabled), O(retain_alias) and O(rotate_material), which
    are always managed (with their defaults).
  - A create whose answer is lost is looked up by name before anything is sent again, so retries never create a second
    schedule.
  - O(state=absent) lists the keys attached to the schedule (one request); a detach whose answer is lost is judged by reading
    the key again.
  - The schedule runs in CipherTrust Manager; this module never rotates a key itself. For an on-demand rotation use
    O(ciphertrust.cckm.aws_key#module:rotate_now).
seealso:
  - module: ciphertrust.cckm.aws_key
  - module: ciphertrust.cckm.aws_sync
  - name: CCKM scheduler APIs
    description: Thales documentation of scheduler job configurations for key rotation.
    link: https://thalesdocs.com/ctp/cm/latest/reference/cckmapi/scheduler-apis/sch-key-rot-apis/index.html
"""

EXAMPLES = r"""
- name: Rotate attached keys every Saturday at 09:00; new material valid for a year
  ciphertrust.cckm.aws_key_rotation_schedule:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: weekly-rotation
    run_at: "0 9 * * sat"
    expiration: 365d
    retain_alias: true
  register: schedule

- name: Attach a key to it
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-east-1
    alias: payments
    rotation_job:
      name: weekly-rotation

- name: Delete the schedule, detaching its keys first
  ciphertrust.cckm.aws_key_rotation_schedule:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: weekly-rotation
    state: absent
    detach_keys: true
"""

RETURN = r"""
actions:
  description:
    - The calls made, or in check mode the calls a real run would make, in order (the same in both); empty when the schedule
      is already as wanted.
    - The create, update or delete of the job configuration; with O(state=absent) and O(detach_keys=true), first one detach
      per attached key.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: PATCH
    path:
      description: API path.
      type: str
      sample: /api/v1/scheduler/job-configs/5a8d4c27-3c4f-4f6a-9d4e-1c1f3b6e2a10
    body:
      description: Request body, or null.
      type: raw
      sample: {"run_at": "0 9 * * sat", "cckm_key_rotation_params": {"aws_param": {"retain_alias": true, "rotate_material": false}}}
    description:
      description: What the call does.
      type: str
      sample: update schedule weekly-rotation
record:
  description:
    - The scheduler job configuration as the API returned it (in check mode, as it was before the task).
    - Null when it does not exist (after O(state=absent), or in check mode before a create).
  returned: always
  type: dict
  sample: {"id": "5a8d4c27-3c4f-4f6a-9d4e-1c1f3b6e2a10", "name": "weekly-rotation", "operation": "cckm_key_rotation", "run_at": "0 9 * * sat"}
resource:
  description:
    - The schedule as a flat view (in check mode, as it would be); null when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the scheduler job configuration, which keys are attached by (null in check mode before a create).
      type: str
      sample: 5a8d4c27-3c4f-4f6a-9d4e-1c1f3b6e2a10
    name:
      description: Name of the job configuration.
      type: str
      sample: weekly-rotation
    run_at:
      description: Cron expression of the schedule.
      type: str
      sample: "0 9 * * sat"
    description:
      description: Description of the job configuration.
      type: str
    disabled:
      description: Whether the schedule is disabled.
      type: bool
    cloud_name:
      description: Cloud the schedule rotates keys of.
      type: str
      sample: aws
    expiration:
      description: Validity of new key material (V(<n>d) or V(<n>h)); null when none.
      type: str
      sample: 365d
    expire_in:
      description: Only keys expiring within this period are rotated; null when every attached key is.
      type: str
    retain_alias:
      description: Whether the archived key keeps the alias with a timestamp.
      type: bool
    rotate_material:
      description: Whether the rotation rotates the key material of the key itself.
      type: bool
detached_keys:
  description: CCKM IDs of the keys detached from the schedule before it was deleted (O(detach_keys)); planned ones in check mode.
  returned: always
  type: list
  elements: str
  sample: []
diff:
  description: The schedule before and after the task (only with C(--diff)).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: The schedule before the task (without its ID).
      type: dict
    after:
      description: The schedule after the task (predicted in check mode).
      type: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule
from ansible_collections.ciphertrust.cckm.plugins.module_utils._rotation import rotation_resource

SPEC = ArgumentSpec(
    {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "run_at": {"type": "str"},
        "description": {"type": "str"},
        "disabled": {"type": "bool", "default": False},
        "expiration": {"type": "str"},
        "expire_in": {"type": "str"},
        "retain_alias": {"type": "bool", "default": False},
        "rotate_material": {"type": "bool", "default": False},
        "detach_keys": {"type": "bool", "default": False},
    },
    required_if=[("state", "present", ("run_at",))],
)


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(rotation_resource)


if __name__ == "__main__":
    main()
