"""CipherTrust Manager authentication: ``POST /api/v1/auth/tokens`` and bearer checks (cckm-aws.md 1, 11.1-2).

JWTs are HS256 with the claims of real CM tokens. ``iat``/``exp`` are whole seconds as in CM,
but expiry is checked against the precise issue time kept server-side, so ``--token-ttl 2``
really expires 2 s after issue. Issued tokens survive ``POST /_emulator/reset`` (clients keep
their session across tests); ``POST /_emulator/auth/revoke`` is the way to invalidate them.
"""

import secrets
import threading
import time
import uuid

import jwt

from .common import ApiError, bad_request

ROOT_DOMAIN = "00000000-0000-0000-0000-000000000000"
REFRESH_TTL = 1800


def unauthorized(message):
    """401 NCERRUnauthorizedAccess."""
    return ApiError(401, message)


class TokenService:
    """Issues and checks JWTs and refresh tokens for the single configured user."""

    def __init__(self, config):
        self.config = config
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._jwt_expiry = {}
        self._refresh = {}
        self.client_id = str(uuid.uuid4())

    def issue(self, body):
        """Handle a token request body (``password`` or ``refresh_token`` grant) and return the response."""
        grant = body.string("grant_type", "password")
        if grant == "password":
            if body.get("username") != self.config.username or body.get("password") != self.config.password:
                raise unauthorized("Wrong username or password.")
            username = self.config.username
            minutes = body.integer("refresh_token_lifetime", 0) if body.has("refresh_token_lifetime") else 0
            with self._lock:  # refresh_token_lifetime in minutes, password grant only (cckm-aws.md 1.1 [P-tok])
                refresh_token = self._new_refresh_token(username, minutes * 60 if minutes > 0 else REFRESH_TTL)
        elif grant == "refresh_token":
            presented = body.string("refresh_token")
            if not presented:
                raise bad_request("refresh_token is required for grant_type refresh_token")
            with self._lock:
                entry = self._refresh.get(presented)
                if entry is None:
                    raise self._refresh_refused("Invalid refresh token")
                if entry["revoked"] or entry["expires"] <= time.time():
                    raise self._refresh_refused("Token has been revoked")
                username, refresh_token = entry["username"], presented
                if body.flag("renew_refresh_token"):
                    entry["revoked"] = True
                    refresh_token = self._new_refresh_token(username)
        else:
            raise bad_request(f"unsupported grant_type {grant}")
        ttl = int(self.config.token_ttl)
        with self._lock:
            remaining = int(self._refresh[refresh_token]["expires"] - time.time())
        return {"jwt": self._new_jwt(username, ttl), "duration": ttl, "token_type": "Bearer", "client_id": self.client_id,
                "refresh_token": refresh_token, "refresh_token_expires_in": remaining}

    def _refresh_refused(self, message):
        """The status CM answers a bad refresh token with is undocumented: 401 or 400 (FIDELITY.md refresh_token_error)."""
        status = self.config.answer("refresh_token_error")
        return unauthorized(message) if status == 401 else bad_request(message)

    def _new_refresh_token(self, username, lifetime=REFRESH_TTL):
        token = secrets.token_urlsafe(48)
        self._refresh[token] = {"username": username, "revoked": False, "expires": time.time() + lifetime, "lifetime": lifetime}
        return token

    def refresh_tokens(self):
        """``GET /_emulator/auth/refresh-tokens``: how many were issued, how many still work, their lifetimes (seconds), and
        every issued value (``values``), so that a test can look for them in a play's output."""
        with self._lock:
            live = [entry for entry in self._refresh.values() if not entry["revoked"] and entry["expires"] > time.time()]
            return {"issued": len(self._refresh), "live": len(live), "lifetimes": sorted(entry["lifetime"] for entry in live),
                    "values": list(self._refresh)}

    def _new_jwt(self, username, ttl):
        issued = time.time()
        jwtid = str(uuid.uuid4())
        with self._lock:
            self._jwt_expiry[jwtid] = issued + ttl
        iat = int(issued)
        claims = {
            "aud": self.client_id, "sub": f"local|{uuid.uuid5(uuid.NAMESPACE_URL, 'user/' + username)}", "iss": "kylo", "acc": "kylo",
            "preferred_username": username,
            "cust": {"domain_id": ROOT_DOMAIN, "groups": ["admin"], "sid": str(uuid.uuid4()), "zone_id": ROOT_DOMAIN},
            "jwtid": jwtid, "iat": iat, "exp": iat + ttl,
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, header):
        """Check an ``Authorization`` header value; returns the claims or raises 401."""
        scheme, _separator, token = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized("Invalid token")
        try:
            claims = jwt.decode(token.strip(), self._secret, algorithms=["HS256"], options={"verify_exp": False, "verify_aud": False})
        except jwt.PyJWTError as exc:
            raise unauthorized("Invalid token") from exc
        with self._lock:
            expiry = self._jwt_expiry.get(claims.get("jwtid"))
        if expiry is None:
            raise unauthorized("Token has been revoked")
        late = time.time() - expiry
        if late >= 0:
            raise unauthorized(f"Token is expired by {int(late)}s")
        return claims

    def revoke_refresh_token(self, body):
        """``POST /api/v1/auth/revoke`` (PowerShell Revoke-CMToken): ``token`` plus ``client_id`` or the user's password.

        A token unknown or already revoked answers 404 or 400 (``revoke_unknown``; assumed, FIDELITY.md).
        """
        token = body.string("token")
        if not token:
            raise bad_request("token is required")
        if body.get("client_id") != self.client_id and (body.get("username"), body.get("password")) != (
                self.config.username, self.config.password):
            raise bad_request("client_id, or username and password, of the refresh token are required")
        with self._lock:
            entry = self._refresh.get(token)
            if entry is None or entry["revoked"]:
                raise ApiError(self.config.answer("revoke_unknown"), "Refresh token not found or already revoked")
            entry["revoked"] = True
        return None

    def revoke(self, jwts=False):
        """Revoke every refresh token and, with ``jwts``, every issued JWT."""
        with self._lock:
            for entry in self._refresh.values():
                entry["revoked"] = True
            if jwts:
                self._jwt_expiry.clear()
