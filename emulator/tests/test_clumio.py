"""Behaviour of the Clumio part of the emulator, on a Flask app of its own (no shared server needed)."""

import json
import threading
import types

import flask
import pytest

from cckm_emulator.clumio import POST_PROCESS_MEDIA_TYPE, WALLETS_MEDIA_TYPE, ClumioState, create_blueprint

API_TOKEN = "clumio-test-api-token"
ACCOUNT = "123456789012"
ROLE_ARN = "arn:aws:iam::123456789012:role/ClumioKMSRole"
CONTROL = "/_emulator/clumio/wallets"
POST_PROCESS = "/wallets/_post-process"


@pytest.fixture(name="state")
def state_fixture():
    return ClumioState()


@pytest.fixture(name="client")
def client_fixture(state):
    app = flask.Flask(__name__)
    app.register_blueprint(create_blueprint(state, types.SimpleNamespace(clumio_token=API_TOKEN)))
    return app.test_client()


def call(client, method, path, body=None, accept=WALLETS_MEDIA_TYPE, token=API_TOKEN, **headers):
    """One API call with the headers Clumio's SDKs send, each overridable (None drops it)."""
    sent = {"Authorization": f"Bearer {token}" if token is not None else None, "Accept": accept,
            "Content-Type": "application/json", "x-clumio-organizationalunit-context": ""}
    sent.update({name.replace("_", "-"): value for name, value in headers.items()})
    data = None if body is None else (body if isinstance(body, (str, bytes)) else json.dumps(body))
    return client.open(path, method=method, data=data, headers={k: v for k, v in sent.items() if v is not None})


def snapshot(client):
    response = client.get(CONTROL)
    assert response.status_code == 200
    return response.get_json()


def seed_wallet(client):
    return snapshot(client)["wallets"][0]


def post_process(client, request_type="Create", headers=None, **fields):
    """A full post-process call for the seeded wallet, as Terraform's clumio_post_process_kms sends it."""
    wallet = seed_wallet(client)
    body = {"account_native_id": ACCOUNT, "aws_region": "us-east-1", "request_type": request_type, "token": wallet["token"],
            "role_arn": ROLE_ARN, "role_id": "AROAEXAMPLE", "role_external_id": "ext-1",
            "intermediate_role_arn": "arn:aws:iam::999999999999:role/ClumioCustomerProtectRole",
            "multi_region_cmk_key_id": "mrk-1234", "created_multi_region_cmk": True, "version": 15}
    body.update(fields)
    return call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE, **(headers or {}))


def error_messages(response):
    """The messages of a Clumio error body, after checking its shape."""
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"errors"} and body["errors"]
    for error in body["errors"]:
        assert error["error_code"] == response.status_code and isinstance(error["error_message"], str)
    return [error["error_message"] for error in body["errors"]]


API_ROUTES = [
    ("GET", "/wallets", WALLETS_MEDIA_TYPE),
    ("POST", "/wallets", WALLETS_MEDIA_TYPE),
    ("GET", "/wallets/{id}", WALLETS_MEDIA_TYPE),
    ("DELETE", "/wallets/{id}", WALLETS_MEDIA_TYPE),
    ("POST", "/wallets/{id}/_refresh", WALLETS_MEDIA_TYPE),
    ("POST", POST_PROCESS, POST_PROCESS_MEDIA_TYPE),
]


def test_seeded_wallet(client):
    wallets = snapshot(client)["wallets"]
    assert len(wallets) == 1
    wallet = wallets[0]
    assert len(wallet["token"]) == 36 and len(wallet["id"]) == 36
    assert {k: wallet[k] for k in ("account_native_id", "aws_region", "state", "stack_version", "available_version", "installed_regions",
                                   "supported_regions", "role_arn", "clumio_aws_account_id", "error_code", "error_message", "key_errors")} == {
        "account_native_id": ACCOUNT, "aws_region": "us-east-1", "state": "Waiting", "stack_version": 0, "available_version": 15,
        "installed_regions": [], "supported_regions": ["us-east-1", "us-west-2", "eu-west-1"], "role_arn": "",
        "clumio_aws_account_id": "999999999999", "error_code": None, "error_message": None, "key_errors": {}}
    assert wallet["_links"] == {"_self": {"href": f"/wallets/{wallet['id']}"}}
    assert isinstance(wallet["deployment_url"], str) and isinstance(wallet["template_url"], str)
    assert wallet["post_process_regions"] == {}


def test_reset_restores_seed_with_fresh_token(client, state):
    old = seed_wallet(client)
    assert post_process(client).status_code == 200
    call(client, "POST", "/wallets", {"account_native_id": "210987654321"})
    state.reset()
    data = snapshot(client)
    assert len(data["wallets"]) == 1 and data["post_process_calls"] == [] and data["requests"] == []
    wallet = data["wallets"][0]
    assert wallet["state"] == "Waiting" and wallet["installed_regions"] == [] and wallet["token"] != old["token"]


@pytest.mark.parametrize("method,path,accept", API_ROUTES)
@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_auth_required_on_every_route(client, method, path, accept, token):
    response = call(client, method, path.format(id=seed_wallet(client)["id"]), {}, accept=accept, token=token)
    assert response.status_code == 401
    assert "invalid" in error_messages(response)[0]


def test_non_bearer_scheme_and_unset_server_token_rejected(state):
    assert call(flask_client(state, API_TOKEN), "GET", "/wallets", Authorization=f"Basic {API_TOKEN}", token=None).status_code == 401
    assert call(flask_client(state, ""), "GET", "/wallets", token="").status_code == 401


def flask_client(state, token):
    app = flask.Flask(__name__)
    app.register_blueprint(create_blueprint(state, types.SimpleNamespace(clumio_token=token)))
    return app.test_client()


@pytest.mark.parametrize("method,path,accept", API_ROUTES)
@pytest.mark.parametrize("sent", [None, "application/json", "*/*", "application/api.clumio.other=v1+json"])
def test_versioned_accept_required(client, method, path, accept, sent):
    response = call(client, method, path.format(id=seed_wallet(client)["id"]), {}, accept=sent)
    assert response.status_code == 406
    assert accept in error_messages(response)[0]


def test_wallet_accept_rejected_on_post_process_and_auth_checked_first(client):
    assert call(client, "POST", POST_PROCESS, {}, accept=WALLETS_MEDIA_TYPE).status_code == 406
    assert call(client, "POST", POST_PROCESS, {}, accept=None, token="bad").status_code == 401


def test_accept_list_with_parameters_accepted(client):
    response = call(client, "GET", "/wallets", accept=f"text/html, {WALLETS_MEDIA_TYPE};q=0.9")
    assert response.status_code == 200 and response.content_type == WALLETS_MEDIA_TYPE


def test_list_wallets(client):
    response = call(client, "GET", "/wallets")
    assert response.status_code == 200 and response.content_type == WALLETS_MEDIA_TYPE
    body = response.get_json()
    assert body["current_count"] == 1 and body["limit"] == 100 and body["start"] == "1"
    assert [w["account_native_id"] for w in body["_embedded"]["items"]] == [ACCOUNT]
    assert body["_embedded"]["items"][0]["token"] == seed_wallet(client)["token"]
    assert "_self" in body["_links"] and "_next" not in body["_links"]


def test_list_wallets_pages(client):
    for account in ("111111111111", "222222222222"):
        assert call(client, "POST", "/wallets", {"account_native_id": account}).status_code == 200
    first = call(client, "GET", "/wallets?limit=2&start=1").get_json()
    assert first["current_count"] == 2 and first["start"] == "1" and first["limit"] == 2
    assert first["_links"]["_next"]["href"] == "/wallets?limit=2&start=2"
    second = call(client, "GET", first["_links"]["_next"]["href"]).get_json()
    assert second["start"] == "2" and [w["account_native_id"] for w in second["_embedded"]["items"]] == ["222222222222"]
    assert "_next" not in second["_links"]
    assert call(client, "GET", "/wallets?limit=2&start=5").get_json()["_embedded"]["items"] == []


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=101", "limit=1e3", "limit=" + "9" * 5000, "start=0", "start=-1", "start=x"])
def test_list_wallets_bad_paging(client, query):
    response = call(client, "GET", f"/wallets?{query}")
    assert response.status_code == 400 and query.split("=", maxsplit=1)[0] in error_messages(response)[0]


def test_create_wallet(client):
    response = call(client, "POST", "/wallets", {"account_native_id": "210987654321", "aws_region": "us-west-2"})
    assert response.status_code == 200 and response.content_type == WALLETS_MEDIA_TYPE
    wallet = response.get_json()
    assert wallet["account_native_id"] == "210987654321" and wallet["aws_region"] == "us-west-2"
    assert wallet["state"] == "Waiting" and len(wallet["token"]) == 36 and wallet["token"] != seed_wallet(client)["token"]
    assert call(client, "GET", f"/wallets/{wallet['id']}").get_json() == wallet
    assert call(client, "POST", "/wallets", {"account_native_id": "333333333333", "aws_region": None}).get_json()["aws_region"] == "us-east-1"


def test_create_wallet_conflict_and_validation(client):
    duplicate = call(client, "POST", "/wallets", {"account_native_id": ACCOUNT})
    assert duplicate.status_code == 409 and ACCOUNT in error_messages(duplicate)[0]
    for body in ({}, {"account_native_id": "12345"}, {"account_native_id": 123456789012}, {"account_native_id": "210987654321", "aws_region": 5},
                 "not json", "[1]", ""):
        response = call(client, "POST", "/wallets", body)
        assert response.status_code == 400, body
        error_messages(response)
    assert len(snapshot(client)["wallets"]) == 1


def test_get_refresh_and_missing_wallet(client):
    wallet = seed_wallet(client)
    del wallet["post_process_regions"]
    assert call(client, "GET", f"/wallets/{wallet['id']}").get_json() == wallet
    refreshed = call(client, "POST", f"/wallets/{wallet['id']}/_refresh")
    assert refreshed.status_code == 200 and refreshed.content_type == WALLETS_MEDIA_TYPE and refreshed.get_json() == wallet
    for method, path in (("GET", "/wallets/nope"), ("DELETE", "/wallets/nope"), ("POST", "/wallets/nope/_refresh")):
        response = call(client, method, path)
        assert response.status_code == 404 and "nope" in error_messages(response)[0]


def test_delete_wallet(client):
    wallet = call(client, "POST", "/wallets", {"account_native_id": "210987654321"}).get_json()
    response = call(client, "DELETE", f"/wallets/{wallet['id']}")
    assert response.status_code == 200 and response.get_json() == {} and response.content_type == WALLETS_MEDIA_TYPE
    assert call(client, "GET", f"/wallets/{wallet['id']}").status_code == 404


def test_delete_wallet_refused_while_installed(client):
    assert post_process(client).status_code == 200
    wallet_id = seed_wallet(client)["id"]
    response = call(client, "DELETE", f"/wallets/{wallet_id}")
    assert response.status_code == 409 and "us-east-1" in error_messages(response)[0]
    assert post_process(client, "Delete").status_code == 200
    assert call(client, "DELETE", f"/wallets/{wallet_id}").status_code == 200
    assert snapshot(client)["wallets"] == []


def test_post_process_create(client):
    response = post_process(client)
    assert response.status_code == 200 and response.get_json() == {} and response.content_type == POST_PROCESS_MEDIA_TYPE
    wallet = seed_wallet(client)
    assert wallet["state"] == "Enabled" and wallet["installed_regions"] == ["us-east-1"]
    assert wallet["stack_version"] == 15 and wallet["role_arn"] == ROLE_ARN
    assert wallet["post_process_regions"]["us-east-1"] == {
        "role_arn": ROLE_ARN, "role_id": "AROAEXAMPLE", "role_external_id": "ext-1",
        "intermediate_role_arn": "arn:aws:iam::999999999999:role/ClumioCustomerProtectRole", "multi_region_cmk_key_id": "mrk-1234",
        "created_multi_region_cmk": True, "version": 15, "request_type": "Create"}
    public = call(client, "GET", f"/wallets/{wallet['id']}").get_json()
    assert public["state"] == "Enabled" and "post_process_regions" not in public


def test_post_process_null_optional_fields(client):
    nulls = dict.fromkeys(("role_arn", "role_id", "role_external_id", "intermediate_role_arn", "multi_region_cmk_key_id",
                           "created_multi_region_cmk", "version"))
    assert post_process(client, **nulls).status_code == 200
    wallet = seed_wallet(client)
    assert wallet["state"] == "Enabled" and wallet["installed_regions"] == ["us-east-1"]
    assert wallet["stack_version"] == 0 and wallet["role_arn"] == ""
    assert wallet["post_process_regions"]["us-east-1"] == dict(nulls, request_type="Create")


def test_post_process_optional_fields_may_be_absent(client):
    token = seed_wallet(client)["token"]
    body = {"account_native_id": ACCOUNT, "aws_region": "us-west-2", "request_type": "Create", "token": token}
    assert call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE).status_code == 200
    assert seed_wallet(client)["installed_regions"] == ["us-west-2"]


def test_post_process_body_parsed_whatever_content_type(client):
    assert post_process(client).status_code == 200
    body = {"account_native_id": ACCOUNT, "aws_region": "eu-west-1", "request_type": "Create", "token": seed_wallet(client)["token"]}
    response = call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE, Content_Type="text/plain")
    assert response.status_code == 200
    assert seed_wallet(client)["installed_regions"] == ["us-east-1", "eu-west-1"]


@pytest.mark.parametrize("field", ["account_native_id", "aws_region", "request_type", "token"])
@pytest.mark.parametrize("how", ["absent", "null", "empty"])
def test_post_process_required_fields(client, field, how):
    fields = {"absent": {}, "null": {field: None}, "empty": {field: ""}}[how]
    wallet = seed_wallet(client)
    body = {"account_native_id": ACCOUNT, "aws_region": "us-east-1", "request_type": "Create", "token": wallet["token"]}
    body.pop(field)
    body.update(fields)
    response = call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE)
    assert response.status_code == 400 and error_messages(response) == [f"missing required field: {field}"]
    assert seed_wallet(client)["state"] == "Waiting"


def test_post_process_names_every_missing_field(client):
    response = call(client, "POST", POST_PROCESS, {}, accept=POST_PROCESS_MEDIA_TYPE)
    assert response.status_code == 400
    assert error_messages(response) == [f"missing required field: {f}" for f in ("account_native_id", "aws_region", "request_type", "token")]


@pytest.mark.parametrize("fields,fragment", [
    ({"request_type": "create"}, "request_type must be one of Create, Update, Delete"),
    ({"request_type": "Upsert"}, "request_type must be one of"),
    ({"request_type": 1}, "request_type must be a string"),
    ({"version": -1}, "version must be a non-negative integer"),
    ({"version": "15"}, "version must be a non-negative integer"),
    ({"version": 1.5}, "version must be a non-negative integer"),
    ({"version": True}, "version must be a non-negative integer"),
    ({"version": 2 ** 64}, "version must be a non-negative integer"),
    ({"created_multi_region_cmk": "true"}, "created_multi_region_cmk must be a boolean"),
    ({"created_multi_region_cmk": 1}, "created_multi_region_cmk must be a boolean"),
    ({"role_arn": 7}, "role_arn must be a string"),
    ({"multi_region_cmk_key_id": ["x"]}, "multi_region_cmk_key_id must be a string"),
    ({"token": 42}, "token must be a string"),
])
def test_post_process_invalid_fields(client, fields, fragment):
    response = post_process(client, **fields)
    assert response.status_code == 400 and any(fragment in m for m in error_messages(response))
    assert seed_wallet(client)["state"] == "Waiting"


@pytest.mark.parametrize("body", ["not json", "[]", "", "null"])
def test_post_process_body_must_be_object(client, body):
    response = call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE)
    assert response.status_code == 400 and "JSON object" in error_messages(response)[0]


def test_post_process_version_zero_and_max_accepted(client):
    assert post_process(client, version=2 ** 64 - 1).status_code == 200
    assert seed_wallet(client)["stack_version"] == 2 ** 64 - 1
    assert post_process(client, "Update", version=0).status_code == 200
    assert seed_wallet(client)["stack_version"] == 0


def test_post_process_unknown_account(client):
    response = post_process(client, account_native_id="210987654321")
    assert response.status_code == 404 and "210987654321" in error_messages(response)[0]


def test_post_process_wrong_token_never_echoed(client):
    wrong = "00000000-0000-4000-8000-000000000000"
    response = post_process(client, token=wrong)
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert wrong not in text and seed_wallet(client)["token"] not in text and ACCOUNT in error_messages(response)[0]
    assert seed_wallet(client)["state"] == "Waiting"


def test_token_of_another_wallet_rejected(client):
    other = call(client, "POST", "/wallets", {"account_native_id": "210987654321"}).get_json()
    assert post_process(client, token=other["token"]).status_code == 403


def test_post_process_update_changes_record_and_null_keeps_value(client):
    assert post_process(client).status_code == 200
    new_arn = "arn:aws:iam::123456789012:role/OtherRole"
    assert post_process(client, "Update", role_arn=new_arn, version=16, role_external_id=None, created_multi_region_cmk=False).status_code == 200
    wallet = seed_wallet(client)
    assert wallet["state"] == "Enabled" and wallet["stack_version"] == 16 and wallet["role_arn"] == new_arn
    record = wallet["post_process_regions"]["us-east-1"]
    assert record["role_arn"] == new_arn and record["role_external_id"] == "ext-1" and record["created_multi_region_cmk"] is False
    assert record["request_type"] == "Update"


def test_update_of_region_not_installed_installs_it(client):
    assert post_process(client, "Update").status_code == 200
    wallet = seed_wallet(client)
    assert wallet["installed_regions"] == ["us-east-1"] and wallet["state"] == "Enabled"


def test_repeated_create_acts_like_update(client):
    assert post_process(client).status_code == 200
    assert post_process(client, role_id="AROANEW", version=16).status_code == 200
    wallet = seed_wallet(client)
    assert wallet["installed_regions"] == ["us-east-1"] and wallet["stack_version"] == 16
    assert wallet["post_process_regions"]["us-east-1"]["role_id"] == "AROANEW"


def test_delete_removes_region_and_returns_to_waiting(client):
    assert post_process(client).status_code == 200
    assert post_process(client, aws_region="us-west-2").status_code == 200
    assert post_process(client, "Delete", aws_region="us-east-1").status_code == 200
    wallet = seed_wallet(client)
    assert wallet["installed_regions"] == ["us-west-2"] and wallet["state"] == "Enabled"
    assert list(wallet["post_process_regions"]) == ["us-west-2"]
    assert post_process(client, "Delete", aws_region="us-west-2", role_arn=None, version=None).status_code == 200
    wallet = seed_wallet(client)
    assert wallet["installed_regions"] == [] and wallet["state"] == "Waiting"
    assert wallet["stack_version"] == 0 and wallet["role_arn"] == "" and wallet["post_process_regions"] == {}


def test_delete_of_region_not_installed_is_a_no_op(client):
    assert post_process(client).status_code == 200
    before = seed_wallet(client)
    response = post_process(client, "Delete", aws_region="eu-west-1")
    assert response.status_code == 200 and response.get_json() == {}
    assert seed_wallet(client) == before


def test_delete_still_checks_token(client):
    assert post_process(client).status_code == 200
    assert post_process(client, "Delete", token="11111111-1111-4111-8111-111111111111").status_code == 403
    assert seed_wallet(client)["installed_regions"] == ["us-east-1"]


def test_post_process_log_masks_token_and_records_headers(client):
    token = seed_wallet(client)["token"]
    post_process(client, headers={"x_clumio_organizationalunit_context": "ou-123"})
    post_process(client, token="wrong-token-value")
    call(client, "POST", POST_PROCESS, {"token": token}, accept="application/json")
    calls = snapshot(client)["post_process_calls"]
    assert [c["status"] for c in calls] == [200, 403, 406]
    assert calls[0]["organizational_unit"] == "ou-123" and calls[1]["organizational_unit"] == ""
    assert calls[0]["accept"] == POST_PROCESS_MEDIA_TYPE and calls[0]["content_type"] == "application/json"
    assert calls[0]["body"]["token"] == "***" and calls[0]["body"]["request_type"] == "Create"
    assert all(c["body"]["token"] == "***" for c in calls)
    logged = json.dumps(calls)
    assert token not in logged and "wrong-token-value" not in logged and API_TOKEN not in logged


def test_request_log_records_organizational_unit(client):
    call(client, "GET", "/wallets", x_clumio_organizationalunit_context="ou-a")
    call(client, "GET", "/wallets", x_clumio_organizationalunit_context=None)
    call(client, "GET", "/wallets", token="bad", x_clumio_organizationalunit_context="ou-b")
    requests_seen = snapshot(client)["requests"]
    assert [(r["path"], r["status"], r["organizational_unit"]) for r in requests_seen] == [
        ("/wallets", 200, "ou-a"), ("/wallets", 200, None), ("/wallets", 401, "ou-b")]
    assert all(r["accept"] == WALLETS_MEDIA_TYPE for r in requests_seen)


def test_control_seed_wallet(client):
    response = client.post(CONTROL, json={"account_native_id": "210987654321", "aws_region": "eu-west-1"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    wallet = response.get_json()
    assert len(wallet["token"]) == 36 and wallet["aws_region"] == "eu-west-1" and wallet["state"] == "Waiting"
    body = {"account_native_id": "210987654321", "aws_region": "eu-west-1", "request_type": "Create", "token": wallet["token"]}
    assert call(client, "POST", POST_PROCESS, body, accept=POST_PROCESS_MEDIA_TYPE).status_code == 200
    assert call(client, "GET", f"/wallets/{wallet['id']}").get_json()["state"] == "Enabled"
    duplicate = client.post(CONTROL, json={"account_native_id": "210987654321"})
    assert duplicate.status_code == 409
    error_messages(duplicate)
    assert client.post(CONTROL, data="oops").status_code == 400


def test_unexpected_failure_is_a_json_error(client, state, monkeypatch):
    def explode(_body, **_options):
        raise RuntimeError("boom")
    monkeypatch.setattr(state, "post_process", explode)
    response = post_process(client)
    assert response.status_code == 500 and "RuntimeError" in error_messages(response)[0]


def test_concurrent_seeding_is_consistent(client, state):
    app = client.application

    def seed(index):
        with app.test_client() as own:
            own.post(CONTROL, json={"account_native_id": f"{index:012d}"})

    threads = [threading.Thread(target=seed, args=(i,)) for i in range(1, 21)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(state.wallets) == 21 and len({w["token"] for w in state.wallets.values()}) == 21
