"""One login per play through ansible-playbook (issue 18 #1): the JWT is reused, renewed by the refresh token when it
expires mid-play and by the password when that is revoked too, the refresh token is revoked at the end, and no token
appears in any output at -vvv (run_playbook scans every run for JWTs, the test for every refresh token issued)."""

import json

from playbooks import connection_env, run_playbook
from tests import reliability_report

TTL = 6


def test_a_play_logs_in_once_renews_mid_play_and_revokes_its_refresh_token_at_the_end(emulator_factory, tmp_path):
    # TTL: long enough for the task after the login to start within it on a loaded machine, short enough to wait out
    emu = emulator_factory("--token-ttl", str(TTL))
    defaults = {"group/ciphertrust.cckm.cckm": {"jwt": "{{ cm_login.jwt }}", "refresh_token": "{{ cm_login.refresh_token }}"}}

    def info(name):
        return {"name": name, "ciphertrust.cckm.aws_key_info": {"kms": ["aws-kms"]}, "module_defaults": defaults}

    pause = {"name": "let the JWT expire", "ansible.builtin.pause": {"seconds": TTL + 1}}
    tasks = [
        {"name": "login", "ciphertrust.cckm.login": {}, "register": "cm_login", "no_log": True},
        info("with the login's JWT"),
        pause,
        info("renewed by the refresh token"),
        {"name": "revoke", "ciphertrust.cckm.login": {"jwt": "{{ cm_login.jwt }}", "refresh_token": "{{ cm_login.refresh_token }}",
                                                      "client_id": "{{ cm_login.client_id }}", "state": "absent"}, "no_log": True},
    ]
    run = run_playbook(tmp_path, tasks, connection_env(emu), verbosity=3)
    assert run.failed_tasks() == [] and run.result("revoke")["changed"] is True
    tokens = emu.control("GET", "auth/refresh-tokens")
    assert tokens["issued"] == 1 and tokens["live"] == 0  # one password grant; nothing left behind
    routes = emu.stats()["routes"]
    # the login, then a refresh grant each for the two tasks that found the JWT expired
    assert routes["POST /api/v1/auth/tokens"] == 3 and routes["POST /api/v1/auth/revoke"] == 1

    emu.control("POST", "stats/reset")
    fallback = tasks[:2] + [
        {"name": "revoke every refresh token", "ansible.builtin.uri": {"url": emu.url + "/_emulator/auth/revoke", "method": "POST",
                                                                       "body_format": "json", "body": {}}},
        pause,
        info("renewed by the password"),
    ]
    again = run_playbook(tmp_path, fallback, connection_env(emu), verbosity=3)
    assert again.failed_tasks() == []
    assert emu.stats()["routes"]["POST /api/v1/auth/tokens"] == 3  # the login, the refused refresh grant, the password grant
    tokens = emu.control("GET", "auth/refresh-tokens")
    assert tokens["lifetimes"] == [3600]  # the task's own, short-lived
    # run_playbook found no JWT in either run; no refresh token either: the two logins' and the password fallback's
    leaks = [reliability_report.secret_leaks(r.output + json.dumps(r.records), {}, tokens["values"]) for r in (run, again)]
    assert len(tokens["values"]) == 3 and leaks == [[], []]
