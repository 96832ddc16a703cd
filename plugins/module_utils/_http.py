# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The one HTTP loop of the collection: keep-alive session, TLS settings, retries, error translation.

CipherTrust Manager (CckmClient) and Clumio (ClumioClient) differ only in how they authenticate and
how their error bodies look; both subclass HttpClient and override the two hooks for that.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import re
import time
import traceback
from urllib.parse import urlsplit

try:
    import requests
    import urllib3
except ImportError:
    requests = urllib3 = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import NotFound, OptionError, TransportError, add_hint, api_error, shown

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
# Decoded answer size read at most: a page of 1,000 keys is about 2 MiB; a gzip bomb stops here (issue 21 #11).
MAX_ANSWER_BYTES = 32 * 1024 * 1024
_CHUNK = 16 * 1024
POOL_SIZE = 32
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")  # base64url header.payload.signature
USER_AGENT = "ciphertrust.cckm-ansible/0.1.0"


class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total time; honours Retry-After."""

    def __init__(self, retries=5, base_delay=0.5, max_delay=20.0, max_total=180.0, rng=None):
        self.retries = max(0, int(retries))
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_total = max_total
        self._rng = rng or random.random

    def delay(self, attempt, retry_after=None):
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), 60.0)
        return self._rng() * min(self.max_delay, self.base_delay * (2 ** attempt))


def parse_retry_after(value):
    """Retry-After as seconds (it may be a number or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None  # "nan" or "inf" would break the sleep
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def encode_params(params):
    """Query parameters the way CipherTrust reads them: repeated keys for lists, lower-case booleans, no Nones."""
    encoded = []
    for key, value in (params or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, dict):
                item = json.dumps(item, sort_keys=True, separators=(",", ":"))
            encoded.append((key, item))
    return encoded


def clean_token(name, value):
    """A token as sent: surrounding whitespace (a newline pasted into AWX, a file read as is) dropped; one with
    whitespace inside is refused, without being shown (issue 21 #6)."""
    token = (value or "").strip()
    if any(char.isspace() for char in token):
        raise OptionError(name, "contains whitespace inside; give the token exactly as issued")
    return token


def clean_jwt(value):
    """A ``jwt`` as sent: three base64url parts, else refused without being shown (a whole login result, a number)."""
    token = (value or "").strip()
    if not _JWT.match(token):
        raise OptionError("jwt", "is not a JWT (three dot-separated parts); pass the jwt value that ciphertrust.cckm.login returned")
    return token  # base64url parts: no whitespace inside


def checked_url(url, option):
    """``url`` when requests can use it as a base URL; else an error naming ``option`` (issue 21 #10)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise OptionError(option, "must be a host name or an http(s):// URL, got %s" % shown(url))
    host_port = parts.netloc.rpartition("@")[2]
    if host_port.count(":") > 1 and not host_port.startswith("["):
        raise OptionError(option, "an IPv6 address must be in brackets, as in https://[fe80::1]:8443, got %s" % shown(url))
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or not parts.hostname:
        raise OptionError(option, "needs a host and a port from 1 to 65535, got %s" % shown(url))
    return url


def plain_http(url):
    """True for an ``http://`` URL to another machine: credentials and tokens would cross the network unencrypted."""
    parts = urlsplit(url)
    return parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1")


def tls_verify(params):
    """requests' ``verify`` from the validate_certs and ca_file options: the CA file, True, or False."""
    return params["ca_file"] if (params["validate_certs"] and params.get("ca_file")) else bool(params["validate_certs"])


class HttpClient:
    """A requests.Session with one retry loop; subclasses add authentication and error parsing."""

    service = "HTTP service"

    def __init__(self, base_url, verify=True, timeout=30, retries=5, on_retry=None, sleep=time.sleep, clock=time.monotonic,
                 url_option="host"):
        self.base_url = checked_url(base_url.rstrip("/"), url_option)
        self.timeout = timeout
        self.policy = RetryPolicy(retries)
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock
        self.session = requests.Session()
        for scheme in ("https://", "http://"):
            # aws_key_bulk sends up to 32 keys' calls at once: keep a connection for each (urllib3 keeps 10 by default)
            self.session.mount(scheme, requests.adapters.HTTPAdapter(pool_maxsize=POOL_SIZE))
        # Passed on every request too: requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a Session's verify.
        self.verify = verify
        self.session.verify = verify
        if verify is False:
            # The module already warns once, in words a playbook author can act on.
            requests.packages.urllib3.disable_warnings(requests.packages.urllib3.exceptions.InsecureRequestWarning)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})

    def clock(self):
        """The monotonic clock the loop measures time with (a fake one in unit tests)."""
        return self._clock()

    def sleep(self, seconds):
        self._sleep(seconds)

    # Hooks for subclasses -------------------------------------------------------------------------

    def _auth_headers(self):
        """Headers that authenticate a request; may fetch or renew a token."""
        return {}

    def _forget_credentials(self):
        """Called on a 401; return True when a fresh authentication is worth one more try."""
        return False

    def _error_details(self, body):
        """(code, message) from an error body."""
        if isinstance(body, dict):
            return body.get("code"), body.get("message")
        return None, None

    def _error_hint(self, status, method, path):
        """Extra advice appended to an error message, e.g. which permission is missing."""
        return None

    # The loop -----------------------------------------------------------------------------------------

    def request(self, method, path, params=None, json_body=None, headers=None, authenticated=True,
                idempotent=None, landed=None):
        """Send one API call and return its decoded JSON body (None when empty).

        Retries 429/5xx/connection errors. A non-idempotent call (a POST that creates something) is
        retried only when it certainly was not applied (429, or the connection was never made), or when
        the caller's ``landed()`` lookup finds that it was not: ``landed()`` returns the created resource
        (which is then returned as the result) or None (safe to send again). Without ``landed`` such a call
        fails instead of risking a duplicate. A DELETE answered 404 after an earlier attempt may have been
        applied has done its work (that attempt deleted the resource), so it returns None.
        """
        if idempotent is None:
            idempotent = method.upper() != "POST"
        deadline = self._clock() + self.policy.max_total
        reauthenticated = False
        maybe_applied = False
        attempt = 0
        while True:
            try:
                outcome = self._attempt(method, path, params, json_body, headers, authenticated)
            except NotFound:
                if maybe_applied and method.upper() == "DELETE":
                    return None
                raise
            if outcome.error is None:
                return outcome.body
            maybe_applied = maybe_applied or outcome.maybe_applied
            if outcome.unauthorized:
                if reauthenticated or not self._forget_credentials():
                    raise outcome.error
                reauthenticated = True
                continue
            if not idempotent and outcome.maybe_applied:
                if landed is None:
                    raise add_hint(outcome.error, "It was not retried because it may have been applied; "
                                   "check the resource before running again")
                found = landed()
                if found is not None:
                    return found
            delay = self.policy.delay(attempt, outcome.retry_after)
            if attempt >= self.policy.retries or self._clock() + delay > deadline:
                raise outcome.error
            if self._on_retry:
                self._on_retry("%s; retry %d of %d in %.1fs" % (outcome.error, attempt + 1, self.policy.retries, delay))
            self._sleep(delay)
            attempt += 1

    def _attempt(self, method, path, params, json_body, headers, authenticated):
        """One HTTP exchange, classified; raises at once for errors no retry can fix."""
        send_headers = dict(headers or {})
        if authenticated:
            send_headers.update(self._auth_headers())
        started = time.monotonic()
        try:
            response = self.session.request(
                method, self.base_url + path, params=encode_params(params), json=json_body,
                headers=send_headers, timeout=self.timeout, verify=self.verify, allow_redirects=False, stream=True,
            )
            content = _read_answer(response, method, path, started + self.timeout)
        except requests.exceptions.SSLError as exc:
            raise TransportError(method, path, "TLS error: %s. Set ca_file to the CA that signed the server certificate, "
                                               "or validate_certs=false for a lab system" % _first_line(exc))
        except requests.exceptions.ConnectionError as exc:
            never_sent = isinstance(exc, requests.exceptions.ConnectTimeout) or _never_connected(exc)
            return _Outcome(error=TransportError(method, path, "connection error: %s" % _first_line(exc)),
                            maybe_applied=not never_sent)
        except requests.exceptions.Timeout:
            return _Outcome(error=TransportError(method, path, "no response within %s seconds" % self.timeout),
                            maybe_applied=True)
        except requests.exceptions.RequestException as exc:
            # e.g. InvalidHeader: its text quotes the header, a token; only the kind of failure is named (issue 21 #6)
            raise TransportError(method, path, "the request could not be sent (%s)" % exc.__class__.__name__)
        if content is None:
            # timeout bounds the whole answer, not each read: a server dripping bytes cannot hold the task (issue 21 #11)
            return _Outcome(error=TransportError(method, path, "the answer did not arrive in full within %s seconds" % self.timeout),
                            maybe_applied=True)
        status = response.status_code
        if 300 <= status < 400:
            # requests would re-send the body (a password, a token) to wherever the server points: never follow
            raise TransportError(method, path, "HTTP %d redirect to %s, which is not followed: an API call is never re-sent "
                                               "(with its credentials) to another address; set host to the API's own address"
                                 % (status, _origin(response.headers.get("Location"))))
        if status < 400:
            return _Outcome(body=_answer(response, content, method, path))
        error = self._http_error(response, content, method, path)
        if status == 401 and authenticated:
            return _Outcome(error=error, unauthorized=True)
        if status not in RETRY_STATUSES:
            raise error
        return _Outcome(error=error, retry_after=parse_retry_after(response.headers.get("Retry-After")),
                        maybe_applied=status != 429)

    def _http_error(self, response, content, method, path):
        code, message = self._error_details(_decode_quietly(content))
        if code is None and message is None:
            message = (content.decode("utf-8", "replace") or response.reason or "").strip()[:500] or None
        return api_error(response.status_code, method.upper(), path, code=code, message=message,
                         service=self.service, hint=self._error_hint(response.status_code, method.upper(), path))

    # Verbs ------------------------------------------------------------------------------------------

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, body=None, idempotent=None, landed=None):
        return self.request("POST", path, json_body=body, idempotent=idempotent, landed=landed)

    def patch(self, path, body=None):
        return self.request("PATCH", path, json_body=body)

    def delete(self, path):
        return self.request("DELETE", path)


class _Outcome:
    """What one attempt produced: a body, or an error with what is known about retrying it."""

    __slots__ = ("body", "error", "retry_after", "maybe_applied", "unauthorized")

    def __init__(self, body=None, error=None, retry_after=None, maybe_applied=False, unauthorized=False):
        self.body = body
        self.error = error
        self.retry_after = retry_after
        self.maybe_applied = maybe_applied
        self.unauthorized = unauthorized


def _origin(location):
    """Scheme, host and port of a redirect target, never its path or query (which may carry anything)."""
    parts = urlsplit(location or "")
    return "%s://%s" % (parts.scheme, parts.netloc) if parts.netloc else "an unnamed location"


def _read_answer(response, method, path, deadline):
    """The answer's decoded body: None when ``deadline`` passes first; too large a body is an error.

    Read with ``read1`` (what has arrived, up to a chunk), so that a server dripping bytes is noticed between chunks;
    urllib3's own errors are re-raised as the requests errors ``_attempt`` classifies.
    """
    raw = response.raw
    read = getattr(raw, "read1", None) or raw.read
    chunks, size = [], 0
    try:
        while True:
            try:
                chunk = read(_CHUNK, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise requests.exceptions.ReadTimeout(exc)
            except urllib3.exceptions.DecodeError as exc:
                raise requests.exceptions.ContentDecodingError(exc)
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError) as exc:
                raise requests.exceptions.ChunkedEncodingError(exc)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise TransportError(method, path, "HTTP %d with an answer larger than %d MiB (decoded); it was not read further"
                                     % (response.status_code, MAX_ANSWER_BYTES // (1024 * 1024)))
            if time.monotonic() > deadline:
                return None
            chunks.append(chunk)
    finally:
        response.close()
    return b"".join(chunks)


def _answer(response, content, method, path):
    """The JSON object a 2xx answer carries (None when a write answers with no body).

    Every CipherTrust Manager and Clumio answer is a JSON object: HTML or truncated JSON (a proxy page), a list, or an
    empty body on a read is an error naming the call, never a crash later and never "no keys" (issue 21 #10).
    """
    if not content:
        if method.upper() == "GET":
            raise TransportError(method, path, "HTTP %d with an empty body where a JSON object was expected" % response.status_code)
        return None
    try:
        body = json.loads(content)
    except ValueError:
        raise TransportError(method, path, "HTTP %d with a body that is not JSON (%s)" % (
            response.status_code, response.headers.get("Content-Type") or "no Content-Type"))
    if not isinstance(body, dict):
        raise TransportError(method, path, "HTTP %d with a JSON %s where an object was expected" % (response.status_code, type(body).__name__))
    return body


def _decode_quietly(content):
    try:
        return json.loads(content)
    except ValueError:
        return None


def _first_line(exc):
    return str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__


def _never_connected(exc):
    """True when the TCP connection was refused or could not be opened, so the request was never sent."""
    text = repr(exc)
    return any(marker in text for marker in ("NewConnectionError", "Connection refused", "Name or service not known",
                                             "No route to host", "Failed to resolve"))
