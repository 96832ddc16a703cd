# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CCKM synchronization jobs (seed 002) and their recurring schedule, as desired state.

What a sync changed is measured by comparing CCKM's key list before and after the job, which works on
every CipherTrust version (the job record itself carries no counts).
"""

from __future__ import annotations

import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import API, AWS, path_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, Conflict, NotFound, OptionError, WaitTimeout, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys import list_keys
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import resolve_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter, new_job_lookup

SYNC_PATH = AWS + "/synchronization-jobs"
SCHEDULE_PATH = API + "/scheduler/job-configs"
SCHEDULE_OPERATION = "cckm_synchronization"
FAILED_STATUSES = ("failed", "error")
# Five cron fields (minute hour day month weekday): numbers, names, * / , - only; checked before the scheduler is written.
CRON = re.compile(r"[0-9A-Za-z*/,-]+(\s+[0-9A-Za-z*/,-]+){4}")


class SyncFailed(CckmError):
    """The job finished, but some regions did not synchronize; the message lists them."""

    def __init__(self, job, errors):
        self.job = job
        detail = "; ".join("%s: %s" % item for item in sorted(errors.items())) or "overall_status %s" % job.get("overall_status")
        super().__init__("Synchronization job %s failed: %s" % (job.get("id"), detail))

    def fail_kwargs(self):
        return {"msg": str(self), "job": self.job}


class Scope:
    """Which KMS containers and regions a sync covers (all of them with synchronize_all)."""

    def __init__(self, kms_records=None, regions=None):
        self.kms_records = kms_records
        self.regions = regions or []

    @classmethod
    def from_params(cls, client, params):
        if params.get("synchronize_all"):
            if params.get("kms") or params.get("regions"):
                raise OptionError(("synchronize_all", "kms", "regions"), "synchronize_all=true cannot be combined with kms or regions")
            return cls()
        if not params.get("kms"):
            raise OptionError(("kms", "synchronize_all"), "give the KMS to synchronize, or synchronize_all=true")
        records = resolve_kms(client, params["kms"])
        managed = {region for record in records for region in record.get("regions") or []}
        outside = [r for r in params.get("regions") or [] if r not in managed]
        if outside:
            raise OptionError("regions", "%s not managed by KMS %s" % (", ".join(outside), ", ".join(r["name"] for r in records)))
        return cls(records, params.get("regions"))

    @property
    def kms_names(self):
        return None if self.kms_records is None else [r["name"] for r in self.kms_records]

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
    for job in client.paginate(SYNC_PATH, {"overall_status": "in_progress"}):
        if job.get("overall_status") == "in_progress" and (scope is None or scope.covers(job)):
            return job
    return None


def region_errors(job):
    return {region: text for region, text in (job.get("detailed_status") or {}).items() if "success" not in str(text).lower()}


class SyncRunner:
    """Start (or join) a sync, wait for it, and report what it changed."""

    def __init__(self, module):
        self.module = module
        self.client = module.client()
        self.params = module.params

    def waiter(self, job_id):
        return Waiter(lambda: self.client.get("%s/%s" % (SYNC_PATH, path_id(job_id))), what="synchronization job %s" % job_id)

    def run(self):
        scope = Scope.from_params(self.client, self.params)
        if self.module.check_mode:
            return {"changed": False, "job": None, "would_start": scope.job_body(),
                    "msg": "Check mode: a synchronization job would be started; what it finds cannot be predicted"}
        before = snapshot(self.client, scope) if self.params["wait"] else None
        job, joined = self.start(scope)
        result = {"job_id": job.get("id"), "joined_running_job": joined}
        if not self.params["wait"]:
            return dict(result, changed=True, job=job, overall_status=job.get("overall_status"))
        job = self.wait(job)
        if job.get("overall_status") in FAILED_STATUSES or region_errors(job):
            raise SyncFailed(job, region_errors(job))
        changes = compare(before, snapshot(self.client, scope))
        counts = {name: len(items) for name, items in changes.items()}
        return dict(result, changed=any(counts.values()), job=job, overall_status=job.get("overall_status"),
                    counts=counts, **changes)

    def post_job(self, scope):
        """Start a job; after an ambiguous failure the job it started is found even if it already finished (no second job)."""
        return self.client.post(SYNC_PATH, scope.job_body(), landed=new_job_lookup(self.client, SYNC_PATH, scope.covers))

    def start(self, scope):
        """POST the job; when one is already running, act on ``if_running``. Returns (job, joined_running)."""
        try:
            return self.post_job(scope), False
        except Conflict:
            running = running_job(self.client)
            if running is None:  # it finished in the meantime
                return self.post_job(scope), False
        if self.params["if_running"] == "fail":
            raise OptionError("if_running", "synchronization job %s is already running (if_running=fail)" % running.get("id"))
        if self.params["if_running"] == "wait":
            return running, True
        self.wait(running)
        return self.post_job(scope), False

    def wait(self, job):
        try:
            return self.waiter(job["id"]).wait(self.params["wait_timeout"], self.params["wait_sleep"], first=job)
        except WaitTimeout as exc:
            if self.params["cancel_on_timeout"]:
                exc.last_seen = self.client.post("%s/%s/cancel" % (SYNC_PATH, path_id(job["id"])), idempotent=True)
                exc.args = (str(exc) + "; the job was cancelled (cancel_on_timeout=true)",)
            raise

    def cancel(self):
        job_path = "%s/%s" % (SYNC_PATH, path_id(self.params["job_id"]))
        try:
            job = self.client.get(job_path)
        except NotFound:
            raise OptionError("job_id", "no synchronization job %r" % self.params["job_id"])
        if job.get("abort") or job.get("overall_status") != "in_progress":
            return {"changed": False, "job": job, "job_id": job.get("id"), "overall_status": job.get("overall_status")}
        if not self.module.check_mode:
            job = self.client.post(job_path + "/cancel", idempotent=True)
        return {"changed": True, "job": job, "job_id": job.get("id"), "overall_status": job.get("overall_status")}


def _schedule_body(scope, schedule):
    params = {"cloud_name": "aws"}
    if scope.kms_records is None:
        params["synchronize_all"] = True
    else:
        params["kms"] = scope.kms_names
    return {"name": schedule["name"], "operation": SCHEDULE_OPERATION, "run_at": schedule["run_at"],
            "description": schedule.get("description") or "", "disabled": bool(schedule.get("disabled")),
            "cckm_synchronization_params": params}


def _schedule_view(config):
    """The managed fields of a scheduler job configuration, comparable with _schedule_body()."""
    if not config:
        return None
    params = dict(config.get("cckm_synchronization_params") or {})
    if params.get("kms"):
        params["kms"] = sorted(params["kms"])
    return {"name": config.get("name"), "run_at": config.get("run_at"), "description": config.get("description") or "",
            "disabled": bool(config.get("disabled")), "cckm_synchronization_params": params}


def ensure_schedule(module):
    """Keep one scheduler job configuration that runs the sync periodically (or remove it)."""
    client, params = module.client(), module.params
    schedule = params["schedule"]
    if params.get("regions"):
        raise OptionError(("schedule", "regions"), "a scheduled synchronization covers whole KMS containers; remove regions")
    existing = client.find_one(SCHEDULE_PATH, {"name": schedule["name"]}, lambda c: c.get("name") == schedule["name"])
    before = _schedule_view(existing)
    if schedule["state"] == "absent":
        if existing and not module.check_mode:
            client.delete("%s/%s" % (SCHEDULE_PATH, path_id(existing["id"])))
        return {"changed": bool(existing), "schedule": None, "diff": {"before": before or {}, "after": {}}}
    if not schedule.get("run_at"):
        raise OptionError("schedule.run_at", "a cron expression is required when the schedule is present")
    if not CRON.fullmatch(schedule["run_at"].strip()):
        raise OptionError("schedule.run_at", "%s is not a cron expression with five fields, like '0 2 * * *'" % shown(schedule["run_at"]))
    desired = _schedule_body(Scope.from_params(client, params), schedule)
    wanted = _schedule_view(desired)
    if before == wanted:
        return {"changed": False, "schedule": existing, "diff": {"before": before, "after": before}}
    config = dict(existing or {}, **desired)
    if not module.check_mode:
        if existing:
            changes = {k: v for k, v in desired.items() if k not in ("name", "operation")}
            config = client.patch("%s/%s" % (SCHEDULE_PATH, path_id(existing["id"])), changes)
        else:
            config = client.post(SCHEDULE_PATH, desired, landed=lambda: client.find_one(
                SCHEDULE_PATH, {"name": schedule["name"]}, lambda c: c.get("name") == schedule["name"]))
    return {"changed": True, "schedule": config, "diff": {"before": before or {}, "after": wanted}}


def ensure_sync(module):
    """Entry point of aws_sync: a schedule, a cancellation, or a synchronization run."""
    if module.params.get("schedule"):
        result = ensure_schedule(module)
    elif module.params["state"] == "cancelled":
        result = SyncRunner(module).cancel()
    else:
        result = SyncRunner(module).run()
    if not module._diff:  # pylint: disable=protected-access
        result.pop("diff", None)
    return result
