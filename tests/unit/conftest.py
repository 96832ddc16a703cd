"""Shared fixtures for unit tests: a fake clock/sleep and a CckmClient wired to them."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import CckmClient
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import FakeTime


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def make_client(fake_time):
    def factory(**overrides):
        params = {"host": "cm.test", "username": "admin", "password": "s3cret-pass", "validate_certs": True,
                  "ca_file": None, "timeout": 5, "retries": 3, "refresh_token": None, "domain": None, "auth_domain": None}
        params.update(overrides)
        return CckmClient(params, sleep=fake_time.sleep, clock=fake_time.clock)
    return factory
