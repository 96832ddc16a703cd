"""pytest fixtures for tests that talk to the emulator: one server per test process, reset before each test.

Import them into a conftest.py: ``from tests.emulator.fixtures import emu, emulator``.
"""

import pytest

from .harness import Emulator


@pytest.fixture(scope="session")
def emulator():
    """One emulator for the whole session (fast jobs: --job-delay 0.05)."""
    with Emulator("--job-delay", "0.05") as instance:
        yield instance


@pytest.fixture
def emu(emulator):  # pylint: disable=redefined-outer-name
    """The session emulator, reset to its seeded state before the test."""
    emulator.reset()
    return emulator
