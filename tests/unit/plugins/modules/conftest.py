"""Module-level tests: each module's main() in-process against one emulator server per worker (milliseconds per case)."""

import json

import pytest

from module_runner import connection_for

from ansible_collections.ciphertrust.cckm.tests.unit.hostile_server import PASSWORD, REFRESH_TOKEN
from tests import reliability_report


@pytest.fixture
def emu(emulator_each_profile):  # pylint: disable=redefined-outer-name
    """An emulator of each fidelity profile in turn, reset before the test: the client must work against both."""
    emulator_each_profile.reset()
    return emulator_each_profile


@pytest.fixture
def connection(emu):  # pylint: disable=redefined-outer-name
    """CipherTrust connection options for the emulator."""
    return connection_for(emu)


@pytest.fixture
def clumio(emu):  # pylint: disable=redefined-outer-name
    """Clumio connection options for the emulator's Clumio API."""
    return {"clumio_api_token": "clumio-test-token", "clumio_url": emu.url}


@pytest.fixture
def case(request):
    """``case(section, result, hostile=None, writes=None, secrets=())``: count the secrets in a result and the writes
    nobody meant (the hostile server's, unless given) for docs/reliability.md; a leak fails the test."""
    def record(section, result, hostile=None, writes=None, secrets=()):
        text = json.dumps(result)
        sent = [r["headers"].get("Authorization", "")[7:] for r in hostile.requests] if hostile else []
        leaks = sum(1 for secret in set((PASSWORD, REFRESH_TOKEN) + tuple(secrets) + tuple(sent)) if secret and secret in text)
        if writes is None:
            writes = len(hostile.writes()) if hostile else 0
        reliability_report.record_case(section, request.node.originalname, leaks=leaks, writes=writes)
        assert leaks == 0, text
        return writes
    return record


#: how much faster than in production the in-process fault tests retry
RETRY_SPEEDUP = 20


@pytest.fixture
def brisk_retries(monkeypatch):
    """Retry delays (backoff and Retry-After) divided by :data:`RETRY_SPEEDUP`, for tests about what faults do to the
    outcome, not how long the client waits: these sleep in real time against a real server, and would spend most of their
    time there. How long the client waits is tested with a fake clock (tests/unit/plugins/module_utils/test_client.py) and
    in real time by the ansible-playbook soak (tests/integration/test_faults.py)."""
    from ansible_collections.ciphertrust.cckm.plugins.module_utils import _http  # pylint: disable=import-outside-toplevel

    production_delay = _http.RetryPolicy.delay
    monkeypatch.setattr(_http.RetryPolicy, "delay", lambda self, *args, **kwargs: production_delay(self, *args, **kwargs) / RETRY_SPEEDUP)
