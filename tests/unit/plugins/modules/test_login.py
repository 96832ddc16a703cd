"""The login module and the jwt connection option: one login for a play (fidelity review row 13; issue 18)."""

import importlib
import json

from module_runner import run_module

login = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.login")
aws_key_info = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_info")


def test_login_returns_the_tokens_and_a_task_with_the_jwt_makes_one_request(emu, connection):
    emu.control("POST", "auth/revoke", {})  # the emulator keeps issued tokens across resets
    emu.control("POST", "stats/reset")
    answer = run_module(login, connection, check=True)
    assert answer["rc"] == 0 and answer["changed"] is False and answer["actions"] == []
    assert answer["jwt"].count(".") == 2 and answer["refresh_token"] and answer["duration"] > 0  # returned, not masked
    assert emu.control("GET", "auth/refresh-tokens")["lifetimes"] == [120 * 60]
    emu.control("POST", "stats/reset")
    listed = run_module(aws_key_info, {"host": emu.url, "jwt": answer["jwt"], "refresh_token": answer["refresh_token"], "kms": ["aws-kms"]})
    assert listed["rc"] == 0 and emu.stats()["requests"] == 1 and emu.stats()["routes"] == {"GET /api/v1/cckm/aws/keys": 1}
    assert answer["jwt"] not in json.dumps(listed) and answer["refresh_token"] not in json.dumps(listed)


def test_an_expired_jwt_is_renewed_with_the_refresh_token_without_a_new_refresh_token(emu, connection):
    answer = run_module(login, connection)
    emu.control("POST", "auth/revoke", {"jwts": True})  # every JWT rejected; refresh tokens revoked too
    fresh = run_module(login, connection)
    emu.control("POST", "stats/reset")
    listed = run_module(aws_key_info, {"host": emu.url, "jwt": answer["jwt"], "refresh_token": fresh["refresh_token"]})
    assert listed["rc"] == 0, listed
    assert emu.stats()["routes"] == {"GET /api/v1/cckm/aws/keys": 2, "POST /api/v1/auth/tokens": 1}  # 401, renew, retry
    assert emu.control("GET", "auth/refresh-tokens")["live"] == 1


def test_a_password_login_of_an_ordinary_task_asks_for_a_short_lived_refresh_token(emu, connection):
    emu.control("POST", "auth/revoke", {})  # the emulator keeps issued tokens across resets
    for dummy in range(3):
        assert run_module(aws_key_info, dict(connection, kms=["aws-kms"]))["rc"] == 0
    tokens = emu.control("GET", "auth/refresh-tokens")
    assert tokens["live"] == 3 and tokens["lifetimes"] == [3600] * 3  # CM's default is never to expire (row 13)


def test_state_absent_revokes_the_refresh_token_once_and_leaves_none_live(emu, connection):
    """Issue 18: a play's last task revokes its refresh token (PowerShell Revoke-CMToken: POST /auth/revoke)."""
    emu.control("POST", "auth/revoke", {})
    answer = run_module(login, connection)
    assert answer["client_id"] and emu.control("GET", "auth/refresh-tokens")["live"] == 1
    revoke = {"host": emu.url, "jwt": answer["jwt"], "refresh_token": answer["refresh_token"], "client_id": answer["client_id"],
              "state": "absent"}
    emu.control("POST", "stats/reset")
    check = run_module(login, revoke, check=True)
    assert check["rc"] == 0 and check["changed"] is True and emu.stats()["requests"] == 0
    done = run_module(login, revoke)
    assert done["rc"] == 0 and done["changed"] is True and done["actions"][0]["body"] == {"token": "********", "client_id": answer["client_id"]}
    assert emu.control("GET", "auth/refresh-tokens")["live"] == 0 and emu.stats()["routes"] == {"POST /api/v1/auth/revoke": 1}
    assert answer["refresh_token"] not in json.dumps(done) and answer["jwt"] not in json.dumps(done)
    again = run_module(login, revoke)
    assert again["rc"] == 0 and again["changed"] is False and any("did not revoke the refresh token" in w for w in again["warnings"])
    renewed = run_module(aws_key_info, {"host": emu.url, "jwt": answer["jwt"], "refresh_token": answer["refresh_token"]})
    assert renewed["rc"] == 0  # the JWT itself lives on until it expires


def test_state_absent_needs_the_refresh_token_and_its_client_id_or_the_password(emu, connection):
    missing = run_module(login, {"host": emu.url, "jwt": "a.b.c", "state": "absent"})
    assert missing["rc"] == 1 and "refresh_token: state=absent revokes the refresh token given here" in missing["msg"]
    unnamed = run_module(login, {"host": emu.url, "jwt": "a.b.c", "refresh_token": "rt", "state": "absent"})
    assert unnamed["rc"] == 1 and "client_id, username, password: revoking a refresh token needs its client_id" in unnamed["msg"]
    by_password = run_module(login, dict(connection, refresh_token=run_module(login, connection)["refresh_token"], state="absent"))
    assert by_password["rc"] == 0 and by_password["changed"] is True


def test_login_with_only_a_jwt_says_there_is_nothing_to_log_in_with(emu):
    result = run_module(login, {"host": emu.url, "jwt": "a.b.c"})
    assert result["rc"] == 1 and "username, password, refresh_token: logging in needs a password or a refresh token" in result["msg"]
