# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""One exception hierarchy for the collection; modules catch CckmError once, in CckmModule.run()."""

from __future__ import annotations


def shown(value):
    """A value for an error message, cut short: a 10,000-character option must not become a 10,000-character message."""
    text = str(value)
    return repr(text) if len(text) <= 60 else "%r... (%d characters)" % (text[:60], len(text))


class CckmError(Exception):
    """Base of every error the collection raises on purpose."""

    def fail_kwargs(self):
        """Keyword arguments for AnsibleModule.fail_json()."""
        return {"msg": str(self)}


class ApiError(CckmError):
    """An HTTP error answer from CipherTrust Manager or Clumio, with the server's own code and text.

    Carries the method and path (never the query string's secrets, never headers or tokens), the status,
    CipherTrust's ``codeDesc``/``message`` or Clumio's ``error_code``/``error_message``.
    """

    def __init__(self, status, method, path, code=None, message=None, service="CipherTrust Manager", hint=None):
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.message = message
        self.service = service
        self.hint = hint
        super().__init__(self.describe())

    def describe(self):
        detail = ": ".join(str(part) for part in (self.code, self.message) if part not in (None, ""))
        text = "%s %s failed: HTTP %s from %s" % (self.method, self.path, self.status, self.service)
        if detail:
            text += ": " + detail
        if self.hint:
            text += ". " + self.hint
        return text

    def fail_kwargs(self):
        return {
            "msg": str(self),
            "error": {
                "status": self.status,
                "method": self.method,
                "path": self.path,
                "code": self.code,
                "message": self.message,
            },
        }


class AuthenticationError(ApiError):
    """401: credentials, refresh token or API token rejected (after the one allowed re-authentication)."""


class AccessDenied(ApiError):
    """403: the user lacks a permission (ACL) or the feature is not licensed."""


class NotFound(ApiError):
    """404: unknown id or name."""


class Conflict(ApiError):
    """409: the resource already exists or another job is running."""


class TransportError(CckmError):
    """No HTTP answer at all (connection refused/reset, TLS failure, timeout) after the allowed retries."""

    def __init__(self, method, path, reason):
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__("%s %s failed: %s" % (method, path, reason))


class WaitTimeout(CckmError):
    """A job or resource did not reach the wanted state within wait_timeout; keeps the last state seen."""

    def __init__(self, what, elapsed, last_seen, status=None):
        self.what = what
        self.elapsed = elapsed
        self.last_seen = last_seen
        self.status = status
        text = "Timed out after %.0f seconds waiting for %s" % (elapsed, what)
        if status:
            text += "; last status seen: %s" % status
        super().__init__(text)

    def fail_kwargs(self):
        return {"msg": str(self), "last_seen": self.last_seen}


_BY_STATUS = {401: AuthenticationError, 403: AccessDenied, 404: NotFound, 409: Conflict}


def api_error(status, method, path, code=None, message=None, service="CipherTrust Manager", hint=None):
    """Build the most specific ApiError subclass for an HTTP status."""
    return _BY_STATUS.get(status, ApiError)(status, method, path, code=code, message=message, service=service, hint=hint)


class OptionError(CckmError):
    """Invalid or conflicting module options, found before any request that writes; names the options."""

    def __init__(self, options, message):
        self.options = [options] if isinstance(options, str) else list(options)
        super().__init__("%s: %s" % (", ".join(self.options), message))
