"""A small hostile HTTP server for the tests of issue 21: it answers whatever a test scripts, however badly.

Unlike ``responses`` it is a real socket, so it can drip an answer byte by byte, send a gzip bomb, redirect to
another origin, echo the request's headers into an error page, and record every request it received (to prove
that nothing was written, and that no secret reached it).
"""

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from ansible_collections.ciphertrust.cckm.tests.unit.fakes import make_jwt

PASSWORD = "hostile-test-password-9f3"  # the password tests log in with: it must never appear in a result
REFRESH_TOKEN = "hostile-rt"


class Answer:
    """One scripted answer: status, headers, body (bytes, or a callable of the request), optionally dripped."""

    def __init__(self, status=200, body=b"", headers=None, drip=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.drip = drip  # (bytes per write, seconds between writes)


def json_answer(obj, status=200, **kwargs):
    return Answer(status, json.dumps(obj).encode(), dict({"Content-Type": "application/json"}, **kwargs.pop("headers", {})), **kwargs)


def gzip_bomb(decoded_mib):
    """A gzip body of ``decoded_mib`` MiB of spaces (valid JSON whitespace), about a thousandth of that on the wire."""
    return Answer(200, gzip.compress(b" " * (decoded_mib * 1024 * 1024), compresslevel=9),
                  {"Content-Type": "application/json", "Content-Encoding": "gzip"})


class HostileServer:
    """Routes ``(METHOD, path)`` to scripted answers; unscripted routes answer 404. ``requests`` lists what came in."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        self.answer("POST", "/api/v1/auth/tokens", json_answer({"jwt": make_jwt(), "duration": 300, "refresh_token": REFRESH_TOKEN}))
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                server.requests.append({"method": self.command, "path": path, "query": urlsplit(self.path).query,
                                        "headers": dict(self.headers), "body": body.decode("utf-8", "replace")})
                answer = server.routes.get((self.command, path)) or json_answer({"code": 404, "message": "no route"}, 404)
                payload = answer.body(server.requests[-1]) if callable(answer.body) else answer.body
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if answer.drip is None:
                    self.wfile.write(payload)
                    return
                size, pause = answer.drip
                try:
                    for start in range(0, len(payload), size):
                        self.wfile.write(payload[start:start + size])
                        self.wfile.flush()
                        time.sleep(pause)
                except OSError:  # the client gave up, as it should
                    pass

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # stop() waits one poll
        self.thread.start()

    def answer(self, method, path, answer):
        self.routes[(method, path)] = answer

    def writes(self):
        """Requests that could change something (the login is not one)."""
        return [r for r in self.requests if r["method"] != "GET" and r["path"] != "/api/v1/auth/tokens"]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
