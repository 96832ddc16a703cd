# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CckmClient: the CipherTrust Manager session every CipherTrust module uses: JWT auth, error bodies, paging.

It knows no endpoint but the host; the paths live in _api.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import LOGIN, PAGE_SIZE
from ansible_collections.ciphertrust.cckm.plugins.module_utils._auth import TokenCache, grants_from_params
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import HttpClient, clean_jwt, clean_token, tls_verify

MAX_PAGES = 1000  # a million keys at 1,000 per page


def host_credentials(host):
    """The ``user:pass`` written into a host (``https://user:pass@cm``), or ""."""
    host = host.strip()
    return urlsplit(host if "://" in host else "//" + host).netloc.rpartition("@")[0]


def base_url(host):
    """``cm.example.com`` -> ``https://cm.example.com``; a given scheme is kept; credentials in it are refused."""
    if host_credentials(host):
        # requests would send them as Basic auth, and messages would show them
        raise OptionError("host", "must not contain a user or password (user:pass@); use username and password")
    host = host.strip().rstrip("/")
    return host if "://" in host else "https://" + host


class CckmClient(HttpClient):
    """One session and one cached JWT per module run; re-authenticates once on a 401.

    ``params`` are the module's validated connection options (their defaults come from the argument spec).
    """

    service = "CipherTrust Manager"

    def __init__(self, params, on_retry=None, sleep=time.sleep, clock=time.monotonic):
        super().__init__(base_url(params["host"]), verify=tls_verify(params), timeout=params["timeout"],
                         retries=params["retries"], on_retry=on_retry, sleep=sleep, clock=clock)
        params = dict(params, refresh_token=clean_token("refresh_token", params.get("refresh_token")) or None,
                      jwt=clean_jwt(params["jwt"]) if params.get("jwt") else None)
        self.tokens = TokenCache(grants_from_params(params), self._login, clock, jwt=params.get("jwt"))

    def _login(self, body):
        return LOGIN(self, body=body, authenticated=False)

    def _auth_headers(self):
        return {"Authorization": "Bearer " + self.tokens.fetch()}

    def _forget_credentials(self):
        return self.tokens.forget()

    def _error_details(self, body):
        if isinstance(body, dict):
            return body.get("codeDesc") or body.get("code"), body.get("message")
        return None, None

    def _error_hint(self, status, method, path):
        if status == 403:
            return "The user lacks a permission for this call, or the feature is not licensed"
        return None

    def paginate(self, path, params=None, page_size=PAGE_SIZE):
        """Yield every resource of a list endpoint, reading pages of ``page_size`` (skip/limit/total).

        A server that ignores ``skip`` (the same resources again) or claims an endless ``total`` is stopped: each
        resource is given once, a page with nothing new ends the listing, and MAX_PAGES pages end it with an error.
        """
        query = dict(params or {})
        skip, seen = 0, set()
        for dummy in range(MAX_PAGES):
            query.update(skip=skip, limit=page_size)
            page = self.get(path, params=query) or {}
            resources = page.get("resources") or []
            fresh = [r for r in resources if not isinstance(r, dict) or r.get("id") is None or r.get("id") not in seen]
            seen.update(r.get("id") for r in fresh if isinstance(r, dict))
            yield from fresh
            skip += len(resources)
            total = page.get("total")
            if not fresh or (isinstance(total, int) and skip >= total) or (not isinstance(total, int) and len(resources) < page_size):
                return
        raise CckmError("GET %s: stopped after %d pages (%d resources): the server keeps announcing more" % (path, MAX_PAGES, len(seen)))
