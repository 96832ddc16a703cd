# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ClumioClient: the Clumio REST API (wallets, BYOK post-process) on the shared HTTP loop."""

from __future__ import annotations

import os
import time

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec, env
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import HttpClient

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


def accept(resource):
    """The versioned media type Clumio's own SDKs send, e.g. ``application/api.clumio.wallets=v1+json``."""
    return "application/api.clumio.%s=v1+json" % resource


class ClumioClient(HttpClient):
    """Bearer API token, organizational-unit context and a per-resource versioned Accept header."""

    service = "Clumio"

    def __init__(self, params, base_url, on_retry=None, sleep=time.sleep, clock=time.monotonic):
        super().__init__(base_url, validate_certs=params.get("validate_certs", True), ca_file=params.get("ca_file"),
                         timeout=params.get("timeout") or 30, retries=5 if params.get("retries") is None else params["retries"],
                         on_retry=on_retry, sleep=sleep, clock=clock)
        self.session.headers.update({
            "Content-Type": "application/json",
            "x-clumio-organizationalunit-context": params.get("clumio_organizational_unit") or "",
            "x-clumio-api-client": "ciphertrust.cckm-ansible",
        })
        self._token = params["clumio_api_token"]

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

    def call(self, method, path, resource, body=None, params=None, idempotent=None, landed=None):
        """One Clumio API call with the Accept header of ``resource`` (``wallets``, ``post-process-kms``)."""
        return self.request(method, path, params=params, json_body=body, headers={"Accept": accept(resource)},
                            idempotent=idempotent, landed=landed)


def list_wallets(client, limit=100):
    """Every wallet of the organisation, following Clumio's page numbers (``start`` is a 1-based page, sent as a string)."""
    wallets = []
    page = 1
    while True:
        body = client.call("GET", "/wallets", "wallets", params={"limit": limit, "start": str(page)}) or {}
        items = (body.get("_embedded") or {}).get("items") or []
        wallets.extend(items)
        if not items or not (body.get("_links") or {}).get("_next"):
            return wallets
        page += 1
