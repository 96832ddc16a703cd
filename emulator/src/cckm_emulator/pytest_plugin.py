"""pytest fixtures for tests that talk to the emulator, registered through the ``pytest11`` entry point.

Installing the package is enough: ``emulator`` (one server per test process), ``emu`` (that one, reset before the
test), ``emulator_each_profile``, ``emulator_factory`` and the in-process ``emulator_app`` / ``emulator_client``
are then available to every test. With PYTEST_DISABLE_PLUGIN_AUTOLOAD set, load it with ``-p cckm_emulator``.
"""

import pytest

from .config import PROFILES, EmulatorConfig
from .harness import Emulator, default_profile

#: fast asynchronous jobs, so tests that wait for one take milliseconds
FAST_JOBS = ("--job-delay", "0.05")


@pytest.fixture(scope="session")
def emulator():
    """One emulator for the whole session (fast jobs), in the profile $CCKM_EMULATOR_PROFILE names."""
    with Emulator(*FAST_JOBS) as instance:
        yield instance


@pytest.fixture(scope="session", params=PROFILES)
def emulator_each_profile(request):
    """One emulator per fidelity profile: a test using it runs once against each (strict, lenient)."""
    with Emulator(*FAST_JOBS, profile=request.param) as instance:
        yield instance


@pytest.fixture
def emu(emulator):  # pylint: disable=redefined-outer-name
    """The session emulator, reset to its seeded state before the test."""
    emulator.reset()
    return emulator


@pytest.fixture
def emulator_factory():
    """Start extra emulators with custom CLI args: ``emulator_factory("--tls")``; all stopped at teardown."""
    started = []

    def start(*args, **kwargs):
        instance = Emulator(*args, **kwargs)
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture(scope="session")
def emulator_app():
    """The Flask app in this process, no server: for tests of routes alone (no TLS, no dropped connections).

    Imported here, not at the top, so that merely having the plugin installed costs no Flask or moto import.
    moto's AWS side is process-global, hence one app per session.
    """
    from .app import create_app  # pylint: disable=import-outside-toplevel

    return create_app(EmulatorConfig(job_delay=float(FAST_JOBS[1]), profile=default_profile()))


@pytest.fixture
def emulator_client(emulator_app):  # pylint: disable=redefined-outer-name
    """A Flask test client of ``emulator_app``, reset to its seeded state before the test."""
    emulator_app.extensions["cckm_emulator"].reset()
    return emulator_app.test_client()
