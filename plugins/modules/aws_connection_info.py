#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_connection_info
short_description: List CipherTrust Manager AWS connections
version_added: 0.1.0
description:
  - Lists the AWS connections of the CipherTrust Manager Connection Manager with the filters of its list API,
    reading all pages.
  - Each connection comes as the view M(ciphertrust.cckm.aws_connection) returns. Secrets are never returned
    (CipherTrust Manager does not return them; a server that did would have them dropped).
  - With O(name) or O(id) the connection's full record is read; a plain listing shows what the list answers.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  name:
    description: Connection name.
    type: str
  id:
    description: Connection ID.
    type: str
  cloud_name:
    description: Only connections to this AWS partition.
    type: str
    choices: [aws, aws-us-gov, aws-cn]
  products:
    description: Only connections serving this CipherTrust product, for example V(cckm).
    type: str
  include_record:
    description: Also return each connection as the API shows it (without secrets), under RV(connections[].record).
    type: bool
    default: false
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
seealso:
  - module: ciphertrust.cckm.aws_connection
"""

EXAMPLES = r"""
- name: Every AWS connection CCKM uses
  ciphertrust.cckm.aws_connection_info:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    products: cckm
  register: found

- name: Their names
  ansible.builtin.debug:
    msg: "{{ found.connections | map(attribute='name') | list }}"
"""

RETURN = r"""
connections:
  description: The matching connections, normalised (never with a secret).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Connection ID.
      type: str
    name:
      description: Connection name.
      type: str
    description:
      description: Description.
      type: str
    access_key_id:
      description: Access key ID, null for IAM Roles Anywhere connections.
      type: str
    assume_role_arn:
      description: Role assumed, empty when none.
      type: str
    assume_role_external_id:
      description: External ID for the role.
      type: str
    aws_region:
      description: AWS region of STS calls.
      type: str
    aws_sts_regional_endpoints:
      description: V(legacy) or V(regional).
      type: str
    cloud_name:
      description: AWS partition.
      type: str
    is_role_anywhere:
      description: Whether the connection uses IAM Roles Anywhere.
      type: bool
    iam_role_anywhere:
      description: The IAM Roles Anywhere settings (never the private key); null for access-key connections.
      type: dict
    labels:
      description: Labels.
      type: dict
    products:
      description: CipherTrust products the connection serves.
      type: list
      elements: str
    last_connection_ok:
      description: Result of the last connection test, null if never tested.
      type: bool
    last_connection_error:
      description: Error of the last connection test.
      type: str
    last_connection_at:
      description: When the connection was last tested.
      type: str
    record:
      description: The connection as the API shows it, without secrets (only with O(include_record=true)).
      type: dict
      returned: when O(include_record=true)
total:
  description: Number of connections returned.
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
from ansible_collections.ciphertrust.cckm.plugins.module_utils._connection import list_connections
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec({
    "name": {"type": "str"},
    "id": {"type": "str"},
    "cloud_name": {"type": "str", "choices": ["aws", "aws-us-gov", "aws-cn"]},
    "products": {"type": "str"},
    "include_record": {"type": "bool", "default": False},
})


def main():
    CckmModule(SPEC, supports_check_mode=True).read(list_connections)


if __name__ == "__main__":
    main()
