"""Clumio wallets and post-process KMS emulator.

Lets the collection's Clumio modules be tested without a Clumio account. The post-process call
(seed 000) has no read-back API, so its effect is made observable through the wallet
(state, stack_version, installed_regions, role_arn), as /work/shared/api/clumio.md proposes.
See the package's README-clumio.md for the behaviours chosen where Clumio documents nothing.
"""

import base64
import collections
import copy
import functools
import hmac
import json
import re
import threading
import uuid

import flask
from werkzeug.exceptions import HTTPException

WALLETS_MEDIA_TYPE = "application/api.clumio.wallets=v1+json"
POST_PROCESS_MEDIA_TYPE = "application/api.clumio.post-process-kms=v1+json"
OU_HEADER = "x-clumio-organizationalunit-context"

SEED_ACCOUNT = "123456789012"
SEED_REGION = "us-east-1"
DEFAULT_REGION = "us-east-1"
SUPPORTED_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
AVAILABLE_VERSION = 15
CLUMIO_AWS_ACCOUNT_ID = "999999999999"
TEMPLATE_URL = "https://clumio-byok-templates.s3.amazonaws.com/v15/clumio_byok_template.yaml"
DEPLOYMENT_URL = "https://console.aws.amazon.com/cloudformation/home?region={region}#/stacks/quickcreate?templateURL=" + TEMPLATE_URL

REQUEST_TYPES = ("Create", "Update", "Delete")
REQUIRED_POST_PROCESS_FIELDS = ("account_native_id", "aws_region", "request_type", "token")
OPTIONAL_STRING_FIELDS = ("role_arn", "role_external_id", "role_id", "intermediate_role_arn", "multi_region_cmk_key_id")
RECORD_FIELDS = OPTIONAL_STRING_FIELDS + ("created_multi_region_cmk", "version")
MAX_UINT64 = 2 ** 64 - 1
DEFAULT_LIMIT = 100
MAX_LIMIT = 100
LOG_SIZE = 500
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")


class ClumioApiError(Exception):
    """Raised anywhere in a view so that every failure leaves as one Clumio error body."""

    def __init__(self, status, *messages):
        super().__init__(messages[0] if messages else str(status))
        self.status = status
        self.messages = messages or ("error",)


def _error_response(status, *messages):
    """The only place error bodies are built, so they always have Clumio's shape and are JSON."""
    payload = {"errors": [{"error_code": status, "error_message": message} for message in messages]}
    return flask.current_app.json.response(payload), status


class ClumioState:
    """In-memory wallets, per-region post-process records and debug logs, shared by all requests."""

    def __init__(self):
        self.lock = threading.Lock()
        self.wallets = {}
        self.region_records = {}
        self.post_process_log = collections.deque(maxlen=LOG_SIZE)
        self.request_log = collections.deque(maxlen=LOG_SIZE)
        self.reset()

    def reset(self):
        """Back to one seeded wallet in state Waiting, so every test starts from the same place."""
        with self.lock:
            self.wallets = {}
            self.region_records = {}
            self.post_process_log.clear()
            self.request_log.clear()
            self.add_wallet(SEED_ACCOUNT, SEED_REGION)

    def add_wallet(self, account_native_id, aws_region):
        """Create a wallet with a fresh token; the caller holds the lock."""
        wallet_id = str(uuid.uuid4())
        wallet = {
            "id": wallet_id,
            "account_native_id": account_native_id,
            "aws_region": aws_region,
            "token": str(uuid.uuid4()),
            "state": "Waiting",
            "stack_version": 0,
            "available_version": AVAILABLE_VERSION,
            "installed_regions": [],
            "supported_regions": list(SUPPORTED_REGIONS),
            "deployment_url": DEPLOYMENT_URL.format(region=aws_region),
            "template_url": TEMPLATE_URL,
            "role_arn": "",
            "clumio_aws_account_id": CLUMIO_AWS_ACCOUNT_ID,
            "error_code": None,
            "error_message": None,
            "key_errors": {},
            "_links": {"_self": {"href": f"/wallets/{wallet_id}"}},
        }
        self.wallets[wallet_id] = wallet
        self.region_records[wallet_id] = {}
        return wallet

    def wallet_by_account(self, account_native_id):
        """The wallet of an AWS account or None; the caller holds the lock."""
        return next((w for w in self.wallets.values() if w["account_native_id"] == account_native_id), None)

    def wallet_by_id(self, wallet_id):
        """The wallet or a Clumio 404; the caller holds the lock."""
        wallet = self.wallets.get(wallet_id)
        if wallet is None:
            raise ClumioApiError(404, f"wallet {wallet_id} not found")
        return wallet

    def new_wallet(self, body):
        """Validate a create-wallet body and add the wallet (409 on a duplicate account); the caller holds the lock."""
        account = body.get("account_native_id")
        if not isinstance(account, str) or not ACCOUNT_ID_RE.match(account):
            raise ClumioApiError(400, "account_native_id is required and must be a 12-digit AWS account id")
        region = body.get("aws_region")
        if region is None:
            region = DEFAULT_REGION
        if not isinstance(region, str) or not region:
            raise ClumioApiError(400, "aws_region must be a non-empty string")
        if self.wallet_by_account(account) is not None:
            raise ClumioApiError(409, f"a wallet already exists for account {account}")
        return self.add_wallet(account, region)

    def post_process(self, body, moves=True):
        """Apply a validated post-process request to the wallet of its account; the caller holds the lock."""
        wallet = self.wallet_by_account(body["account_native_id"])
        if wallet is None:
            raise ClumioApiError(404, f"no wallet found for account {body['account_native_id']}")
        if not hmac.compare_digest(wallet["token"].encode(), body["token"].encode()):
            raise ClumioApiError(403, f"token does not match the wallet of account {body['account_native_id']}")
        if not moves:
            return
        records = self.region_records[wallet["id"]]
        region = body["aws_region"]
        if body["request_type"] == "Delete":
            if records.pop(region, None) is not None:
                wallet["installed_regions"].remove(region)
            if not records:
                wallet.update(state="Waiting", stack_version=0, role_arn="")
            return
        record = records.setdefault(region, dict.fromkeys(RECORD_FIELDS))
        record.update({field: body[field] for field in RECORD_FIELDS if body.get(field) is not None})
        record["request_type"] = body["request_type"]
        if region not in wallet["installed_regions"]:
            wallet["installed_regions"].append(region)
        wallet["state"] = "Enabled"
        if body.get("version") is not None:
            wallet["stack_version"] = body["version"]
        if body.get("role_arn") is not None:
            wallet["role_arn"] = body["role_arn"]

    def snapshot(self):
        """Everything a test may want to inspect, tokens included; the caller holds the lock."""
        wallets = []
        for wallet_id, wallet in self.wallets.items():
            item = copy.deepcopy(wallet)
            item["post_process_regions"] = copy.deepcopy(self.region_records[wallet_id])
            wallets.append(item)
        return {"wallets": wallets, "post_process_calls": list(self.post_process_log), "requests": list(self.request_log)}


def _body_object():
    """The body as a JSON object or None, whatever the Content-Type, because the Go SDK may send text/plain."""
    try:
        body = json.loads(flask.request.get_data(cache=True) or b"null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _json_object():
    """The body as a JSON object, or a Clumio 400."""
    body = _body_object()
    if body is None:
        raise ClumioApiError(400, "request body must be a JSON object")
    return body


def _redacted_body():
    """The body for the debug log with the token masked (unparsable bodies dropped), so the token never leaks."""
    body = _body_object()
    if body is not None and "token" in body:
        body["token"] = "***"
    return body


def _validate_post_process(body):
    """Check a post-process body against seed 000; optional fields may be JSON null."""
    missing = [field for field in REQUIRED_POST_PROCESS_FIELDS if body.get(field) in (None, "")]
    if missing:
        raise ClumioApiError(400, *(f"missing required field: {field}" for field in missing))
    problems = [f"{field} must be a string" for field in REQUIRED_POST_PROCESS_FIELDS + OPTIONAL_STRING_FIELDS
                if body.get(field) is not None and not isinstance(body[field], str)]
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_UINT64):
        problems.append("version must be a non-negative integer")
    if not isinstance(body.get("created_multi_region_cmk"), (bool, type(None))):
        problems.append("created_multi_region_cmk must be a boolean")
    if not problems and body["request_type"] not in REQUEST_TYPES:
        problems.append(f"request_type must be one of {', '.join(REQUEST_TYPES)}")
    if problems:
        raise ClumioApiError(400, *problems)


def _token_of_page(number):
    return "" if number == 1 else base64.urlsafe_b64encode(f"page:{number}".encode()).decode().rstrip("=")


def _page_of_token(token):
    """The page an opaque start token stands for; a page number is not a token (400), as a real token is not one."""
    if not token:
        return 1
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        if text.startswith("page:"):
            return int(text[5:])
    except (ValueError, UnicodeError):
        pass
    raise ClumioApiError(400, f"invalid start token {token!r}")


def _positive_int(name, default, maximum=None):
    """A positive integer query parameter (at most maximum), or a Clumio 400."""
    raw = flask.request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1 or (maximum is not None and value > maximum):
        raise ClumioApiError(400, f"{name} must be a positive integer" + (f" not above {maximum}" if maximum else ""))
    return value


def _accepts(media_type):
    """True when the Accept header lists the versioned media type (parameters such as q= ignored)."""
    offered = flask.request.headers.get("Accept", "")
    return any(part.split(";")[0].strip().lower() == media_type for part in offered.split(","))


class _ClumioApi:
    """Views bound to one state and config, so the blueprint factory stays a list of routes."""

    def __init__(self, state, config):
        self.state = state
        self.config = config

    def check_request(self, media_type):
        """Bearer token first (401), then the versioned Accept header (406), like Clumio's gateway."""
        expected = getattr(self.config, "clumio_token", None) or ""
        scheme, _sep, supplied = flask.request.headers.get("Authorization", "").partition(" ")
        if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(supplied.strip().encode(), expected.encode()):
            raise ClumioApiError(401, "the API token is invalid or has expired")
        if not _accepts(media_type):
            raise ClumioApiError(406, f"unsupported Accept header: expected {media_type}")

    def list_wallets(self):
        """GET /wallets with limit and a start token: a 1-based page number (lenient), or opaque (strict).

        Clumio's python SDK (controllers/wallets_v1.py) documents ``start`` as a page token to take from
        ``_links._next``, empty for the first page (FIDELITY.md wallet_pages).
        """
        limit = _positive_int("limit", DEFAULT_LIMIT, MAX_LIMIT)
        opaque = getattr(self.config, "answer", lambda flag: "number")("wallet_pages") == "token"
        start = flask.request.args.get("start", "")
        if opaque:
            page = _page_of_token(start)
        else:
            page = _positive_int("start", 1)
        with self.state.lock:
            wallets = list(self.state.wallets.values())
            items = copy.deepcopy(wallets[(page - 1) * limit:page * limit])

        def href(number):
            return f"/wallets?limit={limit}&start={_token_of_page(number) if opaque else number}"
        links = {"_self": {"href": href(page)}, "_first": {"href": href(1)}}
        if page * limit < len(wallets):
            links["_next"] = {"href": href(page + 1)}
        return {"_embedded": {"items": items}, "_links": links, "current_count": len(items), "limit": limit,
                "start": _token_of_page(page) if opaque else str(page)}

    def create_wallet(self):
        """POST /wallets, and the control seed route: one wallet per AWS account."""
        body = _json_object()
        with self.state.lock:
            return copy.deepcopy(self.state.new_wallet(body))

    def read_wallet(self, wallet_id):
        """GET /wallets/{id}; also serves _refresh since the emulator has no stack to re-inspect."""
        with self.state.lock:
            return copy.deepcopy(self.state.wallet_by_id(wallet_id))

    def delete_wallet(self, wallet_id):
        """DELETE /wallets/{id}, refused while the BYOK template is installed anywhere (as Terraform documents)."""
        with self.state.lock:
            wallet = self.state.wallet_by_id(wallet_id)
            if wallet["installed_regions"]:
                raise ClumioApiError(409, f"wallet {wallet_id} cannot be deleted while the BYOK template is installed in: "
                                     + ", ".join(wallet["installed_regions"]))
            del self.state.wallets[wallet_id]
            del self.state.region_records[wallet_id]
        return {}

    def post_process(self):
        """POST /wallets/_post-process (seed 000): validate, then change the wallet so the outcome is observable."""
        body = _json_object()
        _validate_post_process(body)
        with self.state.lock:
            # nothing says post-process moves the wallet (FIDELITY.md post_process_wallet; row 16): "still" leaves it
            self.state.post_process(body, moves=getattr(self.config, "answer", lambda flag: "moves")("post_process_wallet") == "moves")
        return {}

    def control_snapshot(self):
        """GET /_emulator/clumio/wallets: full state for tests, no auth."""
        with self.state.lock:
            return self.state.snapshot()

    def record(self, response):
        """Log headers (and, for post-process, the masked body) of every API request, whatever its outcome."""
        endpoint = (flask.request.endpoint or "").rpartition(".")[2]
        if endpoint.startswith("control_"):
            return response
        headers = flask.request.headers
        entry = {"method": flask.request.method, "path": flask.request.path, "status": response.status_code,
                 "accept": headers.get("Accept"), "organizational_unit": headers.get(OU_HEADER),
                 "content_type": headers.get("Content-Type")}
        with self.state.lock:
            self.state.request_log.append(entry)
            if endpoint == "post_process":
                self.state.post_process_log.append(dict(entry, body=_redacted_body()))
        return response


def _api_view(api, media_type, method):
    """Guard a view with auth and Accept checks and send its dict result with the versioned content type."""
    @functools.wraps(method)
    def view(**kwargs):
        if media_type is not None:
            api.check_request(media_type)
        response = flask.current_app.json.response(method(**kwargs))
        if media_type is not None:
            response.content_type = media_type
        return response
    return view


def _handle_error(error):
    """Render any failure inside the blueprint as a Clumio error, never an HTML or empty body."""
    if isinstance(error, ClumioApiError):
        return _error_response(error.status, *error.messages)
    if isinstance(error, HTTPException):
        return _error_response(error.code or 500, error.description or error.name)
    flask.current_app.logger.exception("clumio emulator failure")
    return _error_response(500, f"internal emulator error: {type(error).__name__}")


def create_blueprint(state, config):
    """Routes for the Clumio wallets API, post-process KMS and the emulator's control endpoints."""
    api = _ClumioApi(state, config)
    blueprint = flask.Blueprint("clumio", __name__)
    routes = (
        ("/wallets", "list_wallets", ["GET"], WALLETS_MEDIA_TYPE, api.list_wallets),
        ("/wallets", "create_wallet", ["POST"], WALLETS_MEDIA_TYPE, api.create_wallet),
        ("/wallets/_post-process", "post_process", ["POST"], POST_PROCESS_MEDIA_TYPE, api.post_process),
        ("/wallets/<wallet_id>", "read_wallet", ["GET"], WALLETS_MEDIA_TYPE, api.read_wallet),
        ("/wallets/<wallet_id>", "delete_wallet", ["DELETE"], WALLETS_MEDIA_TYPE, api.delete_wallet),
        ("/wallets/<wallet_id>/_refresh", "refresh_wallet", ["POST"], WALLETS_MEDIA_TYPE, api.read_wallet),
        ("/_emulator/clumio/wallets", "control_snapshot", ["GET"], None, api.control_snapshot),
        ("/_emulator/clumio/wallets", "control_seed", ["POST"], None, api.create_wallet),
    )
    for rule, endpoint, methods, media_type, method in routes:
        blueprint.add_url_rule(rule, endpoint, _api_view(api, media_type, method), methods=methods)
    blueprint.register_error_handler(Exception, _handle_error)
    blueprint.after_request(api.record)
    return blueprint
