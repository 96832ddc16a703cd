"""The layering of plugins/module_utils, checked on the source: who decides check mode, who knows paths, who imports whom."""

import ast
import re
from pathlib import Path

import pytest

UTILS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
PREFIX = "ansible_collections.ciphertrust.cckm.plugins.module_utils."


def sources():
    return sorted(p for p in UTILS.rglob("*.py") if p.name != "__init__.py")


def name(path):
    return path.relative_to(UTILS).with_suffix("").as_posix().replace("/", ".")


def imports(path):
    """The module_utils modules a file imports (``_keys.read``, ``_api``, ...)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            found.add(node.module[len(PREFIX):])
        if isinstance(node, ast.ImportFrom) and node.module == PREFIX.rstrip("."):
            found.update(alias.name for alias in node.names)
    return found


def test_only_the_module_base_reads_check_mode_or_diff_mode():
    readers = [name(p) for p in sources() if re.search(r"\bcheck_mode\b|\._diff\b", p.read_text())]
    assert readers == ["_module"]


def test_only_the_endpoint_layer_knows_api_paths():
    knowing = [name(p) for p in sources() if re.search(r"/api/v1|/cckm/|/wallets", p.read_text())]
    assert knowing == ["_api"]


# Module -> what it must not import (directly). The key layers import only the ones before them.
FORBIDDEN = {
    "_api": {"_http", "_client", "_clumio", "_auth", "_module", "_jobs", "_keys.read", "_keys.desired", "_keys.plan", "_keys.apply"},
    "_keys.read": {"_keys.desired", "_keys.plan", "_keys.apply", "_templates", "_bulk", "_sync", "_module", "_client"},
    "_keys.desired": {"_api", "_client", "_keys.plan", "_keys.apply", "_module"},
    "_keys.plan": {"_client", "_http", "_keys.apply", "_module", "_jobs"},
    "_keys.apply": {"_module", "_client"},
    "_resource": {"_module", "_client", "_http", "_api"},
    "_jobs": {"_module", "_client", "_keys.read", "_keys.apply"},
}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_layers_import_only_what_they_may(module):
    path = UTILS / (module.replace(".", "/") + ".py")
    assert not imports(path) & FORBIDDEN[module]


def test_resources_never_import_the_module_base_or_a_client():
    for path in sources():
        if name(path) not in ("_module",):
            assert not imports(path) & {"_module"}, name(path)
