#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_kms_info
short_description: List CCKM KMS containers (AWS accounts)
version_added: 0.1.0
description:
  - Lists the CCKM KMS containers with the filters of C(GET /api/v1/cckm/aws/kms), reading all pages.
  - Each container comes as the view M(ciphertrust.cckm.aws_kms) returns, its connection resolved to a name and an ID.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  id:
    description: KMS container ID.
    type: str
  name:
    description: KMS container name.
    type: str
  account_id:
    description: AWS account ID.
    type: str
  cloud_name:
    description: AWS partition, for example V(aws).
    type: str
  status:
    description: Only active or only archived containers.
    type: str
  include_record:
    description: Also return each container as the API shows it, under RV(kms_containers[].record).
    type: bool
    default: false
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
seealso:
  - module: ciphertrust.cckm.aws_kms
"""

EXAMPLES = r"""
- name: The KMS containers of one AWS account
  ciphertrust.cckm.aws_kms_info:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    account_id: "123456789012"
  register: found

- name: Their names and regions
  ansible.builtin.debug:
    msg: "{{ found.kms_containers | items2dict(key_name='name', value_name='regions') }}"
"""

RETURN = r"""
kms_containers:
  description: The matching KMS containers, normalised.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: KMS container ID.
      type: str
    name:
      description: KMS container name.
      type: str
    account_id:
      description: AWS account ID.
      type: str
    connection:
      description: Name of the AWS connection (as the record gives it when it cannot be resolved).
      type: str
    connection_id:
      description: ID of the AWS connection, null when it cannot be resolved.
      type: str
    regions:
      description: AWS regions, sorted.
      type: list
      elements: str
    assume_role_arn:
      description: Role CCKM assumes, empty when none.
      type: str
    assume_role_external_id:
      description: External ID for the role.
      type: str
    arn:
      description: ARN of the identity CipherTrust Manager authenticates as.
      type: str
    status:
      description: V(active) or archived.
      type: str
    auto_added:
      description: Whether a scheduler added the container.
      type: bool
    cloud_name:
      description: AWS partition.
      type: str
    acls:
      description: ACL entries (C(user_id) or C(group), C(actions) sorted).
      type: list
      elements: dict
    record:
      description: The container as the API shows it (only with O(include_record=true)).
      type: dict
      returned: when O(include_record=true)
total:
  description: Number of containers returned.
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
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms_container import list_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec({
    "id": {"type": "str"},
    "name": {"type": "str"},
    "account_id": {"type": "str"},
    "cloud_name": {"type": "str"},
    "status": {"type": "str"},
    "include_record": {"type": "bool", "default": False},
})


def main():
    CckmModule(SPEC, supports_check_mode=True).read(list_kms)


if __name__ == "__main__":
    main()
