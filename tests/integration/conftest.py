"""Integration tests: the emulator fixtures (emulator, emu, emulator_factory) come from the cckm_emulator pytest plugin."""

import reliability_report


def _controller(config):
    """True in the process that runs the session (not in an xdist worker)."""
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _controller(config):
        reliability_report.start()


def pytest_sessionfinish(session):
    if _controller(session.config):
        reliability_report.write()
