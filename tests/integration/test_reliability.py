"""Reliability and security: faults (incl. ambiguous writes), secrets at -vvv; figures go to docs/reliability.md."""

import re

import pytest

import reliability_report
from playbooks import connection_env, run_playbook

MODULE = "ciphertrust.cckm.aws_key"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
PASSWORD = "Rel-Unique-Passw0rd"


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    reliability_report.write()


def aliases(emulator):
    return sorted(a for k in emulator.aws_keys() for a in k["Aliases"])


def failed(run):
    return [r["task"] for r in run.records if r["status"] == "failed"]


def test_ambiguous_create_key_leaves_one_key(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    emulator.control("POST", "/_emulator/faults", json={"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 500, "count": 1, "phase": "after"}]})
    task = {"name": "k", MODULE: dict(WHERE, alias="rel-amb")}
    run = run_playbook(tmp_path, [task], connection_env(emulator, password=PASSWORD, CIPHERTRUST_RETRIES=10), expect_rc=None)
    dup = max(0, aliases(emulator).count("alias/rel-amb") - 1)
    reliability_report.record("ambiguous POST keys", faults=1, failures=len(failed(run)), duplicates=dup)
    assert dup == 0
    if run.returncode:
        assert "rel-amb" in run.output or "ambiguous" in run.output.lower(), run.output[-3000:]


def test_faulty_run_matches_clean_run(emulator_factory, tmp_path):
    tasks = [{"name": "k%d" % i, MODULE: dict(WHERE, alias="rel-f%d" % i, tags={"n": str(i)})} for i in range(3)]
    clean = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    faulty = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, "--fault-rate", "0.2", "--seed", "7")
    run_playbook(tmp_path, tasks, connection_env(clean, password=PASSWORD))
    run = run_playbook(tmp_path, tasks, connection_env(faulty, password=PASSWORD, CIPHERTRUST_RETRIES=10), expect_rc=None)
    extra = faulty.stats()["requests"] - clean.stats()["requests"]
    reliability_report.record("fault-rate 0.2 aws_key x3 (faults = extra requests vs clean run)", runs=2, faults=max(0, extra),
                              failures=len(failed(run)), duplicates=len(aliases(faulty)) - len(set(aliases(faulty))))
    assert failed(run) == [], run.output[-4000:]
    assert aliases(faulty) == aliases(clean)


def test_no_secret_in_vvv_output(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    run = run_playbook(tmp_path, [{"name": "k", MODULE: dict(WHERE, alias="rel-sec")}], connection_env(emulator, password=PASSWORD),
                       verbosity=3, diff=True)
    text = run.output + repr(run.records)
    leaks = text.count(PASSWORD) + len(re.findall(r"eyJ[\w-]{10,}\.", text))
    reliability_report.record("secrets at -vvv", leaks=leaks)
    assert leaks == 0
