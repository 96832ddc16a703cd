"""Shared fixtures for unit tests: a fake clock/sleep and a CckmClient wired to them; the Hypothesis profile."""

import os
import tempfile

import pytest
from hypothesis import settings

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import CckmClient
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import FakeTime

# Property tests: derandomized so CI cannot flake, and no example database. Hypothesis still caches Unicode tables and
# source constants in <cwd>/.hypothesis/ unless told otherwise, so keep that out of the working tree as well.
# HYPOTHESIS_PROFILE=explore runs a longer, random search locally.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "cckm-hypothesis-%d" % os.getuid()))
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=50, print_blob=False)
settings.register_profile("explore", database=None, deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def make_client(fake_time):
    def factory(**overrides):
        params = {"host": "cm.test", "username": "admin", "password": "s3cret-pass", "validate_certs": True,
                  "ca_file": None, "timeout": 5, "retries": 3, "refresh_token": None, "domain": None, "auth_domain": None, "jwt": None}
        params.update(overrides)
        return CckmClient(params, sleep=fake_time.sleep, clock=fake_time.clock)
    return factory
