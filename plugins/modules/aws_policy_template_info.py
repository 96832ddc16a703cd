#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_policy_template_info
short_description: List CipherTrust CCKM key policy templates
version_added: 0.1.0
description:
  - Lists CCKM key policy templates with every filter of the API, reading all pages.
  - Each template comes normalised (admins under C(key_admins) whatever the API spelling, lists never null),
    the same view M(ciphertrust.cckm.aws_policy_template) returns.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  id:
    description: Template ID.
    type: str
  name:
    description: Template name.
    type: str
  kms_name:
    description: Name or ID of the KMS container of the templates.
    type: str
  account_id:
    description: AWS account ID of the templates.
    type: str
  cloud:
    description: AWS cloud (partition) name, for example V(aws).
    type: str
  is_verified:
    description: Only verified (V(true)) or only unverified (V(false)) templates.
    type: bool
  sort:
    description: Comma-separated fields to sort by; prefix a field with C(-) for descending order.
    type: str
  include_record:
    description: Also return each template as the API shows it, under RV(policy_templates[].record).
    type: bool
    default: false
    aliases: [include_resource]
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
seealso:
  - module: ciphertrust.cckm.aws_policy_template
"""

EXAMPLES = r"""
- name: Verified templates of one KMS container
  ciphertrust.cckm.aws_policy_template_info:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms_name: aws-kms
    is_verified: true
  register: verified

- name: Their names
  ansible.builtin.debug:
    msg: "{{ verified.policy_templates | map(attribute='name') | list }}"
"""

RETURN = r"""
policy_templates:
  description: The matching templates, normalised.
  returned: always
  type: list
  elements: dict
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
    record:
      description: The template as the API shows it (only with O(include_record=true)).
      type: dict
      returned: when O(include_record=true)
total:
  description: Number of templates returned.
  returned: always
  type: int
actions:
  description: The changes made; always empty, as this module only reads.
  returned: always
  type: list
  elements: dict
  sample: []
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import list_templates

SPEC = ArgumentSpec({
    "id": {"type": "str"},
    "name": {"type": "str"},
    "kms_name": {"type": "str"},
    "account_id": {"type": "str"},
    "cloud": {"type": "str"},
    "is_verified": {"type": "bool"},
    "sort": {"type": "str"},
    "include_record": {"type": "bool", "default": False, "aliases": ["include_resource"]},
})


def main():
    CckmModule(SPEC, supports_check_mode=True).read(list_templates)


if __name__ == "__main__":
    main()
