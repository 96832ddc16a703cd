"""What needs ansible-playbook for reliability and security: no secret at -vvv, forks, racing plays; figures go to docs/reliability.md.

Faults, ambiguous writes, token renewal, TLS and HTTP errors of the modules themselves: tests/unit/plugins/modules/test_resilience.py.
"""

import threading
import time

from playbooks import connection_env, run_playbook
from tests import reliability_report

MODULE = "ciphertrust.cckm.aws_key"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
PASSWORD = "Rel-Unique-Passw0rd"
API_TOKEN = "clumio-test-token"
ACCOUNT = "123456789012"


def aliases(emulator):
    return sorted(a for k in emulator.aws_keys() for a in k["Aliases"])


def post_process(name, **options):
    return {"name": name, "ciphertrust.cckm.kms_post_process": dict({"account_native_id": ACCOUNT, "aws_region": "us-east-1"}, **options)}


def test_no_secret_in_vvv_output(emulator_factory, tmp_path):
    """One -vvv --diff play with every kind of secret: the password (also a wrong one), the Clumio API token (also a wrong
    one), a wallet token given and read, a token that does not match; JWTs are scanned too. The extra secrets are variables
    set without logging, as a vault would keep them (a literal in the play can be quoted back by Ansible's error context,
    and a task's ``environment`` is printed by Ansible itself at -vvv)."""
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD, password=PASSWORD)
    secrets = {"wallet_token": emulator.control("GET", "clumio/wallets")["wallets"][0]["token"], "wrong_password": PASSWORD + "x",
               "wrong_token": "00000000-0000-0000-0000-000000000000", "wrong_api_token": "not-the-token-at-all"}
    env = connection_env(emulator, password=PASSWORD, CLUMIO_API_BASE_URL=emulator.url, CLUMIO_API_TOKEN=API_TOKEN)
    tasks = [
        {"name": "secrets", "ansible.builtin.set_fact": secrets, "no_log": True},
        {"name": "k", MODULE: dict(WHERE, alias="rel-sec")},
        {"name": "wrong password", "ciphertrust.cckm.aws_key_info": {"password": "{{ wrong_password }}"}, "ignore_errors": True},
        post_process("given token", token="{{ wallet_token }}", version=15),
        post_process("from wallet", state="absent"),
        dict(post_process("wrong token", token="{{ wrong_token }}"), ignore_errors=True),
        dict(post_process("wrong api token", clumio_api_token="{{ wrong_api_token }}"), ignore_errors=True),
    ]
    run = run_playbook(tmp_path, tasks, env, verbosity=3, diff=True, secrets=(PASSWORD,) + tuple(secrets.values()))
    leaks = reliability_report.secret_leaks(run.output + repr(run.records), env, (PASSWORD,) + tuple(secrets.values()))
    reliability_report.record("secrets at -vvv", leaks=len(leaks))
    assert leaks == []
    assert run.result("k")["changed"] is True
    assert "Wrong username or password" in run.result("wrong password")["msg"]
    assert run.result("given token")["request_type"] == "Create" and run.result("from wallet")["request_type"] == "Delete"
    assert "token does not match" in run.result("wrong token")["msg"]
    assert "HTTP 401" in run.result("wrong api token")["msg"] and "clumio_api_token" in run.result("wrong api token")["msg"]
    assert run.failed_tasks() == ["wrong password", "wrong token", "wrong api token"]


# -- parallelism as AWX runs it ----------------------------------------------------------------------


def test_ten_forks_manage_ten_keys_at_once(emulator_factory, tmp_path):
    emulator = emulator_factory("--job-delay", "0.05", "--password", PASSWORD)
    hosts = {"node%d" % i: {"key_alias": "rel-fork-%d" % i} for i in range(10)}
    options = dict(WHERE, alias="{{ key_alias }}", tags={"owner": "{{ inventory_hostname }}"}, auto_rotation=True)
    tasks = [{"name": "k", MODULE: options}, {"name": "k again", MODULE: options}]  # the second pass must find nothing to do
    env = connection_env(emulator, password=PASSWORD, CIPHERTRUST_RETRIES=10)
    run = run_playbook(tmp_path, tasks, env, hosts=hosts, forks=10)
    keys = {k["Aliases"][0]: k for k in emulator.aws_keys()}
    duplicates = len(aliases(emulator)) - len(set(aliases(emulator)))
    reliability_report.record("10 forks, 10 keys, run twice", failures=len(run.failed_tasks()), duplicates=duplicates)
    assert sorted(keys) == sorted("alias/rel-fork-%d" % i for i in range(10)) and duplicates == 0
    assert all(keys["alias/rel-fork-%d" % i]["Tags"] == {"owner": "node%d" % i} and keys["alias/rel-fork-%d" % i]["KeyRotationEnabled"]
               for i in range(10))
    assert run.changed_tasks() == ["k"] * 10 and len([r for r in run.records if r["task"] == "k again"]) == 10


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


def test_revoked_refresh_token_is_a_clear_error_that_hides_it(emu, tmp_path):
    """One -vvv play: the refresh token works, the emulator revokes it (a uri task), the same task then fails clearly."""
    grant = {"grant_type": "password", "username": "admin", "password": "admin"}
    refresh = emu.session.post(emu.url + "/api/v1/auth/tokens", json=grant, timeout=30).json()["refresh_token"]
    env = {"CIPHERTRUST_HOST": emu.url, "CIPHERTRUST_REFRESH_TOKEN": refresh}
    info = {"ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}}
    tasks = [dict(info, name="working"),
             {"name": "revoke", "ansible.builtin.uri": {"url": emu.url + "/_emulator/auth/revoke", "method": "POST", "body_format": "json",
                                                        "body": {}, "use_proxy": False}},
             dict(info, name="revoked", ignore_errors=True)]
    run = run_playbook(tmp_path, tasks, env, verbosity=3)
    text = run.output + repr(run.records)
    reliability_report.record("revoked refresh token at -vvv", leaks=text.count(refresh))
    assert run.failed_tasks() == ["revoked"]
    msg = run.result("revoked")["msg"]
    refused = "NCERRUnauthorizedAccess" if emu.fidelity("refresh_token_error") == 401 else "NCERRBadRequest"
    assert "refresh token was rejected" in msg and "Token has been revoked" in msg and refused in msg, msg
    assert refresh not in text
