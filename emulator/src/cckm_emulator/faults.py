"""Traffic concerns that apply to every API route (never to ``/_emulator/*``): stats, latency and faults.

Faults come from deterministic rules (``POST /_emulator/faults``) first, then from the random
``fault_rate``. A fault either answers an error instead of running the handler ("before") or, for
writes, runs the handler and then answers an error or drops the connection ("after", the
ambiguous write a client must survive without creating duplicates).

Dropping a connection: the Flask app marks the request, :class:`DropMiddleware` raises
:class:`DropConnection` (a ``ConnectionError``) before a byte is written, werkzeug's server treats
it as a dropped connection and :class:`QuietRequestHandler` closes the socket.
"""

import collections
import dataclasses
import random
import re
import threading

from werkzeug.serving import WSGIRequestHandler

DROP_FLAG = "cckm_emulator.drop"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
_PLACEHOLDER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def route_template(rule, view_args, path):
    """``METHOD``-less stats/fault key of a request: the route with ids as ``{id}`` and ``<action>`` literally."""
    if rule is None:
        return path.rstrip("/") or "/"
    template = _PLACEHOLDER.sub(lambda m: str(view_args.get(m.group(1), "")) if m.group(1) == "action" else "{id}", rule)
    return template.rstrip("/") or "/"


class Stats:
    """Request counters per ``"METHOD /route/template"``, and the faults injected (so tests can report exact figures)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._routes = collections.Counter()
        self._faults = collections.Counter()
        self._ambiguous = 0

    def record(self, key):
        """Count one request."""
        with self._lock:
            self._routes[key] += 1

    def record_fault(self, key, fault):
        """Count one injected fault (rule or random); ``after`` faults are the ambiguous ones (the change was applied)."""
        with self._lock:
            self._faults[key] += 1
            self._ambiguous += fault.phase == "after"

    def snapshot(self):
        """``{"requests": N, "routes": {...}, "faults": {"injected": N, "ambiguous": N, "routes": {...}}}``."""
        with self._lock:
            faults = {"injected": sum(self._faults.values()), "ambiguous": self._ambiguous, "routes": dict(sorted(self._faults.items()))}
            return {"requests": sum(self._routes.values()), "routes": dict(sorted(self._routes.items())), "faults": faults}

    def reset(self):
        """Zero all counters."""
        with self._lock:
            self._routes.clear()
            self._faults.clear()
            self._ambiguous = 0


@dataclasses.dataclass
class Fault:
    """What to do to one request: answer ``status`` (with Retry-After) or drop the connection."""

    status: int = 500
    retry_after: int | None = None
    drop: bool = False
    phase: str = "before"

    def headers(self):
        """Response headers of the fault (Retry-After on 429/503 or when a rule asks for it)."""
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return {"Retry-After": "1"} if self.status in (429, 503) else {}


@dataclasses.dataclass
class FaultRule:
    """A deterministic fault for ``method`` + route template; ``count`` -1 means unlimited."""

    method: str
    path: str
    status: int = 500
    count: int = 1
    phase: str = "before"
    retry_after: int | None = None
    drop: bool = False

    @classmethod
    def from_dict(cls, data):
        """Build and validate a rule from its JSON form."""
        if not isinstance(data, dict) or not data.get("method") or not data.get("path"):
            raise ValueError("every rule needs method and path")
        unknown = set(data) - {field.name for field in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown rule field(s): {', '.join(sorted(unknown))}")
        rule = cls(**data)
        rule.method, rule.path = rule.method.upper(), rule.path.rstrip("/") or "/"
        if rule.phase not in ("before", "after"):
            raise ValueError("phase must be before or after")
        if not isinstance(rule.status, int) or not 400 <= rule.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if not isinstance(rule.count, int) or rule.count == 0 or rule.count < -1:
            raise ValueError("count must be a positive integer or -1 (unlimited)")
        return rule

    def fault(self):
        """The Fault this rule produces."""
        return Fault(status=self.status, retry_after=self.retry_after, drop=bool(self.drop), phase=self.phase)


class FaultInjector:
    """Decides, per request, whether and how to fail it."""

    def __init__(self, config):
        self.config = config
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._rules = []

    def set_rules(self, rules):
        """Replace the deterministic rules (raises ValueError on a bad rule, leaving the old ones)."""
        parsed = [FaultRule.from_dict(rule) for rule in rules]
        with self._lock:
            self._rules = parsed

    def rules(self):
        """The remaining deterministic rules as dicts."""
        with self._lock:
            return [dataclasses.asdict(rule) for rule in self._rules]

    def reset(self):
        """Clear the rules and restart the random sequence from the seed."""
        with self._lock:
            self._rules = []
            self._rng = random.Random(self.config.seed)

    def decide(self, method, template):
        """The Fault for this request, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.method in (method, "*") and rule.path == template:
                    if rule.count > 0:
                        rule.count -= 1
                        if rule.count == 0:
                            self._rules.remove(rule)
                    return rule.fault()
            if self.config.fault_rate <= 0 or self._rng.random() >= self.config.fault_rate:
                return None
            if method not in SAFE_METHODS and self._rng.random() < 0.5:
                kind = self._rng.choice((500, 502, "drop"))
                phase = "after"
            else:
                kind = self._rng.choice((500, 503, 429, "drop"))
                phase = "before"
            return Fault(status=500 if kind == "drop" else kind, drop=kind == "drop", phase=phase)


class DropConnection(ConnectionError):
    """Raised to the WSGI server to abandon a request without any response."""


class DropMiddleware:
    """WSGI middleware turning a request marked with DROP_FLAG into a dropped connection."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        result = self.app(environ, start_response)
        if environ.get(DROP_FLAG):
            if hasattr(result, "close"):
                result.close()
            raise DropConnection("connection dropped by the emulator")
        return result


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug handler that closes the socket on a dropped request and logs only when verbose."""

    verbose = False

    def connection_dropped(self, error, environ=None):
        self.close_connection = True

    def log_request(self, code="-", size="-"):
        if self.verbose:
            super().log_request(code, size)
