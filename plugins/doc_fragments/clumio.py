# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Connection options of modules that call the Clumio API."""

    DOCUMENTATION = r"""
options:
  clumio_api_token:
    description:
      - Clumio API token, sent as a bearer token.
      - If not set, the environment variable E(CLUMIO_API_TOKEN) is used.
    type: str
    required: true
  clumio_url:
    description:
      - Base URL of the Clumio API, for example V(https://us-west-2.api.clumio.com).
      - Mutually exclusive with O(clumio_region). When neither is set, the environment variable
        E(CLUMIO_API_BASE_URL) is used.
    type: str
  clumio_region:
    description:
      - Clumio control plane; selects the documented API URL for it.
    type: str
    choices: [ap-southeast-2, ca-central-1, eu-central-1, us-east-1, us-west-2]
  clumio_organizational_unit:
    description:
      - Organizational unit ID to act in (the C(x-clumio-organizationalunit-context) header).
      - If not set, the environment variable E(CLUMIO_ORGANIZATIONAL_UNIT_CONTEXT) is used.
    type: str
  validate_certs:
    description:
      - Verify the Clumio server's TLS certificate.
      - If not set, the environment variable E(CLUMIO_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_file:
    description:
      - PEM file with the CA certificate(s) to verify the server with, instead of the system trust store.
      - If not set, the environment variable E(CLUMIO_CA_FILE) is used.
    type: path
  timeout:
    description: Seconds one HTTP answer may take in all, from sending the request to its last byte.
    type: int
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429 (Clumio allows 100 requests per second per
        organisation), 5xx or a connection error, with exponential backoff honouring C(Retry-After).
    type: int
    default: 5
"""
