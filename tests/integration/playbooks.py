"""Run real ansible-playbook against the emulator and return every task's result.

Tests describe tasks as Python dicts; the play gets the connection from CIPHERTRUST_* environment
variables (the modules' documented fallbacks), as AWX/AAP credentials would inject them.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from cckm_emulator.harness import write_routes

from tests import reliability_report

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")


class PlaybookRun:
    """Outcome of one ansible-playbook run: exit code, console output and per-task records."""

    def __init__(self, returncode, output, records):
        self.returncode = returncode
        self.output = output
        self.records = records

    def result(self, name):
        """The result dict of the task called ``name`` (the last one if it ran several times)."""
        matching = [r for r in self.records if r["task"] == name]
        assert matching, "task %r did not run; output:\n%s" % (name, self.output[-4000:])
        return matching[-1]["result"]

    def failed_tasks(self):
        """Names of the tasks that failed (ignored failures included)."""
        return [r["task"] for r in self.records if r["status"] == "failed"]

    def changed_tasks(self):
        """Names of the tasks that reported a change (what PLAY RECAP counts as changed)."""
        return [r["task"] for r in self.records if r["status"] == "ok" and r["result"].get("changed")]

    def status(self, name):
        return [r for r in self.records if r["task"] == name][-1]["status"]

    def between(self, first=None, last=None):
        """The records after the task ``first`` (from the start when None) up to the task ``last`` (to the end when None),
        as a run of their own: one pass of a play that runs a role several times, separated by :func:`probe` tasks."""
        names = [r["task"] for r in self.records]
        start = names.index(first) + 1 if first else 0
        end = names.index(last, start) if last else len(names)
        return PlaybookRun(self.returncode, self.output, self.records[start:end])

    def probed(self, name):
        """The JSON a :func:`probe` task read."""
        return self.result(name)["json"]


def connection_env(emulator, username="admin", password="admin", **extra):
    env = {"CIPHERTRUST_HOST": emulator.url, "CIPHERTRUST_USERNAME": username, "CIPHERTRUST_PASSWORD": password}
    if getattr(emulator, "ca_file", None):
        env["CIPHERTRUST_CA_FILE"] = emulator.ca_file
    env.update({k: str(v) for k, v in extra.items()})
    return env


def role_task(role, variables, check=False):
    """A task running one of the collection's roles with ``variables`` (in check mode when ``check``)."""
    include = {"name": "ciphertrust.cckm." + role}
    if check:
        include["apply"] = {"check_mode": True}
    return {"name": "role " + role, "ansible.builtin.include_role": include, "vars": variables}


def rescued(name, task):
    """``task`` in a block whose failure is rescued, so the play goes on (the failed task stays in the records)."""
    return {"name": name, "block": [task], "rescue": [{"name": name + ": rescued", "ansible.builtin.debug": {"msg": "rescued"}}]}


def probe(name, emulator, path, **params):
    """A task reading an emulator control endpoint (``clumio/wallets``, ``aws/keys`` with ``region=``), so a test sees the
    state between two tasks of one play: ``run.probed(name)``."""
    query = "&".join("%s=%s" % item for item in params.items())
    url = "%s/_emulator/%s%s" % (emulator.url, path, "?" + query if query else "")
    return {"name": name, "ansible.builtin.uri": {"url": url, "use_proxy": False}}


def in_check_mode(task):
    """``task`` in check mode (an included role's tasks too, through ``apply``)."""
    if "ansible.builtin.include_role" in task:
        return dict(task, **{"ansible.builtin.include_role": dict(task["ansible.builtin.include_role"], apply={"check_mode": True})})
    return dict(task, check_mode=True)


def run_passes(tmp_path, emulator, tasks, env, passes, **options):
    """``tasks`` once per pass, all in one ansible-playbook run (one process start, not one per pass); a pass whose name
    starts with "check" runs them in check mode. Each pass is followed by a probe of the emulator's request counts.

    Returns ``{pass: PlaybookRun}``: each pass's own records, with ``.writes``, the write requests the emulator counted
    during that pass (as ``Emulator.writes()`` would have said after a run of its own). ``options`` go to run_playbook.
    """
    play = [probe("stats before", emulator, "stats")]
    for name in passes:
        play += [in_check_mode(t) for t in tasks] if name.startswith("check") else list(tasks)
        play.append(probe("stats after " + name, emulator, "stats"))
    run = run_playbook(tmp_path, play, env, **options)
    result, before = {}, write_routes(run.probed("stats before")["routes"])
    previous = "stats before"
    for name in passes:
        after = write_routes(run.probed("stats after " + name)["routes"])
        result[name] = run.between(previous, "stats after " + name)
        result[name].writes = {route: n - before.get(route, 0) for route, n in after.items() if n != before.get(route, 0)}
        previous, before = "stats after " + name, after
    return result


def run_playbook(tmp_path, tasks, env, check=False, diff=False, verbosity=0, expect_rc=0, hosts=None, forks=None, secrets=()):
    """Write a one-play playbook with ``tasks`` and run it; asserts the exit code unless expect_rc is None.

    ``hosts`` ({name: vars}) runs the play on that inventory (all local) instead of localhost. Every run
    is scanned for secrets (``env``'s password and tokens, ``secrets``, JWTs) in its output, log file and results:
    a leak fails the test, and the scan is counted in docs/reliability.md.
    """
    play = [{"name": "integration", "hosts": "all" if hosts else "localhost", "connection": "local", "gather_facts": False,
             "tasks": tasks}]
    playbook = tmp_path / ("play-%d.yml" % len(list(tmp_path.glob("play-*.yml"))))
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    results = playbook.with_suffix(".json")
    run_env = dict(os.environ)
    for name in list(run_env):
        if name.startswith(("CIPHERTRUST_", "CLUMIO_")):
            del run_env[name]
    run_env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".tree" / "run"),
        "ANSIBLE_CALLBACK_PLUGINS": str(Path(__file__).parent / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "record_results",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "true",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "CCKM_TEST_RESULTS": str(results),
        "ANSIBLE_LOG_PATH": str(playbook.with_suffix(".log")),  # the log file AWX-like setups keep is scanned too
    })
    run_env.update(env)
    command = [ANSIBLE_PLAYBOOK, str(playbook)]
    if hosts:
        inventory = playbook.with_suffix(".inventory.yml")
        host_vars = {name: dict(variables, ansible_python_interpreter=sys.executable) for name, variables in hosts.items()}
        inventory.write_text(yaml.safe_dump({"all": {"hosts": host_vars}}))
        command += ["-i", str(inventory)]
    if forks:
        command += ["--forks", str(forks)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if verbosity:
        command.append("-" + "v" * verbosity)
    reliability_report.count(reliability_report.PLAYBOOK_RUNS, os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0])
    proc = subprocess.run(command, cwd=str(ROOT), env=run_env, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    records = json.loads(results.read_text()) if results.exists() else []
    written = "".join(path.read_text(errors="replace") for path in (results, playbook.with_suffix(".log")) if path.exists())
    leaks = reliability_report.secret_leaks(output + written, env, secrets)
    reliability_report.record(reliability_report.SECRET_SCAN, leaks=len(leaks))
    assert not leaks, "secret leaked into the output or results of %s: %s" % (playbook.name, ", ".join(leak[:4] + "..." for leak in leaks))
    if expect_rc is not None:
        assert proc.returncode == expect_rc, output[-6000:]
    return PlaybookRun(proc.returncode, output, records)
