# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CckmClient: the CipherTrust Manager REST client every module uses (modules never build URLs elsewhere)."""

from __future__ import annotations

import time
from urllib.parse import quote

from ansible_collections.ciphertrust.cckm.plugins.module_utils._auth import TOKENS_PATH, TokenCache, grants_from_params
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import HttpClient

API = "/api/v1"
AWS = API + "/cckm/aws"
PAGE_SIZE = 1000

# Permission a 403 on a route most likely means, to say which ACL to grant.
_PERMISSION_HINTS = (
    ("/cckm/aws/bulkjob", "POST", "keybulkoperation"),
    ("/cckm/aws/synchronization-jobs", "POST", "keysynchronize"),
    ("/schedule-deletion", "POST", "keydelete"),
    ("/cancel-deletion", "POST", "keycanceldelete"),
    ("/import-material", "POST", "keymaterialimport"),
    ("/delete-material", "POST", "keymaterialdelete"),
    ("/cckm/aws/keys", "POST", "keycreate or keyupdate"),
    ("/cckm/aws/templates", "DELETE", "keydelete"),
    ("/cckm/aws/templates", "PATCH", "keyupdate"),
    ("/cckm/aws/templates", "POST", "keycreate"),
)


def base_url(host):
    """``cm.example.com`` -> ``https://cm.example.com``; a given scheme is kept."""
    host = host.strip().rstrip("/")
    return host if "://" in host else "https://" + host


def path_id(value):
    """A resource id or name as one URL path segment."""
    return quote(str(value), safe="")


class CckmClient(HttpClient):
    """One session and one cached JWT per module run; re-authenticates once on a 401."""

    service = "CipherTrust Manager"

    def __init__(self, params, on_retry=None, sleep=time.sleep, clock=time.monotonic):
        super().__init__(base_url(params["host"]), validate_certs=params.get("validate_certs", True),
                         ca_file=params.get("ca_file"), timeout=params.get("timeout") or 30,
                         retries=5 if params.get("retries") is None else params["retries"],
                         on_retry=on_retry, sleep=sleep, clock=clock)
        self.tokens = TokenCache(grants_from_params(params), self._login, clock)

    def _login(self, body):
        return self.request("POST", TOKENS_PATH, json_body=body, authenticated=False, idempotent=True)

    def _auth_headers(self):
        return {"Authorization": "Bearer " + self.tokens.fetch()}

    def _forget_credentials(self):
        self.tokens.forget()
        return True

    def _error_details(self, body):
        if isinstance(body, dict):
            return body.get("codeDesc") or body.get("code"), body.get("message")
        return None, None

    def _error_hint(self, status, method, path):
        if status != 403:
            return None
        for fragment, verb, permission in _PERMISSION_HINTS:
            if fragment in path and verb == method:
                return "The user needs the '%s' permission on the KMS (CCKM ACLs) or the feature is not licensed" % permission
        return "The user lacks a permission for this call, or the feature is not licensed"

    def paginate(self, path, params=None, page_size=PAGE_SIZE):
        """Yield every resource of a list endpoint, reading pages of ``page_size`` (skip/limit/total)."""
        query = dict(params or {})
        skip = 0
        while True:
            query.update(skip=skip, limit=page_size)
            page = self.get(path, params=query) or {}
            resources = page.get("resources") or []
            yield from resources
            skip += len(resources)
            total = page.get("total")
            if not resources or (total is not None and skip >= total) or (total is None and len(resources) < page_size):
                return

    def find_one(self, path, params, matches):
        """The first listed resource for which ``matches(resource)`` holds (filters the server ignored are re-checked)."""
        for resource in self.paginate(path, params):
            if matches(resource):
                return resource
        return None
