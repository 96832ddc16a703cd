"""Clumio client: base URL choice, headers as Clumio's SDKs send them, error bodies, 429 retry."""

import pytest
import responses

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import LIST_WALLETS, POST_PROCESS_KMS
from ansible_collections.ciphertrust.cckm.plugins.module_utils._clumio import ClumioClient, clumio_base_url
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, AuthenticationError

URL = "https://us-west-2.api.clumio.com"


@pytest.fixture
def clumio(fake_time):
    params = {"clumio_api_token": "clumio-secret", "clumio_organizational_unit": "ou-1", "validate_certs": True,
              "ca_file": None, "timeout": 5, "retries": 2}
    return ClumioClient(params, URL, sleep=fake_time.sleep, clock=fake_time.clock)


def test_base_url_precedence():
    assert clumio_base_url({"clumio_region": "eu-central-1"}, {}) == "https://eu-central-1.de.api.clumio.com"
    assert clumio_base_url({"clumio_url": "http://127.0.0.1:1/"}, {"CLUMIO_API_BASE_URL": "x"}) == "http://127.0.0.1:1"
    assert clumio_base_url({"clumio_region": "us-east-1"}, {"CLUMIO_API_BASE_URL": "http://env"}) == "https://us-east-1.api.clumio.com"
    assert clumio_base_url({}, {"CLUMIO_API_BASE_URL": "http://env/"}) == "http://env"
    assert clumio_base_url({}, {}) is None


@responses.activate
def test_sends_clumio_headers(clumio):
    responses.post(URL + "/wallets/_post-process", json={})
    assert POST_PROCESS_KMS(clumio, body={"request_type": "Create"}, landed=lambda: None) == {}
    headers = responses.calls[0].request.headers
    assert headers["Accept"] == "application/api.clumio.post-process-kms=v1+json"
    assert headers["Authorization"] == "Bearer clumio-secret"
    assert headers["Content-Type"] == "application/json"
    assert headers["x-clumio-organizationalunit-context"] == "ou-1"


@responses.activate
def test_errors_carry_clumio_codes_and_hint_without_the_token(clumio):
    responses.get(URL + "/wallets", status=401, json={"errors": [{"error_code": 401, "error_message": "token expired"}]})
    with pytest.raises(AuthenticationError) as caught:
        LIST_WALLETS(clumio)
    text = str(caught.value)
    assert "HTTP 401 from Clumio: 401: token expired" in text and "clumio_api_token" in text
    assert "clumio-secret" not in text
    assert len(responses.calls) == 1


@responses.activate
def test_429_is_retried_with_retry_after(clumio, fake_time):
    responses.get(URL + "/wallets", status=429, headers={"Retry-After": "1"}, json={"errors": [{"error_code": 429, "error_message": "slow down"}]})
    responses.get(URL + "/wallets", json={"_embedded": {"items": []}})
    assert LIST_WALLETS(clumio) == {"_embedded": {"items": []}}
    assert fake_time.sleeps == [1.0]


@responses.activate
def test_400_is_not_retried(clumio):
    responses.post(URL + "/wallets/_post-process", status=400, json={"errors": [{"error_code": 400, "error_message": "missing token"}]})
    with pytest.raises(ApiError, match="missing token"):
        POST_PROCESS_KMS(clumio, body={})
    assert len(responses.calls) == 1
