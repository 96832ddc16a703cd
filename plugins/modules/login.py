#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: login
short_description: Log in to CipherTrust Manager once and hand the token to the play's other tasks
version_added: 0.1.0
description:
  - Obtains an API token (JWT) and a refresh token from CipherTrust Manager with the connection options, and returns
    them so that the play's other tasks use them through O(jwt) and O(refresh_token) instead of logging in again.
  - Every other module logs in on its own otherwise, and every password login makes CipherTrust Manager issue one
    more refresh token, which by default never expires. With this module a play makes one password grant and
    leaves one refresh token, whose lifetime O(refresh_token_lifetime) bounds.
  - With O(state=absent), revokes the refresh token at the end of the play, so that the play leaves none behind.
  - The model is community.hashi_vault's vault_login.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  refresh_token_lifetime:
    description:
      - Minutes the refresh token issued by the password grant stays valid (C(refresh_token_lifetime) of the token
        API). Make it longer than the play.
    type: int
    default: 120
  state:
    description:
      - V(present) logs in and returns the tokens.
      - V(absent) revokes O(refresh_token) (C(POST /api/v1/auth/revoke)), authenticated by O(jwt) or the other
        connection options; the refresh token is identified with O(client_id), or with O(username) and O(password).
        A refresh token already revoked, expired or unknown leaves the task unchanged, with a warning.
    type: str
    choices: [present, absent]
    default: present
  client_id:
    description:
      - With O(state=absent), the client id of the refresh token, as the login task returned it in RV(client_id).
    type: str
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
notes:
  - "Set C(no_log: true) on the task, and pass the tokens on with C(module_defaults): the tokens are secrets."
  - With O(state=present) the module changes nothing and supports check mode (it logs in in check mode too, since the
    other tasks need the token). With O(state=absent), check mode reports the revocation without sending it, since
    a refresh token cannot be read back.
seealso:
  - module: ciphertrust.cckm.aws_key
"""

EXAMPLES = r"""
- name: Log in once
  ciphertrust.cckm.login:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
  register: cm_login
  no_log: true

- name: The other tasks use the token
  module_defaults:
    group/ciphertrust.cckm.cckm:
      host: "{{ cm_host }}"
      jwt: "{{ cm_login.jwt }}"
      refresh_token: "{{ cm_login.refresh_token }}"
  block:
    - name: Keys of one region
      ciphertrust.cckm.aws_key_info:
        kms: aws-kms
        region: us-east-1
      register: keys
  always:
    - name: Revoke the play's refresh token
      ciphertrust.cckm.login:
        host: "{{ cm_host }}"
        jwt: "{{ cm_login.jwt }}"
        refresh_token: "{{ cm_login.refresh_token }}"
        client_id: "{{ cm_login.client_id }}"
        state: absent
      no_log: true
"""

RETURN = r"""
jwt:
  description: The API token (JWT); pass it to other tasks as O(jwt).
  returned: when O(state=present)
  type: str
refresh_token:
  description:
    - The refresh token the login issued (or the one given); pass it to other tasks as O(refresh_token) so that they
      renew an expired O(jwt) without the password.
  returned: when O(state=present)
  type: str
client_id:
  description: The client id of the refresh token; pass it to the O(state=absent) task as O(client_id).
  returned: when O(state=present)
  type: str
duration:
  description: Seconds the JWT lives.
  returned: when O(state=present)
  type: int
  sample: 300
actions:
  description: Empty when logging in; the revocation, its token masked, with O(state=absent).
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._login import RefreshTokenRevocation, login
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec({
    "refresh_token_lifetime": {"type": "int", "default": 120, "no_log": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "client_id": {"type": "str"},
})


def main():
    module = CckmModule(SPEC, supports_check_mode=True, returns_tokens=lambda params: params["state"] == "present")
    if module.params["state"] == "present":
        module.read(login)
    module.converge(RefreshTokenRevocation)


if __name__ == "__main__":
    main()
