"""The emulator against the contract: the example requests/responses of seeds 001-004 and cckm-aws.md.

Seed examples are pasted as literal dicts; ``assert_shape`` compares field names and JSON types of
an example with a live response (``exact`` also forbids extra fields). Everything else checks the
behaviours of cckm-aws.md section 11 and the emulator's own contract (faults, TLS, stats, control).
"""

import re
import time

import jwt
import pytest
import requests

KEYS = "cckm/aws/keys"
TEMPLATES = "cckm/aws/templates"
BULK = "cckm/aws/bulkjob"
SYNC = "cckm/aws/synchronization-jobs"
ACCOUNT = "123456789012"

# -- seed examples (verbatim values; the seed 003 GET example has its documented errata fixed) ---------

TOKEN_EXAMPLE = {  # cckm-aws.md 1.2
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9....", "duration": 300, "token_type": "Bearer",
    "client_id": "8181a3e4-082e-4aaa-b985-5c35db15ffcd", "refresh_token": "UmOsCNMfIHSv0yVIw2q8F12dtVZ8W7QtmqfYAZxbhXjWfIBBYpDrUabiiMqIHg0S",
    "refresh_token_expires_in": 1799,
}

BULK_CREATE_EXAMPLE = {  # seed 001
    "id": "d8251b71-9302-445c-a251-cbe1fddb3909",
    "uri": "kylo:kylo:cckm:bulkjob:d8251b71-9302-445c-a251-cbe1fddb3909",
    "account": "kylo:kylo:admin:accounts:kylo",
    "createdAt": "2023-02-10T08:07:20.139366Z",
    "updatedAt": "2023-02-10T08:07:20.138471Z",
    "overall_status": "in_progress",
    "abort": False,
    "cloud": "aws",
    "keys": ["2387500d-bcac-4055-a48d-19592c3332ff", "2387500d-bcac-4055-a48d-19592c3332fg"],
    "operation": "enablekey",
}

SYNC_CREATE_EXAMPLE = {  # seed 002
    "id": "afef70ff-311e-46c1-8ead-e1999e8c6d46",
    "uri": "kylo:kylo:cckm:synchronize:afef70ff-311e-46c1-8ead-e1999e8c6d46",
    "account": "kylo:kylo:admin:accounts:kylo",
    "application": "ncryptify:gemalto:admin:apps:kylo",
    "devAccount": "ncryptify:gemalto:admin:accounts:gemalto",
    "createdAt": "2020-11-05T06:38:25.308834396Z",
    "updatedAt": "2020-11-05T06:38:25.310835309Z",
    "overall_status": "in_progress",
    "cloud": "aws",
    "regions": ["ap-south-1"],
    "kms": ["kms"],
    "abort": False,
}

ROOT_STATEMENT = {"Sid": "Enable IAM UserName Permissions", "Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"]},
                  "Action": ["kms:*"], "Resource": "*"}
CONSOLE_POLICY = {"Id": "key-consolepolicy-3", "Version": "2012-10-17", "Statement": [ROOT_STATEMENT]}

TEMPLATE_CREATE_EXAMPLE = {  # seed 003, create
    "id": "6b9f2043-0a99-4041-a62d-4f6eaa408fb5", "name": "demo-policy-template", "uri": "kylo:kylo:cckm:aws-template:642aafda",
    "account": "kylo:kylo:admin:accounts:kylo", "application": "ncryptify:gemalto:admin:apps:kylo",
    "devAccount": "ncryptify:gemalto:admin:accounts:gemalto", "createdAt": "2021-05-17T11:01:08.226051365Z",
    "updatedAt": "2021-05-17T11:01:08.218122217Z", "key_users": ["aws-user"], "key_users_roles": ["iam-role"], "key_admins": ["aws-user"],
    "key_admins_roles": ["iam-role"], "external_accounts": None, "policy": CONSOLE_POLICY, "kms_name": "aws-kms",
    "kms": "3ed28894-b9f8-4c5e-bc26-daed0c3bda26", "account_id": 123456789012, "cloud": "aws", "is_verified": False,
}

TEMPLATE_LIST_EXAMPLE = {  # seed 003, list (first item; the second one spells key_admins with underscores)
    "skip": 0, "limit": 10, "total": 2, "resources": [{
        "id": "6b9f2043-0a99-4041-a62d-4f6eaa408fb5", "name": "demo-policy-template-1", "uri": "kylo:kylo:cckm:aws-template:8e104422",
        "account": "kylo:kylo:admin:accounts:kylo", "application": "ncryptify:gemalto:admin:apps:kylo",
        "devAccount": "ncryptify:gemalto:admin:accounts:gemalto", "createdAt": "2021-05-20T03:22:06.715624Z",
        "updatedAt": "2021-05-20T03:22:06.714583Z", "key_users": ["aws-user"], "key-admins": ["aws-user"], "policy": CONSOLE_POLICY,
        "kms_name": "aws-kms", "kms": "3ed28894-b9f8-4c5e-bc26-daed0c3bda26", "account_id": 123456789012, "cloud": "aws", "is_verified": False}],
}

TEMPLATE_GET_EXAMPLE = {  # seed 003, get by id (fields wrongly nested inside "policy" moved back to the top level)
    "id": "6b9f2043-0a99-4041-a62d-4f6eaa408fb5", "name": "demo-policy-template", "uri": "kylo:kylo:cckm:aws-template:642aafda",
    "account": "kylo:kylo:admin:accounts:kylo", "application": "ncryptify:gemalto:admin:apps:kylo",
    "devAccount": "ncryptify:gemalto:admin:accounts:gemalto", "createdAt": "2021-05-17T11:01:08.226051365Z",
    "updatedAt": "2021-05-17T11:01:08.218122217Z", "key_users": ["aws-user"], "key-admins": ["aws-user"], "external_accounts": None,
    "policy": CONSOLE_POLICY, "kms_name": "aws-kms", "kms": "3ed28894-b9f8-4c5e-bc26-daed0c3bda26", "account_id": 123456789012,
    "cloud": "aws", "is_verified": True,
}

TEMPLATE_PATCH_EXAMPLE = {  # seed 003, patch of a verified template in use (auto_push)
    "id": "6b9f2043-0a99-4041-a62d-4f6eaa408fb5", "name": "demo-policy-template", "uri": "kylo:kylo:cckm:aws-template:8e104422",
    "account": "kylo:kylo:admin:accounts:kylo", "application": "ncryptify:gemalto:admin:apps:kylo",
    "devAccount": "ncryptify:gemalto:admin:accounts:gemalto", "createdAt": "2021-05-20T03:22:06.715624Z",
    "updatedAt": "2021-05-20T03:22:06.714583Z", "key_users": ["aws-user"], "key-admins": ["aws-user"], "policy": CONSOLE_POLICY,
    "kms_name": "aws-kms", "kms": "3ed28894-b9f8-4c5e-bc26-daed0c3bda26", "account_id": 123456789012, "cloud": "aws", "is_verified": True,
    "job_id": "8e2c8400-be19-4da7-80b9-9beb51e03650", "job_status": "in_progress",
}

DELETE_MATERIAL_EXAMPLE = {  # seed 004
    "id": "40387a72-6e24-4cdd-8840-b586757c44bf", "uri": "kylo:kylo:cckm:aws-key:40387a72-6e24-4cdd-8840-b586757c44bf",
    "account": "kylo:kylo:admin:accounts:kylo", "application": "ncryptify:gemalto:admin:apps:kylo",
    "devAccount": "ncryptify:gemalto:admin:accounts:gemalto", "createdAt": "2020-11-05T07:01:48.965088Z",
    "updatedAt": "2020-11-05T07:03:24.400322315Z", "kms_id": "0b90f8de-8617-498d-ad63-ca18eb717ae7", "kms": "kms",
    "synced_at": "2020-11-05T07:01:48.959221Z", "rotation_status": "",
    "local_key_id": "361d928ac7e340d093e7d231c80ca934acc62528601647ce86a219c9a82f4f93", "local_key_name": "test-key", "cloud_name": "aws",
    "key_type": "symmetric", "basic_view_enabled": False, "region": "ap-south-1", "gone": False, "key_material_origin": "cckm",
    "aws_param": {
        "AWSAccountId": "123456789012", "Arn": "arn:aws:kms:ap-south-1:123456789012:key/031c5703-aaf7-425e-a141-7e0c6f5886ab",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "Enabled": False, "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "KeyID": "031c5703-aaf7-425e-a141-7e0c6f5886ab", "KeyManager": "CUSTOMER", "KeyState": "PendingImport", "KeyUsage": "ENCRYPT_DECRYPT",
        "Origin": "EXTERNAL", "CreationDate": "2020-11-05T07:01:36Z",
        "Policy": {"Id": "key-default-1", "Version": "2012-10-17", "Statement": [{
            "Sid": "Enable IAM User Permissions", "Action": "kms:*", "Effect": "Allow", "Resource": "*",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}]},
        "Alias": ["alias/aws-test-key-External"], "Tags": [{"TagKey": "key", "TagValue": "value"}], "KeyRotationEnabled": False,
        "ExpirationModel": "KEY_MATERIAL_EXPIRES",
    },
}

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(\d{6}|\d{9})Z$")


def _kind(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def assert_shape(example, live, exact=False, where="$"):
    """Every field of ``example`` exists in ``live`` with the same JSON type (recursively; lists by first item)."""
    assert _kind(live) == _kind(example), f"{where}: expected {_kind(example)}, got {_kind(live)} ({live!r})"
    if isinstance(example, dict):
        missing = sorted(set(example) - set(live))
        assert not missing, f"{where}: missing fields {missing}"
        if exact:
            extra = sorted(set(live) - set(example))
            assert not extra, f"{where}: unexpected fields {extra}"
        for name, value in example.items():
            assert_shape(value, live[name], exact=False, where=f"{where}.{name}")
    elif isinstance(example, list) and example and live:
        assert_shape(example[0], live[0], where=f"{where}[0]")


def ok(response, status=200):
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def test_strict_profile_reads_one_value_per_filter_and_refuses_auto_rotation_right_after_an_enable(emu):
    emu.control("POST", "config", {"fidelity": {"list_filter_values": "single", "rotation_after_enable": "eventual", "kms_filter": "name"},
                                   "job_delay": 0.5})
    first, second = create_key(emu, "first"), create_key(emu, "second")
    listed = ok(emu.api("GET", KEYS, params=[("alias", "first"), ("alias", "second")]))
    assert [k["id"] for k in listed["resources"]] == [first["id"]]  # DOC: the filters are strings
    kms_id = first["kms_id"]
    assert ok(emu.api("GET", KEYS, params={"kms": kms_id}))["total"] == 0  # kms is the name; kms_id the ID
    assert ok(emu.api("GET", KEYS, params={"kms_id": kms_id}))["total"] == 2
    ok(emu.api("POST", f"{KEYS}/{second['id']}/disable"))
    ok(emu.api("POST", f"{KEYS}/{second['id']}/enable"))
    error(emu.api("POST", f"{KEYS}/{second['id']}/enable-auto-rotation", {"rotation_period_in_days": 100}), 400, "NCERRBadRequest",
          "DisabledException")
    time.sleep(0.6)
    ok(emu.api("POST", f"{KEYS}/{second['id']}/enable-auto-rotation", {"rotation_period_in_days": 100}))


def aws_conflict(emu):
    """(status, codeDesc) of AWS AlreadyExists / "already in progress" in this emulator's profile (FIDELITY.md aws_error_status)."""
    return (409, "NCERRConflict") if emu.fidelity("aws_error_status") == 409 else (400, "NCERRBadRequest")


def refresh_refused(emu):
    """(status, codeDesc) of a refused refresh token in this emulator's profile (FIDELITY.md refresh_token_error)."""
    return (401, "NCERRUnauthorizedAccess") if emu.fidelity("refresh_token_error") == 401 else (400, "NCERRBadRequest")


def error(response, status, code_desc, text=""):
    body = response.json()
    assert response.status_code == status, body
    assert set(body) >= {"code", "codeDesc", "message"} and code_desc in body["codeDesc"], body
    assert text in body["message"], body
    return body


def create_key(emu, alias=None, region="us-east-1", kms="aws-kms", **aws_param):
    if alias:
        aws_param["Alias"] = alias
    return ok(emu.api("POST", KEYS, {"kms": kms, "region": region, "aws_param": aws_param}), 201)


def action(emu, key, name, body=None, status=200):
    response = emu.api("POST", f"{KEYS}/{key['id']}/{name}", body)
    return ok(response, status) if status < 400 else response


def truth(emu, key):
    param = key["aws_param"]
    return emu.control("GET", f"aws/keys?region={key['region']}&account_id={param['AWSAccountId']}&key_id={param['KeyID']}")["keys"][0]


def wait_job(emu, path, job_id, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        job = ok(emu.api("GET", f"{path}/{job_id}"))
        if job["overall_status"] != "in_progress":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.02)


# -- authentication --------------------------------------------------------------------------


def test_token_response_and_jwt_claims(emu):
    url = f"{emu.url}/api/v1/auth/tokens/"
    body = ok(requests.post(url, json={"username": "admin", "password": "admin", "domain": "", "auth_domain": "", "connection": "local_account"},
                            timeout=10))
    assert_shape(TOKEN_EXAMPLE, body, exact=True)
    assert body["duration"] == 300 and body["token_type"] == "Bearer"
    claims = jwt.decode(body["jwt"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["jwt"])["alg"] == "HS256"
    assert claims["exp"] - claims["iat"] == 300 and claims["iss"] == claims["acc"] == "kylo"
    assert claims["sub"].startswith("local|") and claims["preferred_username"] == "admin" and claims["jwtid"] and claims["aud"]
    assert set(claims["cust"]) == {"domain_id", "groups", "sid", "zone_id"}
    ok(requests.get(f"{emu.url}/api/v1/cckm/aws/kms", headers={"Authorization": f"Bearer {body['jwt']}"}, timeout=10))


def test_refresh_tokens_and_auth_failures(emu):
    url = f"{emu.url}/api/v1/auth/tokens"
    error(requests.post(url, json={"username": "admin", "password": "nope"}, timeout=10), 401, "NCERRUnauthorizedAccess", "Wrong username or password.")
    first = ok(requests.post(url, json={"grant_type": "password", "username": "admin", "password": "admin", "auth_domain_path": "x"}, timeout=10))
    same = ok(requests.post(url, json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, timeout=10))
    assert same["refresh_token"] == first["refresh_token"]
    renewed = ok(requests.post(url, json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "renew_refresh_token": True},
                               timeout=10))
    assert renewed["refresh_token"] != first["refresh_token"]
    issued = emu.control("GET", "auth/refresh-tokens")   # a test tool's view: what a play's output must never show
    assert {first["refresh_token"], renewed["refresh_token"]} <= set(issued["values"]) and issued["live"] < issued["issued"]
    error(requests.post(url, json={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}, timeout=10),
          *refresh_refused(emu), "Token has been revoked")
    kms_url = f"{emu.url}/api/v1/cckm/aws/kms"
    error(requests.get(kms_url, timeout=10), 401, "NCERRUnauthorizedAccess", "Invalid token")
    error(requests.get(kms_url, headers={"Authorization": "Bearer garbage"}, timeout=10), 401, "NCERRUnauthorizedAccess", "Invalid token")
    emu.control("POST", "auth/revoke", {"jwts": True})
    error(requests.get(kms_url, headers={"Authorization": f"Bearer {renewed['jwt']}"}, timeout=10), 401, "NCERRUnauthorizedAccess")
    error(requests.post(url, json={"grant_type": "refresh_token", "refresh_token": renewed["refresh_token"]}, timeout=10),
          *refresh_refused(emu), "Token has been revoked")


def test_token_expiry(emulator_factory):
    emulator = emulator_factory("--token-ttl", "2")
    issued = ok(emulator.session.post(f"{emulator.url}/api/v1/auth/tokens", json={"username": "admin", "password": "admin"}, timeout=10))
    assert issued["duration"] == 2
    ok(emulator.api("GET", "cckm/aws/kms", token=issued["jwt"]))
    time.sleep(2.1)
    error(emulator.api("GET", "cckm/aws/kms", token=issued["jwt"]), 401, "NCERRUnauthorizedAccess", "Token is expired by")


# -- lists -----------------------------------------------------------------------------------


def test_kms_seed_and_lookup(emu):
    kms_list = ok(emu.api("GET", "cckm/aws/kms/", params={"limit": -1}))
    assert {k["name"]: (k["account_id"], k["regions"]) for k in kms_list["resources"]} == {
        "aws-kms": (ACCOUNT, ["us-east-1", "us-west-2", "eu-west-1"]), "aws-kms-2": ("210987654321", ["us-east-1"])}
    by_name = ok(emu.api("GET", "cckm/aws/kms/aws-kms"))
    assert ok(emu.api("GET", f"cckm/aws/kms/{by_name['id']}"))["name"] == "aws-kms"
    assert ok(emu.api("GET", "cckm/aws/kms", params={"account_id": "210987654321"}))["resources"][0]["name"] == "aws-kms-2"
    error(emu.api("GET", "cckm/aws/kms/nope"), 404, "NCERRResourceNotFound")


def test_paging_sorting_filters_and_trailing_slash(emu):
    emu.control("POST", "config", {"fidelity": {"list_filter_values": "any"}})  # repeated filters ORed (lenient)
    emu.control("POST", "cckm/keys", {"count": 25, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "page-"})
    emu.control("POST", "cckm/keys", {"count": 3, "kms": "aws-kms", "region": "eu-west-1", "state": "Disabled", "tags": {"env": "prod"}})
    seen = []
    for skip in (0, 10, 20):
        page = ok(emu.api("GET", f"{KEYS}/", params={"skip": skip, "limit": 10, "region": "us-east-1", "bogus": "ignored"}))
        assert page["total"] == 25 and page["skip"] == skip and page["limit"] == 10
        seen += [key["id"] for key in page["resources"]]
    assert len(seen) == len(set(seen)) == 25
    assert ok(emu.api("GET", KEYS))["limit"] == 10 and len(ok(emu.api("GET", KEYS))["resources"]) == 10
    assert len(ok(emu.api("GET", KEYS, params={"limit": -1}))["resources"]) == 28
    both = ok(emu.api("GET", KEYS, params=[("region", "us-east-1"), ("region", "eu-west-1"), ("limit", "-1")]))
    assert both["total"] == 28
    disabled = ok(emu.api("GET", KEYS, params={"keystate": "Disabled", "enabled": "false", "tags": '{"env": "prod"}'}))
    assert disabled["total"] == 3
    assert ok(emu.api("GET", KEYS, params={"alias": "page-7"}))["total"] == 1
    assert ok(emu.api("GET", KEYS, params={"alias": "alias/page-7"}))["total"] == 1
    newest = ok(emu.api("GET", KEYS, params={"region": "us-east-1", "sort": "-createdAt,id", "limit": -1}))["resources"]
    assert [k["createdAt"] for k in newest] == sorted((k["createdAt"] for k in newest), reverse=True)
    assert ok(emu.api("GET", f"{KEYS}/?limit=1"))["total"] == 28


def test_bulk_created_keys_scale(emu):
    ids = emu.control("POST", "cckm/keys", {"count": 10000, "kms": "aws-kms", "region": "us-west-2", "alias_prefix": "scale-"})["ids"]
    assert len(ids) == 10000
    started = time.monotonic()
    found = ok(emu.api("GET", KEYS, params={"alias": "scale-9999"}))
    assert found["total"] == 1 and found["resources"][0]["id"] == ids[-1]
    assert time.monotonic() - started < 2


# -- keys ------------------------------------------------------------------------------------


def test_create_key_record_and_aws_truth(emu):
    key = create_key(emu, "app-key", Description="d", Tags=[{"TagKey": "team", "TagValue": "x"}], MultiRegion=False, Policy=None, Origin="")
    assert key["uri"] == f"kylo:kylo:cckm:aws-key:{key['id']}" and key["key_material_origin"] == "native" and key["kms"] == "aws-kms"
    param = key["aws_param"]
    assert param["Alias"] == ["alias/app-key"] and param["KeyState"] == "Enabled" and param["Enabled"] is True
    assert param["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{param['KeyID']}" and param["Policy"]["Id"] == "key-default-1"
    assert param["Tags"] == [{"TagKey": "team", "TagValue": "x"}]
    for stamp in (key["createdAt"], key["updatedAt"]):
        assert TIMESTAMP.match(stamp)
    assert ok(emu.api("GET", f"{KEYS}/{key['id']}")) == key
    assert truth(emu, key)["Aliases"] == ["alias/app-key"]
    error(emu.api("GET", f"{KEYS}/{param['KeyID']}"), 404, "NCERRResourceNotFound")
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "app-key"}}), *aws_conflict(emu),
          "AlreadyExistsException")
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "ap-south-1"}), 400, "NCERRBadRequest", "region")
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "key_users": ["u"], "policytemplate": "x"}), 400, "NCERRBadRequest",
          "mutually exclusive")
    external = create_key(emu, Origin="EXTERNAL")
    assert external["aws_param"]["KeyState"] == "PendingImport" and external["aws_param"]["Enabled"] is False
    mrk = create_key(emu, MultiRegion=True)
    assert mrk["aws_param"]["KeyID"].startswith("mrk-") and mrk["aws_param"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    ok(emu.api("DELETE", f"{KEYS}/{key['id']}"), 204)
    error(emu.api("GET", f"{KEYS}/{key['id']}"), 404, "NCERRResourceNotFound")
    assert truth(emu, key)["KeyState"] == "Enabled"


def test_policy_lists_generate_console_policy(emu):
    key = ok(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "key_users": ["aws-user"], "external_accounts": ["111122223333"],
                                    "key_admins_roles": ["admin-role"], "aws_param": {"Alias": "", "Tags": None}}), 201)
    statements = {s["Sid"]: s for s in key["aws_param"]["Policy"]["Statement"]}
    assert key["aws_param"]["Policy"]["Id"] == "key-consolepolicy-3"
    assert statements["Allow use of the key"]["Principal"]["AWS"] == ["arn:aws:iam::123456789012:user/aws-user", "arn:aws:iam::111122223333:root"]
    assert statements["Allow access for Key Administrators"]["Principal"]["AWS"] == ["arn:aws:iam::123456789012:role/admin-role"]
    assert key["key_users"] == ["aws-user"]
    updated = action(emu, key, "policy", {"Policy": {"Version": "2012-10-17", "Statement": [dict(ROOT_STATEMENT, Sid="only")]}})
    assert truth(emu, key)["Policy"]["Statement"][0]["Sid"] == "only" and updated["key_users"] == []
    error(action(emu, key, "policy", {"policy": {"Statement": [{"Effect": "Deny", "Action": "kms:*"}]}}, status=400), 400, "NCERRBadRequest",
          "MalformedPolicyDocumentException")


def test_key_actions_and_state_rules(emu):
    emu.control("POST", "config", {"fidelity": {"rotation_after_enable": "immediate"}})  # no DisabledException window
    key = create_key(emu, "actions")
    for body in (None, {}, "null"):
        response = emu.api("POST", f"{KEYS}/{key['id']}/disable", data=body) if body == "null" else emu.api("POST", f"{KEYS}/{key['id']}/disable", body)
        assert ok(response)["aws_param"]["KeyState"] == "Disabled"
    error(action(emu, key, "enable-auto-rotation", status=400), 400, "NCERRBadRequest", "DisabledException")
    assert action(emu, key, "enable")["aws_param"]["Enabled"] is True
    rotated = action(emu, key, "enable-auto-rotation", {"rotation_period_in_days": 180})["aws_param"]
    assert rotated["KeyRotationEnabled"] is True and rotated["RotationPeriodInDays"] == 180 and rotated["NextRotationDate"]
    assert action(emu, key, "enable-auto-rotation")["aws_param"]["RotationPeriodInDays"] == 365
    error(action(emu, key, "enable-auto-rotation", {"rotation_period_in_days": 30}, status=400), 400, "NCERRBadRequest", "ValidationException")
    assert action(emu, key, "disable-auto-rotation")["aws_param"]["KeyRotationEnabled"] is False
    assert action(emu, key, "update-description", {"description": "new"})["aws_param"]["Description"] == "new"
    tagged = action(emu, key, "add-tags", {"tags": [{"tag_key": "a", "tag_value": "1"}, {"tag_key": "b", "tag_value": "2"}]})
    assert tagged["aws_param"]["Tags"] == [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]
    assert action(emu, key, "remove-tags", {"tags": ["a"]})["aws_param"]["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    assert action(emu, key, "add-alias", {"alias": "second"})["aws_param"]["Alias"] == ["alias/actions", "alias/second"]
    assert action(emu, key, "delete-alias", {"alias": "second"})["aws_param"]["Alias"] == ["alias/actions"]
    ok(emu.api("POST", "cckm/aws/alias/verify", {"alias": "free-one", "kms": "aws-kms", "region": "us-east-1"}))
    error(emu.api("POST", "cckm/aws/alias/verify", {"alias": "actions", "kms": "aws-kms", "region": "us-east-1"}), *aws_conflict(emu))
    action(emu, key, "rotate-material")
    assert ok(emu.api("GET", f"{KEYS}/{key['id']}/rotate-material/status"))["overall_status"] in ("in_progress", "success")
    error(action(emu, key, "schedule-deletion", {"days": 6}, status=400), 400, "NCERRBadRequest")
    pending = action(emu, key, "schedule-deletion", {"days": 7})
    assert pending["aws_param"]["KeyState"] == "PendingDeletion" and pending["deletion_date"] == pending["aws_param"]["DeletionDate"] != ""
    for name, body in (("enable", None), ("disable", None), ("schedule-deletion", {"days": 7}), ("add-tags", {"tags": [{"tag_key": "c"}]})):
        error(action(emu, key, name, body, status=400), 400, "NCERRBadRequest", "is pending deletion")
    cancelled = action(emu, key, "cancel-deletion")
    assert cancelled["aws_param"]["KeyState"] == "Disabled" and cancelled["deletion_date"] == ""
    error(action(emu, key, "cancel-deletion", status=400), 400, "NCERRBadRequest", "KMSInvalidStateException")
    external = create_key(emu, Origin="EXTERNAL")
    error(action(emu, external, "enable", status=400), 400, "NCERRBadRequest", "KMSInvalidStateException")
    error(action(emu, external, "enable-auto-rotation", status=400), 400, "NCERRBadRequest", "UnsupportedOperationException")
    error(action(emu, key, "import-material", {"source_key_identifier": "k"}, status=400), 400, "NCERRBadRequest", "UnsupportedOperationException")
    assert action(emu, key, "refresh")["id"] == key["id"]
    error(action(emu, key, "no-such-action", status=404), 404, "NCERRResourceNotFound")


def test_import_and_delete_material_seed_004(emu):
    uploaded = ok(emu.api("POST", "cckm/aws/upload-key", {
        "kms": "aws-kms", "region": "us-east-1", "source_key_identifier": "test-key", "source_key_tier": "local", "key_expiration": True,
        "valid_to": "2030-07-03T14:24:00Z", "aws_param": {"Alias": "aws-test-key-External", "Tags": [{"TagKey": "key", "TagValue": "value"}]}}), 201)
    assert uploaded["aws_param"]["KeyState"] == "Enabled" and uploaded["key_material_origin"] == "cckm" and uploaded["local_key_name"] == "test-key"
    deleted = ok(emu.api("POST", f"{KEYS}/{uploaded['id']}/delete-material"))
    assert_shape(DELETE_MATERIAL_EXAMPLE, deleted)
    param = deleted["aws_param"]
    assert (param["KeyState"], param["Enabled"], param["Origin"], param["ExpirationModel"]) == ("PendingImport", False, "EXTERNAL", "KEY_MATERIAL_EXPIRES")
    assert deleted["key_material_origin"] == "cckm" and deleted["local_key_id"] == uploaded["local_key_id"]
    assert truth(emu, deleted)["KeyState"] == "PendingImport"
    error(emu.api("POST", f"{KEYS}/{uploaded['id']}/delete-material", {}), 400, "NCERRBadRequest", "has not been imported")
    error(action(emu, uploaded, "import-material", {"source_key_identifier": "other-key"}, status=400), 400, "NCERRBadRequest",
          "IncorrectKeyMaterialException")
    again = action(emu, uploaded, "import-material", {"source_key_identifier": "test-key", "source_key_tier": "local"})
    assert again["aws_param"]["KeyState"] == "Enabled" and again["aws_param"]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    rotated = action(emu, uploaded, "rotate-material", {"source_key_identifier": "rotated-key"})
    assert rotated["local_key_name"] == "rotated-key" and rotated["aws_param"]["CurrentKeyMaterialId"] != again["aws_param"]["CurrentKeyMaterialId"]
    native = create_key(emu)
    error(action(emu, native, "delete-material", status=400), 400, "NCERRBadRequest", "UnsupportedOperationException")


def test_replicas_and_primary_region(emulator_factory):
    emulator = emulator_factory("--job-delay", "0.3")
    primary = create_key(emulator, "mr", MultiRegion=True)
    replica = action(emulator, primary, "replicate-key", {"replica_region": "eu-west-1", "tags": [{"tag_key": "r", "tag_value": "1"}]})
    assert replica["uri"] == f"kylo:kylo:cckm:aws-replica-key:{replica['id']}" and replica["aws_param"]["KeyState"] == "Creating"
    assert replica["aws_param"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    refreshed = ok(emulator.api("GET", f"{KEYS}/{primary['id']}"))
    assert refreshed["aws_param"]["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": replica["aws_param"]["Arn"], "Region": "eu-west-1"}]
    status, code = aws_conflict(emulator)
    error(action(emulator, primary, "replicate-key", {"replica_region": "eu-west-1"}, status=status), status, code, "AlreadyExistsException")
    error(action(emulator, replica, "replicate-key", {"replica_region": "us-west-2"}, status=400), 400, "NCERRBadRequest",
          "UnsupportedOperationException")
    time.sleep(0.5)
    assert ok(emulator.api("GET", f"{KEYS}/{replica['id']}"))["aws_param"]["KeyState"] == "Enabled"
    swapped = action(emulator, primary, "update-primary-region", {"PrimaryRegion": "eu-west-1"})
    if emulator.fidelity("primary_region_move") == "eventual":  # TF updatePrimaryRegion polls for it (FIDELITY.md)
        assert swapped["aws_param"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
        time.sleep(0.5)
        swapped = ok(emulator.api("GET", f"{KEYS}/{primary['id']}"))
    assert swapped["aws_param"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert ok(emulator.api("GET", f"{KEYS}/{replica['id']}"))["aws_param"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    error(action(emulator, replica, "update-primary-region", {"PrimaryRegion": "us-west-2"}, status=400), 400, "NCERRBadRequest", "NotFoundException")
    new_primary = ok(emulator.api("GET", f"{KEYS}/{replica['id']}"))
    assert action(emulator, new_primary, "schedule-deletion", {"days": 7})["aws_param"]["KeyState"] == "PendingReplicaDeletion"


def test_permissions(emu):
    emu.control("POST", "permissions", {"deny": ["keycreate", "keybulkoperation"]})
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1"}), 403, "NCERRInsufficientPermissions", "keycreate")
    error(emu.api("POST", BULK, {"operation": "enablekey", "keys": ["x"]}), 403, "NCERRInsufficientPermissions")
    ok(emu.api("GET", KEYS))
    emu.control("DELETE", "permissions")
    create_key(emu)


# -- policy templates (seed 003) ---------------------------------------------------------------


def test_policy_template_lifecycle_seed_003(emu):
    emu.control("POST", "config", {"fidelity": {"template_push_job": "bulk"}})  # the push job readable as a bulk job
    created = ok(emu.api("POST", TEMPLATES, {"name": "demo-policy-template", "kms": "aws-kms", "key_users": ["aws-user"],
                                             "key_users_roles": ["iam-role"], "key_admins": ["aws-user"], "key_admins_roles": ["iam-role"]}), 201)
    assert_shape(TEMPLATE_CREATE_EXAMPLE, created, exact=True)
    kms = ok(emu.api("GET", "cckm/aws/kms/aws-kms"))
    assert (created["kms"], created["kms_name"], created["account_id"], created["is_verified"]) == (kms["id"], "aws-kms", 123456789012, False)
    assert created["external_accounts"] is None and re.match(r"^kylo:kylo:cckm:aws-template:[0-9a-f]{8}$", created["uri"])
    assert [s["Sid"] for s in created["policy"]["Statement"]] == ["Enable IAM UserName Permissions", "Allow access for Key Administrators",
                                                                  "Allow use of the key", "Allow attachment of persistent resources"]
    error(emu.api("POST", TEMPLATES, {"name": "demo-policy-template", "kms": "aws-kms"}), 409, "NCERRConflict")
    simple = ok(emu.api("POST", TEMPLATES, {"name": "simple", "kms": kms["id"], "key_users": ["aws-user"], "key_admins": ["aws-user"]}), 201)
    listing = ok(emu.api("GET", f"{TEMPLATES}/", params={"skip": 0, "limit": 10, "sort": "updatedAt"}))
    assert_shape(TEMPLATE_LIST_EXAMPLE, listing)
    assert listing["total"] == 2 and "key-admins" in listing["resources"][0] and "key_admins" not in listing["resources"][0]
    assert ok(emu.api("GET", TEMPLATES, params={"name": "simple", "is_verified": "false", "kms_name": "aws-kms"}))["total"] == 1
    if emu.fidelity("template_ref") == "id_or_name":
        assert ok(emu.api("GET", f"{TEMPLATES}/simple"))["id"] == simple["id"]
    else:  # seed 003: {id} is the template ID
        error(emu.api("GET", f"{TEMPLATES}/simple"), 404, "NCERRResourceNotFound")

    patched = ok(emu.api("PATCH", f"{TEMPLATES}/{simple['id']}", {"key_users": ["aws-user"], "key_admins": ["aws-user", "other"]}))
    assert patched["is_verified"] is False and "job_id" not in patched and patched["key-admins"] == ["aws-user", "other"]
    key = ok(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "policytemplate": simple["id"]}), 201)
    assert {"TagKey": "cckm_policy_template_id", "TagValue": simple["id"]} in key["aws_param"]["Tags"]
    assert ok(emu.api("GET", KEYS, params={"cckm_policy_template_id": simple["id"]}))["total"] == 1
    fetched = ok(emu.api("GET", f"{TEMPLATES}/{simple['id']}"))
    assert_shape(TEMPLATE_GET_EXAMPLE, fetched)
    assert fetched["is_verified"] is True

    error(emu.api("PATCH", f"{TEMPLATES}/{simple['id']}", {"key_users": ["new-user"]}), 400, "NCERRBadRequest", "auto_push must be set to true")
    pushed = ok(emu.api("PATCH", f"{TEMPLATES}/{simple['id']}", {"key_users": ["new-user"], "key_admins": ["aws-user"], "auto_push": True}))
    assert_shape(TEMPLATE_PATCH_EXAMPLE, pushed)
    assert pushed["is_verified"] is True and pushed["job_status"] == "in_progress"
    job = wait_job(emu, BULK, pushed["job_id"])
    assert job["operation"] == "applypolicytemplate" and job["policy_template_id"] == simple["id"] and job["detailed_status"] == {key["id"]: "Success"}
    users = [s for s in truth(emu, key)["Policy"]["Statement"] if s["Sid"] == "Allow use of the key"][0]["Principal"]["AWS"]
    assert users == ["arn:aws:iam::123456789012:user/new-user"]

    error(emu.api("DELETE", f"{TEMPLATES}/{simple['id']}"), 400, "NCERRBadRequest", "has one or more key associated")
    action(emu, key, "schedule-deletion", {"days": 7})
    error(emu.api("DELETE", f"{TEMPLATES}/{simple['id']}"), 400, "NCERRBadRequest", "has one or more key associated")
    ok(emu.api("DELETE", f"{KEYS}/{key['id']}"), 204)
    assert ok(emu.api("PATCH", f"{TEMPLATES}/{simple['id']}", {"key_users": ["aws-user"]}))["is_verified"] is False
    deleted = emu.api("DELETE", f"{TEMPLATES}/{simple['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    error(emu.api("GET", f"{TEMPLATES}/{simple['id']}"), 404, "NCERRResourceNotFound")


def test_policy_template_rules(emu):
    error(emu.api("POST", TEMPLATES, {"kms": "aws-kms"}), 400, "NCERRBadRequest", "name")
    error(emu.api("POST", TEMPLATES, {"name": "t", "kms": "aws-kms", "account_id": ACCOUNT}), 400, "NCERRBadRequest", "mutually exclusive")
    error(emu.api("POST", TEMPLATES, {"name": "t", "key_users": ["u"]}), 400, "NCERRBadRequest", "policy is required")
    error(emu.api("POST", TEMPLATES, {"name": "t", "kms": "aws-kms", "key_users": ["u"], "policy": CONSOLE_POLICY}), 400, "NCERRBadRequest",
          "mutually exclusive")
    default = ok(emu.api("POST", TEMPLATES, {"name": "t", "account_id": "210987654321", "kms": ""}), 201)
    assert default["policy"]["Id"] == "key-default-1" and default["account_id"] == 210987654321 and default["kms"] == ""
    unscoped = ok(emu.api("POST", TEMPLATES, {"name": "free", "Policy": CONSOLE_POLICY}), 201)
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "policytemplate": unscoped["id"]}), 400, "NCERRBadRequest")
    error(emu.api("POST", KEYS, {"kms": "aws-kms", "region": "us-east-1", "policytemplate": default["id"]}), 400, "NCERRBadRequest", "account")
    other = ok(emu.api("POST", KEYS, {"kms": "aws-kms-2", "region": "us-east-1", "policytemplate": default["id"]}), 201)
    assert other["aws_param"]["Policy"]["Id"] == "key-default-1"
    emu.control("POST", "config", {"admins_naming": "underscore"})
    scoped = ok(emu.api("POST", TEMPLATES, {"name": "u", "kms": "aws-kms", "key_admins": ["a"]}), 201)
    assert ok(emu.api("GET", f"{TEMPLATES}/{scoped['id']}"))["key_admins"] == ["a"]


# -- bulk jobs (seed 001) ---------------------------------------------------------------------


def test_bulk_job_seed_001(emu):
    ids = emu.control("POST", "cckm/keys", {"count": 2, "state": "Disabled"})["ids"]
    created = ok(emu.api("POST", BULK, {"operation": "enablekey", "keys": ids + ["2387500d-bcac-4055-a48d-19592c3332fg"]}), 201)
    assert_shape(BULK_CREATE_EXAMPLE, created, exact=True)
    assert created["uri"] == f"kylo:kylo:cckm:bulkjob:{created['id']}" and created["overall_status"] == "in_progress"
    job = wait_job(emu, BULK, created["id"])
    assert job["overall_status"] == "completed" and TIMESTAMP.match(job["completed_at"]) and job["abort"] is False
    assert job["detailed_status"][ids[0]] == job["detailed_status"][ids[1]] == "Success"
    assert "not found" in job["detailed_status"]["2387500d-bcac-4055-a48d-19592c3332fg"]
    assert {k["KeyState"] for k in emu.aws_keys("us-east-1")} == {"Enabled"}
    listed = ok(emu.api("GET", BULK, params={"overall_status": "completed"}))
    assert listed["total"] == 1 and listed["resources"][0]["id"] == created["id"]
    error(emu.api("POST", BULK, {"operation": "enablekey", "keys": [f"k{i}" for i in range(101)]}), 400, "NCERRBadRequest", "100")
    error(emu.api("POST", BULK, {"operation": "explode", "keys": ids}), 400, "NCERRBadRequest")


def test_bulk_job_failures_parallel_jobs_and_cancel(emu):
    ids = emu.control("POST", "cckm/keys", {"count": 3})["ids"]
    emu.control("POST", "fail-keys", {"key_ids": [ids[0]], "message": "simulated AWS throttling"})
    scheduled = ok(emu.api("POST", BULK, {"operation": "schedulekeydeletion", "keys": ids[:2]}), 201)
    disabled = ok(emu.api("POST", BULK, {"operation": "disablekey", "keys": [ids[2]]}), 201)
    first, second = wait_job(emu, BULK, scheduled["id"]), wait_job(emu, BULK, disabled["id"])
    assert first["detailed_status"] == {ids[0]: "simulated AWS throttling", ids[1]: "Success"} and first["days"] == 30
    assert second["detailed_status"] == {ids[2]: "Success"}
    again = wait_job(emu, BULK, ok(emu.api("POST", BULK, {"operation": "schedulekeydeletion", "days": 7, "keys": [ids[1]]}), 201)["id"])
    assert "is pending deletion" in again["detailed_status"][ids[1]]
    template = ok(emu.api("POST", TEMPLATES, {"name": "acct2", "kms": "aws-kms-2", "key_users": ["u"]}), 201)
    apply = {"operation": "applypolicytemplate", "policy_template_id": template["id"], "keys": [ids[2]]}
    cross = wait_job(emu, BULK, ok(emu.api("POST", BULK, apply), 201)["id"])
    assert cross["detailed_status"][ids[2]] != "Success"
    emu.control("POST", "config", {"job_delay": 1.0})
    slow = ok(emu.api("POST", BULK, {"operation": "enablekey", "keys": [ids[2]]}), 201)
    cancelled = ok(emu.api("POST", f"{BULK}/{slow['id']}/cancel"))
    assert cancelled["abort"] is True
    finished = wait_job(emu, BULK, slow["id"])
    assert finished["detailed_status"] == {ids[2]: "Aborted"} and finished["abort"] is True
    assert ok(emu.api("POST", f"{BULK}/{first['id']}/cancel"))["overall_status"] == "completed"


# -- synchronization jobs (seed 002) --------------------------------------------------------------


def test_sync_job_seed_002(emu):
    created = ok(emu.api("POST", SYNC, {"kms": ["aws-kms"], "synchronize_all": False, "regions": ["us-east-1"]}), 201)
    assert_shape(SYNC_CREATE_EXAMPLE, created, exact=True)
    assert created["kms"] == ["aws-kms"] and created["regions"] == ["us-east-1"] and created["uri"].endswith(created["id"])
    job = wait_job(emu, SYNC, created["id"])
    assert job["detailed_status"] == {f"{ACCOUNT}/us-east-1": "region synchronized successfully"} and TIMESTAMP.match(job["completed_at"])
    error(emu.api("POST", SYNC, {"synchronize_all": True, "kms": ["aws-kms"]}), 400, "NCERRBadRequest")
    error(emu.api("POST", SYNC, {}), 400, "NCERRBadRequest")
    error(emu.api("POST", SYNC, {"kms": ["nope"]}), 404, "NCERRResourceNotFound")


def test_sync_imports_out_of_band_keys_and_marks_gone(emu):
    known = create_key(emu, "known")
    outside = emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "made-in-aws", "tags": {"owner": "aws"}})
    assert ok(emu.api("GET", KEYS, params={"keyid": outside["KeyId"]}))["total"] == 0
    emu.control("POST", f"aws/keys/{known['aws_param']['KeyID']}/delete", {"region": "us-east-1"})
    job = wait_job(emu, SYNC, ok(emu.api("POST", SYNC, {"kms": ["aws-kms"]}), 201)["id"])
    assert set(job["detailed_status"]) == {f"{ACCOUNT}/{r}" for r in ("us-east-1", "us-west-2", "eu-west-1")}
    assert job["summary"] == {"added": 1, "updated": 0, "gone": 1}
    imported = ok(emu.api("GET", KEYS, params={"keyid": outside["KeyId"]}))["resources"][0]
    assert imported["key_material_origin"] == "native" and imported["aws_param"]["Alias"] == ["alias/made-in-aws"]
    assert imported["aws_param"]["Arn"] == outside["Arn"] and imported["synced_at"]
    assert ok(emu.api("GET", f"{KEYS}/{known['id']}"))["gone"] is True
    assert ok(emu.api("GET", KEYS, params={"gone": "true"}))["total"] == 1
    emu.control("POST", "config", {"job_delay": 1.0})
    running = ok(emu.api("POST", SYNC, {"synchronize_all": True}), 201)
    error(emu.api("POST", SYNC, {"kms": ["aws-kms-2"]}), *aws_conflict(emu), "already in progress")
    assert ok(emu.api("POST", f"{SYNC}/{running['id']}/cancel"))["abort"] is True
    assert wait_job(emu, SYNC, running["id"])["overall_status"] == "completed"
    assert ok(emu.api("GET", SYNC, params={"kms": "aws-kms"}))["total"] == 1 and ok(emu.api("GET", SYNC))["total"] == 2


# -- faults, TLS, stats ------------------------------------------------------------------------


def test_random_faults(emulator_factory):
    emulator = emulator_factory("--fault-rate", "1", "--seed", "1")
    outcomes = set()
    for index in range(40):
        method = "GET" if index % 2 else "POST"
        try:
            response = emulator.session.request(method, f"{emulator.url}/api/v1/cckm/aws/kms", timeout=5)
        except requests.ConnectionError:
            outcomes.add("drop")
            continue
        outcomes.add(response.status_code)
        if response.status_code in (429, 503):
            assert response.headers["Retry-After"] == "1"
        assert "codeDesc" in response.json()
    assert {500, 503, 429, "drop"} <= outcomes
    assert outcomes <= {500, 502, 503, 429, "drop"}
    assert emulator.stats()["requests"] == 40
    faults = emulator.stats()["faults"]
    assert faults["injected"] == 40 and faults["routes"] == {"GET /api/v1/cckm/aws/kms": 20, "POST /api/v1/cckm/aws/kms": 20}
    assert 0 < faults["ambiguous"] < 20
    emulator.control("POST", "config", {"fault_rate": 0})
    ok(emulator.api("GET", "cckm/aws/kms"))


def test_deterministic_faults_and_ambiguous_writes(emu):
    emu.token()
    emu.control("POST", "faults", {"rules": [
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 503, "retry_after": 2},
        {"method": "POST", "path": "/api/v1/cckm/aws/keys", "status": 500, "phase": "after"},
        {"method": "POST", "path": "/api/v1/cckm/aws/keys/{id}/disable", "drop": True, "phase": "after"}]})
    body = {"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "ambiguous"}}
    refused = emu.api("POST", KEYS, body)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert ok(emu.api("GET", KEYS))["total"] == 0
    error(emu.api("POST", KEYS, body), 500, "NCERRInternalServerError")
    keys = ok(emu.api("GET", KEYS, params={"alias": "ambiguous"}))["resources"]
    assert len(keys) == 1 and [k["Aliases"] for k in emu.aws_keys()] == [["alias/ambiguous"]]
    with pytest.raises(requests.ConnectionError):
        emu.api("POST", f"{KEYS}/{keys[0]['id']}/disable")
    assert emu.aws_keys()[0]["KeyState"] == "Disabled"
    assert emu.control("GET", "faults")["rules"] == []
    assert emu.stats()["faults"] == {"injected": 3, "ambiguous": 2, "routes": {
        "POST /api/v1/cckm/aws/keys": 2, "POST /api/v1/cckm/aws/keys/{id}/disable": 1}}
    emu.control("POST", "faults", {"rules": [{"method": "GET", "path": "/api/v1/cckm/aws/kms", "status": 401, "count": 1}]})
    error(emu.session.get(f"{emu.url}/api/v1/cckm/aws/kms", headers={"Authorization": f"Bearer {emu.token()}"}, timeout=10), 401,
          "NCERRUnauthorizedAccess")
    emu.control("DELETE", "faults")


def test_tls_mode(emulator_factory):
    emulator = emulator_factory("--tls")
    assert emulator.url.startswith("https://127.0.0.1:") and emulator.ca_file
    ok(requests.post(f"{emulator.url}/api/v1/auth/tokens", json={"username": "admin", "password": "admin"}, verify=emulator.ca_file, timeout=10))
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator.url}/_emulator/health", verify=True, timeout=10)
    localhost = emulator.url.replace("127.0.0.1", "localhost")
    assert ok(requests.get(f"{localhost}/_emulator/health", verify=emulator.ca_file, timeout=10))["status"] == "ok"


def test_stats_count_routes_not_control_calls(emu):
    key = create_key(emu)
    action(emu, key, "disable")
    ok(emu.api("GET", f"{KEYS}/{key['id']}/"))
    ok(emu.api("GET", "cckm/aws/kms/aws-kms"))
    emu.control("GET", "aws/keys")
    routes = emu.stats()["routes"]
    assert routes == {"POST /api/v1/auth/tokens": 1, "POST /api/v1/cckm/aws/keys": 1, "POST /api/v1/cckm/aws/keys/{id}/disable": 1,
                      "GET /api/v1/cckm/aws/keys/{id}": 1, "GET /api/v1/cckm/aws/kms/{id}": 1}
    assert emu.stats()["requests"] == 5
    emu.control("POST", "stats/reset")
    assert emu.stats() == {"requests": 0, "routes": {}, "faults": {"injected": 0, "ambiguous": 0, "routes": {}}}


def test_reset_restores_seed_state_and_settings(emu):
    create_key(emu)
    emu.control("POST", "config", {"latency_ms": 5, "job_delay": 2})
    emu.reset()
    assert emu.control("GET", "config")["latency_ms"] == 0 and emu.control("GET", "config")["job_delay"] == 0.05
    assert ok(emu.api("GET", KEYS))["total"] == 0 and emu.aws_keys() == []
    assert ok(emu.api("GET", "cckm/aws/kms"))["total"] == 2


def test_scheduler_job_configs_for_periodic_sync(emu):
    emu.control("POST", "config", {"fidelity": {"scheduler_params": "as_sent"}})  # names accepted, params echoed (lenient)
    path = "scheduler/job-configs"
    body = {"name": "nightly-sync", "operation": "cckm_synchronization", "run_at": "0 1 * * *",
            "cckm_synchronization_params": {"cloud_name": "aws", "kms": ["aws-kms"]}}
    created = ok(emu.api("POST", path, body), 201)
    assert created["run_at"] == "0 1 * * *" and created["disabled"] is False
    error(emu.api("POST", path, body), 409, "NCERRConflict")
    error(emu.api("POST", path, dict(body, name="bad", run_at="daily")), 400, "NCERRBadRequest", "cron")
    error(emu.api("POST", path, dict(body, name="bad", cckm_synchronization_params={"kms": ["nope"]})), 404, "NCERRResourceNotFound")
    assert ok(emu.api("PATCH", f"{path}/nightly-sync", {"run_at": "0 2 * * *", "disabled": True}))["disabled"] is True
    assert ok(emu.api("GET", path, params={"operation": "cckm_synchronization"}))["total"] == 1
    ok(emu.api("DELETE", f"{path}/{created['id']}"), 204)
    error(emu.api("GET", f"{path}/{created['id']}"), 404, "NCERRResourceNotFound")


def test_scheduler_strict_profile_takes_kms_ids_and_reads_back_job_config_params(emu):
    """TF cm/resource_scheduler.go: "a list of kms resource ID's"; reads job_config_params; Update blanks cloud_name."""
    emu.control("POST", "config", {"fidelity": {"scheduler_params": "job_config_params"}})
    kms_id = next(k["id"] for k in ok(emu.api("GET", "cckm/aws/kms"))["resources"] if k["name"] == "aws-kms")
    body = {"name": "nightly", "operation": "cckm_synchronization", "run_at": "0 1 * * *",
            "cckm_synchronization_params": {"cloud_name": "aws", "kms": ["aws-kms"]}}
    error(emu.api("POST", "scheduler/job-configs", body), 404, "NCERRResourceNotFound", "aws-kms")
    created = ok(emu.api("POST", "scheduler/job-configs", dict(body, cckm_synchronization_params={"cloud_name": "aws", "kms": [kms_id]})), 201)
    assert created["job_config_params"] == {"cloud_name": "aws", "kms": [kms_id], "synchronize_all": False}
    assert "cckm_synchronization_params" not in created
    patched = ok(emu.api("PATCH", f"scheduler/job-configs/{created['id']}", {"cckm_synchronization_params": {"kms": [kms_id]}}))
    assert patched["job_config_params"]["cloud_name"] == "aws"


# -- rotation schedules, rotation jobs on keys, upload-key ---------------------------------------------------

ROTATION = {"name": "weekly-rotation", "operation": "cckm_key_rotation", "run_at": "0 9 * * sat", "run_on": "any",
            "cckm_key_rotation_params": {"cloud_name": "aws", "expiration": "2d", "aws_param": {"retain_alias": True}}}  # TF docs example


@pytest.mark.parametrize("answer", ["aw_param", "aws_param"])
def test_rotation_schedules_validate_their_params_and_read_them_back(emu, answer):
    """TF cm/resource_scheduler.go: cloud_name aws/oci, expiration/expire_in as Xd/Yh, aws_param {retain_alias, rotate_material};
    reads under job_config_params, the AWS options under TF's aw_param or as sent (FIDELITY.md rotation_params_read)."""
    emu.control("POST", "config", {"fidelity": {"scheduler_params": "job_config_params", "rotation_params_read": answer}})
    path = "scheduler/job-configs"
    created = ok(emu.api("POST", path, ROTATION), 201)
    assert created["job_config_params"] == {"cloud_name": "aws", "expiration": "2d", "expire_in": "",
                                            answer: {"retain_alias": True, "rotate_material": False}}
    for bad in ({"expiration": "2 days"}, {"expire_in": "6m"}, {"cloud_name": "azure"}, {"aws_param": {"retain_alias": "yes"}}):
        body = dict(ROTATION, name="bad", cckm_key_rotation_params=dict(ROTATION["cckm_key_rotation_params"], **bad))
        error(emu.api("POST", path, body), 400, "NCERRBadRequest")
    patched = ok(emu.api("PATCH", f"{path}/{created['id']}", {"cckm_key_rotation_params": {"expire_in": "6h", "aws_param": {"rotate_material": True}}}))
    assert patched["job_config_params"] == {"cloud_name": "aws", "expiration": "2d", "expire_in": "6h",
                                            answer: {"retain_alias": True, "rotate_material": True}}
    bare = ok(emu.api("POST", path, {"name": "bare", "operation": "cckm_key_rotation", "run_at": "0 1 * * *"}), 201)  # DOC: optional
    assert "job_config_params" not in bare and "cckm_key_rotation_params" not in bare
    emu.control("POST", "config", {"fidelity": {"scheduler_params": "as_sent"}})
    assert ok(emu.api("GET", f"{path}/{created['id']}"))["cckm_key_rotation_params"]["aws_param"] == {"retain_alias": True, "rotate_material": True}


@pytest.mark.parametrize("answer", ["flagged", "cleared"])
def test_rotation_jobs_attach_move_and_detach_keys(emu, answer):
    """DOC aws-api-rotate / aws-api-disabling; DOC res-params-klcm (job_config_id, disable_encrypt_on_auto_rotate);
    what a detach leaves on the record is the rotation_job_record flag."""
    emu.control("POST", "config", {"fidelity": {"rotation_job_record": answer}})
    weekly = ok(emu.api("POST", "scheduler/job-configs", ROTATION), 201)
    daily = ok(emu.api("POST", "scheduler/job-configs", dict(ROTATION, name="daily", run_at="0 1 * * *")), 201)
    sync = ok(emu.api("POST", "scheduler/job-configs", {"name": "sync", "operation": "cckm_synchronization", "run_at": "0 1 * * *",
                                                        "cckm_synchronization_params": {"cloud_name": "aws", "synchronize_all": True}}), 201)
    key = create_key(emu, "rotated")
    assert key["job_config_id"] == "" and key.get("rotation_job_enabled", False) is False
    attached = action(emu, key, "enable-rotation-job", {"job_config_id": weekly["id"], "auto_rotate_disable_encrypt": True,
                                                        "auto_rotate_key_source": "local"})
    assert attached["job_config_id"] == weekly["id"] and attached["disable_encrypt_on_auto_rotate"] is True
    assert ("rotation_job_enabled" in attached) is (answer == "flagged") and attached.get("rotation_job_enabled", True) is True
    assert emu.control("GET", "cckm/rotation-jobs")["keys"][key["id"]]["auto_rotate_key_source"] == "local"
    moved = action(emu, key, "enable-rotation-job", {"job_config_id": daily["id"], "auto_rotate_key_source": "ciphertrust"})  # TF's name
    assert moved["job_config_id"] == daily["id"] and moved["disable_encrypt_on_auto_rotate"] is False
    assert ok(emu.api("GET", KEYS, params={"rotation_job_enabled": "true"}))["total"] == 1
    error(action(emu, key, "enable-rotation-job", {"job_config_id": sync["id"]}, status=400), 400, "NCERRBadRequest", "cckm_key_rotation")
    error(action(emu, key, "enable-rotation-job", {"job_config_id": "00000000-0000-0000-0000-00000000beef"}, status=404), 404,
          "NCERRResourceNotFound")
    error(action(emu, key, "enable-rotation-job", {"job_config_id": weekly["id"], "auto_rotate_key_source": "vault"}, status=400), 400,
          "NCERRBadRequest", "auto_rotate_key_source")
    error(action(emu, key, "enable-rotation-job", {"job_config_id": weekly["id"], "auto_rotate_disable_encrypt": True,
                                                   "auto_rotate_disable_encrypt_on_all_accounts": True}, status=400), 400, "NCERRBadRequest",
          "mutually exclusive")
    error(action(emu, key, "enable-rotation-job", {}, status=400), 400, "NCERRBadRequest", "job_config_id")
    detached = action(emu, key, "disable-rotation-job")
    if answer == "flagged":
        assert detached["rotation_job_enabled"] is False and detached["job_config_id"] == daily["id"]  # the stale id stays
    else:
        assert detached["job_config_id"] == "" and "rotation_job_enabled" not in detached
    assert ok(emu.api("GET", KEYS, params={"rotation_job_enabled": "true"}))["total"] == 0
    assert action(emu, key, "disable-rotation-job")["id"] == key["id"]  # detaching a detached key is accepted (assumed)
    assert key["id"] not in emu.control("GET", "cckm/rotation-jobs")["keys"]


@pytest.mark.parametrize("answer", ["keeps", "rollback"])
def test_upload_key_needs_a_source_key_and_a_failed_import_leaves_what_the_flag_says(emu, answer):
    """TF resource_aws_key.go uploadKey (UploadAWSKeyPayloadJSON); DOC aws-api-upload (source_key_identifier required)."""
    emu.control("POST", "config", {"fidelity": {"upload_failure": answer}})
    body = {"kms": "aws-kms", "region": "us-east-1", "source_key_identifier": "cm-key", "source_key_tier": "local", "key_expiration": False,
            "aws_param": {"Alias": "byok", "Description": "BYOK", "ValidTo": "", "Origin": "EXTERNAL"}, "key_admins": ["alice"]}
    error(emu.api("POST", "cckm/aws/upload-key", dict(body, source_key_identifier="")), 400, "NCERRBadRequest", "source_key_identifier")
    uploaded = ok(emu.api("POST", "cckm/aws/upload-key", body), 201)
    assert (uploaded["aws_param"]["Origin"], uploaded["aws_param"]["KeyState"], uploaded["key_material_origin"]) == ("EXTERNAL", "Enabled", "cckm")
    assert uploaded["key_admins"] == ["alice"] and uploaded["aws_param"]["Alias"] == ["alias/byok"]
    expiring = ok(emu.api("POST", "cckm/aws/upload-key", dict(body, key_expiration=True, aws_param=dict(
        body["aws_param"], Alias="byok-2", ValidTo="2030-07-03T14:24:00Z"))), 201)
    assert expiring["aws_param"]["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    emu.control("POST", "fail-uploads", {"aliases": ["byok-3"], "message": "source key cm-key cannot be exported"})
    error(emu.api("POST", "cckm/aws/upload-key", dict(body, aws_param=dict(body["aws_param"], Alias="byok-3"))), 400, "NCERRBadRequest",
          "cannot be exported")
    left = ok(emu.api("GET", KEYS, params={"alias": "byok-3"}))["resources"]
    if answer == "keeps":
        assert [k["aws_param"]["KeyState"] for k in left] == ["PendingImport"]
    else:
        assert left == [] and not any(k["Aliases"] == ["alias/byok-3"] for k in emu.aws_keys())
