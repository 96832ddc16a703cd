# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The rotation_job option of the key modules: attaching keys to a CCKM rotation schedule."""

    DOCUMENTATION = r"""
options:
  rotation_job:
    description:
      - Attach the key to a CCKM rotation schedule (a scheduler job configuration of operation C(cckm_key_rotation), see
        M(ciphertrust.cckm.aws_key_rotation_schedule)), move it to another one, or detach it (O(rotation_job.state=absent)).
        CCKM then rotates the key when the schedule runs (C(POST keys/{id}/enable-rotation-job)).
      - This is CCKM's scheduled rotation, not AWS's own automatic rotation (O(auto_rotation)).
      - A key record shows the schedule it is attached to (C(job_config_id)) and O(rotation_job.disable_encrypt)
        (C(disable_encrypt_on_auto_rotate)); only these two are compared. The other suboptions are sent when the key is attached
        or moved; to change only them on an attached key, detach it and attach it again.
      - Unset means the attachment is not managed.
    type: dict
    suboptions:
      name:
        description:
          - Name or ID of the rotation schedule. A value that looks like a UUID is read as an ID first.
          - Required unless O(rotation_job.state=absent); with V(absent), the key is detached only from this schedule.
          - A schedule that does not exist fails the task before anything is written; in check mode it is assumed to be created
            by an earlier task, with a warning.
        type: str
      state:
        description: V(present) attaches the key (or moves it to this schedule); V(absent) detaches it.
        type: str
        choices: [present, absent]
        default: present
      key_source:
        description:
          - Where CCKM makes the new key material at each rotation (C(auto_rotate_key_source)); the server's default when unset
            (V(local), CipherTrust Manager).
          - V(ciphertrust) is the name the Thales Terraform provider and older CipherTrust Manager versions use for V(local).
        type: str
        choices: [local, ciphertrust, dsm, hsm-luna, external-cm]
      disable_encrypt:
        description: Disable encryption with the old key after a rotation (C(auto_rotate_disable_encrypt)).
        type: bool
      disable_encrypt_on_all_accounts:
        description:
          - Remove the encrypt permissions of every account from the old key after a rotation; mutually exclusive with
            O(rotation_job.disable_encrypt).
        type: bool
      domain_id:
        description: With O(rotation_job.key_source=dsm), the DSM domain the new keys are created in.
        type: str
      partition_id:
        description: With O(rotation_job.key_source=hsm-luna), the Luna HSM partition the new keys are created in.
        type: str
      external_cm_domain_id:
        description: With O(rotation_job.key_source=external-cm), the domain of the external CipherTrust Manager.
        type: str
"""
