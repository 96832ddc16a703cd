"""Fixtures that run the CCKM/Clumio emulator as a real HTTP server for integration tests."""

import pytest

import reliability_report
from tests.emulator.fixtures import emu, emulator  # noqa: F401 pylint: disable=unused-import
from tests.emulator.harness import Emulator


def _controller(config):
    """True in the process that runs the session (not in an xdist worker)."""
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _controller(config):
        reliability_report.start()


def pytest_sessionfinish(session):
    if _controller(session.config):
        reliability_report.write()


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
