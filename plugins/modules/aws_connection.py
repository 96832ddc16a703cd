#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_connection
short_description: Manage CipherTrust Manager AWS connections, the credentials CCKM reaches AWS with
version_added: 0.1.0
description:
  - Creates, updates and deletes an AWS connection of the CipherTrust Manager Connection Manager
    (C(/api/v1/connectionmgmt/services/aws/connections)) as desired state. A CCKM KMS container
    (M(ciphertrust.cckm.aws_kms)) reaches its AWS account through one.
  - A connection authenticates with an access key (O(access_key_id) and O(secret_access_key)), optionally assuming
    a role (O(assume_role_arn)), or with IAM Roles Anywhere (O(iam_role_anywhere)). The two kinds cannot be
    converted into each other.
  - Connections are found by O(name), which is unique and cannot change.
  - Options left out are not managed; every readable field given is compared with the connection and only what
    differs is sent.
  - B(Secrets are write-only.) CipherTrust Manager never returns O(secret_access_key) or
    O(iam_role_anywhere.private_key), so no run can tell whether the value given differs from the stored one.
    O(update_secret) decides when they are sent, and so how C(changed) is decided for them.
    With V(on_create) (the default) a secret is sent when the connection is created, and when O(access_key_id)
    changes (a new key ID needs its secret; for IAM Roles Anywhere, when a certificate or ARN field changes); it
    never causes a change by itself, so a rotated secret is not pushed.
    With V(always) the secret is sent on every run, and every run reports C(changed=true) (as amazon.aws modules do
    for passwords with C(update_password=always)).
  - Secrets never appear in the result, the diff, warnings or error messages; in RV(actions) they are replaced by
    C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER), in the diff by C(********).
  - Deleting a connection that KMS containers use fails, naming them.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  name:
    description: Connection name, unique in CipherTrust Manager. It cannot be changed.
    type: str
    required: true
  state:
    description: Whether the connection should exist.
    type: str
    choices: [present, absent]
    default: present
  access_key_id:
    description:
      - Access key ID of the AWS IAM user the connection signs in as. Requires O(secret_access_key).
      - Mutually exclusive with O(iam_role_anywhere).
    type: str
  secret_access_key:
    description:
      - Secret access key of O(access_key_id). Write-only, see O(update_secret).
    type: str
  update_secret:
    description:
      - When the write-only secrets (O(secret_access_key), O(iam_role_anywhere.private_key)) are sent.
      - V(on_create) sends them when the connection is created or its access key ID (or IAM Roles Anywhere
        certificate data) changes; a run never reports a change for the secret alone.
      - V(always) sends them on every run; every run then reports a change.
    type: str
    choices: [always, on_create]
    default: on_create
  assume_role_arn:
    description:
      - ARN of an IAM role the connection assumes after signing in.
      - Once set it cannot be cleared (CipherTrust Manager ignores an empty value on update); an empty value for a set
        field fails.
    type: str
  assume_role_external_id:
    description: External ID for O(assume_role_arn). Like O(assume_role_arn), it cannot be cleared once set.
    type: str
  aws_region:
    description:
      - AWS region for regional STS endpoints. CipherTrust Manager defaults it per cloud (V(us-east-1),
        V(us-gov-east-1), V(cn-north-1)).
    type: str
  aws_sts_regional_endpoints:
    description: Use the global STS endpoint (V(legacy), CipherTrust Manager's default) or the regional one.
    type: str
    choices: [legacy, regional]
  cloud_name:
    description: AWS partition. CipherTrust Manager defaults to V(aws).
    type: str
    choices: [aws, aws-us-gov, aws-cn]
  description:
    description: Description. It cannot be cleared once set (an empty value for a set description fails).
    type: str
  labels:
    description: Labels (key/value pairs) of the connection.
    type: dict
  purge_labels:
    description: Remove labels not in O(labels). Ignored when O(labels) is not given.
    type: bool
    default: true
  products:
    description:
      - CipherTrust products the connection serves. When creating, V([cckm]) unless given; compared as a set.
    type: list
    elements: str
    choices: [cckm, ddc, cte, data discovery, backup/restore, logger, hsm_anchored_domain, csm]
  iam_role_anywhere:
    description:
      - Authenticate with AWS IAM Roles Anywhere (a certificate) instead of an access key. Creates a connection with
        C(is_role_anywhere=true). Mutually exclusive with O(access_key_id) and O(secret_access_key).
    type: dict
    suboptions:
      anywhere_role_arn:
        description: ARN of the IAM role to assume.
        type: str
        required: true
      certificate:
        description: PEM certificate the trust anchor accepts.
        type: str
        required: true
      private_key:
        description: PEM private key of O(iam_role_anywhere.certificate). Write-only, see O(update_secret).
        type: str
        required: true
      profile_arn:
        description: ARN of the IAM Roles Anywhere profile.
        type: str
        required: true
      trust_anchor_arn:
        description: ARN of the IAM Roles Anywhere trust anchor.
        type: str
        required: true
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - Connection Manager calls are CipherTrust Manager administration, not CCKM actions; the user needs the right to
    manage connections.
  - A connection is compared with its full record (C(GET .../connections/{id})), since the list may leave fields out.
seealso:
  - module: ciphertrust.cckm.aws_connection_info
  - module: ciphertrust.cckm.aws_kms
"""

EXAMPLES = r"""
- name: An access-key connection for CCKM, created once; later runs do not resend the secret
  ciphertrust.cckm.aws_connection:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: aws-prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key: "{{ aws_secret_access_key | default('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY') }}"
    description: Production AWS account
    labels:
      team: security
  no_log: true

- name: Rotate the secret (sent on this run, reported as a change)
  ciphertrust.cckm.aws_connection:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: aws-prod
    access_key_id: AKIAIOSFODNN7EXAMPLE
    secret_access_key: "{{ aws_new_secret_access_key | default('je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY') }}"
    update_secret: always
  no_log: true

- name: Remove the connection (fails while a KMS container uses it)
  ciphertrust.cckm.aws_connection:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: aws-prod
    state: absent
"""

RETURN = r"""
actions:
  description:
    - The calls made (create, update or delete), or in check mode the calls a real run would make. Secrets in the
      bodies are replaced by C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER). Empty when nothing needs to change.
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
      sample: /api/v1/connectionmgmt/services/aws/connections/0cbcf1be-663e-4a7a-a29a-274d20b2ff58
    body:
      description: Request body (secrets masked), or null.
      type: raw
    description:
      description: What the call does.
      type: str
      sample: update AWS connection aws-prod (description, labels)
secret_updated:
  description: Whether a secret was sent (or in check mode would be).
  returned: always
  type: bool
record:
  description:
    - The connection as the API returned it after the task (never with a secret); in check mode, as it was before.
    - Null when the connection does not exist.
  returned: always
  type: dict
resource:
  description:
    - The connection normalised after the task (in check mode, as it would be); null when it does not exist.
  returned: always
  type: dict
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
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._connection import PRODUCTS, ConnectionResource
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec(
    {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "access_key_id": {"type": "str", "no_log": False},
        "secret_access_key": {"type": "str", "no_log": True},
        "update_secret": {"type": "str", "choices": ["always", "on_create"], "default": "on_create", "no_log": False},
        "assume_role_arn": {"type": "str"},
        "assume_role_external_id": {"type": "str"},
        "aws_region": {"type": "str"},
        "aws_sts_regional_endpoints": {"type": "str", "choices": ["legacy", "regional"]},
        "cloud_name": {"type": "str", "choices": ["aws", "aws-us-gov", "aws-cn"]},
        "description": {"type": "str"},
        "labels": {"type": "dict"},
        "purge_labels": {"type": "bool", "default": True},
        "products": {"type": "list", "elements": "str", "choices": list(PRODUCTS)},
        "iam_role_anywhere": {"type": "dict", "options": {
            "anywhere_role_arn": {"type": "str", "required": True},
            "certificate": {"type": "str", "required": True},
            "private_key": {"type": "str", "required": True, "no_log": True},
            "profile_arn": {"type": "str", "required": True},
            "trust_anchor_arn": {"type": "str", "required": True},
        }},
    },
    mutually_exclusive=[("iam_role_anywhere", "access_key_id"), ("iam_role_anywhere", "secret_access_key")],
    required_together=[("access_key_id", "secret_access_key")],
    required_by={"assume_role_external_id": "assume_role_arn"},
)


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(ConnectionResource)


if __name__ == "__main__":
    main()
