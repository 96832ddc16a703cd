#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_kms
short_description: Manage CCKM KMS containers (an AWS account, its connection, regions and ACLs)
version_added: 0.1.0
description:
  - Creates, updates and deletes a CipherTrust Cloud Key Manager (CCKM) KMS container as desired state. A KMS
    container is one AWS account that CCKM manages keys in, reached through an AWS connection
    (M(ciphertrust.cckm.aws_connection)), in a list of regions, with access control lists (ACLs) saying which
    CipherTrust Manager users and groups may do what with its keys.
  - Containers are found by O(name), which is unique and cannot change; neither can O(account_id).
  - O(regions) replaces the container's region list (O(purge_regions=true), the default) or adds to it. CCKM refuses
    to remove a region that holds keys; the module checks that before any write and fails naming the region.
  - O(acls) gives users and groups exactly the actions listed. The view permissions CCKM adds by itself
    (C(viewnative), C(viewbyok)) are never counted as a difference; the deprecated C(view) means both. Users and
    groups not listed keep their ACLs unless O(purge_acls=true).
  - O(state=absent) refuses while CCKM still manages keys in the container, listing some of them. With O(force=true)
    it first removes CCKM's records of those keys (C(DELETE /api/v1/cckm/aws/keys/{id})); the AWS keys themselves
    are not touched and come back with a synchronization (M(ciphertrust.cckm.aws_sync)) of a new container.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  name:
    description: Name of the KMS container, unique in CCKM. It cannot be changed.
    type: str
    required: true
  state:
    description: Whether the container should exist.
    type: str
    choices: [present, absent]
    default: present
  connection:
    description:
      - Name or ID of the AWS connection CCKM reaches the account with. Required to create.
      - In check mode a connection that does not exist yet is assumed to be created by an earlier task (with a warning);
        a real run fails before any write when it does not exist.
    type: str
  account_id:
    description: AWS account ID (12 digits). Required to create; it cannot change.
    type: str
  regions:
    description: AWS regions CCKM manages keys in. Required to create.
    type: list
    elements: str
  purge_regions:
    description:
      - V(true) makes O(regions) the container's exact region list; V(false) only adds the regions given.
    type: bool
    default: true
  assume_role_arn:
    description: ARN of an IAM role CCKM assumes in the account. It cannot be cleared once set.
    type: str
  assume_role_external_id:
    description: External ID for O(assume_role_arn). It cannot be cleared once set.
    type: str
  acls:
    description:
      - ACLs of CipherTrust Manager users and groups on the container. Each entry gives exactly the actions that user
        or group has (apart from the view permissions CCKM adds by itself); an empty O(acls[].actions) removes every
        action, view permissions included.
      - Not managed when not given (unless O(purge_acls=true)).
    type: list
    elements: dict
    suboptions:
      user_id:
        description: CipherTrust Manager user ID, for example V(local|57a191ec-8644-4e2f-aaa9-59ca2ba0dbf9). Give this or O(acls[].group).
        type: str
      group:
        description: CipherTrust Manager group name. Give this or O(acls[].user_id).
        type: str
      actions:
        description: CCKM actions permitted.
        type: list
        elements: str
        required: true
        choices: [keycreate, keymaterialimport, keymaterialdelete, keyrotate, keydelete, keycanceldelete, keysynchronize, keyupdate,
                  keyupload, view, viewnative, viewbyok, reportcreate, reportdelete, reportdownload, reportview, viewhyokkey,
                  hyokkeycreate, hyokkeyblockunblock, hyokkeydelete, hyokkeylink, viewcloudhsmkey, cloudhsmkeycreate,
                  cloudhsmkeydelete, viewkeystore, keystoreadd, keystoreupdate, keystoredelete, keystoreblock, keystoreunblock,
                  keystoreconnect, keystoredisconnect, keystorelink, keybulkoperation]
  purge_acls:
    description: Remove every action of the users and groups not in O(acls) (all ACLs when O(acls) is not given).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), delete a container that still holds keys, after removing CCKM's records of them (the AWS
        keys stay in AWS).
    type: bool
    default: false
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - Creating, changing and deleting containers and their ACLs is CipherTrust Manager administration; the user needs to
    be a CCKM administrator.
  - The container's ACLs are changed with two calls at most, one removing actions and one granting them
    (C(POST /api/v1/cckm/aws/kms/{id}/update-acls)).
  - Archiving a container (C(archive), C(recover)) is not managed by this module.
seealso:
  - module: ciphertrust.cckm.aws_kms_info
  - module: ciphertrust.cckm.aws_connection
  - module: ciphertrust.cckm.aws_sync
"""

EXAMPLES = r"""
- name: A KMS container for an account, with ACLs for a group and a user
  ciphertrust.cckm.aws_kms:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: prod-account
    connection: aws-connection
    account_id: "444455556666"
    regions: [us-east-1, eu-west-1]
    acls:
      - group: CCKM Key Admins
        actions: [keycreate, keyupdate, keydelete, keysynchronize]
      - user_id: "local|57a191ec-8644-4e2f-aaa9-59ca2ba0dbf9"
        actions: [keyupdate]
  register: kms

- name: Add a region without removing the others
  ciphertrust.cckm.aws_kms:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: prod-account
    regions: [us-west-2]
    purge_regions: false

- name: Remove the container, and CCKM's records of its keys (the AWS keys stay)
  ciphertrust.cckm.aws_kms:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: prod-account
    state: absent
    force: true
"""

RETURN = r"""
actions:
  description:
    - The calls made (create, update, ACL changes, key record removals, delete), or in check mode the calls a real run
      would make. Empty when nothing needs to change.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: POST
    path:
      description: API path.
      type: str
      sample: /api/v1/cckm/aws/kms/814cb57c-3831-4407-979e-da2c62616209/update-acls
    body:
      description: Request body, or null.
      type: raw
    description:
      description: What the call does.
      type: str
      sample: grant ACL actions to group CCKM Key Admins on KMS container prod-account
forgotten_keys:
  description: CCKM IDs of the keys whose CCKM records were removed before the container was deleted (O(force=true)).
  returned: when O(state=absent)
  type: list
  elements: str
record:
  description:
    - The container as the API returned it after the task; in check mode, as it was before.
    - Null when the container does not exist.
  returned: always
  type: dict
resource:
  description: The container normalised after the task (in check mode, as it would be); null when it does not exist.
  returned: always
  type: dict
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
      description: Name of the AWS connection (as given when it cannot be resolved).
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
      description: ACL entries (C(user_id) or C(group), C(actions) sorted, view permissions included as CCKM keeps them).
      type: list
      elements: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms_container import ACL_ACTIONS, KmsResource
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec(
    {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "connection": {"type": "str"},
        "account_id": {"type": "str"},
        "regions": {"type": "list", "elements": "str"},
        "purge_regions": {"type": "bool", "default": True},
        "assume_role_arn": {"type": "str"},
        "assume_role_external_id": {"type": "str"},
        "acls": {"type": "list", "elements": "dict", "options": {
            "user_id": {"type": "str"},
            "group": {"type": "str"},
            "actions": {"type": "list", "elements": "str", "required": True, "choices": list(ACL_ACTIONS)},
        }, "mutually_exclusive": [("user_id", "group")], "required_one_of": [("user_id", "group")]},
        "purge_acls": {"type": "bool", "default": False},
        "force": {"type": "bool", "default": False},
    },
    required_by={"assume_role_external_id": "assume_role_arn"},
)


def main():
    CckmModule(SPEC, supports_check_mode=True).converge(KmsResource)


if __name__ == "__main__":
    main()
