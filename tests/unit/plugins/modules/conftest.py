"""Module-level tests: each module's main() in-process against one emulator server per worker (milliseconds per case)."""

import pytest

from tests.emulator.harness import Emulator


@pytest.fixture(scope="session")
def emulator():
    with Emulator("--job-delay", "0.05") as instance:
        yield instance


@pytest.fixture
def emu(emulator):  # pylint: disable=redefined-outer-name
    """The worker's emulator, reset to its seeded state before the test."""
    emulator.reset()
    return emulator


@pytest.fixture
def connection(emu):  # pylint: disable=redefined-outer-name
    """CipherTrust connection options for the emulator."""
    return {"host": emu.url, "username": "admin", "password": "admin"}


@pytest.fixture
def clumio(emu):  # pylint: disable=redefined-outer-name
    """Clumio connection options for the emulator's Clumio API."""
    return {"clumio_api_token": "clumio-test-token", "clumio_url": emu.url}
