# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""ClumioClient: the Clumio REST API session (bearer token, organizational unit) on the shared HTTP loop.

It knows no endpoint but the base URL; the paths and versioned media types live in _api.
"""

from __future__ import annotations

import os
import time

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec, env
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import HttpClient, clean_token, tls_verify

# Clumio control planes and their API hosts (Clumio's Terraform provider documents the same list).
REGION_URLS = {
    "us-west-2": "https://us-west-2.api.clumio.com",
    "us-east-1": "https://us-east-1.api.clumio.com",
    "ca-central-1": "https://ca-central-1.ca.api.clumio.com",
    "eu-central-1": "https://eu-central-1.de.api.clumio.com",
    "ap-southeast-2": "https://ap-southeast-2.au.api.clumio.com",
}
URL_ENV = "CLUMIO_API_BASE_URL"

CLUMIO = ArgumentSpec({
    "clumio_api_token": {"type": "str", "required": True, "no_log": True, "fallback": env("CLUMIO_API_TOKEN")},
    "clumio_url": {"type": "str"},
    "clumio_region": {"type": "str", "choices": sorted(REGION_URLS)},
    "clumio_organizational_unit": {"type": "str", "fallback": env("CLUMIO_ORGANIZATIONAL_UNIT_CONTEXT")},
    "validate_certs": {"type": "bool", "default": True, "fallback": env("CLUMIO_VALIDATE_CERTS")},
    "ca_file": {"type": "path", "fallback": env("CLUMIO_CA_FILE")},
    "timeout": {"type": "int", "default": 30},
    "retries": {"type": "int", "default": 5},
}, mutually_exclusive=[("clumio_url", "clumio_region")])


def clumio_base_url(params, environ=None):
    """``clumio_url``, else the URL of ``clumio_region``, else ``$CLUMIO_API_BASE_URL``; None when none is set."""
    environ = os.environ if environ is None else environ
    if params.get("clumio_url"):
        url = params["clumio_url"]
    elif params.get("clumio_region"):
        url = REGION_URLS[params["clumio_region"]]
    else:
        url = environ.get(URL_ENV)
    return url.strip().rstrip("/") if url else None


class ClumioClient(HttpClient):
    """Bearer API token and organizational-unit context; each endpoint adds its versioned Accept header."""

    service = "Clumio"

    def __init__(self, params, base_url, on_retry=None, sleep=time.sleep, clock=time.monotonic):
        super().__init__(base_url, verify=tls_verify(params), timeout=params["timeout"], retries=params["retries"],
                         on_retry=on_retry, sleep=sleep, clock=clock, url_option="clumio_url")
        self.session.headers.update({
            "Content-Type": "application/json",
            "x-clumio-organizationalunit-context": params.get("clumio_organizational_unit") or "",
            "x-clumio-api-client": "ciphertrust.cckm-ansible",
        })
        self._token = clean_token("clumio_api_token", params["clumio_api_token"])

    def _auth_headers(self):
        return {"Authorization": "Bearer " + self._token}

    def _error_details(self, body):
        errors = body.get("errors") if isinstance(body, dict) else None
        if not errors:
            return None, None
        codes = ", ".join(str(e.get("error_code")) for e in errors if e.get("error_code") is not None) or None
        return codes, "; ".join(str(e.get("error_message")) for e in errors if e.get("error_message")) or None

    def _error_hint(self, status, method, path):
        if status == 401:
            return "The Clumio API token (clumio_api_token) is invalid or expired"
        if status == 403:
            return "The Clumio API token lacks the rights for this call, or the organizational unit is wrong"
        return None
