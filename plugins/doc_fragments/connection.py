# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options shared by every CipherTrust Manager module (one place, one spec)."""

    DOCUMENTATION = r"""
options:
  host:
    description:
      - CipherTrust Manager address, for example C(https://cm.example.com) or C(cm.example.com).
      - When no scheme is given, C(https://) is used.
      - If not set, the environment variable E(CIPHERTRUST_HOST) is used.
    type: str
    required: true
  username:
    description:
      - User to authenticate as with the C(password) grant.
      - If not set, the environment variable E(CIPHERTRUST_USERNAME) is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the environment variable E(CIPHERTRUST_PASSWORD) is used.
    type: str
  refresh_token:
    description:
      - Refresh token to authenticate with the C(refresh_token) grant instead of a password.
      - When O(username) and O(password) are also set they are used if the refresh token is rejected.
      - If not set, the environment variable E(CIPHERTRUST_REFRESH_TOKEN) is used.
    type: str
  jwt:
    description:
      - API token (JWT) to use instead of logging in, typically the RV(ciphertrust.cckm.login#module:jwt) of a
        M(ciphertrust.cckm.login) task earlier in the play.
      - It is used until CipherTrust Manager rejects it (JWTs live 5 minutes); it is then renewed once with
        O(refresh_token), else O(username) and O(password).
      - If not set, the environment variable E(CIPHERTRUST_JWT) is used.
    type: str
  domain:
    description:
      - Domain (name or ID) the API token is issued for. Defaults to the root domain on the server.
      - If not set, the environment variable E(CIPHERTRUST_DOMAIN) is used.
    type: str
  auth_domain:
    description:
      - Domain in which the user is authenticated (where the user was created).
      - If not set, the environment variable E(CIPHERTRUST_AUTH_DOMAIN) is used.
    type: str
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turn this off only for lab systems; a warning is emitted when it is off.
      - If not set, the environment variable E(CIPHERTRUST_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_file:
    description:
      - PEM file with the CA certificate(s) that signed the server certificate, used instead of the system trust store.
      - If not set, the environment variable E(CIPHERTRUST_CA_FILE) is used.
    type: path
  timeout:
    description:
      - Seconds one HTTP answer may take in all, from sending the request to its last byte (a server that drips its answer cannot hold the task longer).
      - If not set, the environment variable E(CIPHERTRUST_TIMEOUT) is used.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429, 500, 502, 503, 504 or a connection error,
        with exponential backoff and full jitter, honouring C(Retry-After).
      - A request that creates something is only retried when it is known not to have been applied.
      - If not set, the environment variable E(CIPHERTRUST_RETRIES) is used.
    type: int
    default: 5
notes:
  - All connection options can be set once for a play with C(module_defaults) and the action group
    C(group/ciphertrust.cckm.cckm).
  - The API token (JWT) is obtained from C(/api/v1/auth/tokens), kept for the whole task and renewed shortly before it expires.
  - A password login asks for a refresh token that lives 60 minutes (C(refresh_token_lifetime)); CipherTrust Manager's
    refresh tokens otherwise never expire, and every task would leave one behind. Use M(ciphertrust.cckm.login) once per
    play, and O(jwt), to make one login for the whole play.
requirements:
  - requests >= 2.28 (Python library on the host that runs the module)
"""
