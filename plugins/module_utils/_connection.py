# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CipherTrust Manager AWS connections (Connection Manager) as desired state.

The secrets (``secret_access_key``, ``iam_role_anywhere.private_key``) are write-only: CipherTrust Manager never
returns them (TF ``resource_aws_connection.go``), so a run cannot tell whether the one given differs from the one
stored. ``update_secret`` decides: ``on_create`` sends them only when the connection is created (or when the access
key ID changes, which needs its secret); ``always`` sends them on every run, which then always reports a change.
Secrets never reach a view, a record, an action or a message: a server that returns one has it dropped and masked.
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import unclearable_changes
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot

SECRET = "secret_access_key"
PRIVATE_KEY = "private_key"
MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"   # what Ansible itself shows for a no_log value
ROLE_ANYWHERE = ("anywhere_role_arn", "certificate", "profile_arn", "trust_anchor_arn")
CLOUD_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-east-1", "aws-cn": "cn-north-1"}   # TF: the server's defaults
PRODUCTS = ("cckm", "ddc", "cte", "data discovery", "backup/restore", "logger", "hsm_anchored_domain", "csm")
#: fields CipherTrust Manager's PATCH cannot clear: "" or null leave them as they are (TF resource_aws_connection.go Read)
UNCLEARABLE = ("description", "assume_role_arn", "assume_role_external_id")
SETTINGS = ("aws_region", "aws_sts_regional_endpoints", "cloud_name")
DIFF_FIELDS = ("name", "description", "access_key_id", "assume_role_arn", "assume_role_external_id", "aws_region",
               "aws_sts_regional_endpoints", "cloud_name", "is_role_anywhere", "iam_role_anywhere", "labels", "products")
INFO_FILTERS = ("id", "name", "cloud_name", "products")


class ConnectionInUse(CckmError):
    """The connection backs KMS containers, so it is not deleted."""


def clean_record(record):
    """The record without any secret a server might send back (it never should)."""
    if not isinstance(record, dict):
        return record
    cleaned = {k: v for k, v in record.items() if k != SECRET}
    if isinstance(cleaned.get("iam_role_anywhere"), dict):
        cleaned["iam_role_anywhere"] = {k: v for k, v in cleaned["iam_role_anywhere"].items() if k != PRIVATE_KEY}
    return cleaned


def secrets_in(record):
    """Secret values a server sent back in ``record`` (to be masked wherever they might appear)."""
    found = [record.get(SECRET)] if isinstance(record, dict) else []
    anywhere = record.get("iam_role_anywhere") if isinstance(record, dict) else None
    if isinstance(anywhere, dict):
        found.append(anywhere.get(PRIVATE_KEY))
    return [value for value in found if isinstance(value, str) and value]


def _text(value):
    return "" if value is None else str(value)


def connection_view(record):
    """A connection as modules return it: every readable field, lists sorted, never a secret."""
    if record is None:
        return None
    anywhere = record.get("iam_role_anywhere")
    anywhere = {name: _text(anywhere.get(name)).strip() for name in ROLE_ANYWHERE} if isinstance(anywhere, dict) and any(
        anywhere.get(name) for name in ROLE_ANYWHERE) else None
    return {
        "id": record.get("id"),
        "name": record.get("name"),
        "description": _text(record.get("description")),
        "access_key_id": record.get("access_key_id") or None,
        "assume_role_arn": _text(record.get("assume_role_arn")),
        "assume_role_external_id": _text(record.get("assume_role_external_id")),
        "aws_region": record.get("aws_region") or None,
        "aws_sts_regional_endpoints": record.get("aws_sts_regional_endpoints") or None,
        "cloud_name": record.get("cloud_name") or None,
        "is_role_anywhere": bool(record.get("is_role_anywhere")),
        "iam_role_anywhere": anywhere,
        "labels": {str(k): _text(v) for k, v in (record.get("labels") or {}).items()},
        "products": sorted(record.get("products") or []),
        "last_connection_ok": record.get("last_connection_ok"),
        "last_connection_error": record.get("last_connection_error") or None,
        "last_connection_at": record.get("last_connection_at") or None,
    }


def find_connection(client, name):
    """The full record of the connection named ``name`` (the list's ``name`` filter, re-checked here; then ``GET {id}``,
    since the list may leave fields out: PowerShell Get-CMAWSConnection), or None."""
    listed = _api.LIST_CONNECTIONS.find(client, {"name": name}, lambda r: r.get("name") == name, subject=name)
    if listed is None:
        return None
    return _api.GET_CONNECTION(client, listed["id"], subject=name)


def connections_by_ref(client):
    """Every connection, indexed by id and by name (for resolving what users and KMS records give)."""
    index = {}
    for record in _api.LIST_CONNECTIONS.pages(client):
        for key in (record.get("id"), record.get("name")):
            if key:
                index.setdefault(key, record)
    return index


def kms_using(client, connection):
    """Names of the KMS containers whose ``connection`` (a name or an ID: TF resolveConnectionByIDOrName) is this one."""
    refs = {connection.get("id"), connection.get("name")} - {None, ""}
    return sorted(str(kms.get("name")) for kms in _api.LIST_KMS.pages(client) if kms.get("connection") in refs)


class ConnectionResource(Resource):
    """aws_connection: one AWS connection, found by name."""

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn)
        if not str(params.get("name") or "").strip():
            raise OptionError("name", "must not be empty")
        self.anywhere = params.get("iam_role_anywhere")
        self.labels = None if params.get("labels") is None else {str(k): _text(v) for k, v in params["labels"].items()}
        if self.labels and any(not key for key in self.labels):
            raise OptionError("labels", "label names must not be empty")
        self.secret_sent = False
        self.used_by = []

    # -- read ----------------------------------------------------------------------------------------

    def read(self):
        record = find_connection(self.client, self.params["name"])
        if record is not None and self.params["state"] == "absent":
            self.used_by = kms_using(self.client, record)
        return Snapshot(clean_record(record), connection_view(record)) if record else None

    def secrets(self, before):
        return secrets_in(before.record) if before else ()

    # -- plan ----------------------------------------------------------------------------------------

    def plan(self, before):
        name = self.params["name"]
        if self.params["state"] == "absent":
            if before is None:
                return []
            if self.used_by:
                raise ConnectionInUse("AWS connection %s is used by KMS container(s) %s; delete or move them first (aws_kms)"
                                      % (name, ", ".join(self.used_by)))
            return [Action("delete", _api.DELETE_CONNECTION, None, "delete AWS connection %s" % name, ids=[before.view["id"]], removes=True)]
        if before is None:
            return [self._create()]
        return self._update(before)

    def _credentials(self):
        """The body fields carrying the credentials given (secrets included)."""
        params = self.params
        if self.anywhere:
            return {"is_role_anywhere": True, "iam_role_anywhere": dict(self.anywhere)}
        if params.get("access_key_id"):
            return {"access_key_id": params["access_key_id"], SECRET: params[SECRET]}
        return {}

    def _create(self):
        params, name = self.params, self.params["name"]
        body = {"name": name, "products": list(params.get("products") or ["cckm"])}
        for field in UNCLEARABLE + SETTINGS:
            if params.get(field):
                body[field] = params[field]
        if self.labels:
            body["labels"] = dict(self.labels)
        body.update(self._credentials())
        cloud = params.get("cloud_name") or "aws"
        effect = {"id": None, "name": name, "description": params.get("description") or "", "access_key_id": params.get("access_key_id"),
                  "assume_role_arn": params.get("assume_role_arn") or "", "assume_role_external_id": params.get("assume_role_external_id") or "",
                  "aws_region": params.get("aws_region") or CLOUD_REGIONS[cloud],
                  "aws_sts_regional_endpoints": params.get("aws_sts_regional_endpoints") or "legacy", "cloud_name": cloud,
                  "is_role_anywhere": bool(self.anywhere), "iam_role_anywhere": _readable(self.anywhere), "labels": dict(self.labels or {}),
                  "products": sorted(body["products"]), "last_connection_ok": None, "last_connection_error": None, "last_connection_at": None}
        self.secret_sent = bool(self.anywhere or params.get(SECRET))
        return Action("create", _api.CREATE_CONNECTION, body, "create AWS connection %s" % name, effect)

    def _update(self, before):
        params, view = self.params, before.view
        body, effect = {}, {}
        if (self.anywhere or params.get("access_key_id")) and bool(self.anywhere) != view["is_role_anywhere"]:
            raise OptionError(["iam_role_anywhere", "access_key_id"], "AWS connection %s is %s connection; its type cannot change (delete "
                              "and recreate it)" % (view["name"], "an IAM Roles Anywhere" if view["is_role_anywhere"] else "an access key"))
        changes = unclearable_changes(params, view, UNCLEARABLE, ": CipherTrust Manager ignores an empty value on update")
        body.update(changes)
        effect.update(changes)
        for field in SETTINGS:
            if params.get(field) is not None and params[field] != view[field]:
                body[field] = effect[field] = params[field]
        if params.get("products") is not None and sorted(set(params["products"])) != view["products"]:
            body["products"] = list(params["products"])
            effect["products"] = sorted(set(params["products"]))
        labels = self._labels(view["labels"])
        if labels is not None:
            body["labels"], effect["labels"] = labels
        sent = []
        new_key = params.get("access_key_id") and "access_key_id" in (before.record or {}) and params["access_key_id"] != view["access_key_id"]
        if new_key or (params.get(SECRET) and params["update_secret"] == "always"):
            body.update(self._credentials())
            effect["access_key_id"] = params["access_key_id"]
            sent.append(SECRET)
        if self.anywhere:
            readable = _readable(self.anywhere)
            if readable != view["iam_role_anywhere"] or params["update_secret"] == "always":
                body["iam_role_anywhere"] = dict(self.anywhere)
                effect["iam_role_anywhere"] = readable
                sent.append(PRIVATE_KEY)
        if not body:
            return []
        self.secret_sent = bool(sent)
        changed = sorted(set(body) - {"is_role_anywhere"})
        return [Action("update", _api.UPDATE_CONNECTION, body, "update AWS connection %s (%s)" % (view["name"], ", ".join(changed)),
                       effect, ids=[view["id"]])]

    def _labels(self, current):
        """(labels body, labels after) or None: merge-patch, so a label to remove is sent as null (TF ApplyNullDeletes)."""
        if self.labels is None:
            return None
        body = {k: v for k, v in self.labels.items() if current.get(k) != v}
        if self.params["purge_labels"]:
            body.update({k: None for k in current if k not in self.labels})
        if not body:
            return None
        after = {k: v for k, v in dict(current, **body).items() if v is not None}
        return body, after

    # -- apply ---------------------------------------------------------------------------------------

    def apply(self, before, actions):
        action, name = actions[0], self.params["name"]
        if action.name == "delete":
            action.send(self.client, subject=name)
            return None, actions
        if action.name == "create":
            record = action.send(self.client, subject=name, landed=lambda: find_connection(self.client, name))
        else:
            action.send(self.client, subject=name)
            record = _api.GET_CONNECTION(self.client, before.view["id"], subject=name)   # TF Update reads back with GET
        if record is None:
            raise CckmError("AWS connection %s vanished right after it was written" % name)
        return Snapshot(clean_record(record), connection_view(record)), actions

    # -- output --------------------------------------------------------------------------------------

    def action_result(self, action, after):
        result = action.to_result()
        result["body"] = _masked_body(action.body)
        return result

    def diff_view(self, view):
        return {k: view[k] for k in DIFF_FIELDS} if view else {}

    def diff_pair(self, before, after, actions):
        """Write-only secrets appear masked: unchanged on both sides, or marked as sent on the after side."""
        before_diff, after_diff = super().diff_pair(before, after, actions)
        field = PRIVATE_KEY if (self.anywhere or (before and before.view["is_role_anywhere"])) else SECRET
        if before and _has_credentials(before.view):
            before_diff[field] = "********"
        if after and _has_credentials(after.view):
            after_diff[field] = "******** (new value sent)" if self.secret_sent and actions else "********"
        return before_diff, after_diff

    def extras(self, before, after, actions, predicted):
        return {"secret_updated": bool(actions) and self.secret_sent and actions[0].name != "delete"}


def _has_credentials(view):
    return bool(view.get("access_key_id") or view.get("is_role_anywhere"))


def _readable(anywhere):
    return {name: _text(anywhere.get(name)).strip() for name in ROLE_ANYWHERE} if anywhere else None


def _masked_body(body):
    if not isinstance(body, dict):
        return body
    masked = dict(body)
    if masked.get(SECRET):
        masked[SECRET] = MASK
    if isinstance(masked.get("iam_role_anywhere"), dict):
        masked["iam_role_anywhere"] = dict(masked["iam_role_anywhere"], **({PRIVATE_KEY: MASK} if masked["iam_role_anywhere"].get(PRIVATE_KEY) else {}))
    return masked


def list_connections(params, client):
    """aws_connection_info: connections matching the list filters, as views (never a secret); with ``name`` or ``id`` the full
    record is read (``GET {id}``)."""
    query = {name: params[name] for name in INFO_FILTERS if params.get(name) is not None}
    found = []
    for record in _api.LIST_CONNECTIONS.pages(client, query):
        if params.get("name") and record.get("name") != params["name"] or params.get("id") and record.get("id") != params["id"]:
            continue
        if params.get("name") or params.get("id"):
            record = _api.GET_CONNECTION(client, record["id"], subject=record.get("name")) or record
        record = clean_record(record)
        view = connection_view(record)
        if params.get("include_record"):
            view["record"] = record
        found.append(view)
    return {"connections": found, "total": len(found)}
