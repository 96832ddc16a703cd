"""Reliability in-process: ambiguous writes, random faults, token renewal, TLS and CipherTrust's own errors.

Figures go to docs/reliability.md. Secrets at -vvv, forks and racing plays need ansible-playbook: tests/integration/test_reliability.py.
"""

import pytest

from module_runner import ONE_PROFILE, connection_env, connection_for, run_tasks
from tests import reliability_report

# faults change what happens, not how long the client would wait in production: retry quickly (conftest)
pytestmark = pytest.mark.usefixtures("brisk_retries")

MODULE = "ciphertrust.cckm.aws_key"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
PASSWORD = "Rel-Unique-Passw0rd"


def aliases(emulator):
    return sorted(a for k in emulator.aws_keys() for a in k["Aliases"])


def with_password(shared_emulator):
    """The shared emulator whose password is PASSWORD (every result is scanned for it)."""
    return shared_emulator("--job-delay", "0.05", "--password", PASSWORD, password=PASSWORD)


def test_ambiguous_create_key_leaves_one_key(shared_emulator):
    emulator = with_password(shared_emulator)
    emulator.control("POST", "/_emulator/faults", json={"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 500, "count": 1, "phase": "after"}]})
    task = {"name": "k", MODULE: dict(WHERE, alias="rel-amb")}
    run = run_tasks([task], connection_for(emulator, password=PASSWORD, retries=10), expect_rc=None, secrets=(PASSWORD,))
    dup = max(0, aliases(emulator).count("alias/rel-amb") - 1)
    reliability_report.record("ambiguous POST keys", faults=1, failures=len(run.failed_tasks()), duplicates=dup)
    assert dup == 0
    if run.returncode:
        assert "rel-amb" in run.result("k")["msg"] or "ambiguous" in run.result("k")["msg"].lower(), run.result("k")


def test_faulty_run_matches_clean_run(shared_emulator, emulator_factory):
    """The faulty emulator is a fresh process: its seeded fault sequence must start from the beginning."""
    tasks = [{"name": "k%d" % i, MODULE: dict(WHERE, alias="rel-f%d" % i, tags={"n": str(i)})} for i in range(3)]
    clean = with_password(shared_emulator)
    faulty = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, "--fault-rate", "0.2", "--seed", "7")
    run_tasks(tasks, connection_for(clean, password=PASSWORD), secrets=(PASSWORD,))
    run = run_tasks(tasks, connection_for(faulty, password=PASSWORD, retries=10), expect_rc=None, secrets=(PASSWORD,))
    reliability_report.record("fault-rate 0.2: aws_key x3", runs=2, faults=faulty.stats()["faults"]["injected"],
                              failures=len(run.failed_tasks()), duplicates=len(aliases(faulty)) - len(set(aliases(faulty))))
    assert run.failed_tasks() == [], run.records
    assert faulty.stats()["faults"]["injected"] > 0
    assert aliases(faulty) == aliases(clean)


@ONE_PROFILE
def test_token_expiring_mid_task_is_renewed(emu, connection):
    emu.control("POST", "/_emulator/config", {"token_ttl": 2, "latency_ms": 400})
    task = {"name": "k", MODULE: dict(WHERE, alias="rel-ttl", tags={"a": "1"}, description="ttl", auto_rotation=True)}
    run = run_tasks([task], connection, expect_rc=None)
    logins = emu.stats()["routes"].get("POST /api/v1/auth/tokens", 0)
    reliability_report.record("token ttl 2 s, task longer than that", failures=len(run.failed_tasks()))
    assert run.returncode == 0, run.records
    assert logins >= 2, "the task never needed a new token (%d logins): make it longer" % logins
    key = [k for k in emu.aws_keys() if "alias/rel-ttl" in k["Aliases"]][0]
    assert key["Tags"] == {"a": "1"} and key["Description"] == "ttl" and key["KeyRotationEnabled"]


def test_wrong_ca_fails_with_a_clear_message(shared_emulator, emulator_factory):
    server, other = shared_emulator("--tls"), emulator_factory("--tls")
    run = run_tasks([{"name": "tls", "ciphertrust.cckm.aws_key_info": {}}], env=connection_env(server, ca_file=other.ca_file), expect_rc=2)
    msg = run.result("tls")["msg"]
    assert "TLS error" in msg and "certificate verify failed" in msg and "ca_file" in msg, msg
    assert server.stats()["requests"] == 0


def test_http_errors_reach_the_user_with_code_desc_and_message(emu, connection):
    """Under both profiles: AlreadyExists comes as 409 or 400 (FIDELITY.md), and either must read the same to the user."""
    emu.control("POST", "/_emulator/aws/keys", json={"region": "us-east-1", "alias": "rel-outside"})  # in AWS, unknown to CCKM
    emu.control("POST", "permissions", json={"deny": ["keycreate"]})
    denied = run_tasks([{"name": "403", MODULE: dict(WHERE, alias="rel-denied"), "ignore_errors": True}], connection)
    emu.control("DELETE", "permissions")
    conflict_status = str(emu.fidelity("aws_error_status"))
    conflict = run_tasks([{"name": conflict_status, MODULE: dict(WHERE, alias="rel-outside"), "ignore_errors": True}], connection)
    emu.control("POST", "faults", json={"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/keys", "status": s} for s in (404, 422)]})
    scripted = run_tasks([{"name": str(status), "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}, "ignore_errors": True}
                          for status in (404, 422)], connection)
    runs = {"403": denied, conflict_status: conflict, "404": scripted, "422": scripted}
    expected = {
        "403": ("NCERRInsufficientPermissions", "requires permission keycreate"),
        conflict_status: ("NCERRConflict" if conflict_status == "409" else "NCERRBadRequest", "AlreadyExistsException"),
        "404": ("NCERRResourceNotFound", "injected fault: HTTP 404"),
        "422": ("NCERRBadRequest", "injected fault: HTTP 422"),
    }
    for status, (code, message) in expected.items():
        result = runs[status].result(status)
        assert runs[status].status(status) == "failed" and "HTTP %s" % status in result["msg"], result
        assert result["error"]["status"] == int(status) and code in result["error"]["code"] and message in result["error"]["message"]
        assert code in result["msg"] and message in result["msg"]
    assert "aws_sync" in conflict.result(conflict_status)["msg"], "AlreadyExists for an alias CCKM does not know should say how to fix it"
