"""pytest fixtures for tests that talk to the emulator: one server per test process, reset before each test.

Import them into a conftest.py: ``from tests.emulator.fixtures import emu, emulator``.
"""

import pytest

from .config import PROFILES
from .harness import Emulator


@pytest.fixture(scope="session")
def emulator():
    """One emulator for the whole session (fast jobs: --job-delay 0.05), in the profile $CCKM_EMULATOR_PROFILE names."""
    with Emulator("--job-delay", "0.05") as instance:
        yield instance


@pytest.fixture(scope="session", params=PROFILES)
def emulator_each_profile(request):
    """One emulator per fidelity profile: a test using it runs once against each (strict, lenient)."""
    with Emulator("--job-delay", "0.05", profile=request.param) as instance:
        yield instance


@pytest.fixture
def emu(emulator):  # pylint: disable=redefined-outer-name
    """The session emulator, reset to its seeded state before the test."""
    emulator.reset()
    return emulator
