"""Hooks and fixtures of both layers: the reliability figures, the ansible-playbook count, shared extra emulators.

tests/unit runs the modules in-process (pure logic, and module-level tests against the emulator); tests/integration
runs ansible-playbook for what needs Ansible itself. The emulator fixtures (``emulator``, ``emu``, ``emulator_factory``,
``emulator_each_profile``) come from the cckm_emulator pytest plugin. Rows and counters of every xdist worker are gathered by
tests/reliability_report.py; the controlling process writes docs/reliability.md and prints the count at the end.
"""

import pytest

from tests import reliability_report
from cckm_emulator.harness import Emulator

COUNTERS = pytest.StashKey[dict]()


def _controller(config):
    """True in the process that runs the session (not in an xdist worker)."""
    return not hasattr(config, "workerinput")


def pytest_configure(config):
    if _controller(config):
        reliability_report.start()
    if getattr(config.option, "maxschedchunk", False) is None:
        # xdist's load scheduling hands each worker a quarter of its share at once, so the long tests, collected first
        # (below), could all land on one worker; one test at a time keeps both busy to the end (-n 2: ~2x).
        config.option.maxschedchunk = 1


def pytest_collection_modifyitems(items):
    """The ansible-playbook tests first: they are the long ones, and the short in-process tests then even out the workers' ends."""
    items.sort(key=lambda item: not item.nodeid.startswith("tests/integration/"))


def pytest_sessionfinish(session):
    if _controller(session.config):
        session.config.stash[COUNTERS] = reliability_report.finish()


def pytest_terminal_summary(terminalreporter, config):
    """How many ansible-playbook processes the run started, per test file (the slow part of the suite)."""
    if not _controller(config):
        return
    runs = config.stash.get(COUNTERS, {}).get(reliability_report.PLAYBOOK_RUNS, {})
    terminalreporter.write_sep("-", "%s: %d" % (reliability_report.PLAYBOOK_RUNS, sum(runs.values())))
    for path, number in sorted(runs.items()):
        terminalreporter.write_line("%4d  %s" % (number, path))


@pytest.fixture(scope="session")
def _shared_emulators():
    started = {}
    yield started
    for instance in started.values():
        instance.stop()


@pytest.fixture
def shared_emulator(_shared_emulators):  # pylint: disable=redefined-outer-name
    """``shared_emulator("--tls")``: one emulator per set of CLI args for the whole session (per worker), reset when handed out.

    For tests that need a start-up option (a password, TLS) but not a fresh process: saves a start per test.
    """
    def get(*args, **kwargs):
        key = repr((args, sorted(kwargs.items())))
        if key not in _shared_emulators:
            _shared_emulators[key] = Emulator(*args, **kwargs)
        instance = _shared_emulators[key]
        instance.reset()
        return instance
    return get
