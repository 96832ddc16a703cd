"""The module base, through real modules run in-process: retries are visible, issued tokens masked, result shape, errors."""

import importlib
import json

import responses

from module_runner import run_module

from ansible_collections.ciphertrust.cckm.tests.unit.fakes import HOST, TOKENS, make_jwt

aws_key_info = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key_info")
aws_key = importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules.aws_key")


def test_a_retried_request_is_reported_as_a_warning(emu, connection):
    emu.control("POST", "faults", {"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/keys", "status": 503, "count": 1,
                                              "retry_after": 0}]})
    result = run_module(aws_key_info, dict(connection, kms=["aws-kms"]))
    assert result["rc"] == 0 and result["total"] == 0, result
    assert [w for w in result["warnings"] if "GET /api/v1/cckm/aws/keys" in w and "HTTP 503" in w and "retry 1 of 5" in w], result


@responses.activate
def test_tokens_the_server_issued_are_masked_in_everything_the_module_prints():
    """A server that echoes the bearer token in an error (a proxy or WAF page, say) must not put it into msg."""
    jwt, refresh = make_jwt(marker="issued"), "refresh-token-issued-by-the-server"
    responses.post(TOKENS, json={"jwt": jwt, "refresh_token": refresh, "duration": 300})
    responses.add_callback(
        responses.GET, HOST + "/api/v1/cckm/aws/keys",
        callback=lambda request: (400, {}, json.dumps({"message": "rejected: %s / %s" % (request.headers["Authorization"], refresh)})))
    result = run_module(aws_key_info, {"host": HOST, "username": "admin", "password": "pw"})
    assert result["rc"] == 1 and "rejected" in result["msg"]
    assert jwt not in json.dumps(result) and refresh not in json.dumps(result)


def test_an_api_error_names_the_action_and_the_key(emu, connection):
    emu.control("POST", "permissions", {"deny": ["keycreate"]})
    result = run_module(aws_key, dict(connection, kms="aws-kms", region="us-east-1", alias="denied"))
    assert result["rc"] == 1
    assert result["msg"].startswith("Failed to create key alias/denied in us-east-1 (aws-kms): POST /api/v1/cckm/aws/keys: HTTP 403")
    assert "'keycreate' permission" in result["msg"] and result["error"]["status"] == 403
