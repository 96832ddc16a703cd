"""The emulator's own tests use its pytest plugin as a user's CI would: from the installed package."""

import pytest


def pytest_configure(config):
    if not config.pluginmanager.has_plugin("cckm_emulator"):
        raise pytest.UsageError("the cckm_emulator pytest plugin is not loaded: install the package first (pip install -e .), "
                                "or pass -p cckm_emulator if PYTEST_DISABLE_PLUGIN_AUTOLOAD is set")
