"""Issue 21 against a real hostile socket and careless options: no secret leaves, no unintended write, no false success.

Every case is counted in docs/reliability.md ("Hostile server", "Blast radius") with the secrets that leaked and
the writes nobody meant, measured here: the server records every request it received.
"""

import importlib
import json
import time

import pytest

from module_runner import run_module

from ansible_collections.ciphertrust.cckm.tests.unit.hostile_server import PASSWORD, Answer, HostileServer, gzip_bomb, json_answer
KEYS = "/api/v1/cckm/aws/keys"


def module(name):
    return importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + name)


def key(number, kms="aws-kms", region="us-east-1"):
    return {"id": "00000000-0000-4000-8000-%012d" % number, "kms": kms, "kms_id": "kms-id-1", "region": region,
            "aws_param": {"KeyID": "aws-%d" % number, "Alias": ["alias/k%d" % number], "KeyState": "Enabled", "Enabled": True,
                          "AWSAccountId": "123456789012", "Arn": "arn:aws:kms:%s:123456789012:key/aws-%d" % (region, number)}}


@pytest.fixture
def server():
    hostile = HostileServer()
    yield hostile
    hostile.stop()


def connection(server, **extra):
    return dict({"host": server.url, "username": "admin", "password": PASSWORD, "retries": 0}, **extra)


# -- hostile server ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_login_redirected_to_another_origin_sends_nothing_there(server, case, status):
    attacker = HostileServer()
    try:
        server.answer("POST", "/api/v1/auth/tokens", Answer(status, b"", {"Location": attacker.url + "/steal?x=1"}))
        result = run_module(module("aws_key_info"), connection(server))
        assert result["rc"] == 1 and "HTTP %d redirect to %s, which is not followed" % (status, attacker.url) in result["msg"]
        assert attacker.requests == [] and "/steal" not in result["msg"]
        case("hostile server", result, server)
    finally:
        attacker.stop()


def test_a_dripping_answer_is_bounded_by_timeout(server, case):
    server.answer("GET", KEYS, json_answer({"total": 1, "resources": [key(1)] * 20}, drip=(64, 0.1)))
    started = time.monotonic()
    result = run_module(module("aws_key_info"), connection(server, timeout=1))
    elapsed = time.monotonic() - started
    assert result["rc"] == 1 and "the answer did not arrive in full within 1 seconds" in result["msg"], result["msg"]
    assert elapsed < 3, elapsed  # the whole body would take about 10 s
    case("hostile server", result, server)


def test_a_gzip_bomb_is_not_decoded_past_the_cap(server, case):
    server.answer("GET", KEYS, gzip_bomb(64))
    result = run_module(module("aws_key_info"), connection(server))
    assert result["rc"] == 1 and "with an answer larger than 32 MiB (decoded); it was not read further" in result["msg"], result["msg"]
    case("hostile server", result, server)


def test_an_html_page_on_200_is_an_error_naming_the_call(server, case):
    server.answer("GET", KEYS, Answer(200, b"<html>Sign in to the proxy</html>", {"Content-Type": "text/html"}))
    result = run_module(module("aws_key_info"), connection(server))
    assert result["rc"] == 1 and "GET /api/v1/cckm/aws/keys: HTTP 200 with a body that is not JSON (text/html)" in result["msg"]
    case("hostile server", result, server)


def test_an_error_page_echoing_the_request_headers_shows_no_token(server, case):
    """A WAF page quoting the request: the JWT the server issued must be masked like the password."""
    server.answer("GET", KEYS, Answer(403, lambda request: json.dumps(request["headers"]).encode(), {"Content-Type": "text/plain"}))
    result = run_module(module("aws_key_info"), connection(server))
    assert result["rc"] == 1 and "Bearer ********" in result["msg"], result["msg"]
    case("hostile server", result, server)


def test_a_list_that_ignores_skip_and_claims_5000_keys_returns_each_key_once(server, case):
    server.answer("GET", KEYS, json_answer({"total": 5000, "resources": [key(1), key(2), key(3)]}))
    result = run_module(module("aws_key_info"), connection(server))
    assert result["rc"] == 0 and [k["id"] for k in result["aws_keys"]] == [key(n)["id"] for n in (1, 2, 3)]
    assert len([r for r in server.requests if r["path"] == KEYS]) == 2  # the second page brought nothing new
    case("hostile server", result, server)


def test_filters_the_server_ignores_are_applied_on_our_side(server, case):
    """Issue 21 #11: CipherTrust ignores parameters it does not know; key_material_origin was not re-checked."""
    native, cckm = key(1), dict(key(2), key_material_origin="cckm")
    native["key_material_origin"] = "native"
    server.answer("GET", KEYS, json_answer({"total": 2, "resources": [native, cckm]}))
    result = run_module(module("aws_key_info"), connection(server, key_material_origin=["cckm"]))
    assert result["rc"] == 0 and [k["id"] for k in result["aws_keys"]] == [cckm["id"]]
    assert "key_material_origin=cckm" in [r for r in server.requests if r["path"] == KEYS][0]["query"]
    case("hostile server", result, server)


@pytest.mark.parametrize("final", [{"overall_status": "Processing"}, {"overall_status": "IN PROGRESS"}])
def test_a_job_in_an_unknown_status_is_waited_for_never_taken_for_done(server, case, final):
    server.answer("GET", KEYS, json_answer({"total": 1, "resources": [key(1)]}))
    server.answer("GET", "/api/v1/cckm/aws/bulkjob", json_answer({"total": 0, "resources": []}))
    server.answer("POST", "/api/v1/cckm/aws/bulkjob", json_answer({"id": "job-1", "overall_status": "in_progress", "keys": [key(1)["id"]]}))
    server.answer("GET", "/api/v1/cckm/aws/bulkjob/job-1", json_answer(dict({"id": "job-1", "keys": [key(1)["id"]]}, **final)))
    result = run_module(module("aws_key_bulk"), connection(server, keys=[key(1)["id"]], state="disabled", wait_timeout=1, wait_sleep=0.2))
    assert result["rc"] == 1 and "Timed out" in result["msg"] and final["overall_status"] in result["msg"], result["msg"]
    case("hostile server", result, server, writes=0)  # the one write is the job the task asked for


# -- blast radius --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("filters", [{"kms": None}, {"kms": []}, {"kms": ""}, {"tags": {}}, {"sort": "alias"}, {"region": None, "sort": "-alias"}])
def test_filters_that_select_nothing_never_mean_every_key(server, case, filters):
    """Issue 21 #2: ``kms: "{{ target_kms }}"`` rendering empty used to schedule the deletion of every key."""
    server.answer("GET", KEYS, json_answer({"total": 3, "resources": [key(1), key(2), key(3)]}))
    result = run_module(module("aws_key_bulk"), connection(server, filters=filters, state="pending_deletion"))
    assert result["rc"] == 1 and "set all_keys: true to mean that" in result["msg"]
    assert case("blast radius", result, server) == 0 and server.requests == []


def test_max_keys_stops_a_destructive_task_that_would_change_more_keys(server, case):
    server.answer("GET", KEYS, json_answer({"total": 3, "resources": [key(1), key(2), key(3)]}))
    result = run_module(module("aws_key_bulk"), connection(server, filters={"region": "us-east-1"}, state="pending_deletion", max_keys=2))
    assert result["rc"] == 1 and "would change 3 keys, more than max_keys=2" in result["msg"]
    assert case("blast radius", result, server) == 0


def test_a_key_id_outside_the_kms_given_is_never_deleted(server, case):
    server.answer("GET", KEYS, json_answer({"total": 1, "resources": [key(1, kms="aws-kms-2")]}))
    server.answer("GET", KEYS + "/" + key(1)["id"], json_answer(key(1, kms="aws-kms-2")))
    result = run_module(module("aws_key"), connection(server, id=key(1)["id"], kms="aws-kms", state="absent"))
    assert result["rc"] == 1 and "belongs to KMS aws-kms-2, not 'aws-kms'" in result["msg"], result["msg"]
    assert case("blast radius", result, server) == 0


@pytest.mark.parametrize("options, message", [
    ({"jwt": 12345}, "jwt: is not a JWT"),
    ({"jwt": {"jwt": "a.b.c"}}, "jwt: is not a JWT"),
    ({"host": "fe80::1:8443"}, "host: an IPv6 address must be in brackets"),
    ({"host": "https://cm.example.com:70000"}, "host: needs a host and a port from 1 to 65535"),
    ({"host": "https://cm.example.com:0"}, "host: needs a host and a port from 1 to 65535"),
    ({"host": "ftp://cm.example.com"}, "host: must be a host name or an http(s):// URL"),
    ({"ca_file": "/nonexistent/ca.pem", "host": "https://cm.example.com"}, "ca_file: no such file: /nonexistent/ca.pem"),
    ({"password": "", "username": "admin"}, "empty connection options: one of password, refresh_token, jwt must be set"),
    ({"host": ""}, "empty connection options: host must be set"),
])
def test_malformed_connection_options_fail_clearly_before_any_request(server, case, options, message):
    result = run_module(module("aws_key_info"), dict(connection(server), **options))
    assert result["rc"] == 1 and message in result["msg"], result["msg"]
    assert "Traceback" not in json.dumps(result) and server.requests == []
    case("blast radius", result, server)


def test_an_empty_ca_file_is_ignored_with_a_warning(server, case, tmp_path):
    """AWX writes an empty file for a credential's empty CA field; the system trust store must still apply (issue 19)."""
    empty = tmp_path / "ca.pem"
    empty.write_text("")
    server.answer("GET", KEYS, json_answer({"total": 0, "resources": []}))
    result = run_module(module("aws_key_info"), connection(server, ca_file=str(empty)))
    assert result["rc"] == 0 and any("ca_file %s is empty, so it is ignored" % empty in w for w in result["warnings"])
    case("blast radius", result, server)


def test_plain_http_to_another_machine_is_warned_about(case):
    result = run_module(module("aws_key_info"), {"host": "http://cm.invalid", "username": "admin", "password": PASSWORD,
                                                 "retries": 0, "timeout": 2})
    assert any("CipherTrust Manager is reached over plain http://" in w for w in result["warnings"]), result
    case("blast radius", result)


CONNECTIONS = "/api/v1/connectionmgmt/services/aws/connections"
LEAKED = "leaked-secret-the-server-sent-9d1"


def test_a_server_that_answers_a_connection_secret_never_gets_it_shown(server, case):
    record = {"id": "00000000-0000-4000-8000-000000000001", "name": "c1", "access_key_id": "AKIA1", "secret_access_key": LEAKED,
              "description": "d", "labels": {}, "products": ["cckm"], "is_role_anywhere": False,
              "iam_role_anywhere": {"anywhere_role_arn": "", "private_key": LEAKED + "-pk"}}
    server.answer("GET", CONNECTIONS, json_answer({"total": 1, "resources": [record]}))
    server.answer("GET", CONNECTIONS + "/" + record["id"], json_answer(record))
    given = connection(server, name="c1", access_key_id="AKIA1", secret_access_key="given-secret-2b7")
    result = run_module(module("aws_connection"), given, diff=True)
    assert result["rc"] == 0 and result["changed"] is False, result
    assert case("hostile server", result, server, secrets=(LEAKED, LEAKED + "-pk", "given-secret-2b7")) == 0
    info = run_module(module("aws_connection_info"), connection(server, name="c1", include_record=True))
    assert info["rc"] == 0 and info["total"] == 1, info
    assert case("hostile server", info, server, secrets=(LEAKED, LEAKED + "-pk")) == 0
