"""Asynchronous CCKM jobs: bulk key jobs (seed 001, cckm-aws.md 6) and synchronization jobs (seed 002, 7).

Each job runs in its own daemon thread, so several jobs progress in parallel. A job takes about
``job_delay`` seconds: bulk jobs spread that time over their keys (so a cancel can stop the rest),
sync jobs wait it out and then sync region by region. State is only touched under the lock, and a
job started before ``POST /_emulator/reset`` stops silently.
"""

import time

from . import keys, templates
from .aws import AwsError
from .common import ApiError, AwsConflict, Body, Lister, bad_request, metadata, new_id, now, touch

BULK_ACTIONS = {"enablekey": "enable", "disablekey": "disable", "cancelkeydeletion": "cancel-deletion",
                "schedulekeydeletion": "schedule-deletion", "applypolicytemplate": None}
MAX_BULK_KEYS = 100
ABORTED = "Aborted"

JOB_LISTER = Lister(filters={"id": lambda j: j["id"], "overall_status": lambda j: j["overall_status"], "cloud": lambda j: j["cloud"],
                             "kms": lambda j: j.get("kms", []), "operation": lambda j: j.get("operation")})


def create_bulk(st, body):
    """POST /bulkjob: validate, record the job (seed 001 shape) and start it."""
    operation = body.string("operation")
    if operation not in BULK_ACTIONS:
        raise bad_request(f"operation must be one of {', '.join(BULK_ACTIONS)}")
    key_ids = body.strings("keys")
    if not key_ids:
        raise bad_request("keys is required: a list of CCKM key ids")
    if len(key_ids) > MAX_BULK_KEYS:
        raise bad_request(f"a bulk job accepts at most {MAX_BULK_KEYS} keys, got {len(key_ids)}")
    options = {}
    if operation == "schedulekeydeletion":
        options["days"] = body.integer("days", keys.DEFAULT_DELETION_DAYS)
        if not 7 <= options["days"] <= 30:
            raise bad_request(f"days must be between 7 and 30, got {options['days']}")
    if operation == "applypolicytemplate":
        if not body.get("policy_template_id"):
            raise bad_request("policy_template_id is required for operation applypolicytemplate")
        options["policy_template_id"] = templates.find(st, body.get("policy_template_id"))["id"]
    return start_bulk(st, operation, key_ids, **options)


def start_bulk(st, operation, key_ids, store=None, **options):
    """Record and start a bulk job; also used for the policy-template auto-push job (kept in ``store``)."""
    store = st.bulk_jobs if store is None else store
    job = metadata("bulkjob", new_id(), application=False)
    job.update(overall_status="in_progress", abort=False, cloud="aws", keys=list(key_ids), operation=operation, **options)
    store[job["id"]] = job
    st.spawn(_run_bulk, st, store, job["id"], list(key_ids), st.config.job_delay)
    return job


def _run_bulk(generation, st, store, job_id, key_ids, delay):
    step = delay / max(len(key_ids), 1)
    for key_id in key_ids:
        time.sleep(step)
        with st.lock:
            if not st.alive(generation):
                return
            job = store[job_id]
            outcome = ABORTED if job["abort"] else _bulk_one(st, job, key_id)
            job.setdefault("detailed_status", {})[key_id] = outcome
            touch(job)
    with st.lock:
        if st.alive(generation):
            _finish(store[job_id])


def _bulk_one(st, job, key_id):
    """Apply the job's operation to one key: "Success" or the failure text a client would see."""
    if key_id in st.fail_keys:
        return st.fail_keys[key_id]
    record = st.keys.get(key_id)
    if record is None:
        return f"key {key_id} not found"
    try:
        if job["operation"] == "applypolicytemplate":
            template = st.templates.get(job["policy_template_id"])
            if template is None:
                return f"policy template {job['policy_template_id']} not found"
            templates.check_applicable(template, st.kms[record["kms_id"]])
            keys.apply_template(st, record, template)
            keys.refresh(st, record)
        else:
            keys.perform(st, record, BULK_ACTIONS[job["operation"]], Body({"days": job.get("days")}))
    except ApiError as exc:
        return exc.message
    except AwsError as exc:
        return str(exc)
    return "Success"


def _finish(job, status="completed"):
    stamp = now()
    job.update(completed_at=stamp, updatedAt=stamp, overall_status=status)


def cancel(job):
    """POST .../{id}/cancel: set ``abort``; a running job skips what is left, a finished one is unchanged."""
    job["abort"] = True
    touch(job)
    return job


def create_sync(st, body):
    """POST /synchronization-jobs (seed 002): exactly one of synchronize_all or kms (+ optional regions)."""
    sync_all = body.flag("synchronize_all")
    kms_refs, regions = body.strings("kms"), body.strings("regions")
    if sync_all and (kms_refs or regions):
        raise bad_request("synchronize_all and kms/regions are mutually exclusive; specify either")
    if not sync_all and not kms_refs:
        raise bad_request("specify kms (and optionally regions) or synchronize_all: true")
    selected = list(st.kms.values()) if sync_all else [keys.find_kms(st, ref) for ref in kms_refs]
    unknown = [region for region in regions if not any(region in kms["regions"] for kms in selected)]
    if unknown:
        raise bad_request(f"region(s) {', '.join(unknown)} not managed by the selected KMS")
    if any(job["overall_status"] == "in_progress" for job in st.sync_jobs.values()):
        raise AwsConflict("synchronization job already in progress")
    targets = [(kms["id"], region) for kms in selected for region in kms["regions"] if not regions or region in regions]
    job = metadata("synchronize", new_id())
    job.update(overall_status="in_progress", cloud="aws", regions=regions, kms=kms_refs, abort=False)
    st.sync_jobs[job["id"]] = job
    st.spawn(_run_sync, st, job["id"], targets, st.config.job_delay)
    return job


def _run_sync(generation, st, job_id, targets, delay):
    time.sleep(delay)
    summary = {"added": 0, "updated": 0, "gone": 0}
    for kms_id, region in targets:
        with st.lock:
            if not st.alive(generation):
                return
            job, kms = st.sync_jobs[job_id], st.kms[kms_id]
            label = f"{kms['account_id']}/{region}"
            if job["abort"]:
                outcome = "synchronization aborted"
            elif region in st.fail_regions:
                outcome = st.fail_regions[region]
                job["failed"] = True
            else:
                for name, count in keys.synchronize_region(st, kms, region).items():
                    summary[name] += count
                outcome = "region synchronized successfully"
            job.setdefault("detailed_status", {})[label] = outcome
    with st.lock:
        if st.alive(generation):
            job = st.sync_jobs[job_id]
            job["summary"] = summary
            _finish(job, "failed" if job.pop("failed", False) else "completed")


def list_jobs(jobs, args):
    """GET list of bulk or sync jobs."""
    return JOB_LISTER.page(list(jobs.values()), args)
