"""AWS connections (Connection Manager) and CCKM KMS containers: create, read, update, delete, ACLs.

Connections live under ``/api/v1/connectionmgmt/services/aws/connections`` (TF ``common/urls.go``
URL_AWS_CONNECTION; PowerShell ``CipherTrustManager-ConnectionMgr-AWS.psm1``). Their secrets
(``secret_access_key``, ``iam_role_anywhere.private_key``) are write-only: kept in ``State.secrets``,
never in a record, never in an answer (TF ``resource_aws_connection.go``: "CipherTrust Manager never
returns this value on GET"). KMS containers are ``/api/v1/cckm/aws/kms`` (TF ``resource_aws_kms.go``,
``resource_aws_acls.go``). FIDELITY.md names the source of every rule below, or says "assumed".
All functions expect the caller to hold ``State.lock``.
"""

import hashlib
import re

from .common import ApiError, Lister, bad_request, conflict, metadata, new_id, not_found, provided, touch

CLOUDS = {"aws": "us-east-1", "aws-us-gov": "us-gov-east-1", "aws-cn": "cn-north-1"}   # TF: default aws_region per cloud
STS_ENDPOINTS = ("legacy", "regional")
PRODUCTS = ("cckm", "ddc", "cte", "data discovery", "backup/restore", "logger", "hsm_anchored_domain", "csm")
ROLE_ANYWHERE_FIELDS = ("anywhere_role_arn", "certificate", "profile_arn", "trust_anchor_arn")
#: CCKM ACL actions (TF resource_aws_acls.go table); view permissions CCKM adds by itself
ACL_ACTIONS = frozenset((
    "keycreate", "keymaterialimport", "keymaterialdelete", "keyrotate", "keydelete", "keycanceldelete", "keysynchronize",
    "keyupdate", "keyupload", "view", "viewnative", "viewbyok", "reportcreate", "reportdelete", "reportdownload", "reportview",
    "viewhyokkey", "hyokkeycreate", "hyokkeyblockunblock", "hyokkeydelete", "hyokkeylink", "viewcloudhsmkey", "cloudhsmkeycreate",
    "cloudhsmkeydelete", "viewkeystore", "keystoreadd", "keystoreupdate", "keystoredelete", "keystoreblock", "keystoreunblock",
    "keystoreconnect", "keystoredisconnect", "keystorelink", "keybulkoperation"))
AUTO_VIEW = ("viewnative", "viewbyok")
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$")
CONNECTIONS_PATH = "/v1/connectionmgmt/services/aws/connections"

CONNECTION_LISTER = Lister(filters={
    "id": lambda r: r["id"], "name": lambda r: r["name"], "cloud_name": lambda r: r["cloud_name"], "products": lambda r: r["products"],
}, bool_filters={"is_role_anywhere": lambda r: r["is_role_anywhere"]})


# -- connections ----------------------------------------------------------------------------------------

def seed_connection(st, name):
    """A connection as the seeded KMS containers reference it (access key auth, secret kept aside)."""
    record = _new_connection(name)
    record.update(access_key_id="AKIA" + hashlib.sha256(name.encode()).hexdigest()[:16].upper())
    st.connections[record["id"]] = record
    st.secrets[record["id"]] = {"secret_access_key": "seeded-secret-" + name, "writes": 1}
    return record


def _new_connection(name):
    connection_id = new_id()
    record = metadata("connection", connection_id)
    record["uri"] = f"kylo:kylo:connectionmgmt:connections:{name}-{connection_id}"
    record.update(name=name, description="", products=["cckm"], meta={}, labels={}, service="aws", category="cloud",
                  resource_url=f"{CONNECTIONS_PATH}/{connection_id}", access_key_id="", assume_role_arn="", assume_role_external_id="",
                  aws_region=CLOUDS["aws"], aws_sts_regional_endpoints="legacy", cloud_name="aws", is_role_anywhere=False,
                  last_connection_ok=None, last_connection_error="", last_connection_at="")
    return record


def find_connection(st, ref):
    """A connection by id or name (PowerShell: "the given name, ID or URI"), else 404."""
    record = st.connections.get(ref) or next((r for r in st.connections.values() if ref in (r["name"], r["uri"])), None)
    if record is None:
        raise not_found(f"Connection {ref} not found")
    return record


def list_connections(st, args):
    return CONNECTION_LISTER.page(list(st.connections.values()), args)


def create_connection(st, body):
    name = body.string("name")
    if not name:
        raise bad_request("name is required")
    if any(r["name"] == name for r in st.connections.values()):
        raise conflict(f"Connection {name} already exists")   # PowerShell New-CMAWSConnection: 409 Conflict
    record = _new_connection(name)
    role_anywhere = body.flag("is_role_anywhere")
    record["is_role_anywhere"] = role_anywhere
    secrets = _apply_connection(record, body, creating=True)
    _check_credentials(record, secrets, body)
    st.connections[record["id"]] = record
    st.secrets[record["id"]] = dict(secrets, writes=1 if secrets else 0)
    return record


def patch_connection(st, record, body):
    if body.has("name") and body.get("name") != record["name"]:
        raise bad_request("name cannot be changed")                     # TF: (Immutable) Unique connection name
    if body.raw("is_role_anywhere") is not None and body.flag("is_role_anywhere") != record["is_role_anywhere"]:
        raise bad_request("is_role_anywhere cannot be changed")         # TF: (Immutable) is_role_anywhere
    candidate = dict(record, labels=dict(record["labels"]), meta=dict(record["meta"]))
    secrets = _apply_connection(candidate, body, creating=False)
    kept = {k: v for k, v in st.secrets.get(record["id"], {}).items() if k != "writes"}
    _check_credentials(candidate, dict(kept, **secrets), body)
    record.update(candidate)
    if secrets:
        stored = st.secrets.setdefault(record["id"], {"writes": 0})
        stored.update(secrets)
        stored["writes"] += 1
    touch(record)
    return record


def _apply_connection(record, body, creating):
    """Copy the body's fields onto ``record``; returns the secrets sent. Empty values change nothing (TF: CM's PATCH cannot
    clear description or assume_role_*; sending "" or null is a no-op)."""
    for field in ("description", "access_key_id", "assume_role_arn", "assume_role_external_id"):
        if body.has(field):
            record[field] = body.string(field)
    if body.has("cloud_name"):
        cloud = body.string("cloud_name")
        if cloud not in CLOUDS:
            raise bad_request(f"cloud_name must be one of {', '.join(CLOUDS)}")
        record["cloud_name"] = cloud
        if creating and not body.has("aws_region"):
            record["aws_region"] = CLOUDS[cloud]
    if body.has("aws_region"):
        region = body.string("aws_region")
        if not REGION_RE.match(region):
            raise bad_request(f"aws_region {region} is not an AWS region")
        record["aws_region"] = region
    if body.has("aws_sts_regional_endpoints"):
        endpoints = body.string("aws_sts_regional_endpoints")
        if endpoints not in STS_ENDPOINTS:
            raise bad_request(f"aws_sts_regional_endpoints must be one of {', '.join(STS_ENDPOINTS)}")
        record["aws_sts_regional_endpoints"] = endpoints
    if body.has("products"):
        products = body.strings("products")
        unknown = sorted(set(products) - set(PRODUCTS))
        if unknown:
            raise ApiError(422, f"unknown products: {', '.join(unknown)}")   # TF: "rejected ... with a 422 error"
        record["products"] = products
    for field in ("labels", "meta"):
        value = body.raw(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise bad_request(f"{field} must be an object")
        for key, item in value.items():   # merge-patch: null deletes a key (TF ApplyNullDeletes)
            if item is None:
                record[field].pop(key, None)
            else:
                record[field][key] = item if field == "meta" else str(item)
    secrets = {}
    if body.has("secret_access_key"):
        secrets["secret_access_key"] = body.string("secret_access_key")
    anywhere = body.raw("iam_role_anywhere")
    if provided(anywhere):
        if not isinstance(anywhere, dict):
            raise bad_request("iam_role_anywhere must be an object")
        current = dict(record.get("iam_role_anywhere") or {})
        current.update({k: anywhere[k] for k in ROLE_ANYWHERE_FIELDS if provided(anywhere.get(k))})
        record["iam_role_anywhere"] = current
        if provided(anywhere.get("private_key")):
            secrets["private_key"] = anywhere["private_key"]
    return secrets


def _check_credentials(record, secrets, body):
    """IAM Roles Anywhere connections carry a certificate and no access key (TF secret test: CM answers "Secret Access Key
    should be null"); access-key connections need the key ID and its secret together (assumed)."""
    if record["is_role_anywhere"]:
        if body.has("secret_access_key") or body.has("access_key_id"):
            raise bad_request("Secret Access Key should be null for an IAM Roles Anywhere connection")
        anywhere = record.get("iam_role_anywhere") or {}
        missing = [name for name in ROLE_ANYWHERE_FIELDS if not provided(anywhere.get(name))]
        if missing or "private_key" not in secrets:
            raise bad_request("iam_role_anywhere needs %s" % ", ".join(missing + ([] if "private_key" in secrets else ["private_key"])))
    else:
        if provided(body.raw("iam_role_anywhere")):
            raise bad_request("iam_role_anywhere is only for connections with is_role_anywhere true")
        if bool(record["access_key_id"]) != bool(secrets.get("secret_access_key")):
            raise bad_request("access_key_id and secret_access_key must be given together")


def delete_connection(st, record):
    """204; refused while a KMS container uses the connection (assumed)."""
    users = [kms["name"] for kms in st.kms.values() if kms["connection"] in (record["id"], record["name"])]
    if users:
        raise bad_request(f"Connection {record['name']} is in use by KMS {', '.join(sorted(users))}")
    del st.connections[record["id"]]
    st.secrets.pop(record["id"], None)


def secret_fingerprints(st):
    """Control view: per connection name, how often secrets were written and a digest of each (never the value)."""
    result = {}
    for connection_id, stored in st.secrets.items():
        record = st.connections.get(connection_id)
        if record is None:
            continue
        result[record["name"]] = {"writes": stored.get("writes", 0), **{
            name: hashlib.sha256(value.encode()).hexdigest() for name, value in stored.items() if name != "writes"}}
    return result


# -- KMS containers ---------------------------------------------------------------------------------------

def _regions(body, required):
    regions = body.strings("regions")
    if required and not regions:
        raise bad_request("regions is required")
    bad = [region for region in regions if not REGION_RE.match(region)]
    if bad:
        raise bad_request(f"not AWS regions: {', '.join(bad)}")
    if len(set(regions)) != len(regions):
        raise bad_request("regions must not repeat")
    return regions


def _connection_ref(st, config, body):
    """The connection a body names (name or id; official collection cckm_aws_kms: "Name or ID"), as the record will show it."""
    ref = body.string("connection")
    connection = find_connection(st, ref)
    return connection["name"] if config.answer("kms_connection_ref") == "name" else ref


def _assume_role(record, body):
    for field in ("assume_role_arn", "assume_role_external_id"):
        if body.has(field):
            record[field] = body.string(field)
    if record["assume_role_external_id"] and not record["assume_role_arn"]:
        raise bad_request("assume_role_external_id can be specified only with assume_role_arn")   # TF resource_aws_kms.go


def create_kms(st, config, body, make_record):
    name, account = body.string("name"), body.string("account_id")
    if not name or not account or not body.has("connection"):
        raise bad_request("name, account_id, connection and regions are required")
    if not ACCOUNT_RE.match(account):
        raise bad_request(f"account_id {account} is not a 12-digit AWS account ID")
    if any(r["name"] == name for r in st.kms.values()):
        raise conflict(f"KMS {name} already exists")          # cckm-aws.md 11.15: 409 for duplicate KMS names
    regions = _regions(body, required=True)
    record = make_record({"name": name, "account_id": account, "regions": regions, "connection": _connection_ref(st, config, body)})
    record["id"] = new_id()
    record["uri"] = f"kylo:kylo:cckm:aws-kms:{record['id']}"
    _assume_role(record, body)
    if record["assume_role_arn"]:
        record["arn"] = record["assume_role_arn"]
    st.kms[record["id"]] = record
    return record


def patch_kms(st, config, record, body):
    for field in ("name", "account_id"):
        if body.has(field) and str(body.get(field)) != record[field]:
            raise bad_request(f"{field} cannot be changed")   # TF: (Immutable) name, account_id
    candidate = dict(record)
    if body.has("connection"):
        candidate["connection"] = _connection_ref(st, config, body)
    if body.has("regions"):
        regions = _regions(body, required=True)
        dropped = [region for region in record["regions"] if region not in regions
                   and any(k["kms_id"] == record["id"] and k["region"] == region and not k["gone"] for k in st.keys.values())]
        if dropped:   # cckm-aws.md 3.1 ([A-kms], [T-kms]): removing a region that holds keys is refused
            raise bad_request(f"regions {', '.join(dropped)} of KMS {record['name']} hold keys and cannot be removed")
        candidate["regions"] = regions
    _assume_role(candidate, body)
    record.update(candidate)
    touch(record)
    return record


def delete_kms(st, config, record):
    """204. A KMS holding keys: refused, or its key records go with it (FIDELITY.md kms_delete_with_keys)."""
    held = [key_id for key_id, key in st.keys.items() if key["kms_id"] == record["id"]]
    if held and config.answer("kms_delete_with_keys") == "refused":
        raise bad_request(f"KMS {record['name']} has {len(held)} key(s); remove them from CCKM first")
    for key_id in held:
        st.forget_key(key_id)
    del st.kms[record["id"]]


def update_acls(st, config, record, body):
    """``{"acls": [{user_id | group, permit, actions}]}``: permit true adds the actions, false removes them (TF acls.go
    GetPermittedAcl / GetUnPermittedAcl); entries left without actions disappear (assumed)."""
    entries = body.get("acls", [])
    if not isinstance(entries, list) or not entries:
        raise bad_request("acls must be a non-empty list")
    acls = [dict(acl, actions=list(acl["actions"])) for acl in record["acls"]]
    for entry in entries:
        if not isinstance(entry, dict):
            raise bad_request("each ACL must be an object")
        user, group = entry.get("user_id") or "", entry.get("group") or ""
        if bool(user) == bool(group):
            raise bad_request("each ACL needs exactly one of user_id and group")
        actions = entry.get("actions") or []
        if not isinstance(actions, list) or not all(isinstance(a, str) for a in actions):
            raise bad_request("actions must be a list of strings")
        unknown = sorted(set(actions) - ACL_ACTIONS)
        if unknown:
            raise bad_request(f"unknown ACL actions: {', '.join(unknown)}")
        if "view" in actions:   # TF: "the deprecated 'view' permission will be automatically converted"
            actions = [a for a in actions if a != "view"] + list(AUTO_VIEW)
        acl = next((a for a in acls if (user and a.get("user_id") == user) or (group and a.get("group") == group)), None)
        if entry.get("permit", True):
            if acl is None:
                acl = {"user_id": user, "group": group, "actions": []}
                acls.append(acl)
            added = actions + (list(AUTO_VIEW) if config.answer("acl_view_actions") == "added" else [])
            acl["actions"] += [a for a in dict.fromkeys(added) if a not in acl["actions"]]
        elif acl is not None:
            acl["actions"] = [a for a in acl["actions"] if a not in actions]
    record["acls"] = [acl for acl in acls if acl["actions"]]
    touch(record)
    return record
