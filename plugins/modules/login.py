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
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.INFO_MODULE
notes:
  - "Set C(no_log: true) on the task, and pass the tokens on with C(module_defaults): the tokens are secrets."
  - The module changes nothing and supports check mode (it logs in in check mode too, since the other tasks need the token).
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
"""

RETURN = r"""
jwt:
  description: The API token (JWT); pass it to other tasks as O(jwt).
  returned: success
  type: str
refresh_token:
  description:
    - The refresh token the login issued (or the one given); pass it to other tasks as O(refresh_token) so that they
      renew an expired O(jwt) without the password.
  returned: success
  type: str
duration:
  description: Seconds the JWT lives.
  returned: success
  type: int
  sample: 300
actions:
  description: Always empty; logging in changes nothing.
  returned: always
  type: list
  elements: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

SPEC = ArgumentSpec({
    "refresh_token_lifetime": {"type": "int", "default": 120, "no_log": False},
})


def _login(params, client):
    answer = client.tokens.login(refresh_token_lifetime=params["refresh_token_lifetime"])
    return {"jwt": answer["jwt"], "refresh_token": answer.get("refresh_token") or params.get("refresh_token"),
            "duration": int(answer.get("duration") or 0)}


def main():
    CckmModule(SPEC, supports_check_mode=True, returns_tokens=True).read(_login)


if __name__ == "__main__":
    main()
