"""Flask app factory and server start-up of the CCKM (AWS) + Clumio emulator.

``create_app`` wires the parts together and adds the app-wide behaviour that applies to every
API route, including Clumio's ``/wallets`` (stats, latency, faults, error shapes), but never to
the ``/_emulator`` control routes. ``serve`` runs it on 127.0.0.1 with werkzeug's threaded server.
"""

import importlib
import importlib.util
import signal
import sys
import threading
import time

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from . import cckm, control, tls
from .auth import TokenService
from .common import ApiError, clumio_error_body, error_body
from .faults import DROP_FLAG, DropMiddleware, FaultInjector, QuietRequestHandler, Stats, route_template
from .state import State

CLUMIO_PREFIX = "/wallets"


def _load_clumio():
    """The Clumio module written alongside this one, or None while it does not exist yet."""
    name = f"{__package__}.clumio"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


class Emulator:
    """One emulator instance: configuration, CCKM/AWS state, tokens, faults, stats and Clumio state."""

    def __init__(self, config):
        self.config = config
        self.state = State(config)
        self.tokens = TokenService(config)
        self.faults = FaultInjector(config)
        self.stats = Stats()
        self.clumio_module = _load_clumio()
        self.clumio = self.clumio_module.ClumioState() if self.clumio_module else None

    def reset(self, empty=None):
        """``POST /_emulator/reset``: CLI settings, empty state, no faults, zero stats, fresh Clumio state (``empty``: not even the
        seeded connections and KMS containers; by default as ``--empty`` says)."""
        self.config.restore()
        self.state.reset(empty)
        self.faults.reset()
        self.stats.reset()
        if self.clumio is not None:
            self.clumio.reset()


def _is_control(path):
    return path == control.CONTROL_PREFIX or path.startswith(control.CONTROL_PREFIX + "/")


def _error_response(status, message, headers=None):
    """An error in the shape of the API the request was for (Clumio or CipherTrust Manager)."""
    clumio = flask.request.path.startswith(CLUMIO_PREFIX)
    response = flask.current_app.json.response(clumio_error_body(status, message) if clumio else error_body(status, message))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _fault_response(fault):
    if fault.drop:
        flask.request.environ[DROP_FLAG] = True
        return flask.Response(status=500)
    messages = {401: "Invalid token", 429: "Too many requests, retry later"}
    message = messages.get(fault.status, f"injected fault: HTTP {fault.status}")
    return _error_response(fault.status, message, fault.headers())


def create_app(config):
    """Build the Flask app for ``config`` (an EmulatorConfig)."""
    emu = Emulator(config)
    app = flask.Flask("cckm_emulator")
    app.url_map.strict_slashes = False
    app.json.sort_keys = False
    app.extensions["cckm_emulator"] = emu
    app.register_blueprint(cckm.create_blueprint(emu))
    app.register_blueprint(control.create_blueprint(emu))
    if emu.clumio_module is not None:
        app.register_blueprint(emu.clumio_module.create_blueprint(emu.clumio, config))

    @app.before_request
    def count_delay_and_fault():
        request = flask.request
        if _is_control(request.path):
            return None
        template = route_template(request.url_rule.rule if request.url_rule else None, request.view_args or {}, request.path)
        emu.stats.record(f"{request.method} {template}")
        if config.latency_ms:
            time.sleep(config.latency_ms / 1000.0)
        fault = emu.faults.decide(request.method, template)
        if fault is None:
            return None
        emu.stats.record_fault(f"{request.method} {template}", fault)
        if fault.phase == "after":
            flask.g.after_fault = fault
            return None
        return _fault_response(fault)

    @app.after_request
    def fault_after_handling(response):
        fault = flask.g.pop("after_fault", None)
        return response if fault is None else _fault_response(fault)

    @app.errorhandler(ApiError)
    def api_error(error):
        return _error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error):
        return _error_response(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        app.logger.exception("emulator failure")
        return _error_response(500, f"internal emulator error: {type(error).__name__}: {error}")

    app.wsgi_app = DropMiddleware(app.wsgi_app)
    return app


def serve(config, port=0, use_tls=False, out=None):
    """Serve until SIGTERM/SIGINT; prints ``CA <path>`` (with TLS) and then ``READY <url>``."""
    out = out or sys.stdout
    app = create_app(config)
    files = tls.generate() if use_tls else None
    handler = type("EmulatorRequestHandler", (QuietRequestHandler,), {"verbose": config.verbose})
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=handler,
                         ssl_context=files.server_context() if files else None)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    worker.start()
    try:
        if files:
            print(f"CA {files.ca_file}", file=out, flush=True)
        print(f"READY {'https' if files else 'http'}://127.0.0.1:{server.socket.getsockname()[1]}", file=out, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        if files:
            files.cleanup()
    return 0
