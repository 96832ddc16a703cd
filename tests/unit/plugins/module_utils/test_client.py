"""The HTTP conversation of CckmClient: auth, token reuse and renewal, re-auth on 401, retries, errors, paging."""

import json

import pytest
import responses
from responses import matchers

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import GET_KEY, SCHEDULE_DELETION, START_BULK_JOB
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import (
    AccessDenied, ApiError, AuthenticationError, NotFound, TransportError, already_exists, already_running, api_error)
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import HOST, TOKENS, make_jwt

KEYS = HOST + "/api/v1/cckm/aws/keys"


def token_answer(lifetime=300, marker="a", refresh="refresh-1"):
    return {"jwt": make_jwt(lifetime, marker=marker), "duration": lifetime, "token_type": "Bearer", "refresh_token": refresh}


def calls(method, url):
    return [c for c in responses.calls if c.request.method == method and c.request.url.split("?")[0] == url]


@responses.activate
def test_logs_in_once_and_reuses_the_token(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.get(KEYS, json={"resources": [], "total": 0})
    client = make_client()
    for dummy in range(3):
        client.get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 1
    # a short-lived refresh token: CM's never expire by default (fidelity review row 13)
    assert json.loads(calls("POST", TOKENS)[0].request.body) == {"grant_type": "password", "username": "admin", "password": "s3cret-pass",
                                                                 "refresh_token_lifetime": 60}
    assert all(c.request.headers["Authorization"] == "Bearer " + make_jwt(marker="a") for c in calls("GET", KEYS))


@responses.activate
def test_renews_the_token_before_it_expires_using_the_refresh_token(make_client, fake_time):
    responses.post(TOKENS, json=token_answer(lifetime=300, marker="a"))
    responses.post(TOKENS, json=token_answer(lifetime=300, marker="b"))
    responses.get(KEYS, json={})
    client = make_client()
    client.get("/api/v1/cckm/aws/keys")
    fake_time.now += 239  # renewal point is 300 - 60 s
    client.get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 1
    fake_time.now += 2
    client.get("/api/v1/cckm/aws/keys")
    logins = calls("POST", TOKENS)
    assert len(logins) == 2
    assert json.loads(logins[1].request.body) == {"grant_type": "refresh_token", "refresh_token": "refresh-1"}
    assert calls("GET", KEYS)[-1].request.headers["Authorization"].endswith("sig-b")


@responses.activate
def test_short_lived_tokens_are_renewed_from_their_own_lifetime(make_client, fake_time):
    responses.post(TOKENS, json=token_answer(lifetime=2, marker="a"))
    responses.post(TOKENS, json=token_answer(lifetime=2, marker="b"))
    responses.get(KEYS, json={})
    client = make_client()
    client.get("/api/v1/cckm/aws/keys")
    fake_time.now += 1.7  # 2 s token renewed 0.4 s before expiry
    client.get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 2


@responses.activate
def test_reauthenticates_once_on_401(make_client):
    responses.post(TOKENS, json=token_answer(marker="a"))
    responses.post(TOKENS, json=token_answer(marker="b"))
    responses.get(KEYS, status=401, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Token has been revoked"})
    responses.get(KEYS, json={"resources": []})
    assert make_client().get("/api/v1/cckm/aws/keys") == {"resources": []}
    assert len(calls("POST", TOKENS)) == 2
    assert len(calls("GET", KEYS)) == 2


@responses.activate
def test_a_second_401_is_an_authentication_error_without_secrets(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.get(KEYS, status=401, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Invalid token"})
    with pytest.raises(AuthenticationError) as caught:
        make_client().get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 2
    assert len(calls("GET", KEYS)) == 2
    text = str(caught.value) + json.dumps(caught.value.fail_kwargs())
    assert "NCERRUnauthorizedAccess" in text and "Invalid token" in text and "GET /api/v1/cckm/aws/keys" in text
    assert "s3cret-pass" not in text and "sig-" not in text


@responses.activate
def test_bad_password_names_the_grant_and_hides_the_password(make_client):
    responses.post(TOKENS, status=401, json={"code": 5, "codeDesc": "NCERRUnauthorizedAccess", "message": "Wrong username or password."})
    with pytest.raises(AuthenticationError) as caught:
        make_client().get("/api/v1/cckm/aws/keys")
    assert "Wrong username or password." in str(caught.value)
    assert "Check username/password" in str(caught.value)
    assert "s3cret-pass" not in str(caught.value)
    assert not calls("GET", KEYS)


@pytest.mark.parametrize("status", [401, 400])
@responses.activate
def test_revoked_refresh_token_without_password_is_a_clear_error(make_client, status):
    responses.post(TOKENS, status=status, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Token has been revoked"})
    client = make_client(username=None, password=None, refresh_token="rt-secret")
    with pytest.raises(AuthenticationError) as caught:
        client.get("/api/v1/cckm/aws/keys")
    assert "refresh token was rejected" in str(caught.value)
    assert "rt-secret" not in str(caught.value)


@pytest.mark.parametrize("status", [401, 400, 403])  # fidelity review row 6: any 4xx, the status is undocumented
@responses.activate
def test_refresh_token_falls_back_to_password(make_client, status):
    responses.post(TOKENS, status=status, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Token has been revoked"},
                   match=[matchers.json_params_matcher({"grant_type": "refresh_token", "refresh_token": "rt"})])
    responses.post(TOKENS, json=token_answer(), match=[matchers.json_params_matcher(
        {"grant_type": "password", "username": "admin", "password": "s3cret-pass", "refresh_token_lifetime": 60})])
    responses.get(KEYS, json={})
    make_client(refresh_token="rt").get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 2


@responses.activate
def test_a_given_jwt_is_used_without_logging_in_and_renewed_once_when_rejected(make_client):
    responses.get(KEYS, status=401, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Token is expired by 3s"},
                  match=[matchers.header_matcher({"Authorization": "Bearer given.j.wt"})])
    responses.post(TOKENS, json=token_answer(marker="renewed"), match=[matchers.json_params_matcher(
        {"grant_type": "refresh_token", "refresh_token": "rt"})])
    responses.get(KEYS, json={"resources": []})
    client = make_client(username=None, password=None, refresh_token="rt", jwt="given.j.wt")
    assert client.get("/api/v1/cckm/aws/keys") == {"resources": []}
    assert [c.request.method for c in responses.calls] == ["GET", "POST", "GET"]


@responses.activate
def test_a_given_jwt_that_has_expired_is_renewed_before_it_is_sent(make_client):
    """Its ``exp`` is read as for JWTs we were issued, so a task given a stale JWT spends no rejected request (issue 18)."""
    stale = make_jwt(lifetime=300, iat=1_700_000_000, marker="stale")  # expired in 2023
    responses.post(TOKENS, json=token_answer(marker="renewed"))
    responses.get(KEYS, json={"resources": []}, match=[matchers.header_matcher({"Authorization": "Bearer " + make_jwt(marker="renewed")})])
    client = make_client(username=None, password=None, refresh_token="rt", jwt=stale)
    assert client.get("/api/v1/cckm/aws/keys") == {"resources": []}
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]


@responses.activate
def test_a_given_jwt_alone_that_is_rejected_is_a_clear_error(make_client):
    responses.get(KEYS, status=401, json={"codeDesc": "NCERRUnauthorizedAccess", "message": "Token is expired by 3s"})
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        make_client(username=None, password=None, jwt="given.j.wt").get("/api/v1/cckm/aws/keys")
    assert len(responses.calls) == 1


@responses.activate
def test_a_password_grant_rejected_with_400_is_not_retried_with_another_grant(make_client):
    responses.post(TOKENS, status=400, json={"codeDesc": "NCERRBadRequest", "message": "grant_type missing"})
    with pytest.raises(ApiError, match="HTTP 400"):
        make_client().get("/api/v1/cckm/aws/keys")
    assert len(calls("POST", TOKENS)) == 1


@responses.activate
def test_retries_5xx_with_bounded_attempts(make_client, fake_time):
    responses.post(TOKENS, json=token_answer())
    responses.get(KEYS, status=500, json={"codeDesc": "NCERRInternalServerError", "message": "unexpected error"})
    with pytest.raises(ApiError) as caught:
        make_client(retries=3).get("/api/v1/cckm/aws/keys")
    assert caught.value.status == 500
    assert len(calls("GET", KEYS)) == 4
    assert len(fake_time.sleeps) == 3
    assert all(0 <= s <= 0.5 * 2 ** i for i, s in enumerate(fake_time.sleeps))


@responses.activate
def test_honours_retry_after(make_client, fake_time):
    responses.post(TOKENS, json=token_answer())
    responses.get(KEYS, status=429, headers={"Retry-After": "7"}, json={"codeDesc": "NCERRTooManyRequests"})
    responses.get(KEYS, status=503, headers={"Retry-After": "2"}, json={})
    responses.get(KEYS, json={"ok": True})
    assert make_client().get("/api/v1/cckm/aws/keys") == {"ok": True}
    assert fake_time.sleeps == [7.0, 2.0]


@responses.activate
def test_create_is_not_blindly_retried_after_an_ambiguous_failure(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS, status=502, body="bad gateway")
    with pytest.raises(ApiError) as caught:
        make_client().post("/api/v1/cckm/aws/keys", {"kms": "k"})
    assert len(calls("POST", KEYS)) == 1
    assert "may have been applied" in str(caught.value)


@responses.activate
def test_create_that_landed_returns_the_found_resource(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS, status=504, body="")
    found = {"id": "k1"}
    assert make_client().post("/api/v1/cckm/aws/keys", {"kms": "k"}, landed=lambda: found) is found
    assert len(calls("POST", KEYS)) == 1


@responses.activate
def test_create_that_did_not_land_is_sent_again(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS, status=500, json={})
    responses.post(KEYS, json={"id": "k1"})
    lookups = []
    result = make_client().post("/api/v1/cckm/aws/keys", {"kms": "k"}, landed=lambda: lookups.append(1))
    assert result == {"id": "k1"}
    assert len(lookups) == 1
    assert len(calls("POST", KEYS)) == 2


@responses.activate
def test_delete_answered_404_after_an_ambiguous_failure_has_done_its_work(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.delete(KEYS + "/t1", status=500, json={})
    responses.delete(KEYS + "/t1", status=404, json={"codeDesc": "NCERRResourceNotFound", "message": "not found"})
    assert make_client().delete("/api/v1/cckm/aws/keys/t1") is None
    assert len(calls("DELETE", KEYS + "/t1")) == 2


@responses.activate
def test_delete_answered_404_without_an_earlier_ambiguous_attempt_is_not_found(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.delete(KEYS + "/t1", status=429, json={})
    responses.delete(KEYS + "/t1", status=404, json={"codeDesc": "NCERRResourceNotFound", "message": "not found"})
    with pytest.raises(NotFound):
        make_client().delete("/api/v1/cckm/aws/keys/t1")


@responses.activate
def test_create_rejected_with_429_is_retried_without_lookup(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS, status=429, json={})
    responses.post(KEYS, json={"id": "k1"})
    assert make_client().post("/api/v1/cckm/aws/keys", {"kms": "k"}) == {"id": "k1"}


@responses.activate
def test_connection_refused_is_retried_then_reported(make_client, fake_time):
    client = make_client(host="http://127.0.0.1:9", retries=2)
    with pytest.raises(TransportError) as caught:
        client.get("/api/v1/cckm/aws/keys")
    assert "connection error" in str(caught.value)
    assert len(fake_time.sleeps) == 2


@responses.activate
def test_client_errors_carry_code_desc_and_message_and_are_not_retried(make_client, fake_time):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS + "/abc/enable", status=400, json={
        "code": 1, "codeDesc": "NCERRBadRequest: Bad HTTP request",
        "message": "KMSInvalidStateException: arn:aws:kms:... is pending deletion"})
    with pytest.raises(ApiError) as caught:
        make_client().post("/api/v1/cckm/aws/keys/abc/enable")
    assert str(caught.value) == ("POST /api/v1/cckm/aws/keys/abc/enable failed: HTTP 400 from CipherTrust Manager: "
                                 "NCERRBadRequest: Bad HTTP request: KMSInvalidStateException: arn:aws:kms:... is pending deletion")
    assert caught.value.fail_kwargs()["error"]["code"] == "NCERRBadRequest: Bad HTTP request"
    assert fake_time.sleeps == []


@responses.activate
def test_403_on_bulk_jobs_names_the_permission(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(HOST + "/api/v1/cckm/aws/bulkjob", status=403, json={"codeDesc": "NCERRInsufficientPermissions", "message": "denied"})
    with pytest.raises(AccessDenied) as caught:
        START_BULK_JOB(make_client(), body={"operation": "enablekey", "keys": ["a"]}, landed=lambda: None)
    assert str(caught.value) == ("Failed to start a bulk job: POST /api/v1/cckm/aws/bulkjob: HTTP 403 from CipherTrust Manager: "
                                 "NCERRInsufficientPermissions: denied. The user needs the 'keybulkoperation' permission on the KMS "
                                 "(CCKM ACLs) or the feature is not licensed")
    assert caught.value.endpoint is START_BULK_JOB


@responses.activate
def test_endpoint_errors_name_the_action_and_the_resource(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.post(KEYS + "/abc/schedule-deletion", status=400, json={"codeDesc": "NCERRBadRequest", "message": "no"})
    with pytest.raises(ApiError, match=r"^Failed to schedule deletion of key alias/app \(abc\): POST /api/v1/cckm/aws/keys/abc/"
                                       r"schedule-deletion: HTTP 400 from CipherTrust Manager: NCERRBadRequest: no$"):
        SCHEDULE_DELETION(make_client(), "abc", body={"days": 7}, subject="alias/app (abc)", landed=lambda: None)


@responses.activate
def test_a_lookup_endpoint_reads_404_as_no_such_resource(make_client):
    responses.post(TOKENS, json=token_answer())
    responses.get(KEYS + "/gone%2Fid", status=404, json={"codeDesc": "NCERRResourceNotFound"})
    assert GET_KEY(make_client(), "gone/id") is None


@responses.activate
def test_paginates_with_skip_limit_total(make_client):
    responses.post(TOKENS, json=token_answer())
    for skip in (0, 1000, 2000):
        size = 1000 if skip < 2000 else 500
        responses.get(KEYS, json={"skip": skip, "limit": 1000, "total": 2500, "resources": [{"n": skip + i} for i in range(size)]},
                      match=[matchers.query_param_matcher({"region": ["us-east-1", "eu-west-1"], "enabled": "true",
                                                           "skip": str(skip), "limit": "1000"})])
    items = list(make_client().paginate("/api/v1/cckm/aws/keys", {"region": ["us-east-1", "eu-west-1"], "enabled": True}))
    assert [i["n"] for i in items] == list(range(2500))
    assert len(calls("GET", KEYS)) == 3


def test_host_without_scheme_uses_https_and_tls_settings(make_client, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    assert make_client().base_url == "https://cm.test"
    assert make_client(host="http://127.0.0.1:8080/").base_url == "http://127.0.0.1:8080"
    assert make_client().session.verify is True
    assert make_client(ca_file=str(ca)).session.verify == str(ca)
    assert make_client(validate_certs=False, ca_file=str(ca)).session.verify is False


@pytest.mark.parametrize("status, message, exists, running", [
    (409, "alias taken", True, True),
    (400, "AlreadyExistsException: alias/app already exists", True, False),
    (400, "synchronization job already in progress", False, True),
    (400, "MalformedPolicyDocumentException: bad", False, False),
    (403, "AlreadyExistsException", False, False),
])
def test_aws_conflicts_are_recognised_by_409_or_by_the_exception_in_a_400(status, message, exists, running):
    error = api_error(status, "POST", "/x", code="NCERRBadRequest", message=message)
    assert already_exists(error) is exists and already_running(error) is running
