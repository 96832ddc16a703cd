#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_sync
short_description: Synchronize CipherTrust CCKM with AWS KMS, and keep a recurring synchronization schedule
version_added: 0.1.0
description:
  - Runs a CCKM synchronization job that pulls keys created, changed or deleted directly in AWS into
    CipherTrust Manager, waits for it and reports what it changed (keys added, updated, and gone from AWS).
  - Reports C(changed=true) only when the synchronization changed CCKM's view of the keys.
  - When a synchronization is already running, waits for it and reports it instead of failing (O(if_running)).
  - Can cancel a running job (O(state=cancelled) with O(job_id)), or manage a recurring synchronization in
    CipherTrust Manager's scheduler (O(schedule)).
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  kms:
    description:
      - Names or IDs of the CCKM KMS containers to synchronize.
      - Mutually exclusive with O(synchronize_all); one of them is required unless O(state=cancelled).
    type: list
    elements: str
  synchronize_all:
    description: Synchronize every KMS container and every region.
    type: bool
    default: false
  regions:
    description:
      - Regions to synchronize; by default all regions of the selected KMS containers.
      - Only with O(kms).
    type: list
    elements: str
  state:
    description:
      - V(present) runs a synchronization (or manages O(schedule) when given).
      - V(cancelled) cancels the running job O(job_id); a job that already finished is left alone.
    type: str
    choices: [present, cancelled]
    default: present
  job_id:
    description: ID of the synchronization job to cancel with O(state=cancelled).
    type: str
  if_running:
    description:
      - What to do when CipherTrust Manager refuses to start a job because another synchronization is running.
      - V(wait) waits for the running job and reports it; V(fail) fails the task; V(start) waits for it, then starts a new job.
    type: str
    choices: [wait, fail, start]
    default: wait
  cancel_on_timeout:
    description: Cancel the job when O(wait_timeout) passes before it finishes.
    type: bool
    default: false
  schedule:
    description:
      - Manage a recurring synchronization of O(kms) (or O(synchronize_all)) in CipherTrust Manager's scheduler
        instead of running one now. Idempotent on O(schedule.name).
    type: dict
    suboptions:
      name:
        description: Name of the scheduler job configuration.
        type: str
        required: true
      run_at:
        description: Cron expression with five fields, for example V(0 2 * * *); required when O(schedule.state=present).
        type: str
      description:
        description: Description of the job configuration.
        type: str
      disabled:
        description: Keep the configuration but do not run it.
        type: bool
        default: false
      state:
        description: Whether the schedule should exist.
        type: str
        choices: [present, absent]
        default: present
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.wait
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - In check mode no job is started and C(changed) is false, since what a synchronization would find cannot be
    known in advance; RV(actions) says which job would be started (or which running job would be waited for), the same
    actions as a real run. Schedules and cancellations are predicted exactly.
  - With O(wait=false) the task reports C(changed=true) when it started a job, since its outcome is not known yet.
  - Requires the C(keysynchronize) permission on the KMS containers.
seealso:
  - module: ciphertrust.cckm.aws_key_info
"""

EXAMPLES = r"""
- name: Pull keys created directly in AWS into CCKM
  ciphertrust.cckm.aws_sync:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: [aws-kms]
    regions: [us-east-1]
    wait_sleep: 1
  register: sync

- name: Show what the synchronization changed
  ansible.builtin.debug:
    msg: "{{ sync.counts }}"

- name: Synchronize every KMS container every night at 02:00
  ciphertrust.cckm.aws_sync:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    synchronize_all: true
    schedule:
      name: nightly-aws-sync
      run_at: "0 2 * * *"

- name: Remove the nightly schedule again
  ciphertrust.cckm.aws_sync:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    synchronize_all: true
    schedule:
      name: nightly-aws-sync
      state: absent
"""

RETURN = r"""
actions:
  description:
    - The calls made, or in check mode the calls a real run would make, in order; check mode returns the same actions
      as a real run.
    - For a synchronization run, the job start, or a step that only waits (C(method) and C(path) null) when another
      synchronization is already running and O(if_running=wait) joins it (with O(if_running=start), a wait step then
      the job start).
    - With O(state=cancelled), the cancellation of the job (empty when it already finished); with O(schedule), the
      create, update or delete of the scheduler job configuration (empty when it is already as wanted).
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method; null for a step that only waits for a running job.
      type: str
      sample: POST
    path:
      description: API path; null for a step that only waits for a running job.
      type: str
      sample: /api/v1/cckm/aws/synchronization-jobs
    body:
      description: Request body, or null.
      type: raw
      sample: {"kms": ["aws-kms"], "regions": ["us-east-1"]}
    description:
      description: What the step does.
      type: str
      sample: start a synchronization job for aws-kms
record:
  description:
    - For a synchronization run and O(state=cancelled), the synchronization job record as the API returned it after
      waiting (or when started, with O(wait=false)). In check mode, the job record before the task; null when a job
      would be started (it does not exist yet), the running job when it would be joined.
    - With O(schedule), the scheduler job configuration as the API returned it (in check mode, as it was before the
      task); null when it does not exist (after O(schedule.state=absent), or in check mode before a create).
  returned: always
  type: dict
  sample:
    id: afef70ff-311e-46c1-8ead-e1999e8c6d46
    overall_status: completed
    detailed_status: {"123456789012/us-east-1": "region synchronized successfully"}
    kms: [aws-kms]
    regions: [us-east-1]
resource:
  description:
    - For a synchronization run and O(state=cancelled), the job as a view with C(id), C(overall_status), C(abort),
      C(kms), C(regions), C(synchronize_all) and C(detailed_status). In check mode, the job that would be started (its
      C(id) null), or the running job when it would be joined.
    - With O(schedule), the scheduler job configuration as a view with C(id), C(name), C(run_at), C(description),
      C(disabled) and C(cckm_synchronization_params) (in check mode, as it would be); null when it does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the synchronization job or of the scheduler job configuration (null in check mode before a start or a create).
      type: str
      sample: afef70ff-311e-46c1-8ead-e1999e8c6d46
    overall_status:
      description: C(overall_status) of the job.
      type: str
      returned: for a synchronization run and O(state=cancelled)
      sample: completed
    abort:
      description: Whether the job was cancelled.
      type: bool
      returned: for a synchronization run and O(state=cancelled)
    kms:
      description: KMS containers the job synchronizes.
      type: list
      elements: str
      returned: for a synchronization run and O(state=cancelled)
      sample: [aws-kms]
    regions:
      description: Regions the job synchronizes.
      type: list
      elements: str
      returned: for a synchronization run and O(state=cancelled)
      sample: [us-east-1]
    synchronize_all:
      description: Whether the job synchronizes every KMS container.
      type: bool
      returned: for a synchronization run and O(state=cancelled)
    detailed_status:
      description: Status per account and region.
      type: dict
      returned: for a synchronization run and O(state=cancelled)
      sample: {"123456789012/us-east-1": "region synchronized successfully"}
    name:
      description: Name of the scheduler job configuration.
      type: str
      returned: with O(schedule)
      sample: nightly-aws-sync
    run_at:
      description: Cron expression of the schedule.
      type: str
      returned: with O(schedule)
      sample: "0 2 * * *"
    description:
      description: Description of the scheduler job configuration.
      type: str
      returned: with O(schedule)
    disabled:
      description: Whether the schedule is disabled.
      type: bool
      returned: with O(schedule)
    cckm_synchronization_params:
      description: What the scheduled synchronization covers (C(cloud_name), and C(kms) or C(synchronize_all)).
      type: dict
      returned: with O(schedule)
      sample: {"cloud_name": "aws", "synchronize_all": true}
job_id:
  description: ID of the job.
  returned: when a job was run (not in check mode) or cancelled
  type: str
overall_status:
  description: Final C(overall_status) of the job.
  returned: when a job was run (not in check mode) or cancelled
  type: str
  sample: completed
joined_running_job:
  description: True when another synchronization was already running and the task waited for it instead of starting one.
  returned: when a job was run (not in check mode)
  type: bool
counts:
  description: How many keys the synchronization added, updated and marked gone.
  returned: when a job was run and waited for
  type: dict
  sample: {"added": 2, "updated": 0, "gone": 1}
added:
  description: Keys that appeared in CCKM (id, alias, region, arn, key_state).
  returned: when a job was run and waited for
  type: list
  elements: dict
updated:
  description: Keys whose CCKM record changed (id, alias, region, arn, key_state).
  returned: when a job was run and waited for
  type: list
  elements: dict
gone:
  description: Keys now marked as no longer existing in AWS (id, alias, region, arn, key_state).
  returned: when a job was run and waited for
  type: list
  elements: dict
would_start:
  description: In check mode, the body of the job that would be started (null when a running job would be joined).
  returned: in check mode, for a synchronization run
  type: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import WAIT, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule
from ansible_collections.ciphertrust.cckm.plugins.module_utils._sync import sync_resource

SPEC = WAIT.merge(ArgumentSpec(
    {
        "kms": {"type": "list", "elements": "str"},
        "synchronize_all": {"type": "bool", "default": False},
        "regions": {"type": "list", "elements": "str"},
        "state": {"type": "str", "choices": ["present", "cancelled"], "default": "present"},
        "job_id": {"type": "str"},
        "if_running": {"type": "str", "choices": ["wait", "fail", "start"], "default": "wait"},
        "cancel_on_timeout": {"type": "bool", "default": False},
        "schedule": {"type": "dict", "options": {
            "name": {"type": "str", "required": True},
            "run_at": {"type": "str"},
            "description": {"type": "str"},
            "disabled": {"type": "bool", "default": False},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        }},
    },
    mutually_exclusive=[("schedule", "job_id")],
    required_if=[("state", "cancelled", ("job_id",))],
))


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(sync_resource)


if __name__ == "__main__":
    main()
