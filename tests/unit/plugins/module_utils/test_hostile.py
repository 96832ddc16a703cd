"""Hostile or broken answers (issue 21): no secret follows a redirect, paging ends, credentials in host are refused."""

import pytest
import responses

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import LIST_KEYS, list_wallets
from ansible_collections.ciphertrust.cckm.plugins.module_utils._clumio import ClumioClient
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, OptionError, TransportError
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import HOST, TOKENS, make_jwt

KEYS = HOST + "/api/v1/cckm/aws/keys"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@responses.activate
def test_a_redirect_of_the_login_is_never_followed(make_client, status):
    """requests re-sends a 307/308 body (the password) to the Location; the client refuses and names only the origin."""
    responses.post(TOKENS, status=status, headers={"Location": "http://evil.example:8080/steal?x=1"})
    responses.post("http://evil.example:8080/steal", json={"jwt": make_jwt()})
    with pytest.raises(TransportError) as caught:
        make_client().get("/api/v1/cckm/aws/keys")
    text = str(caught.value)
    assert "redirect to http://evil.example:8080, which is not followed" in text and "steal" not in text
    assert [c.request.url for c in responses.calls] == [TOKENS]


@responses.activate
def test_a_server_that_ignores_skip_is_stopped_after_a_page_with_nothing_new(make_client):
    responses.post(TOKENS, json={"jwt": make_jwt(), "duration": 300})
    page = {"total": 5000, "resources": [{"id": "k%d" % n} for n in range(1000)]}
    responses.get(KEYS, json=page)  # the same page, whatever skip says
    keys = list(LIST_KEYS.pages(make_client()))
    assert len(keys) == 1000 and len({k["id"] for k in keys}) == 1000
    assert len(responses.calls) == 3  # login, the page, the same page again: stop


@responses.activate
def test_endless_paging_ends_with_an_error_naming_the_call(make_client, monkeypatch):
    from ansible_collections.ciphertrust.cckm.plugins.module_utils import _client
    monkeypatch.setattr(_client, "MAX_PAGES", 3)
    responses.post(TOKENS, json={"jwt": make_jwt(), "duration": 300})
    for number in range(3):
        responses.get(KEYS, json={"total": 10 ** 9, "resources": [{"id": "p%d-%d" % (number, n)} for n in range(1000)]})
    with pytest.raises(CckmError, match="GET /api/v1/cckm/aws/keys: stopped after 3 pages .3000 resources."):
        list(LIST_KEYS.pages(make_client()))


@responses.activate
def test_clumio_pages_that_go_round_in_circles_are_stopped(fake_time):
    url = "https://clumio.test"
    client = ClumioClient({"clumio_api_token": "t", "validate_certs": True, "ca_file": None, "timeout": 5, "retries": 0}, url)
    body = {"_embedded": {"items": [{"id": "w"}]}, "_links": {"_next": {"href": "/wallets?limit=100&start=same"}}}
    responses.get(url + "/wallets", json=body)
    with pytest.raises(CckmError, match="_links._next of the answers do not end"):
        list_wallets(client)
    assert len(responses.calls) == 2


def test_credentials_in_host_are_refused_before_any_request(make_client):
    with pytest.raises(OptionError, match="host: must not contain a user or password") as caught:
        make_client(host="https://admin:hunter2@cm.test")
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("answer, words", [
    ({"body": "<html><body>Proxy login</body></html>", "content_type": "text/html"}, "a body that is not JSON (text/html)"),
    ({"body": '{"resources": [', "content_type": "application/json"}, "a body that is not JSON"),
    ({"json": [{"id": "k1"}]}, "a JSON list where an object was expected"),
    ({"body": ""}, "an empty body where a JSON object was expected"),
])
@responses.activate
def test_a_broken_answer_is_an_error_naming_the_call(make_client, answer, words):
    """Issue 21 #10: these used to crash later, or (an empty body) to read as "no keys"."""
    responses.post(TOKENS, json={"jwt": make_jwt(), "duration": 300})
    responses.get(KEYS, status=200, **answer)
    with pytest.raises(TransportError) as caught:
        list(LIST_KEYS.pages(make_client()))
    assert str(caught.value).startswith("Failed to list AWS keys: GET /api/v1/cckm/aws/keys: HTTP 200 with ") and words in str(caught.value)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_retry_after_that_is_not_a_number_of_seconds_is_ignored(value):
    from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import parse_retry_after
    assert parse_retry_after(value) is None


@pytest.mark.parametrize("ref", ["", ".", "..", " . "])
def test_dot_segments_are_never_sent_as_an_id(ref):
    """Issue 21 #11: templates/. or synchronization-jobs/.. would read the list (or its parent) instead of one resource."""
    from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import GET_TEMPLATE
    with pytest.raises(CckmError, match="is not an ID"):
        GET_TEMPLATE.path_for(ref)


@responses.activate
def test_tokens_pasted_with_a_newline_work_and_tokens_with_whitespace_inside_are_refused_unshown(fake_time):
    """Issue 21 #6: a trailing newline made requests raise InvalidHeader quoting the token."""
    url = "https://clumio.test"
    params = {"validate_certs": True, "ca_file": None, "timeout": 5, "retries": 0}
    responses.get(url + "/wallets", json={"_embedded": {"items": []}})
    assert list_wallets(ClumioClient(dict(params, clumio_api_token="secret-token\n"), url)) == []
    assert responses.calls[0].request.headers["Authorization"] == "Bearer secret-token"
    with pytest.raises(OptionError, match="clumio_api_token: contains whitespace inside") as caught:
        ClumioClient(dict(params, clumio_api_token="secret token"), url)
    assert "secret" not in str(caught.value)


@responses.activate
def test_a_request_that_cannot_be_sent_names_no_header_value(make_client):
    responses.post(TOKENS, json={"jwt": "bad\\nvalue\n" + "x" * 10, "duration": 300})
    with pytest.raises(TransportError, match="could not be sent .InvalidHeader.") as caught:
        make_client().get("/api/v1/cckm/aws/keys")
    assert "bad" not in str(caught.value)
