# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

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


class CallError(CckmError):
    """A call to CipherTrust Manager or Clumio that failed, named by method and path (never query string, headers or tokens).

    The endpoint layer adds what the call was for (``action``) and which endpoint it was; ``hint`` is advice.
    """

    def __init__(self, method, path, hint=None):
        self.method = method
        self.path = path
        self.hint = hint
        self.action = None
        self.endpoint = None
        super().__init__(self.describe())

    def failure(self):
        """What went wrong, after the method and path."""
        raise NotImplementedError

    def describe(self):
        if self.action:
            text = "Failed to %s: %s %s: %s" % (self.action, self.method, self.path, self.failure())
        else:
            text = "%s %s failed: %s" % (self.method, self.path, self.failure())
        return "%s. %s" % (text, self.hint) if self.hint else text


class ApiError(CallError):
    """An HTTP error answer, with the server's own code and text.

    CipherTrust's ``codeDesc``/``message`` or Clumio's ``error_code``/``error_message``.
    """

    def __init__(self, status, method, path, code=None, message=None, service="CipherTrust Manager", hint=None):
        self.status = status
        self.code = code
        self.message = message
        self.service = service
        super().__init__(method, path, hint)

    def failure(self):
        detail = ": ".join(str(part) for part in (self.code, self.message) if part not in (None, ""))
        return "HTTP %s from %s" % (self.status, self.service) + (": " + detail if detail else "")

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


class TransportError(CallError):
    """No HTTP answer at all (connection refused/reset, TLS failure, timeout) after the allowed retries."""

    def __init__(self, method, path, reason):
        self.reason = reason
        super().__init__(method, path)

    def failure(self):
        return self.reason


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


def already_exists(error):
    """AWS' AlreadyExistsException as CCKM passes it on: HTTP 409, or 400 NCERRBadRequest naming the exception.

    Which one a real CipherTrust Manager sends is not documented (fidelity review row 5: AWS exceptions reach
    callers as 400 with their name, TF issue #14), so both count.
    """
    return isinstance(error, ApiError) and (error.status == 409 or (error.status == 400 and "AlreadyExists" in str(error.message)))


def already_running(error):
    """A synchronization job already in progress, as CCKM says it: HTTP 409, or 400 saying so (undocumented: row 5)."""
    text = str(error.message).lower() if isinstance(error, ApiError) else ""
    return isinstance(error, ApiError) and (error.status == 409 or (
        error.status == 400 and "already" in text and ("progress" in text or "running" in text)))


_BY_STATUS = {401: AuthenticationError, 403: AccessDenied, 404: NotFound, 409: Conflict}


def api_error(status, method, path, code=None, message=None, service="CipherTrust Manager", hint=None):
    """Build the most specific ApiError subclass for an HTTP status."""
    return _BY_STATUS.get(status, ApiError)(status, method, path, code=code, message=message, service=service, hint=hint)


def add_hint(error, hint):
    """Append advice to an API or transport error's message."""
    error.hint = hint if not error.hint else "%s. %s" % (error.hint, hint)
    error.args = (error.describe(),)
    return error


def name_action(error, endpoint, action):
    """Say which call failed and what it was for; the innermost call's name wins (a lookup inside a retry)."""
    if isinstance(error, CallError) and error.endpoint is None:
        error.endpoint = endpoint
        error.action = action
        error.args = (error.describe(),)
    return error


class OptionError(CckmError):
    """Invalid or conflicting module options, found before any request that writes; names the options."""

    def __init__(self, options, message):
        self.options = [options] if isinstance(options, str) else list(options)
        super().__init__("%s: %s" % (", ".join(self.options), message))
