#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_key_bulk
short_description: Bring many AWS KMS keys to a desired state with CipherTrust CCKM bulk jobs
version_added: 0.1.0
description:
  - Converges any number of keys, named in O(keys) and/or matched by O(filters), to a desired state
    (enabled, disabled, pending deletion, present) and optionally applies a policy template, using CCKM bulk jobs.
  - Reads the keys with paged list calls, sends only the keys that are not already in the desired state, in jobs of
    at most 100 keys of one AWS account; all jobs of a step are started before they are waited for.
  - Nothing to do means C(changed=false) and no job. Every key's outcome is returned; any key that failed inside a
    job fails the task (O(fail_on_key_error)).
  - Settings CCKM has no bulk job for (O(auto_rotation), O(rotation_period_days), O(tags), O(description), O(rotation_job)) are
    converged as M(ciphertrust.cckm.aws_key) converges them, with each key's own calls, O(concurrency) keys at a
    time, in one process, with the same plan, check mode and per-key results as the bulk jobs.
  - Can also cancel running bulk jobs (O(cancel_job_ids)).
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  keys:
    description:
      - Keys to converge, each a CCKM key ID, an AWS key ID, an ARN or an alias (with or without C(alias/)).
      - An alias that exists in several regions is an error; use an ID or ARN, or O(filters).
    type: list
    elements: str
  filters:
    description:
      - Converge every key matching these filters; the same names as the options of M(ciphertrust.cckm.aws_key_info),
        for example C(kms), C(region), C(tags), C(alias), C(keystate), C(enabled).
      - Filters that select nothing (every value empty, as a variable that renders empty gives, or only C(sort)) would
        select every key of every KMS and are refused unless O(all_keys=true).
    type: dict
  all_keys:
    description:
      - Converge every key CCKM manages, in every KMS container and region. Needed, as an explicit choice, instead of
        O(keys) and O(filters) or together with O(filters) that select nothing.
    type: bool
    default: false
  max_keys:
    description:
      - Refuse, before any job starts, to change more than this many keys (a guard against filters that match more
        than meant). Unset, there is no limit.
    type: int
  state:
    description:
      - V(enabled) or V(disabled) - the key exists and is (not) enabled; a key pending deletion is recovered first.
      - V(pending_deletion) - the key is scheduled for deletion in O(pending_window_days) days.
      - V(present) - the key is not pending deletion (cancels a scheduled deletion; the key is then disabled).
    type: str
    choices: [enabled, disabled, pending_deletion, present]
    default: present
  auto_rotation:
    description:
      - Whether AWS rotates each key's material automatically. AWS rotates only enabled symmetric keys with material
        it generated; an enabled key is needed (a key in another state fails with its reason).
    type: bool
  rotation_period_days:
    description: Days between automatic rotations (90-2560); implies O(auto_rotation=true).
    type: int
  tags:
    description:
      - Tags every key must have (merged with the tags it has, unless O(purge_tags=true)).
    type: dict
  purge_tags:
    description: Remove the tags of each key that O(tags) does not name (only when O(tags) is given).
    type: bool
    default: false
  description:
    description: The description every key must have.
    type: str
  concurrency:
    description:
      - How many keys get their own calls (for the settings above and O(rotation_job)) at the same time, 1 to 32.
    type: int
    default: 8
  pending_window_days:
    description: Waiting period before AWS deletes keys scheduled with O(state=pending_deletion).
    type: int
    default: 30
  policy_template:
    description:
      - Name or ID of a CCKM policy template to apply to every key that does not carry it yet.
      - Keys and template must belong to the same AWS account.
    type: str
  fail_on_key_error:
    description: Fail the task when any key failed inside its job (all results are still returned).
    type: bool
    default: true
  cancel_on_timeout:
    description: Cancel the jobs still running when O(wait_timeout) passes.
    type: bool
    default: false
  cancel_job_ids:
    description: Cancel these bulk jobs (when still running) instead of converging keys.
    type: list
    elements: str
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.rotation_job
  - ciphertrust.cckm.wait
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
attributes:
  diff_mode:
    description: Returns C(before) and C(after) of the managed properties when run with C(--diff).
    support: full
    details:
      - The diff is keyed by the CCKM ID of every targeted key; each entry holds the key's C(key_state), plus its
        C(policy_template_id) when O(policy_template) is given and the settings given (O(rotation_job) as C(rotation_job_id)
        and C(rotation_job_disable_encrypt)), before the task and after it (predicted in check mode).
notes:
  - Needs the C(keybulkoperation) permission (CCKM ACL) on the KMS containers.
  - Check mode returns the exact plan (keys, operations and number of jobs) and the same RV(actions) as a real run,
    and starts no job.
  - O(wait_timeout) is the budget of each step (cancel deletion, apply template, enable/disable, schedule deletion).
  - With O(wait=false) the task reports the started jobs; per-key results are then C(started).
seealso:
  - module: ciphertrust.cckm.aws_key
  - module: ciphertrust.cckm.aws_key_info
"""

EXAMPLES = r"""
- name: Disable every key of an application in one region
  ciphertrust.cckm.aws_key_bulk:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    filters:
      kms: aws-kms
      region: us-east-1
      alias: [ex-0, ex-1]
    state: disabled
    wait_sleep: 0.5
  register: disabled

- name: Enable them again, named one by one
  ciphertrust.cckm.aws_key_bulk:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    keys: "{{ disabled.key_results | map(attribute='id') | list }}"
    state: enabled
    wait_sleep: 0.5

- name: Rotate them every year and tag them, 8 keys at a time
  ciphertrust.cckm.aws_key_bulk:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    keys: "{{ disabled.key_results | map(attribute='id') | list }}"
    auto_rotation: true
    rotation_period_days: 365
    tags:
      rotation: yearly

- name: Attach every BYOK key of the account to the weekly CCKM rotation schedule
  ciphertrust.cckm.aws_key_bulk:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    filters:
      kms: aws-kms
      key_material_origin: cckm
    rotation_job:
      name: weekly-rotation
"""

RETURN = r"""
actions:
  description:
    - One entry per bulk job started, or in check mode per bulk job a real run would start, in order
      (check mode returns the same actions as a real run); empty when every key is already in the desired state.
    - Then one entry per call a key gets for O(auto_rotation), O(rotation_period_days), O(tags) or O(description).
    - With O(cancel_job_ids), one entry per job cancelled (jobs already finished or aborted are left alone).
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: POST
    path:
      description: API path; C(/api/v1/cckm/aws/bulkjob), or C(/api/v1/cckm/aws/bulkjob/{id}/cancel) with O(cancel_job_ids).
      type: str
      sample: /api/v1/cckm/aws/bulkjob
    body:
      description:
        - Request body of the job start, with C(operation), C(keys) (CCKM key IDs) and C(days)
          (C(schedulekeydeletion)) or C(policy_template_id) (C(applypolicytemplate)).
        - Null for a cancellation.
      type: dict
      sample: {"operation": "disablekey", "keys": ["40387a72-6e24-4cdd-8840-b586757c44bf"]}
    description:
      description: What the call does.
      type: str
      sample: disablekey on 100 key(s)
resource:
  description:
    - The targeted keys as they are after the task, each as the flat view
      RV(ciphertrust.cckm.aws_key_info#module:aws_keys) returns per key.
    - In check mode, each planned operation's effect applied to the keys. In a real run, the effects applied to the keys
      whose result is C(Success) (the keys are not read again; with O(wait=false) they are shown as before the task).
    - With O(cancel_job_ids), the jobs instead, each as a view with C(id), C(operation), C(overall_status) and C(abort)
      (C(abort=true) for the jobs cancelled, also in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "40387a72-6e24-4cdd-8840-b586757c44bf", "alias": "ex-0", "region": "us-east-1", "key_state": "Disabled", "enabled": false}]
record:
  description:
    - Null when converging keys.
    - With O(cancel_job_ids), the bulk job records as the API returned them (before the task in check mode).
  returned: always
  type: list
  elements: dict
key_results:
  description: Every targeted key and what happened to it.
  returned: when converging keys
  type: list
  elements: dict
  contains:
    id:
      description: CCKM key ID.
      type: str
    alias:
      description: First alias of the key.
      type: str
    region:
      description: AWS region.
      type: str
    key_id:
      description: AWS key ID.
      type: str
    previous_state:
      description: AWS key state before the task.
      type: str
    operations:
      description: Bulk operations the key needed (empty when it was already in the desired state).
      type: list
      elements: str
    result:
      description: C(Success), C(unchanged), C(planned) (check mode), C(started) (O(wait=false)), or the error text of its job.
      type: str
jobs:
  description: The bulk jobs started (or, with O(cancel_job_ids), the jobs given).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Job ID.
      type: str
    operation:
      description: Bulk operation.
      type: str
    overall_status:
      description: Status after waiting.
      type: str
    keys:
      description: Number of keys in the job.
      type: int
      returned: when converging keys
    abort:
      description: Whether the job was cancelled (predicted in check mode).
      type: bool
      returned: with O(cancel_job_ids)
plan:
  description:
    - Per operation, the number of jobs and keys (the same in check mode and in a real run).
    - Per-key calls (C(enable-auto-rotation), C(add-tags), C(update-description), ...) have C(jobs=0).
  returned: when converging keys
  type: list
  elements: dict
  sample: [{"operation": "disablekey", "jobs": 3, "keys": 250}]
total:
  description: Number of keys targeted.
  returned: when converging keys
  type: int
failures:
  description: Number of keys that failed (with O(fail_on_key_error=false); otherwise the task fails).
  returned: when converging keys
  type: int
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ROTATION_JOB, WAIT, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._bulk import bulk_resource
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = WAIT.merge(ArgumentSpec(
    {
        "keys": {"type": "list", "elements": "str", "no_log": False},
        "filters": {"type": "dict"},
        "state": {"type": "str", "choices": ["enabled", "disabled", "pending_deletion", "present"], "default": "present"},
        "pending_window_days": {"type": "int", "default": 30},
        "policy_template": {"type": "str"},
        "fail_on_key_error": {"type": "bool", "default": True, "no_log": False},
        "cancel_on_timeout": {"type": "bool", "default": False},
        "cancel_job_ids": {"type": "list", "elements": "str"},
        "all_keys": {"type": "bool", "default": False},
        "max_keys": {"type": "int", "no_log": False},
        "auto_rotation": {"type": "bool"},
        "rotation_period_days": {"type": "int"},
        "tags": {"type": "dict"},
        "purge_tags": {"type": "bool", "default": False},
        "description": {"type": "str"},
        "concurrency": {"type": "int", "default": 8},
        "rotation_job": ROTATION_JOB,
    },
    mutually_exclusive=[("cancel_job_ids", "keys"), ("cancel_job_ids", "filters"), ("cancel_job_ids", "all_keys")],
))


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(bulk_resource)


if __name__ == "__main__":
    main()
