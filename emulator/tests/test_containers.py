"""AWS connections and KMS containers: the endpoints a bootstrap from an empty CipherTrust Manager needs (FIDELITY.md rows)."""

import subprocess
import sys


CONNECTIONS = "connectionmgmt/services/aws/connections"
KMS = "cckm/aws/kms"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def ok(response, status=200):
    assert response.status_code == status, f"{response.request.method} {response.url}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def refused(response, status, text=""):
    body = response.json()
    assert response.status_code == status and set(body) >= {"code", "codeDesc", "message"}, body
    assert text in body["message"], body
    return body


def connection(emu, name="conn-a", **fields):
    body = dict({"name": name, "products": ["cckm"], "access_key_id": "AKIAEXAMPLE0001", "secret_access_key": SECRET}, **fields)
    return ok(emu.api("POST", CONNECTIONS, body), 201)


def kms(emu, name="kms-a", conn="conn-a", account="111122223333", regions=("us-east-1", "eu-west-1"), status=201, **fields):
    response = emu.api("POST", KMS, dict({"name": name, "account_id": account, "connection": conn, "regions": list(regions)}, **fields))
    return ok(response, status) if status < 400 else response


def test_seeded_connections_back_the_seeded_kms_and_empty_starts_with_neither(emu):
    names = {c["name"] for c in ok(emu.api("GET", CONNECTIONS, params={"limit": -1}))["resources"]}
    assert names == {"aws-connection", "aws-connection-2"}
    assert {k["connection"] for k in ok(emu.api("GET", KMS, params={"limit": -1}))["resources"]} <= names
    emu.reset(empty=True)
    assert ok(emu.api("GET", CONNECTIONS))["total"] == 0 and ok(emu.api("GET", KMS))["total"] == 0
    emu.reset()
    assert ok(emu.api("GET", KMS))["total"] == 2


def test_the_empty_flag_starts_and_resets_with_nothing(emulator_factory):
    empty = emulator_factory("--empty")
    assert ok(empty.api("GET", KMS))["total"] == 0 and ok(empty.api("GET", CONNECTIONS))["total"] == 0
    connection(empty)
    empty.reset()
    assert ok(empty.api("GET", CONNECTIONS))["total"] == 0
    empty.reset(empty=False)
    assert ok(empty.api("GET", KMS))["total"] == 2


def test_connection_secrets_are_write_only(emu):
    created = connection(emu, description="bootstrap", labels={"team": "sec"})
    assert created["access_key_id"] == "AKIAEXAMPLE0001"   # TF: CM echoes access_key_id back
    for record in (created, ok(emu.api("GET", f"{CONNECTIONS}/{created['id']}")), ok(emu.api("GET", CONNECTIONS))):
        assert SECRET not in str(record) and "secret_access_key" not in str(record)
    before = emu.control("GET", "connections/secrets")["conn-a"]
    assert before["writes"] == 1 and SECRET not in str(before)
    ok(emu.api("PATCH", f"{CONNECTIONS}/{created['id']}", {"secret_access_key": "another-secret-value"}))
    after = emu.control("GET", "connections/secrets")["conn-a"]
    assert after["writes"] == 2 and after["secret_access_key"] != before["secret_access_key"]


def test_connection_defaults_filters_and_patch_rules(emu):
    created = connection(emu, cloud_name="aws-us-gov", labels={"team": "sec", "env": "prod"})
    # TF Read: CM returns server defaults for what was not sent
    assert (created["aws_region"], created["aws_sts_regional_endpoints"], created["is_role_anywhere"]) == ("us-gov-east-1", "legacy", False)
    assert [c["name"] for c in ok(emu.api("GET", CONNECTIONS, params={"name": "conn-a"}))["resources"]] == ["conn-a"]
    assert ok(emu.api("GET", CONNECTIONS, params={"cloud_name": "aws"}))["total"] == 2
    assert ok(emu.api("GET", f"{CONNECTIONS}/conn-a"))["id"] == created["id"]   # PowerShell: name, ID or URI
    path = f"{CONNECTIONS}/{created['id']}"
    patched = ok(emu.api("PATCH", path, {"description": "d1", "labels": {"env": None, "tier": "1"}}))
    assert patched["labels"] == {"team": "sec", "tier": "1"}   # TF ApplyNullDeletes: null deletes a label
    assert ok(emu.api("PATCH", path, {"description": ""}))["description"] == "d1"   # TF: "" does not clear it
    refused(emu.api("PATCH", path, {"name": "renamed"}), 400, "cannot be changed")
    refused(emu.api("PATCH", path, {"is_role_anywhere": True}), 400, "cannot be changed")
    refused(emu.api("POST", CONNECTIONS, {"name": "conn-a", "access_key_id": "A", "secret_access_key": "S"}), 409, "already exists")
    refused(emu.api("POST", CONNECTIONS, {"name": "x", "products": ["nope"]}), 422, "nope")
    refused(emu.api("POST", CONNECTIONS, {"name": "x", "cloud_name": "azure"}), 400, "cloud_name")
    refused(emu.api("POST", CONNECTIONS, {"name": "x", "access_key_id": "AKIA"}), 400, "together")


def test_iam_roles_anywhere_connections_take_a_certificate_not_an_access_key(emu):
    anywhere = {"anywhere_role_arn": "arn:aws:iam::111122223333:role/r", "certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                "profile_arn": "arn:aws:rolesanywhere:us-east-1:111122223333:profile/p",
                "trust_anchor_arn": "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/t", "private_key": "-----BEGIN KEY-----x"}
    created = ok(emu.api("POST", CONNECTIONS, {"name": "anywhere", "is_role_anywhere": True, "iam_role_anywhere": anywhere}), 201)
    assert created["iam_role_anywhere"] == {k: v for k, v in anywhere.items() if k != "private_key"}
    refused(emu.api("POST", CONNECTIONS, {"name": "a2", "is_role_anywhere": True, "iam_role_anywhere": anywhere, "secret_access_key": "s"}),
            400, "Secret Access Key should be null")
    refused(emu.api("POST", CONNECTIONS, {"name": "a3", "is_role_anywhere": True}), 400, "iam_role_anywhere needs")


def test_kms_create_validates_connection_account_and_regions(emu):
    created_connection = connection(emu)
    created = kms(emu, conn=created_connection["id"])
    expected = "conn-a" if emu.fidelity("kms_connection_ref") == "name" else created_connection["id"]
    assert (created["connection"], created["status"], created["acls"]) == (expected, "active", [])
    assert ok(emu.api("GET", f"{KMS}/{created['id']}"))["regions"] == ["us-east-1", "eu-west-1"]
    refused(kms(emu, name="kms-b", conn="no-such-connection", status=404), 404, "no-such-connection")
    refused(kms(emu, name="kms-b", account="12345", status=400), 400, "12-digit")
    refused(kms(emu, name="kms-b", regions=["mars-1"], status=400), 400, "mars-1")
    refused(kms(emu, name="kms-b", regions=[], status=400), 400, "required")
    refused(kms(emu, status=409), 409, "already exists")
    refused(kms(emu, name="kms-b", assume_role_external_id="ext", status=400), 400, "only with assume_role_arn")


def test_kms_patch_replaces_regions_and_refuses_dropping_a_region_with_keys(emu):
    connection(emu)
    created = kms(emu)
    path = f"{KMS}/{created['id']}"
    assert ok(emu.api("PATCH", path, {"regions": ["us-east-1", "us-west-2"]}))["regions"] == ["us-east-1", "us-west-2"]
    ok(emu.api("POST", "cckm/aws/keys", {"kms": "kms-a", "region": "us-west-2"}), 201)
    refused(emu.api("PATCH", path, {"regions": ["us-east-1"]}), 400, "hold keys")
    refused(emu.api("PATCH", path, {"account_id": "999999999999"}), 400, "cannot be changed")
    connection(emu, name="conn-b")
    assert ok(emu.api("PATCH", path, {"connection": "conn-b"}))["connection"] == "conn-b"


def test_kms_delete_with_keys_follows_the_profile_and_connections_in_use_stay(emu):
    connection(emu)
    created = kms(emu)
    refused(emu.api("DELETE", f"{CONNECTIONS}/conn-a"), 400, "in use")
    key = ok(emu.api("POST", "cckm/aws/keys", {"kms": "kms-a", "region": "us-east-1"}), 201)
    response = emu.api("DELETE", f"{KMS}/{created['id']}")
    if emu.fidelity("kms_delete_with_keys") == "refused":
        refused(response, 400, "has 1 key")
        ok(emu.api("DELETE", f"cckm/aws/keys/{key['id']}"), 204)
        ok(emu.api("DELETE", f"{KMS}/{created['id']}"), 204)
    else:
        ok(response, 204)
    assert emu.api("GET", f"cckm/aws/keys/{key['id']}").status_code == 404
    ok(emu.api("DELETE", f"{CONNECTIONS}/conn-a"), 204)
    assert emu.api("GET", f"{CONNECTIONS}/conn-a").status_code == 404


def test_update_acls_permits_and_revokes_actions(emu):
    connection(emu)
    created = kms(emu)
    path = f"{KMS}/{created['id']}/update-acls"
    record = ok(emu.api("POST", path, {"acls": [{"user_id": "local|u1", "permit": True, "actions": ["keycreate", "keyupdate"]},
                                                {"group": "CCKM Users", "permit": True, "actions": ["view"]}]}))
    acls = {a["user_id"] or a["group"]: set(a["actions"]) for a in record["acls"]}
    auto = {"viewnative", "viewbyok"} if emu.fidelity("acl_view_actions") == "added" else set()
    assert acls == {"local|u1": {"keycreate", "keyupdate"} | auto, "CCKM Users": {"viewnative", "viewbyok"}}
    record = ok(emu.api("POST", path, {"acls": [{"user_id": "local|u1", "permit": False, "actions": ["keyupdate"]}]}))
    assert {a["user_id"] or a["group"]: set(a["actions"]) for a in record["acls"]}["local|u1"] == {"keycreate"} | auto
    record = ok(emu.api("POST", path, {"acls": [{"group": "CCKM Users", "permit": False, "actions": ["viewnative", "viewbyok"]}]}))
    assert [a["group"] for a in record["acls"] if a["group"]] == []   # an entry left without actions is gone
    assert ok(emu.api("GET", f"{KMS}/{created['id']}"))["acls"] == record["acls"]
    refused(emu.api("POST", path, {"acls": [{"user_id": "u", "group": "g", "actions": ["keycreate"]}]}), 400, "exactly one")
    refused(emu.api("POST", path, {"acls": [{"user_id": "u", "actions": ["fly"]}]}), 400, "fly")


def test_run_starts_an_empty_emulator_with_empty():
    show = ("import os, requests; host = os.environ['CIPHERTRUST_HOST']; "
            "jwt = requests.post(host + '/api/v1/auth/tokens', json={'username': 'admin', 'password': os.environ['CIPHERTRUST_PASSWORD']}).json()['jwt']; "
            "print(requests.get(host + '/api/v1/cckm/aws/kms', headers={'Authorization': 'Bearer ' + jwt}).json()['total'])")
    done = subprocess.run([sys.executable, "-m", "cckm_emulator.run", "--empty", "--", sys.executable, "-c", show],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "0", done.stdout + done.stderr
