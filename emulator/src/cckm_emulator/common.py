"""Pieces every CCKM route shares: error bodies, timestamps, lenient request bodies and list paging.

Kept in one module so that the wire conventions of cckm-aws.md section 2 (error shape, RFC 3339
times, "empty means not provided", list envelope) are implemented exactly once.
"""

import datetime
import json
import uuid

ACCOUNT = "kylo:kylo:admin:accounts:kylo"
APPLICATION = "ncryptify:gemalto:admin:apps:kylo"
DEV_ACCOUNT = "ncryptify:gemalto:admin:accounts:gemalto"

#: HTTP status -> (numeric code, codeDesc) of CipherTrust Manager error bodies (cckm-aws.md 2.6)
ERROR_CODES = {
    400: (1, "NCERRBadRequest: Bad HTTP request"),
    401: (5, "NCERRUnauthorizedAccess"),
    403: (9, "NCERRInsufficientPermissions"),
    404: (16, "NCERRResourceNotFound: Resource not found"),
    405: (1, "NCERRBadRequest: Method not allowed"),
    409: (3, "NCERRConflict"),
    429: (14, "NCERRTooManyRequests"),
    500: (14, "NCERRInternalServerError: unexpected error"),
}

DEFAULT_LIMIT = 10


class ApiError(Exception):
    """Raised by any CCKM view; rendered as ``{code, codeDesc, message}`` with the given status."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self):
        """The CipherTrust Manager error body for this error."""
        return error_body(self.status, self.message)


def error_body(status, message):
    """CCKM error body; unknown 4xx fall back to the bad-request code, 5xx to the internal-error code."""
    code, desc = ERROR_CODES.get(status) or ERROR_CODES[500 if status >= 500 else 400]
    return {"code": code, "codeDesc": desc, "message": message}


def clumio_error_body(status, message):
    """Clumio error body, used for faults injected on the Clumio routes."""
    return {"errors": [{"error_code": status, "error_message": message}]}


def bad_request(message):
    """400 NCERRBadRequest."""
    return ApiError(400, message)


def not_found(message):
    """404 NCERRResourceNotFound."""
    return ApiError(404, message)


def conflict(message):
    """409 NCERRConflict."""
    return ApiError(409, message)


class AwsConflict(ApiError):
    """AWS refused because something exists or runs already (AlreadyExistsException, a sync in progress).

    Raised as 409; the route layer turns it into 400 NCERRBadRequest with the same message where the
    profile says so (FIDELITY.md aws_error_status: TF issue #14 shows AWS exceptions as 400).
    """

    def __init__(self, message):
        super().__init__(409, message)


def new_id():
    """A fresh UUID string, the id format of every CCKM resource."""
    return str(uuid.uuid4())


def now():
    """Current time as CipherTrust Manager writes it: RFC 3339, UTC, microseconds, ``Z``."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def aws_time(epoch):
    """An AWS-side timestamp (no fraction), or "" when there is none."""
    if epoch is None:
        return ""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_aws_time(value):
    """Parse ``YYYY-MM-DDTHH:MM:SSZ`` (the only ValidTo format clients send) to epoch seconds, or None."""
    try:
        parsed = datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=datetime.timezone.utc).timestamp()


def metadata(kind, resource_id, application=True):
    """The metadata fields every CCKM record starts with (cckm-aws.md 2.3)."""
    stamp = now()
    record = {"id": resource_id, "uri": f"kylo:kylo:cckm:{kind}:{resource_id}", "account": ACCOUNT}
    if application:
        record.update(application=APPLICATION, devAccount=DEV_ACCOUNT)
    record.update(createdAt=stamp, updatedAt=stamp)
    return record


def touch(record):
    """Mark a record as changed."""
    record["updatedAt"] = now()


def provided(value):
    """Terraform sends "" / false / null / [] / {} for unset fields: all of those mean "not provided"."""
    return value not in (None, "", False, [], {})


class Body:
    """A JSON object from a request, read leniently (cckm-aws.md 11.6).

    Field names match case-insensitively (``Policy`` == ``policy``) and empty values count as absent.
    """

    def __init__(self, data):
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise bad_request("request body must be a JSON object")
        self.data = data
        self._lower = {key.lower(): key for key in data}

    @classmethod
    def parse(cls, raw):
        """Parse raw request bytes; an empty body, ``{}`` and ``null`` all give an empty Body."""
        if not raw or not raw.strip():
            return cls({})
        try:
            return cls(json.loads(raw))
        except ValueError as exc:
            raise bad_request(f"invalid JSON body: {exc}") from exc

    def raw(self, name):
        """The value as sent (case-insensitive name), None when absent."""
        key = self._lower.get(name.lower())
        return None if key is None else self.data[key]

    def get(self, name, default=None):
        """The value if provided (see :func:`provided`), else ``default``."""
        value = self.raw(name)
        return value if provided(value) else default

    def has(self, name):
        """True when the field was provided with a non-empty value."""
        return provided(self.raw(name))

    def string(self, name, default=None):
        """A provided string field; anything else is a 400."""
        value = self.get(name, default)
        if value is not None and not isinstance(value, str):
            raise bad_request(f"{name} must be a string")
        return value

    def strings(self, name):
        """A provided list of strings ([] when absent); a single string is accepted as a one-item list."""
        value = self.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad_request(f"{name} must be a list of strings")
        return value

    def integer(self, name, default=None):
        """An integer field (0 counts as provided here); numeric strings are accepted."""
        value = self.raw(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            raise bad_request(f"{name} must be an integer")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"{name} must be an integer") from exc

    def flag(self, name):
        """A boolean field; "true"/"false" strings are accepted."""
        value = self.raw(name)
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)

    def sub(self, name):
        """A nested object as a Body (empty when absent)."""
        return Body(self.get(name, {}))


def parse_bool(value):
    """Query-string boolean: "true"/"false" (any case) -> bool, anything else -> None."""
    lowered = str(value).strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return None


def _sort_value(value):
    if value is None:
        return (1, "")
    return (0, value) if isinstance(value, (str, int, float)) else (0, json.dumps(value, sort_keys=True))


class Lister:
    """Filtering, sorting and paging of list endpoints (cckm-aws.md 2.2 and 11.4).

    ``filters`` maps a query parameter to a function returning the record's value (or list of
    values); repeated parameters are ORed, different parameters ANDed, unknown parameters ignored.
    ``bool_filters`` are compared as booleans. ``field`` resolves a sort field on a record.
    """

    def __init__(self, filters=None, bool_filters=None, field=None):
        self.filters = filters or {}
        self.bool_filters = bool_filters or {}
        self.field = field or (lambda record, name: record.get(name))

    def select(self, records, args, extra=()):
        """Records matching the query ``args`` and every predicate in ``extra``."""
        tests = list(extra)
        for name, getter in self.filters.items():
            wanted = set(args.getlist(name))
            if wanted:
                tests.append(lambda record, getter=getter, wanted=wanted: _matches(getter(record), wanted))
        for name, getter in self.bool_filters.items():
            wanted = parse_bool(args.get(name, ""))
            if wanted is not None:
                tests.append(lambda record, getter=getter, wanted=wanted: bool(getter(record)) is wanted)
        return [record for record in records if all(test(record) for test in tests)]

    def page(self, records, args, extra=()):
        """The list envelope ``{skip, limit, total, resources}`` for the query ``args``."""
        selected = self.select(records, args, extra)
        for name in reversed([part.strip() for part in args.get("sort", "").split(",") if part.strip()]):
            descending = name.startswith("-")
            name = name.lstrip("-+")
            selected.sort(key=lambda record, name=name: _sort_value(self.field(record, name)), reverse=descending)
        skip = _int_param(args, "skip", 0)
        limit = _int_param(args, "limit", DEFAULT_LIMIT)
        if skip < 0:
            raise bad_request("skip must not be negative")
        window = selected[skip:] if limit < 0 else selected[skip:skip + limit]
        return {"skip": skip, "limit": limit, "total": len(selected), "resources": window}


def _matches(value, wanted):
    if isinstance(value, (list, tuple, set)):
        return any(str(item) in wanted for item in value)
    if isinstance(value, bool):
        value = str(value).lower()
    return str(value) in wanted


def _int_param(args, name, default):
    value = args.get(name, "")
    if value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise bad_request(f"{name} must be an integer") from exc
