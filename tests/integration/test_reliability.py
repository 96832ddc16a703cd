"""Reliability and security: faults (incl. ambiguous writes), secrets at -vvv; figures go to docs/reliability.md."""

import re
import threading
import time

from tests import reliability_report
from playbooks import connection_env, run_playbook

MODULE = "ciphertrust.cckm.aws_key"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
PASSWORD = "Rel-Unique-Passw0rd"


def aliases(emulator):
    return sorted(a for k in emulator.aws_keys() for a in k["Aliases"])


def test_ambiguous_create_key_leaves_one_key(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    emulator.control("POST", "/_emulator/faults", json={"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 500, "count": 1, "phase": "after"}]})
    task = {"name": "k", MODULE: dict(WHERE, alias="rel-amb")}
    run = run_playbook(tmp_path, [task], connection_env(emulator, password=PASSWORD, CIPHERTRUST_RETRIES=10), expect_rc=None)
    dup = max(0, aliases(emulator).count("alias/rel-amb") - 1)
    reliability_report.record("ambiguous POST keys", faults=1, failures=len(run.failed_tasks()), duplicates=dup)
    assert dup == 0
    if run.returncode:
        assert "rel-amb" in run.output or "ambiguous" in run.output.lower(), run.output[-3000:]


def test_faulty_run_matches_clean_run(emulator_factory, tmp_path):
    tasks = [{"name": "k%d" % i, MODULE: dict(WHERE, alias="rel-f%d" % i, tags={"n": str(i)})} for i in range(3)]
    clean = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    faulty = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, "--fault-rate", "0.2", "--seed", "7")
    run_playbook(tmp_path, tasks, connection_env(clean, password=PASSWORD))
    run = run_playbook(tmp_path, tasks, connection_env(faulty, password=PASSWORD, CIPHERTRUST_RETRIES=10), expect_rc=None)
    reliability_report.record("fault-rate 0.2: aws_key x3", runs=2, faults=faulty.stats()["faults"]["injected"],
                              failures=len(run.failed_tasks()), duplicates=len(aliases(faulty)) - len(set(aliases(faulty))))
    assert run.failed_tasks() == [], run.output[-4000:]
    assert aliases(faulty) == aliases(clean)


def test_no_secret_in_vvv_output(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    run = run_playbook(tmp_path, [{"name": "k", MODULE: dict(WHERE, alias="rel-sec")}], connection_env(emulator, password=PASSWORD),
                       verbosity=3, diff=True)
    text = run.output + repr(run.records)
    leaks = text.count(PASSWORD) + len(re.findall(r"eyJ[\w-]{10,}\.", text))
    reliability_report.record("secrets at -vvv", leaks=leaks)
    assert leaks == 0


# -- parallelism as AWX runs it ----------------------------------------------------------------------


def test_ten_forks_manage_ten_keys_at_once(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    hosts = {"node%d" % i: {"key_alias": "rel-fork-%d" % i} for i in range(10)}
    task = {"name": "k", MODULE: dict(WHERE, alias="{{ key_alias }}", tags={"owner": "{{ inventory_hostname }}"}, auto_rotation=True)}
    env = connection_env(emulator, password=PASSWORD, CIPHERTRUST_RETRIES=10)
    first = run_playbook(tmp_path, [task], env, hosts=hosts, forks=10)
    second = run_playbook(tmp_path, [task], env, hosts=hosts, forks=10)
    keys = {k["Aliases"][0]: k for k in emulator.aws_keys()}
    duplicates = len(aliases(emulator)) - len(set(aliases(emulator)))
    reliability_report.record("10 forks, 10 keys, run twice", runs=2, failures=len(first.failed_tasks() + second.failed_tasks()), duplicates=duplicates)
    assert sorted(keys) == sorted("alias/rel-fork-%d" % i for i in range(10)) and duplicates == 0
    assert all(keys["alias/rel-fork-%d" % i]["Tags"] == {"owner": "node%d" % i} and keys["alias/rel-fork-%d" % i]["KeyRotationEnabled"]
               for i in range(10))
    assert len(first.changed_tasks()) == 10 and second.changed_tasks() == []


def test_two_plays_racing_on_one_alias_make_one_key(emulator_factory, tmp_path):
    """Both plays read "absent" before either creates (slow server, barrier); the loser's 409 must converge, not fail."""
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, "--latency-ms", "2500", password=PASSWORD)
    barrier = tmp_path / "go"
    runs = {}

    def play(name):
        tasks = [{"name": "ready", "ansible.builtin.file": {"path": str(tmp_path / ("ready-" + name)), "state": "touch", "mode": "0600"}},
                 {"name": "barrier", "ansible.builtin.wait_for": {"path": str(barrier), "sleep": 1, "timeout": 120}},
                 {"name": "k", MODULE: dict(WHERE, alias="rel-race", tags={"team": "shared"})}]
        runs[name] = run_playbook(tmp_path / name, tasks, connection_env(emulator, password=PASSWORD), expect_rc=None)

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    threads = [threading.Thread(target=play, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 120
    while not all((tmp_path / ("ready-" + name)).exists() for name in ("a", "b")) and time.monotonic() < deadline:
        time.sleep(0.05)
    barrier.touch()
    for thread in threads:
        thread.join(300)
    results = [runs[name].result("k") for name in ("a", "b")]
    creates = emulator.stats()["routes"].get("POST /api/v1/cckm/aws/keys", 0)
    cckm = emulator.api("GET", "cckm/aws/keys", params={"alias": "rel-race", "limit": -1}).json()["total"]
    reliability_report.record("two plays racing on one alias", runs=2, failures=sum(len(r.failed_tasks()) for r in runs.values()),
                              duplicates=max(0, aliases(emulator).count("alias/rel-race") - 1) + max(0, cckm - 1))
    assert [runs[name].returncode for name in ("a", "b")] == [0, 0], runs["a"].output[-3000:] + runs["b"].output[-3000:]
    assert aliases(emulator).count("alias/rel-race") == 1 and cckm == 1
    assert creates == 2, "the plays did not race (only %d create request)" % creates
    winner, loser = sorted(results, key=lambda r: not r["changed"])
    assert [a["description"].split()[0] for a in winner["actions"]] == ["create"] and winner["changed"]
    assert not loser["changed"] and loser["actions"] == []
    assert any("created by another run at the same time" in w for w in loser.get("warnings", []))
    assert winner["record"]["id"] == loser["record"]["id"]


# -- tokens -----------------------------------------------------------------------------------------


def test_token_expiring_mid_task_is_renewed(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, "--token-ttl", "2", "--latency-ms", "400")
    task = {"name": "k", MODULE: dict(WHERE, alias="rel-ttl", tags={"a": "1"}, description="ttl", auto_rotation=True)}
    run = run_playbook(tmp_path, [task], connection_env(emulator, password=PASSWORD), expect_rc=None)
    logins = emulator.stats()["routes"].get("POST /api/v1/auth/tokens", 0)
    reliability_report.record("token ttl 2 s, task longer than that", failures=len(run.failed_tasks()))
    assert run.returncode == 0, run.output[-3000:]
    assert logins >= 2, "the task never needed a new token (%d logins): make it longer" % logins
    key = [k for k in emulator.aws_keys() if "alias/rel-ttl" in k["Aliases"]][0]
    assert key["Tags"] == {"a": "1"} and key["Description"] == "ttl" and key["KeyRotationEnabled"]


def test_revoked_refresh_token_is_a_clear_error_that_hides_it(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    grant = {"grant_type": "password", "username": "admin", "password": PASSWORD}
    refresh = emulator.session.post(emulator.url + "/api/v1/auth/tokens", json=grant, timeout=30).json()["refresh_token"]
    env = {"CIPHERTRUST_HOST": emulator.url, "CIPHERTRUST_REFRESH_TOKEN": refresh}
    task = {"name": "info", "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}}
    working = run_playbook(tmp_path, [task], env, verbosity=3)
    emulator.control("POST", "auth/revoke", json={})
    revoked = run_playbook(tmp_path, [task], env, verbosity=3, expect_rc=2)
    text = working.output + revoked.output + repr(working.records + revoked.records)
    reliability_report.record("revoked refresh token at -vvv", runs=2, leaks=text.count(refresh))
    msg = revoked.result("info")["msg"]
    refused = "NCERRUnauthorizedAccess" if emulator.fidelity("refresh_token_error") == 401 else "NCERRBadRequest"
    assert "refresh token was rejected" in msg and "Token has been revoked" in msg and refused in msg, msg
    assert refresh not in text


# -- TLS and CipherTrust's own errors ------------------------------------------------------------------


def test_wrong_ca_fails_with_a_clear_message(emulator_factory, tmp_path):
    server, other = emulator_factory("--tls"), emulator_factory("--tls")
    env = dict(connection_env(server), CIPHERTRUST_CA_FILE=other.ca_file)
    run = run_playbook(tmp_path, [{"name": "tls", "ciphertrust.cckm.aws_key_info": {}}], env, expect_rc=2)
    msg = run.result("tls")["msg"]
    assert "TLS error" in msg and "certificate verify failed" in msg and "ca_file" in msg, msg
    assert server.stats()["requests"] == 0


def test_http_errors_reach_the_user_with_code_desc_and_message(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    emulator.control("POST", "/_emulator/aws/keys", json={"region": "us-east-1", "alias": "rel-outside"})  # in AWS, unknown to CCKM
    emulator.control("POST", "permissions", json={"deny": ["keycreate"]})
    env = connection_env(emulator, password=PASSWORD)
    tasks = [{"name": "403", MODULE: dict(WHERE, alias="rel-denied"), "ignore_errors": True}]
    denied = run_playbook(tmp_path, tasks, env)
    emulator.control("DELETE", "permissions")
    conflict_status = str(emulator.fidelity("aws_error_status"))  # AlreadyExists as 409 or 400 (FIDELITY.md)
    conflict = run_playbook(tmp_path, [{"name": conflict_status, MODULE: dict(WHERE, alias="rel-outside"), "ignore_errors": True}], env)
    emulator.control("POST", "faults", json={"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/keys", "status": s} for s in (404, 422)]})
    scripted = run_playbook(tmp_path, [{"name": str(status), "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}, "ignore_errors": True}
                                       for status in (404, 422)], env)
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
