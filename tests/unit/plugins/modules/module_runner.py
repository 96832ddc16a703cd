"""Run a module's ``main()`` in this process, the way Ansible would run it, and return its result.

Module arguments go in through ansible-core's own test hook; the result is the JSON the module prints
(so no_log masking, warnings and the exit code are Ansible's own), parsed back. :func:`run_tasks` runs a
list of tasks written as for a playbook (``{"name": ..., "ciphertrust.cckm.<module>": {...}}``) one after
the other, and answers like tests/integration/playbooks.py's ``PlaybookRun``, so a test reads the same either way.
"""

import contextlib
import importlib
import io
import json
import os
from unittest import mock

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

from tests import reliability_report

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield

PREFIX = "ciphertrust.cckm."
#: Mark for tests whose behaviour does not depend on a fidelity flag: only the default profile's emulator
#: ($CCKM_EMULATOR_PROFILE, else strict, as for the integration tests), not both (``emu`` is parametrized over them).
#: Only for tests that use ``emu`` (or ``connection``, ``clumio``): decorate them, or set ``pytestmark`` when all do.
ONE_PROFILE = pytest.mark.parametrize("emulator_each_profile", [os.environ.get("CCKM_EMULATOR_PROFILE") or "strict"], indirect=True)


def module(name):
    """The collection's module ``name`` (e.g. ``aws_key``)."""
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def connection_for(emulator, **overrides):
    """CipherTrust connection options for ``emulator`` (its CA file when it runs TLS)."""
    options = {"host": emulator.url, "username": "admin", "password": "admin"}
    if getattr(emulator, "ca_file", None):
        options["ca_file"] = emulator.ca_file
    options.update(overrides)
    return options


def connection_env(emulator, **overrides):
    """The same connection as CIPHERTRUST_* environment variables (the options' documented fallbacks, as AWX injects them)."""
    return {"CIPHERTRUST_" + name.upper(): str(value) for name, value in connection_for(emulator, **overrides).items()}


def _forget_warnings():
    for name in ("_global_warnings", "_global_deprecations"):
        if isinstance(getattr(ansible_warnings, name, None), (dict, list)):
            getattr(ansible_warnings, name).clear()


def run_module(module, args, check=False, diff=False, env=None):  # pylint: disable=redefined-outer-name
    """``module.main()`` with ``args``; returns the result dict ("failed": true and "rc" when it failed).

    The environment seen by the module is this process's without CIPHERTRUST_* and CLUMIO_* variables, plus ``env``.
    """
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    _forget_warnings()  # Ansible keeps them in module globals, which outlive one in-process run
    out = io.StringIO()
    code = None
    with patch_module_args(args), mock.patch.dict(os.environ), contextlib.redirect_stdout(out):
        for name in [n for n in os.environ if n.startswith(("CIPHERTRUST_", "CLUMIO_"))]:
            del os.environ[name]
        os.environ.update(env or {})
        try:
            module.main()
        except SystemExit as exc:
            code = exc.code
        else:
            raise AssertionError("%s.main() returned without exit_json/fail_json" % module.__name__)
    result = json.loads(out.getvalue())
    result["rc"] = code
    # ansible-core 2.19 sends warnings as summaries the controller renders; keep their text
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return result


class TaskRun:
    """Outcome of :func:`run_tasks`: an exit code like ansible-playbook's and per-task records."""

    def __init__(self):
        self.returncode = 0
        self.records = []

    def result(self, name):
        """The result dict of the task called ``name`` (the last one if it ran several times)."""
        matching = [r for r in self.records if r["task"] == name]
        assert matching, "task %r did not run; ran: %s" % (name, [r["task"] for r in self.records])
        return matching[-1]["result"]

    def failed_tasks(self):
        """Names of the tasks that failed (ignored failures included)."""
        return [r["task"] for r in self.records if r["status"] == "failed"]

    def changed_tasks(self):
        """Names of the tasks that reported a change."""
        return [r["task"] for r in self.records if r["status"] == "ok" and r["result"].get("changed")]

    def status(self, name):
        return [r for r in self.records if r["task"] == name][-1]["status"]


def run_tasks(tasks, defaults=None, env=None, check=False, diff=False, expect_rc=0, secrets=()):
    """Run collection tasks in order, in-process; a failure stops the list unless the task has ``ignore_errors``.

    ``defaults`` are merged under every task's options (as ``module_defaults`` would), ``env`` is the environment
    (e.g. CIPHERTRUST_* for the options' fallbacks), a task's own ``check_mode`` wins over ``check``. The exit code
    is 2 when a task failed unignored, as for ansible-playbook, and asserted unless ``expect_rc`` is None. Every
    result is scanned for the secrets of ``env``, ``secrets`` and JWTs: a leak fails the test.
    """
    run = TaskRun()
    for task in tasks:
        (name,) = [key for key in task if key.startswith(PREFIX)]
        result = run_module(module(name[len(PREFIX):]), dict(defaults or {}, **task[name]), check=task.get("check_mode", check),
                            diff=diff, env=env)
        run.records.append({"task": task["name"], "status": "failed" if result.get("failed") else "ok", "result": result})
        if result.get("failed") and not task.get("ignore_errors"):
            run.returncode = 2
            break
    leaks = reliability_report.secret_leaks(json.dumps(run.records), env or {}, secrets)
    assert not leaks, "secret leaked into the results: %s" % ", ".join(leak[:4] + "..." for leak in leaks)
    if expect_rc is not None:
        assert run.returncode == expect_rc, run.records[-1:]
    return run
