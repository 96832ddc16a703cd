"""The shared client against the running emulator: tokens, re-auth, retries, Retry-After, paging, errors, TLS."""

import time

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import CckmClient
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import NotFound, TransportError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import CREATE_KEY, LIST_KEYS as KEY_LIST

TOKENS = "POST /api/v1/auth/tokens"
LIST_KMS = "GET /api/v1/cckm/aws/kms"
LIST_KEYS = "GET /api/v1/cckm/aws/keys"


def client_for(emulator, **overrides):
    params = {"host": emulator.url, "username": "admin", "password": "admin", "validate_certs": True,
              "ca_file": getattr(emulator, "ca_file", None), "timeout": 10, "retries": 5}
    params.update(overrides)
    return CckmClient(params)


def test_token_is_renewed_before_it_expires(emulator_factory):
    emulator = emulator_factory("--token-ttl", "2")
    client = client_for(emulator)
    for dummy in range(4):
        client.get("/api/v1/cckm/aws/kms")
        time.sleep(0.9)
    routes = emulator.stats()["routes"]
    assert routes[LIST_KMS] == 4, routes  # never a rejected call: renewed before expiry, not after a 401
    assert routes[TOKENS] >= 2
    assert client.tokens.logins == routes[TOKENS]


def test_one_reauthentication_on_401(emu):
    client = client_for(emu)
    client.get("/api/v1/cckm/aws/kms")
    emu.control("POST", "/_emulator/faults", {"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/kms", "status": 401, "count": 1}]})
    assert client.get("/api/v1/cckm/aws/kms")["total"] >= 1
    routes = emu.stats()["routes"]
    assert routes[TOKENS] == 2 and routes[LIST_KMS] == 3


def test_retry_after_is_honoured(emu):
    client = client_for(emu)
    client.get("/api/v1/cckm/aws/kms")
    emu.control("POST", "/_emulator/faults", {"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/kms", "status": 503, "count": 1, "retry_after": 2}]})
    started = time.monotonic()
    client.get("/api/v1/cckm/aws/kms")
    assert time.monotonic() - started >= 2.0
    assert emu.stats()["routes"][LIST_KMS] == 3


def test_retries_survive_a_30_percent_fault_rate_without_duplicates(emulator_factory):
    emulator = emulator_factory("--fault-rate", "0.3", "--seed", "11")
    client = client_for(emulator, retries=8)
    client.policy.base_delay = 0.05  # keep the test quick; Retry-After still applies
    for dummy in range(15):
        assert "resources" in client.get("/api/v1/cckm/aws/kms")
    for number in range(8):
        alias = "fault-%d" % number
        body = {"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": alias}}
        CREATE_KEY(client, body=body, landed=lambda a=alias: KEY_LIST.find(
            client, {"alias": a, "region": "us-east-1"}, lambda r: "alias/" + a in r["aws_param"]["Alias"]))
    emulator.control("POST", "/_emulator/config", {"fault_rate": 0})
    truth = emulator.aws_keys("us-east-1")
    aliases = sorted(a for key in truth for a in key["Aliases"])
    assert aliases == ["alias/fault-%d" % n for n in range(8)]  # every create landed exactly once
    stats = emulator.stats()
    assert stats["routes"][LIST_KMS] <= 15 * 9  # attempts are bounded by retries + 1


def test_pagination_reads_every_page(emu):
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2500, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "page-"})
    emu.control("POST", "/_emulator/stats/reset")
    keys = list(KEY_LIST.pages(client_for(emu), {"region": "us-east-1"}))
    assert len(keys) == 2500 and len({k["id"] for k in keys}) == 2500
    assert emu.stats()["routes"][LIST_KEYS] == 3


def test_errors_carry_code_desc_and_message(emu):
    with pytest.raises(NotFound) as caught:
        client_for(emu).get("/api/v1/cckm/aws/keys/00000000-0000-0000-0000-000000000000")
    assert "HTTP 404" in str(caught.value) and "NCERRResourceNotFound" in str(caught.value)
    assert caught.value.message


def test_tls_with_the_emulator_ca(emulator_factory, tmp_path):
    emulator = emulator_factory("--tls")
    assert emulator.url.startswith("https://")
    assert client_for(emulator).get("/api/v1/cckm/aws/kms")["total"] >= 1
    with pytest.raises(TransportError) as caught:
        client_for(emulator, ca_file=None).get("/api/v1/cckm/aws/kms")
    assert "TLS error" in str(caught.value) and "ca_file" in str(caught.value)
    assert client_for(emulator, validate_certs=False, ca_file=None).get("/api/v1/cckm/aws/kms")["total"] >= 1
