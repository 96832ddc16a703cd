# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Applying a key plan, and aws_key's Resource: read the key, plan, apply (or predict), read back.

The only key layer that sends writes. Must not decide check mode or diff (the module base does).
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, CckmError, OptionError, already_exists, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.desired import desired_from_params
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.plan import CREATES, CREATING, MANAGED_FIELDS, material_body, plan
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import find_key, key_state, key_view, managed_view, subject
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import KmsChoice
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import looks_like_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Resource, Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._schedule import ROTATION_OPERATION, JobConfigChoice
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import TemplateChoice
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter


def _landed(client, key_id, check):
    def lookup():
        record = find_key(client, key_id)
        return record if record is not None and check(record) else None
    return lookup


def apply(client, key_id, actions, desired=None, wait=None, name=None):
    """Send the planned calls in order; returns the CCKM id of the key (new when the plan creates it).

    ``wait`` = (timeout, sleep) waits after each step that AWS finishes later (SETTLE); None does not wait.
    ``name`` is how errors name the key.
    """
    for action in actions:
        if action.name in CREATES:
            record = action.endpoint(client, body=action.body, subject=name, landed=lambda: find_key(
                client, kms=desired["kms"], region=desired["region"], alias=desired["alias"]))
            key_id = record["id"]
            name = subject(key_view(record))
            if action.name == "upload" and key_state(record) == "PendingImport":
                # found after a lost answer without its material (an upload whose import did not happen): import it now
                _api.IMPORT_MATERIAL(client, key_id, body=material_body(desired["import_material"]), subject=name,
                                     landed=_landed(client, key_id, lambda r: key_state(r) != "PendingImport"))
            continue
        landed = _landed(client, key_id, action.landed) if action.landed else None
        if action.name == "rotate-material":
            landed = _rotation_landed(client, key_id, landed)
        answer = action.endpoint(client, key_id, body=action.body, landed=landed, subject=name)
        if wait and action.name in SETTLE:
            SETTLE[action.name](client, key_id, action, answer, wait, name)
    return key_id


def _settle_replica(client, key_id, action, answer, wait, _name):
    replica = _new_replica(client, answer, key_id, action.body["replica_region"]) if isinstance(answer, dict) else None
    if replica is not None:
        _wait_for_replica(client, replica, wait)


def _settle_primary(client, key_id, action, _answer, wait, _name):
    _wait_for_primary(client, key_id, action.body["PrimaryRegion"], wait)


def _settle_rotation(client, key_id, _action, _answer, wait, name):
    _wait_for_rotation(client, key_id, wait, name)


def _new_replica(client, answer, key_id, region):
    """The replica record a replicate-key call made: its answer, or (when the answer was lost and the
    landed check returned the primary instead) the replica looked up by key id and region."""
    if answer.get("id") not in (None, key_id):
        return answer
    aws_key_id = key_view(answer)["key_id"]
    return find_key(client, aws_key_id, region=region) if aws_key_id else None


def _wait_for_replica(client, replica, wait):
    """A new replica is ``Creating`` for a while; wait until AWS finished it (later actions may need it)."""
    timeout, sleep = wait
    Waiter(lambda: _api.GET_KEY(client, replica["id"]), done=lambda r: key_state(r) not in CREATING,
           describe=key_state, what="the replica in %s" % replica.get("region")).wait(timeout, sleep, first=replica)


def _started(status):
    return (status or {}).get("started_at")


def _rotation_landed(client, key_id, by_record):
    """A lost rotate-material answer landed if CCKM stamped the key (``rotated_at``) or its rotation status shows a
    rotation newer than the one before the call (TF reads the status endpoint; row 9): either is trusted."""
    before = _started(_api.ROTATION_STATUS(client, key_id))

    def lookup():
        found = by_record()
        if found is not None:
            return found
        started = _started(_api.ROTATION_STATUS(client, key_id))
        return find_key(client, key_id) if started not in (None, before) else None
    return lookup


def _wait_for_rotation(client, key_id, wait, name):
    """rotate-material is asynchronous: poll its status until ``success`` or ``failed`` (TF waitForMaterialRotation, row 9).

    A CipherTrust Manager without the status endpoint (404) is not waited for."""
    timeout, sleep = wait
    status = Waiter(lambda: _api.ROTATION_STATUS(client, key_id),
                    done=lambda s: s is None or str(s.get("overall_status")).lower() not in ("in_progress", "pending", "running"),
                    describe=lambda s: (s or {}).get("overall_status"), what="the material rotation of key %s" % name).wait(timeout, sleep)
    if status is not None and str(status.get("overall_status")).lower() != "success":
        raise CckmError("The material rotation of key %s ended %s: %s"
                        % (name, status.get("overall_status"), status.get("error_details") or "no details given"))


def _primary_region(record):
    return key_view(record)["primary_region"] if record else None


def _wait_for_primary(client, key_id, region, wait):
    """A primary-region move is asynchronous (the key passes through ``Updating``): TF updatePrimaryRegion polls the
    key until ``PrimaryKey.Region`` shows it (fidelity review row 8), so the read-back and diff show the settled key."""
    timeout, sleep = wait
    Waiter(lambda: _api.GET_KEY(client, key_id), done=lambda r: _primary_region(r) == region,
           describe=_primary_region, what="the primary region to move to %s" % region).wait(timeout, sleep)


# Steps AWS finishes after answering, waited for before the next step (rows 8 and 9 of the fidelity review)
SETTLE = {"replicate-key": _settle_replica, "update-primary-region": _settle_primary, "rotate-material": _settle_rotation}


def _check_key_scope(record, kms, region):
    """A key found by ``id`` must lie in the ``kms`` and ``region`` given with it: they are the task's safety scope."""
    if kms is not None and kms not in (record.get("kms"), record.get("kms_id")):
        raise OptionError(("id", "kms"), "key %s belongs to KMS %s, not %s" % (record.get("id"), record.get("kms"), shown(kms)))
    if region is not None and region != record.get("region"):
        raise OptionError(("id", "region"), "key %s is in region %s, not %s" % (record.get("id"), record.get("region"), shown(region)))


def _check_scope(client, kms, region, prerequisites):
    """No key by that alias, so the task creates one: check the kms and region now, not with the create (one GET).

    Returns the scope the new key will have (as a key view's kms, kms_id and account_id). A KMS that does not exist yet
    is a prerequisite (check mode assumes an earlier task creates it).
    """
    choice = KmsChoice(client, [kms])
    if choice.missing:
        prerequisites.append(choice)
        return {"kms": kms, "kms_id": None, "account_id": None}
    record = choice.found[0]
    regions = record.get("regions") or []
    if region is not None and regions and region not in regions:
        raise OptionError("region", "%s is not a region of KMS %s (regions: %s)" % (shown(region), record.get("name"), ", ".join(regions)))
    return {"kms": record.get("name"), "kms_id": record.get("id"), "account_id": record.get("account_id")}


def rotation_job_choice(client, desired):
    """The rotation schedule ``rotation_job.name`` refers to (its ID into ``desired``), or None; one request.

    Only a schedule to attach to must exist; one named to detach from may be gone already."""
    job = desired.get("rotation_job")
    if not job or not job.get("name"):
        return None
    choice = JobConfigChoice(client, job["name"], ROTATION_OPERATION, "rotation_job.name")
    desired["rotation_job_id"] = choice.id
    return choice if job["state"] == "present" else None


class KeyResource(Resource):
    """aws_key: one AWS KMS key through CCKM."""

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn)
        self.desired = desired_from_params(params)
        self.template = None
        self.rotation_job = None

    def read(self):
        params, desired = self.params, self.desired
        record = find_key(self.client, params.get("id"), params.get("kms"), params.get("region"), desired.get("alias"))
        if record is not None and params.get("refresh"):
            # CCKM plans from its cached view; refreshing shows what changed in AWS meanwhile (TF RefreshKeyAndWait, row 17)
            _api.REFRESH_KEY(self.client, record["id"], subject=subject(key_view(record)))
            record = _api.GET_KEY(self.client, record["id"]) or record
        scope = key_view(record) if record is not None else None
        if record is None and params.get("id") is None and params.get("kms") is not None:
            scope = _check_scope(self.client, params["kms"], params.get("region"), self.prerequisites)
        if record is not None and params.get("id") is not None:
            _check_key_scope(record, params.get("kms"), params.get("region"))
        if params.get("policy_template") is not None and not looks_like_id(params["policy_template"]):
            self.template = TemplateChoice(self.client, params["policy_template"], [scope] if scope else [])
            desired["policy_template_id"] = self.template.id
        self.rotation_job = rotation_job_choice(self.client, desired)
        self.prerequisites += [choice for choice in (self.template, self.rotation_job) if choice is not None]
        if record is not None and desired.get("kms") is None:
            desired.update(kms=record.get("kms"), region=record.get("region"))
        if record is not None and record.get("gone"):
            self.warn("key %s no longer exists in AWS (CCKM marks it gone); changes to it will fail" % record.get("id"))
        return Snapshot(record, managed_view(record)) if record else None

    def plan(self, before):
        return plan(before.view if before else None, self.desired)

    def apply(self, before, actions):
        params, desired = self.params, self.desired
        wait = (params["wait_timeout"], params["wait_sleep"]) if params.get("wait") else None
        key_id = before.record["id"] if before else None
        try:
            key_id = apply(self.client, key_id, actions, desired, wait, subject(before.view if before else None) or self._new_name())
        except ApiError as exc:
            record = self._created_meanwhile(exc)
            self.warn("alias/%s was created by another run at the same time; this task converged that key instead of creating one"
                      % desired["alias"])
            actions = plan(managed_view(record), desired)
            key_id = apply(self.client, record["id"], actions, desired, wait, subject(key_view(record)))
        record = find_key(self.client, key_id)
        return Snapshot(record, managed_view(record)), actions

    def _new_name(self):
        return "alias/%s in %s (%s)" % (self.desired["alias"], self.desired["region"], self.desired["kms"])

    def _created_meanwhile(self, conflict):
        """After AlreadyExists on our create: the key another run (fork, play, person) created with the alias meanwhile.

        Re-raises any other error; when CCKM knows no such key, the alias is taken in AWS by a key CCKM has
        not synchronised yet, and the error says so.
        """
        desired = self.desired
        if conflict.endpoint not in (_api.CREATE_KEY, _api.UPLOAD_KEY) or not already_exists(conflict):
            raise conflict
        record = find_key(self.client, kms=desired["kms"], region=desired["region"], alias=desired["alias"])
        if record is None:
            conflict.hint = ("CCKM knows no key with alias/%s in %s: a key outside CCKM's inventory holds it; synchronise the "
                             "KMS (ciphertrust.cckm.aws_sync) to manage that key, or choose another alias" % (desired["alias"], desired["region"]))
            conflict.args = (conflict.describe(),)
            raise conflict
        return record

    def action_result(self, action, after):
        return action.to_result(after.view.get("id") if after else None)

    def diff_view(self, view):
        if view is None:
            return {}
        fields = {"key_state"}
        for option, names in MANAGED_FIELDS.items():
            if self.desired.get(option) is not None:
                fields.update(names)
        return {name: view.get(name) for name in sorted(fields)}
