# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CCKM synchronization jobs (seed 002) and their recurring schedule, as resources.

What a sync changed is measured by comparing CCKM's key list before and after the job, which works on
every CipherTrust version (the job record itself carries no counts).
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api, _jobs
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, CckmError, NotFound, OptionError, already_running
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import list_keys
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import KmsChoice
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._schedule import ScheduleResource, base_body, base_view, config_params

SCHEDULE_OPERATION = "cckm_synchronization"


class SyncFailed(CckmError):
    """The job finished, but some regions did not synchronize; the message lists them."""

    def __init__(self, job, errors):
        self.job = job
        detail = "; ".join("%s: %s" % item for item in sorted(errors.items())) or "overall_status %s" % job.get("overall_status")
        super().__init__("Synchronization job %s failed: %s" % (job.get("id"), detail))

    def fail_kwargs(self):
        return {"msg": str(self), "record": self.job}


class Scope:
    """Which KMS containers and regions a sync covers (all of them with synchronize_all)."""

    def __init__(self, kms_records=None, regions=None, kms=None):
        self.kms_records = kms_records
        self.regions = regions or []
        self.kms = kms  # the KmsChoice: a prerequisite of the resource (a KMS an earlier task may create)

    @classmethod
    def from_params(cls, client, params):
        if params.get("synchronize_all"):
            if params.get("kms") or params.get("regions"):
                raise OptionError(("synchronize_all", "kms", "regions"), "synchronize_all=true cannot be combined with kms or regions")
            return cls()
        if not params.get("kms"):
            raise OptionError(("kms", "synchronize_all"), "give the KMS to synchronize, or synchronize_all=true")
        choice = KmsChoice(client, params["kms"])
        records = choice.records()
        managed = {region for record in records for region in record.get("regions") or []}
        outside = [r for r in params.get("regions") or [] if r not in managed]
        if outside and not choice.missing:
            raise OptionError("regions", "%s not managed by KMS %s" % (", ".join(outside), ", ".join(r["name"] for r in records)))
        return cls(records, params.get("regions"), choice)

    @property
    def kms_names(self):
        return None if self.kms_records is None else [r["name"] for r in self.kms_records]

    def describe(self):
        return "every KMS" if self.kms_records is None else ", ".join(self.kms_names)

    def job_body(self):
        if self.kms_records is None:
            return {"synchronize_all": True}
        body = {"kms": self.kms_names}
        if self.regions:
            body["regions"] = self.regions
        return body

    def key_filters(self):
        return {"kms": self.kms_names, "region": self.regions or None}

    def covers(self, job):
        """Whether a job (e.g. one found running) synchronizes this scope."""
        if self.kms_records is None:
            return bool(job.get("synchronize_all")) or not job.get("kms")
        ids = {r["id"] for r in self.kms_records} | set(self.kms_names)
        return set(job.get("kms") or []) <= ids and bool(job.get("kms"))


def snapshot(client, scope):
    """CCKM's view of the keys in scope: {id: key view}."""
    return {view["id"]: view for view in list_keys(client, scope.key_filters())}


def compare(before, after):
    """Keys added, updated and newly gone between two snapshots, as short descriptions."""
    def brief(view):
        return {"id": view["id"], "alias": view["alias"], "region": view["region"], "arn": view["arn"], "key_state": view["key_state"]}
    added = [brief(v) for key_id, v in after.items() if key_id not in before]
    gone = [brief(v) for key_id, v in after.items() if v["gone"] and key_id in before and not before[key_id]["gone"]]
    gone_ids = {g["id"] for g in gone}
    updated = [brief(v) for key_id, v in after.items() if key_id in before and key_id not in gone_ids and v != before[key_id]]
    return {"added": added, "updated": updated, "gone": gone}


def running_job(client, scope=None):
    """A synchronization job still in progress (covering ``scope`` when given), else None."""
    for job in _api.LIST_SYNC_JOBS.pages(client, {"overall_status": "in_progress"}):
        if job.get("overall_status") == "in_progress" and (scope is None or scope.covers(job)):
            return job
    return None


def job_view(job):
    """The fields of a synchronization job that modules return as ``resource``."""
    if job is None:
        return None
    return {name: job.get(name) for name in ("id", "overall_status", "abort", "kms", "regions", "synchronize_all", "detailed_status")}


class SyncRun(Resource):
    """aws_sync: start (or join) a synchronization, wait for it, report what it changed."""

    def read(self):
        self.scope = Scope.from_params(self.client, self.params)
        self.prerequisites += [self.scope.kms] if self.scope.kms else []
        running = running_job(self.client)
        return Snapshot(running, job_view(running)) if running else None

    def plan(self, before):
        start = Action("start", _api.START_SYNC_JOB, self.scope.job_body(), "start a synchronization job for %s" % self.scope.describe(),
                       {"id": None, "overall_status": None, "abort": False, "detailed_status": None})
        if before is None:
            return [start]
        job_id = before.view["id"]
        if self.params["if_running"] == "fail":
            raise OptionError("if_running", "synchronization job %s is already running (if_running=fail)" % job_id)
        if self.params["if_running"] == "wait":
            return [Action("join", None, None, "wait for the running synchronization job %s" % job_id)]
        return [Action("wait", None, None, "wait for the running synchronization job %s to finish" % job_id), start]

    def predict(self, before, actions):
        if actions[-1].name == "join":
            return before
        return Snapshot(None, dict(self.scope.job_body(), **actions[-1].effect))

    def apply(self, before, actions):
        wait = self.params["wait"]
        self.keys_before = snapshot(self.client, self.scope) if wait else None
        self.joined = False
        job = None
        for action in actions:
            if action.name == "join":
                job, self.joined = before.record, True
            elif action.name == "wait":
                self._wait(before.record)
            else:
                job = self._start()
        if wait:
            job = self._wait(job)
            errors = _jobs.failures(job)
            if _jobs.failed(job) or errors:
                raise SyncFailed(job, errors)
            self.changes = compare(self.keys_before, snapshot(self.client, self.scope))
        return Snapshot(job, job_view(job)), actions

    def _start(self):
        """POST the job; when another one started meanwhile (409 or 400, row 5), join it as ``if_running`` says."""
        try:
            return _jobs.start(self.client, _jobs.SYNC, self.scope.job_body(), self.scope.covers)
        except ApiError as exc:
            if not already_running(exc):
                raise
            running = running_job(self.client)
            if running is None:  # it finished in the meantime
                return _jobs.start(self.client, _jobs.SYNC, self.scope.job_body(), self.scope.covers)
        if self.params["if_running"] == "fail":
            raise OptionError("if_running", "synchronization job %s is already running (if_running=fail)" % running.get("id"))
        if self.params["if_running"] == "wait":
            self.joined = True
            return running
        self._wait(running)
        return _jobs.start(self.client, _jobs.SYNC, self.scope.job_body(), self.scope.covers)

    def _wait(self, job):
        return _jobs.wait(self.client, _jobs.SYNC, [job], self.params["wait_timeout"], self.params["wait_sleep"],
                          self.params["cancel_on_timeout"])[0]

    def changed(self, before, after, actions, predicted):
        if predicted:
            return False  # what a synchronization finds cannot be known before it runs
        if not self.params["wait"]:
            return True
        return any(self.changes.values())

    def extras(self, before, after, actions, predicted):
        if predicted:
            return {"would_start": self.scope.job_body() if actions[-1].name == "start" else None,
                    "msg": "Check mode: a synchronization job would be started; what it finds cannot be predicted"}
        result = {"job_id": after.view["id"], "joined_running_job": self.joined, "overall_status": after.view["overall_status"]}
        if self.params["wait"]:
            result["counts"] = {name: len(items) for name, items in self.changes.items()}
            result.update(self.changes)
        return result


class SyncCancel(Resource):
    """aws_sync state=cancelled: cancel one running synchronization job."""

    def read(self):
        try:
            job = _api.GET_SYNC_JOB(self.client, self.params["job_id"])
        except NotFound:
            raise OptionError("job_id", "no synchronization job %r" % self.params["job_id"])
        return Snapshot(job, job_view(job))

    def plan(self, before):
        job = before.record
        if job.get("abort") or job.get("overall_status") != "in_progress":
            return []
        return [Action("cancel", _api.CANCEL_SYNC_JOB, None, "cancel synchronization job %s" % job.get("id"), {"abort": True},
                       ids=[job.get("id")])]

    def apply(self, before, actions):
        job = actions[0].send(self.client)
        return Snapshot(job, job_view(job)), actions

    def extras(self, before, after, actions, predicted):
        return {"job_id": after.view["id"], "overall_status": after.view["overall_status"]}


def _schedule_body(scope, schedule):
    """The job configuration to create. TF resource_scheduler.go: ``kms`` is "a list of kms resource ID's" (row 2)."""
    params = {"cloud_name": "aws"}
    if scope.kms_records is None:
        params["synchronize_all"] = True
    else:
        params["kms"] = sorted(r["id"] for r in scope.kms_records)
    return dict(base_body(schedule, SCHEDULE_OPERATION), cckm_synchronization_params=params)


def schedule_view(config, kms_records=()):
    """The managed fields of a scheduler job configuration, comparable with _schedule_body().

    Reads give the parameters back under ``job_config_params`` (TF getParamsFromResponse) or, on other versions,
    under the request's own ``cckm_synchronization_params``: either is read (fidelity review row 2). KMS names
    a server echoes back are turned into the IDs of ``kms_records``; ``synchronize_all`` may be left out.
    """
    if not config:
        return None
    params = config_params(config, "cckm_synchronization_params")
    ids = {r.get("name"): r.get("id") for r in kms_records}
    params = {"cloud_name": params.get("cloud_name") or "aws", "kms": sorted(ids.get(ref, ref) for ref in params.get("kms") or []),
              "synchronize_all": bool(params.get("synchronize_all"))}
    return dict(base_view(config), cckm_synchronization_params=params)


class SyncSchedule(ScheduleResource):
    """aws_sync schedule: one scheduler job configuration that runs the sync periodically (or none)."""

    operation = SCHEDULE_OPERATION
    params_key = "cckm_synchronization_params"

    def __init__(self, params, client, warn):
        if params.get("regions"):
            raise OptionError(("schedule", "regions"), "a scheduled synchronization covers whole KMS containers; remove regions")
        super().__init__(params, client, warn, params["schedule"])
        self.kms_records = ()

    def desired_body(self):
        scope = Scope.from_params(self.client, self.params)
        self.prerequisites += [scope.kms] if scope.kms else []
        self.kms_records = scope.kms_records or ()
        return _schedule_body(scope, self.schedule)

    def view(self, config):
        return schedule_view(config, self.kms_records)


def sync_resource(params, client, warn):
    """aws_sync's resource: a schedule, a cancellation, or a synchronization run."""
    if params.get("schedule"):
        return SyncSchedule(params, client, warn)
    if params["state"] == "cancelled":
        return SyncCancel(params, client, warn)
    return SyncRun(params, client, warn)
