"""Every module's EXAMPLES block runs against the emulator (documentation that does not work is a bug).

One play runs them all, module after module, on one emulator (reset, two keys seeded): one ansible-playbook start
instead of one per module, and each module's examples must also work after the others' (as a user's play would chain
them). Each example task is named after its module, so a failure says whose documentation is wrong.
"""

import ast
from pathlib import Path

import yaml

from playbooks import run_playbook

MODULES = sorted((Path(__file__).resolve().parents[2] / "plugins" / "modules").glob("*.py"))
ACCOUNT = "123456789012"
SEED = {"count": 2, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "ex-"}


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


#: modules whose examples run twice, and what must hold afterwards; they run last, so the check sees their state alone
TWICE = {"kms_post_process": wallet_as_seeded_after_two_rounds}


def module_examples(module):
    """``module``'s examples (twice for :data:`TWICE`), each task named after the module."""
    return [dict(task, name="[%s] %s" % (module.stem, task.get("name", "unnamed example")))
            for task in examples_of(module) * (2 if module.stem in TWICE else 1)]


def test_every_modules_examples_run(emu, tmp_path):
    emu.control("POST", "/_emulator/cckm/keys", SEED)
    variables = {"cm_host": emu.url, "cm_username": "admin", "cm_password": "admin", "clumio_url": emu.url, "clumio_token": "clumio-test-token"}
    tasks = [{"name": "example variables", "ansible.builtin.set_fact": variables, "no_log": True}]  # as a vault would keep them
    for module in sorted(MODULES, key=lambda m: (m.stem in TWICE, m.stem)):
        tasks += module_examples(module)
    run = run_playbook(tmp_path, tasks, {}, secrets=("clumio-test-token",))
    assert run.failed_tasks() == []
    ran = {r["task"][1:].split("]")[0] for r in run.records if r["task"].startswith("[")}
    documented = {m.stem for m in MODULES}
    assert ran == documented, "modules whose examples did not run: %s" % sorted(documented - ran)
    for check in TWICE.values():
        check(emu)
