"""Start and drive an emulator subprocess from tests (pytest fixtures, scripts).

``Emulator`` runs ``python -m cckm_emulator --port 0 [args]`` (so the package must be installed, or on $PYTHONPATH),
waits for the ``READY`` line and offers small helpers for the control endpoints and authenticated API calls.
stderr goes to a temp file (surfaced when start-up fails) so a chatty server can never block.
"""

import os
import subprocess
import sys
import tempfile
import threading
import time

import requests

READY_TIMEOUT = 30
PROFILE_ENV = "CCKM_EMULATOR_PROFILE"


#: POSTs that only re-read: a login, and asking CCKM or Clumio to look at AWS again (key and wallet refresh)
READ_LIKE = frozenset(("POST /api/v1/auth/tokens", "POST /api/v1/cckm/aws/keys/{id}/refresh", "POST /wallets/{id}/_refresh"))


def write_routes(routes):
    """The routes of a stats snapshot that can change state: everything but reads, logins and refreshes (which create nothing)."""
    return {route: n for route, n in routes.items() if not route.startswith("GET ") and route not in READ_LIKE}


def default_profile():
    """The fidelity profile (FIDELITY.md) when none is asked for: $CCKM_EMULATOR_PROFILE, else the emulator's default (strict)."""
    return os.environ.get(PROFILE_ENV) or "strict"


class EmulatorError(RuntimeError):
    """The emulator could not be started or a control call failed."""


class Emulator:
    """A running emulator process; use as a context manager or call :meth:`stop`."""

    def __init__(self, *args, username="admin", password="admin", ready_timeout=READY_TIMEOUT, profile=None):
        self.args = [str(arg) for arg in args]
        self.profile = profile or default_profile()
        if "--profile" not in self.args:
            self.args += ["--profile", self.profile]
        self.username, self.password = username, password
        self.url = None
        self.ca_file = None
        self._token = None
        self._stderr = tempfile.TemporaryFile(mode="w+")
        command = [sys.executable, "-m", __package__, "--port", "0"] + self.args
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._stderr, text=True)  # pylint: disable=consider-using-with
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only: no proxies, and REQUESTS_CA_BUNDLE must not override our CA
        try:
            self._wait_ready(ready_timeout)
        except BaseException:
            self.stop()
            raise
        self.session.verify = self.ca_file if self.ca_file else True

    def _wait_ready(self, timeout):
        lines = []
        reader = threading.Thread(target=self._read_stdout, args=(lines,), daemon=True)
        reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(lines):
                if line.startswith("CA "):
                    self.ca_file = line[3:].strip()
                elif line.startswith("READY "):
                    self.url = line[6:].strip()
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise EmulatorError(f"emulator did not become ready (exit code {self.process.poll()}); stderr:\n{self.stderr()}")

    def _read_stdout(self, lines):
        for line in self.process.stdout:
            lines.append(line)

    def stderr(self):
        """Everything the server wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self):
        """Terminate the process (SIGTERM, then SIGKILL after 10 s); returns its exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.session.close()
        self._stderr.close()
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- control endpoints -------------------------------------------------------------------

    def control(self, method, path, json=None):
        """Call a control endpoint (``faults`` or ``/_emulator/faults``); returns the decoded JSON body.

        Raises EmulatorError on a non-2xx status.
        """
        path = "/_emulator/" + path.lstrip("/").removeprefix("_emulator").lstrip("/")
        response = self.session.request(method, f"{self.url}{path}", json=json, timeout=60)
        if not response.ok:
            raise EmulatorError(f"{method} {path} failed: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def fidelity(self, flag):
        """The answer this emulator gives where the sources disagree (its profile, FIDELITY.md)."""
        return self.control("GET", "/_emulator/config")["fidelity"][flag]

    def reset(self, empty=None):
        """Empty state, no faults, zero stats, CLI settings; ``empty=True``: no connection and no KMS container either
        (``None``: as the server's ``--empty`` flag says)."""
        self._token = None
        return self.control("POST", "reset", None if empty is None else {"empty": bool(empty)})

    def stats(self):
        """``{"requests": N, "routes": {...}}``."""
        return self.control("GET", "stats")

    def writes(self):
        """The state-changing requests counted so far, per route (see :func:`write_routes`)."""
        return write_routes(self.stats()["routes"])

    def aws_keys(self, region="us-east-1", account_id="123456789012"):
        """Ground truth of the AWS side for one account and region."""
        return self.session.get(f"{self.url}/_emulator/aws/keys", params={"region": region, "account_id": account_id}, timeout=60).json()["keys"]

    # -- API calls ---------------------------------------------------------------------------

    def token(self, refresh=False):
        """A JWT for the configured user (cached)."""
        if self._token is None or refresh:
            credentials = {"grant_type": "password", "username": self.username, "password": self.password}
            response = self.session.post(f"{self.url}/api/v1/auth/tokens", json=credentials, timeout=60)
            if response.status_code != 200:
                raise EmulatorError(f"authentication failed: {response.status_code} {response.text}")
            self._token = response.json()["jwt"]
        return self._token

    def api(self, method, path, json=None, params=None, token=None, **kwargs):
        """An authenticated API call (``path`` relative to ``/api/v1/``); re-authenticates once on 401."""
        url = f"{self.url}/api/v1/{path.lstrip('/')}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {token or self.token(refresh=attempt == 2)}"}
            response = self.session.request(method, url, json=json, params=params, headers=headers, timeout=60, **kwargs)
            if response.status_code != 401 or token is not None:
                break
        return response
