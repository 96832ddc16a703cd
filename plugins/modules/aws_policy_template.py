#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_policy_template
short_description: Manage CipherTrust CCKM key policy templates for AWS KMS keys
version_added: 0.1.0
description:
  - Creates, updates and deletes CCKM key policy templates as desired state. A template holds an AWS key
    policy, or the IAM users, roles and accounts CCKM generates the policy from.
  - Compares normalised content (policy JSON order and format, list order, the C(key_admins) versus
    C(key-admins) spelling of some CipherTrust versions) and writes only when it differs.
  - A template becomes verified when a key is created with it. Changing a verified template that keys use
    requires O(auto_push=true), which pushes the new policy to those keys in a job the module waits for;
    changing a verified template no key uses makes it unverified again, which the result reports.
  - Deleting a template keys use fails with the list of those keys.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  name:
    description: Template name, unique within its scope (the KMS, the account, or no scope). Required to create.
    type: str
  id:
    description: Template ID, to address an existing template directly.
    type: str
  state:
    description: Whether the template should exist.
    type: str
    choices: [present, absent]
    default: present
  kms:
    description:
      - Name or ID of the KMS container whose keys may use the template. Mutually exclusive with O(account_id).
      - With neither O(kms) nor O(account_id) the template cannot be applied to keys and needs O(policy).
    type: str
  account_id:
    description: AWS account ID (12 digits) whose keys (of any KMS container of that account) may use the template.
    type: str
  policy:
    description:
      - The key policy, as a dictionary or a JSON string. Mutually exclusive with the user, role and account lists.
      - When neither O(policy) nor any list is given, a new template gets CCKM's default policy and an existing
        template's content is left as it is.
    type: json
  key_admins:
    description: IAM users who may administer keys using the template.
    type: list
    elements: str
  key_admins_roles:
    description: IAM roles who may administer keys using the template.
    type: list
    elements: str
  key_users:
    description: IAM users who may use keys in cryptographic operations.
    type: list
    elements: str
  key_users_roles:
    description: IAM roles who may use keys in cryptographic operations.
    type: list
    elements: str
  external_accounts:
    description: Other AWS accounts that may use the keys.
    type: list
    elements: str
  auto_push:
    description:
      - Allow changing a verified template that keys use; CCKM then pushes the new policy to all of them.
    type: bool
    default: false
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.wait
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - When lists are given, lists not given are empty in the template (CCKM replaces the whole definition).
  - O(wait), O(wait_timeout) and O(wait_sleep) apply to the job that pushes a changed template to its keys.
  - Where that push job can be read is not documented; it is followed as a bulk job (B(assumed)). When CipherTrust
    Manager does not know it as one, the task warns with the job's ID instead of waiting, and does not fail (the
    template itself was changed).
  - Needs the C(keycreate), C(keyupdate) or C(keydelete) permission for create, update or delete.
seealso:
  - module: ciphertrust.cckm.aws_policy_template_info
  - module: ciphertrust.cckm.aws_key
"""

EXAMPLES = r"""
- name: A template generated from IAM users and roles, for the keys of one KMS container
  ciphertrust.cckm.aws_policy_template:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: payments-keys
    kms: aws-kms
    key_admins: [security-admin]
    key_users: [payments-app]
    key_users_roles: [payments-role]
  register: template

- name: A template with an explicit policy, usable by every KMS container of an account
  ciphertrust.cckm.aws_policy_template:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: account-wide
    account_id: "123456789012"
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: Enable IAM User Permissions
          Effect: Allow
          Principal: {AWS: "arn:aws:iam::123456789012:root"}
          Action: "kms:*"
          Resource: "*"

- name: Remove a template no key uses
  ciphertrust.cckm.aws_policy_template:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: account-wide
    account_id: "123456789012"
    state: absent
"""

RETURN = r"""
actions:
  description:
    - The CCKM calls made (create, update or delete of the template), or in check mode the calls a real run would
      make; check mode returns the same actions as a real run. Empty when nothing needs to change.
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
      sample: /api/v1/cckm/aws/templates/7a1bd1a1-2f4f-4c5e-9b51-0c3b6c1e9a50
    body:
      description: Request body, or null.
      type: raw
    description:
      description: What the call does.
      type: str
      sample: update policy template payments-keys
record:
  description:
    - The template as the API returned it after the task.
    - In check mode, the template before the task (nothing is read back).
    - Null when the template does not exist (after a delete, or in check mode before a create).
  returned: always
  type: dict
resource:
  description:
    - The template normalised (admins under C(key_admins) whatever the API spelling, lists never null) after the task;
      in check mode, as it would be.
    - Null when the template does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: Template ID.
      type: str
    name:
      description: Template name.
      type: str
    kms:
      description: ID of the KMS container of the scope.
      type: str
    kms_name:
      description: Name of the KMS container of the scope.
      type: str
    account_id:
      description: AWS account ID of the scope.
      type: str
    is_verified:
      description: Whether a key was created with the template.
      type: bool
    policy:
      description: The key policy.
      type: dict
    key_admins:
      description: IAM users administering the keys.
      type: list
      elements: str
    key_admins_roles:
      description: IAM roles administering the keys.
      type: list
      elements: str
    key_users:
      description: IAM users using the keys.
      type: list
      elements: str
    key_users_roles:
      description: IAM roles using the keys.
      type: list
      elements: str
    external_accounts:
      description: External AWS accounts.
      type: list
      elements: str
is_verified:
  description: Whether the template is verified after the task.
  returned: when the template exists
  type: bool
in_use_by:
  description: CCKM IDs of the keys using the template (read when the task changes or deletes a template).
  returned: when the template was changed or deleted
  type: list
  elements: str
became_unverified:
  description: True when the change made a verified template (used by no key) unverified.
  returned: when the template was changed
  type: bool
push_job:
  description: The job that pushed the changed template to its keys (id, overall_status, detailed_status).
  returned: when a verified template in use was changed with O(auto_push=true)
  type: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import WAIT, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import POLICY_LISTS
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import TemplateResource

_NAMES = {"type": "list", "elements": "str", "no_log": False}

SPEC = WAIT.merge(ArgumentSpec(
    dict({
        "name": {"type": "str"},
        "id": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "kms": {"type": "str"},
        "account_id": {"type": "str"},
        "policy": {"type": "json"},
        "auto_push": {"type": "bool", "default": False},
    }, **{field: dict(_NAMES) for field in POLICY_LISTS}),
    mutually_exclusive=[("kms", "account_id")] + [("policy", field) for field in POLICY_LISTS],
    required_one_of=[("name", "id")],
))


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(TemplateResource)


if __name__ == "__main__":
    main()
