# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CipherTrust Manager API tokens: the two grants, and a JWT cache that renews before expiry."""

from __future__ import annotations

import base64
import json
import threading
import time

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import LOGIN
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, AuthenticationError, OptionError

DEFAULT_LIFETIME = 300.0
RENEW_MARGIN = 60.0
# Minutes a refresh token issued to a task lives. CM's refresh tokens never expire by default (PowerShell module
# CipherTrustManager-Tokens.psm1; fidelity review row 13), so a task asks for a short one: it only needs it to renew
# its own JWT, and falls back to the password after that. The login module asks for one that outlives the play.
TASK_REFRESH_TOKEN_MINUTES = 60


class PasswordGrant:
    """``grant_type=password``: username + password (+ domain, auth_domain)."""

    name = "password"

    def __init__(self, username, password, domain=None, auth_domain=None, refresh_token_lifetime=TASK_REFRESH_TOKEN_MINUTES):
        self.username = username
        self.password = password
        self.domain = domain
        self.auth_domain = auth_domain
        self.refresh_token_lifetime = refresh_token_lifetime

    def body(self):
        return _without_none({
            "grant_type": "password", "username": self.username, "password": self.password,
            "domain": self.domain, "auth_domain": self.auth_domain, "refresh_token_lifetime": self.refresh_token_lifetime,
        })


class RefreshTokenGrant:
    """``grant_type=refresh_token``: a refresh token issued earlier (by the user or by a password grant)."""

    name = "refresh_token"

    def __init__(self, refresh_token, domain=None):
        self.refresh_token = refresh_token
        self.domain = domain

    def body(self):
        return _without_none({"grant_type": "refresh_token", "refresh_token": self.refresh_token, "domain": self.domain})


def grants_from_params(params):
    """The grants to try, in order: a given refresh token first, then username/password (none with only a ``jwt``)."""
    grants = []
    if params.get("refresh_token"):
        grants.append(RefreshTokenGrant(params["refresh_token"], params.get("domain")))
    if params.get("username") and params.get("password"):
        grants.append(PasswordGrant(params["username"], params["password"], params.get("domain"), params.get("auth_domain")))
    return grants


def token_lifetime(answer):
    """Seconds the JWT lives: ``exp - iat`` from the token itself, else ``duration``, else 300.

    Measured as a lifetime (not an absolute ``exp``) so that clock skew between us and the server cannot
    make us keep an expired token.
    """
    claims = _jwt_claims(answer.get("jwt") or "")
    if isinstance(claims.get("exp"), (int, float)) and isinstance(claims.get("iat"), (int, float)):
        return float(claims["exp"] - claims["iat"])
    if isinstance(answer.get("duration"), (int, float)):
        return float(answer["duration"])
    return DEFAULT_LIFETIME


class TokenCache:
    """Holds the current JWT; ``fetch`` logs in when there is none or it is about to expire.

    Renewal happens ``min(60 s, lifetime / 5)`` before expiry, so a 300 s token is renewed after 240 s and
    a 2 s test token after 1.6 s. ``login(body)`` posts to the LOGIN endpoint and returns the JSON answer.
    A ``jwt`` handed in (from the login module) is used until the server rejects it; then the grants renew it.
    Safe across threads (aws_key_bulk's concurrent per-key calls): one thread renews while the others wait, and a
    rejection only drops the JWT the rejected request carried, so many 401s at once make one login.
    """

    def __init__(self, grants, login, clock, jwt=None, wall=time.time):
        if not grants and not jwt:
            raise ValueError("no credentials")
        self._grants = list(grants)
        self._login = login
        self._clock = clock
        self._jwt = jwt or None
        self._renew_at = self._given_jwt_renewal(jwt, wall) if jwt else 0.0
        self.logins = 0
        self.issued = []   # every JWT and refresh token the server gave us: the module masks them in its output
        self._lock = threading.RLock()
        self._sent = threading.local()

    def _given_jwt_renewal(self, jwt, wall):
        """When to renew a JWT handed in: as a JWT we were issued, judged by its ``exp`` on our wall clock (a clock
        ahead of the server's only renews early), so that a task given an expired JWT does not spend a rejected request;
        never, without grants to renew it with."""
        claims = _jwt_claims(jwt)
        exp, iat = claims.get("exp"), claims.get("iat")
        if not self._grants or not all(isinstance(v, (int, float)) for v in (exp, iat)):
            return float("inf")
        lifetime = float(exp - iat)
        return self._clock() + (exp - wall()) - min(RENEW_MARGIN, lifetime / 5.0)

    def fetch(self):
        with self._lock:
            if self._jwt is None or self._clock() >= self._renew_at:
                self._authenticate()
            self._sent.jwt = self._jwt
            return self._jwt

    def forget(self):
        """Drop the JWT after the server rejected it; False when there is nothing to renew it with."""
        with self._lock:
            if self._jwt == getattr(self._sent, "jwt", self._jwt):
                self._jwt = None
            return bool(self._grants)

    def login(self, refresh_token_lifetime=None):
        """Authenticate now (the login module) and return the server's answer; a password grant asks for a refresh
        token living ``refresh_token_lifetime`` minutes."""
        if not self._grants:
            raise OptionError(("username", "password", "refresh_token"), "logging in needs a password or a refresh token; a jwt "
                              "alone is already a login: pass it to the other tasks as it is")
        for grant in self._grants:
            if isinstance(grant, PasswordGrant) and refresh_token_lifetime is not None:
                grant.refresh_token_lifetime = refresh_token_lifetime
        return self._authenticate()

    def _authenticate(self):
        errors = []
        for grant in self._grants:
            started = self._clock()
            try:
                answer = self._login(grant.body())
            except ApiError as exc:
                # A refused refresh token may come back as any 4xx (the status is undocumented; TF token_refresh.go
                # falls back on any non-2xx: fidelity review row 6), so the next grant is tried after any of them.
                if not (exc.status == 401 or (grant.name == "refresh_token" and 400 <= exc.status < 500)):
                    raise
                errors.append((grant, exc))
                continue
            self._accept(answer, started)
            return answer
        raise _login_failure(errors)

    def _accept(self, answer, started):
        if not isinstance(answer, dict) or not answer.get("jwt"):
            raise AuthenticationError(200, LOGIN.method, LOGIN.path, message="the answer holds no 'jwt'")
        lifetime = token_lifetime(answer)
        self._jwt = answer["jwt"]
        self.issued.extend(str(answer[name]) for name in ("jwt", "refresh_token") if answer.get(name))
        self._renew_at = started + lifetime - min(RENEW_MARGIN, lifetime / 5.0)
        self.logins += 1
        new_refresh = answer.get("refresh_token")
        if new_refresh and not any(isinstance(g, RefreshTokenGrant) and g.refresh_token == new_refresh for g in self._grants):
            # Renew with the refresh token from now on (keeps the password off the wire), password as fallback.
            self._grants = [RefreshTokenGrant(new_refresh, _domain_of(self._grants))] + [
                g for g in self._grants if isinstance(g, PasswordGrant)]


def _login_failure(errors):
    grant, last = errors[-1]
    names = " and ".join(g.name for g, dummy in errors)
    hint = ("Check username/password (and auth_domain for users outside the root domain)" if grant.name == "password"
            else "The refresh token was rejected (revoked or expired); issue a new one or give username/password")
    if len(errors) > 1:
        hint = "Tried the %s grants. %s" % (names, hint)
    return AuthenticationError(last.status, last.method, last.path, code=last.code, message=last.message,
                               service=last.service, hint=hint)


def _domain_of(grants):
    return next((g.domain for g in grants if g.domain), None)


def _jwt_claims(jwt):
    """The JWT payload, decoded without verification (we only read its lifetime)."""
    try:
        payload = jwt.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (IndexError, ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def _without_none(body):
    return {key: value for key, value in body.items() if value not in (None, "")}
