"""Module-level tests: each module's main() in-process against one emulator server per worker (milliseconds per case)."""

import pytest

from module_runner import connection_for

from tests.emulator.fixtures import emulator_each_profile  # noqa: F401 pylint: disable=unused-import


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
