# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CCKM KMS containers (one AWS account, its connection, regions and ACLs) as desired state.

Sources (TF = Thales' Terraform provider): create/update/delete in TF ``cckm/aws/resource_aws_kms.go``; ACLs in TF
``cckm/aws/resource_aws_acls.go`` and ``cckm/acls/acls.go``: ``update-acls`` with ``permit: true`` adds actions to a
user or group, ``permit: false`` removes them, and CCKM adds view permissions by itself, so those are never counted
as a difference. A record's ``connection`` may be the connection's name or ID (TF ``resolveConnectionByIDOrName``):
both sides are resolved to a connection ID before comparing.
"""

from __future__ import annotations

import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import unclearable_changes
from ansible_collections.ciphertrust.cckm.plugins.module_utils._connection import connections_by_ref
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import looks_like_account_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot

#: CCKM ACL actions (TF resource_aws_acls.go table)
ACL_ACTIONS = (
    "keycreate", "keymaterialimport", "keymaterialdelete", "keyrotate", "keydelete", "keycanceldelete", "keysynchronize",
    "keyupdate", "keyupload", "view", "viewnative", "viewbyok", "reportcreate", "reportdelete", "reportdownload", "reportview",
    "viewhyokkey", "hyokkeycreate", "hyokkeyblockunblock", "hyokkeydelete", "hyokkeylink", "viewcloudhsmkey", "cloudhsmkeycreate",
    "cloudhsmkeydelete", "viewkeystore", "keystoreadd", "keystoreupdate", "keystoredelete", "keystoreblock", "keystoreunblock",
    "keystoreconnect", "keystoredisconnect", "keystorelink", "keybulkoperation")
#: what CCKM adds by itself, and what the deprecated ``view`` becomes (TF docs/resources/aws_acl.md)
AUTO_VIEW = ("viewnative", "viewbyok")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
UNCLEARABLE = ("assume_role_arn", "assume_role_external_id")
DIFF_FIELDS = ("name", "account_id", "connection", "regions", "assume_role_arn", "assume_role_external_id", "status", "acls")
INFO_FILTERS = ("id", "name", "account_id", "cloud_name", "status")
KEYS_NAMED = 5   # keys named in the message refusing a delete


class KmsHoldsKeys(CckmError):
    """state=absent of a container CCKM still manages keys in, without force."""


def principal(acl):
    """("user", id) or ("group", name) of an ACL entry."""
    return ("user", acl["user_id"]) if acl.get("user_id") else ("group", acl.get("group") or "")


def expand(actions):
    """The actions as CCKM stores them: the deprecated ``view`` is ``viewnative`` plus ``viewbyok``."""
    result = set(actions or ())
    if "view" in result:
        result.discard("view")
        result.update(AUTO_VIEW)
    return result


def acls_view(acls):
    """ACL entries as ``[{user_id, group, actions}]``, actions sorted, entries sorted by principal, empty ones dropped."""
    entries = [{"user_id": acl.get("user_id") or None, "group": acl.get("group") or None, "actions": sorted(set(acl.get("actions") or []))}
               for acl in acls or [] if isinstance(acl, dict) and acl.get("actions")]
    return sorted(entries, key=lambda acl: (acl["user_id"] or "", acl["group"] or ""))


def kms_view(record, connections=None):
    """A KMS container as modules return it; ``connections`` (id and name -> record) resolves its connection's name and ID."""
    if record is None:
        return None
    ref = record.get("connection") or None
    connection = (connections or {}).get(ref) if ref else None
    return {
        "id": record.get("id"),
        "name": record.get("name"),
        "account_id": None if record.get("account_id") in (None, "") else str(record.get("account_id")),
        "connection": connection.get("name") if connection else ref,
        "connection_id": connection.get("id") if connection else None,
        "regions": sorted(record.get("regions") or []),
        "assume_role_arn": record.get("assume_role_arn") or "",
        "assume_role_external_id": record.get("assume_role_external_id") or "",
        "arn": record.get("arn") or None,
        "status": record.get("status") or None,
        "auto_added": bool(record.get("auto_added")),
        "cloud_name": record.get("cloud_name") or None,
        "acls": acls_view(record.get("acls")),
    }


def find_kms(client, name):
    """The KMS container named ``name`` (list filter ``name``, re-checked here), or None."""
    return _api.LIST_KMS.find(client, {"name": name}, lambda r: r.get("name") == name, subject=name)


def _keys_of(client, kms_id, region=None, first_only=False):
    """CCKM key records of a KMS container (and region): all, or only whether there is one (``first_only``)."""
    query = {"kms_id": kms_id}
    if region:
        query["region"] = region
    found = []
    for key in _api.LIST_KEYS.pages(client, query, page_size=1 if first_only else _api.PAGE_SIZE):
        if key.get("kms_id") == kms_id and (region is None or key.get("region") == region) and not (region and key.get("gone")):
            found.append(key)
            if first_only:
                break
    return found


def _key_name(key):
    aliases = (key.get("aws_param") or {}).get("Alias") or []
    return "%s (%s)" % (key.get("id"), aliases[0]) if aliases else str(key.get("id"))


def plan_acls(current, desired, purge):
    """(revocations, grants) as ``update-acls`` entries taking ``current`` (view entries) to ``desired`` (option entries).

    A principal given gets exactly its actions, except the view permissions CCKM adds by itself, which are only removed
    when the principal is given no action at all; with ``purge`` a principal not given loses every action.
    """
    have = {principal(acl): set(acl["actions"]) for acl in current}
    want = {}
    for acl in desired or []:
        want.setdefault(principal(acl), set()).update(expand(acl.get("actions")))
    revoke, grant = [], []
    for who in sorted(set(have) | set(want)):
        current_actions = have.get(who, set())
        if who in want:
            wanted = want[who]
            extra = current_actions - wanted - (set(AUTO_VIEW) if wanted else set())
            missing = wanted - current_actions
        elif purge:
            extra, missing = current_actions, set()
        else:
            continue
        if extra:
            revoke.append(_entry(who, False, extra))
        if missing:
            grant.append(_entry(who, True, missing))
    return revoke, grant


def _entry(who, permit, actions):
    kind, name = who
    return {"user_id" if kind == "user" else "group": name, "permit": permit, "actions": sorted(actions)}


def acls_after(current, revoke, grant):
    """The ACL view predicted after the two update-acls calls."""
    acls = {principal(acl): set(acl["actions"]) for acl in current}
    for entry in revoke:
        acls[principal(entry)] = acls.get(principal(entry), set()) - set(entry["actions"])
    for entry in grant:
        acls[principal(entry)] = acls.get(principal(entry), set()) | set(entry["actions"])
    return acls_view([{"user_id": who[1] if who[0] == "user" else None, "group": who[1] if who[0] == "group" else None,
                       "actions": sorted(actions)} for who, actions in acls.items()])


class KmsResource(Resource):
    """aws_kms: one KMS container, found by name."""

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn)
        if not str(params.get("name") or "").strip():
            raise OptionError("name", "must not be empty")
        if params.get("account_id") is not None and not looks_like_account_id(params["account_id"]):
            raise OptionError("account_id", "must be a 12-digit AWS account ID, got %s" % shown(params["account_id"]))
        regions = params.get("regions")
        if regions is not None:
            bad = [region for region in regions if not _REGION.fullmatch(str(region))]
            if bad:
                raise OptionError("regions", "not AWS region names: %s" % ", ".join(shown(region) for region in bad))
            if len(set(regions)) != len(regions):
                raise OptionError("regions", "must not repeat a region")
            if not regions and params["purge_regions"]:
                raise OptionError("regions", "a KMS container needs at least one region")
        for acl in params.get("acls") or []:
            if not (acl.get("user_id") or acl.get("group")):
                raise OptionError("acls", "each ACL needs user_id or group")
        self.connections = {}
        self.connection = None
        self.keys = []
        self.region_keys = {}

    # -- read ----------------------------------------------------------------------------------------

    def read(self):
        params = self.params
        record = find_kms(self.client, params["name"])
        if params["state"] == "absent":
            if record is not None:
                self.keys = _keys_of(self.client, record["id"])
            return Snapshot(record, kms_view(record, connections_by_ref(self.client) if record else {})) if record else None
        if record is None:
            missing = [name for name in ("account_id", "connection", "regions") if not params.get(name)]
            if missing:
                raise OptionError(missing, "required to create KMS container %s" % params["name"])
        self.connections = connections_by_ref(self.client)
        if params.get("connection"):
            self.connection = self.connections.get(params["connection"])
        view = kms_view(record, self.connections)
        if record is not None:
            for region in self._dropped(view):   # refused by CCKM (cckm-aws.md 3.1): found before any write
                self.region_keys[region] = _keys_of(self.client, record["id"], region, first_only=True)
        return Snapshot(record, view) if record else None

    def _dropped(self, view):
        wanted = self.params.get("regions")
        if wanted is None or not self.params["purge_regions"]:
            return []
        return [region for region in view["regions"] if region not in wanted]

    # -- plan ----------------------------------------------------------------------------------------

    def plan(self, before):
        if self.params["state"] == "absent":
            return self._plan_absent(before)
        if before is None:
            return self._plan_create()
        return self._plan_update(before)

    def _plan_absent(self, before):
        if before is None:
            return []
        name = before.view["name"]
        if self.keys and not self.params["force"]:
            shown_keys = ", ".join(_key_name(key) for key in self.keys[:KEYS_NAMED]) + (", ..." if len(self.keys) > KEYS_NAMED else "")
            raise KmsHoldsKeys("KMS container %s still holds %d key(s) in CCKM (%s); delete them first, or set force: true to remove "
                               "CCKM's records of them (the AWS keys stay in AWS)" % (name, len(self.keys), shown_keys))
        actions = [Action("forget", _api.FORGET_KEY, None, "remove key %s from CCKM (the AWS key stays)" % _key_name(key), ids=[key["id"]])
                   for key in self.keys]
        return actions + [Action("delete", _api.DELETE_KMS, None, "delete KMS container %s" % name, ids=[before.view["id"]], removes=True)]

    def _connection_ref(self):
        """The connection's ID to send (TF sends the ID); its name as given while it does not exist yet (check mode)."""
        return self.connection["id"] if self.connection else self.params["connection"]

    def _plan_create(self):
        params, name = self.params, self.params["name"]
        body = {"name": name, "account_id": params["account_id"], "connection": self._connection_ref(), "regions": list(params["regions"])}
        for field in UNCLEARABLE:
            if params.get(field):
                body[field] = params[field]
        effect = {"id": None, "name": name, "account_id": params["account_id"],
                  "connection": self.connection["name"] if self.connection else params["connection"],
                  "connection_id": self.connection["id"] if self.connection else None, "regions": sorted(params["regions"]),
                  "assume_role_arn": params.get("assume_role_arn") or "", "assume_role_external_id": params.get("assume_role_external_id") or "",
                  "arn": None, "status": "active", "auto_added": False, "cloud_name": None, "acls": []}
        actions = [Action("create", _api.CREATE_KMS, body, "create KMS container %s" % name, effect)]
        return actions + self._acl_actions(name, [], None)

    def _plan_update(self, before):
        params, view = self.params, before.view
        name = view["name"]
        if params.get("account_id") is not None and params["account_id"] != view["account_id"]:
            raise OptionError("account_id", "KMS container %s belongs to AWS account %s; the account cannot change (delete and recreate "
                              "the container)" % (name, view["account_id"]))
        body, effect = {}, {}
        if params.get("connection") and (self.connection is None or self.connection["id"] != view["connection_id"]):
            body["connection"] = self._connection_ref()
            effect.update(connection=self.connection["name"] if self.connection else params["connection"],
                          connection_id=self.connection["id"] if self.connection else None)
        regions = self._regions(view)
        if regions is not None:
            held = sorted(region for region, keys in self.region_keys.items() if keys)
            if held:
                raise OptionError(["regions", "purge_regions"], "KMS container %s holds keys in %s, which CCKM refuses to remove; keep the "
                                  "region(s) or delete their keys first" % (name, ", ".join(held)))
            body["regions"] = regions
            effect["regions"] = sorted(regions)
        changes = unclearable_changes(params, view, UNCLEARABLE)
        body.update(changes)
        effect.update(changes)
        actions = []
        if body:
            actions.append(Action("update", _api.UPDATE_KMS, body, "update KMS container %s (%s)" % (name, ", ".join(sorted(body))), effect,
                                  ids=[view["id"]]))
        return actions + self._acl_actions(name, view["acls"], view["id"])

    def _regions(self, view):
        """The region list to send, or None when it stays."""
        wanted = self.params.get("regions")
        if wanted is None:
            return None
        regions = list(wanted) if self.params["purge_regions"] else view["regions"] + [r for r in wanted if r not in view["regions"]]
        return None if sorted(regions) == view["regions"] else regions

    def _acl_actions(self, name, current, kms_id):
        if self.params.get("acls") is None and not self.params["purge_acls"]:
            return []
        revoke, grant = plan_acls(current, self.params.get("acls") or [], self.params["purge_acls"])
        actions = []
        ids = [kms_id] if kms_id else []
        if revoke:
            after = acls_after(current, revoke, [])
            actions.append(Action("revoke", _api.UPDATE_KMS_ACLS, {"acls": revoke}, "remove ACL actions of %s from KMS container %s"
                                  % (_principals(revoke), name), {"acls": after}, ids=ids))
            current = after
        if grant:
            actions.append(Action("grant", _api.UPDATE_KMS_ACLS, {"acls": grant}, "grant ACL actions to %s on KMS container %s"
                                  % (_principals(grant), name), {"acls": acls_after(current, [], grant)}, ids=ids))
        return actions

    # -- check mode and apply ------------------------------------------------------------------------

    def predict(self, before, actions):
        if self.params["state"] == "present" and self.params.get("connection") and self.connection is None:
            self.warn("AWS connection %s does not exist yet; check mode assumes an earlier task creates it" % shown(self.params["connection"]))
        return super().predict(before, actions)

    def apply(self, before, actions):
        name = self.params["name"]
        if self.params["state"] == "present" and self.params.get("connection") and self.connection is None:
            known = ", ".join(sorted({str(c.get("name")) for c in self.connections.values()})) or "none"
            raise OptionError("connection", "unknown AWS connection %s (known: %s)" % (shown(self.params["connection"]), known))
        kms_id = before.view["id"] if before else None
        for action in actions:
            if action.name == "forget":
                action.send(self.client, subject=name)
            elif action.name == "delete":
                action.send(self.client, subject=name)
                return None, actions
            elif action.name == "create":
                record = action.send(self.client, subject=name, landed=lambda: find_kms(self.client, name))
                kms_id = record["id"]
            else:
                action.endpoint(self.client, kms_id, body=action.body, subject=name)
        record = _api.GET_KMS(self.client, kms_id, subject=name)   # TF re-reads after create and update
        if record is None:
            raise CckmError("KMS container %s vanished right after it was written" % name)
        return Snapshot(record, kms_view(record, self.connections)), actions

    def action_result(self, action, after):
        if action.endpoint is _api.UPDATE_KMS_ACLS and not action.ids and after and after.view.get("id"):
            return action.to_result(after.view["id"])
        return action.to_result()

    def diff_view(self, view):
        if not view:
            return {}
        shown_view = {k: view[k] for k in DIFF_FIELDS}
        # the view permissions CCKM adds by itself are no difference anyone asked for (FIDELITY.md acl_view_actions)
        shown_view["acls"] = [dict(acl, actions=[a for a in acl["actions"] if a not in AUTO_VIEW or set(acl["actions"]) <= set(AUTO_VIEW)])
                              for acl in view["acls"]]
        return shown_view

    def extras(self, before, after, actions, predicted):
        return {"forgotten_keys": [action.ids[0] for action in actions if action.name == "forget"]} if self.params["state"] == "absent" else {}


def _principals(entries):
    return ", ".join("user %s" % e["user_id"] if e.get("user_id") else "group %s" % e["group"] for e in entries)


def list_kms(params, client):
    """aws_kms_info: KMS containers matching the list filters, as views (+ API record when asked)."""
    query = {name: params[name] for name in INFO_FILTERS if params.get(name) is not None}
    connections = connections_by_ref(client)
    found = []
    for record in _api.LIST_KMS.pages(client, query):
        if params.get("name") and record.get("name") != params["name"]:
            continue
        view = kms_view(record, connections)
        if params.get("include_record"):
            view["record"] = record
        found.append(view)
    return {"kms_containers": found, "total": len(found)}
