"""Every module's EXAMPLES block runs against the emulator (documentation that does not work is a bug)."""

import ast
from pathlib import Path

import pytest
import yaml

from playbooks import run_playbook

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))
ACCOUNT = "123456789012"


def examples_of(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "EXAMPLES":
            return yaml.safe_load(node.value.value)
    raise AssertionError("no EXAMPLES in %s" % path)


def wallet_as_seeded_after_two_rounds(emu):
    """kms_post_process's examples register and unregister a key: run twice, they send four requests and leave the wallet as seeded."""
    clumio = emu.control("GET", "clumio/wallets")
    assert [c["body"]["request_type"] for c in clumio["post_process_calls"]] == ["Create", "Delete", "Create", "Delete"]
    wallet = next(w for w in clumio["wallets"] if w["account_native_id"] == ACCOUNT)
    assert wallet["installed_regions"] == [] and wallet["state"] == "Waiting"


#: modules whose examples run twice, and what must hold afterwards
TWICE = {"kms_post_process": wallet_as_seeded_after_two_rounds}


@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_examples_run(module, emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "ex-"})
    variables = {"cm_host": emu.url, "cm_username": "admin", "cm_password": "admin", "clumio_url": emu.url, "clumio_token": "clumio-test-token"}
    tasks = [{"name": "example variables", "ansible.builtin.set_fact": variables, "no_log": True}]  # as a vault would keep them
    tasks += examples_of(module) * (2 if module.stem in TWICE else 1)
    run = run_playbook(tmp_path, tasks, {}, secrets=("clumio-test-token",))
    assert run.failed_tasks() == []
    if module.stem in TWICE:
        TWICE[module.stem](emu)
