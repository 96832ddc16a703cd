# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CipherTrust jobs (bulk jobs, synchronization jobs, template pushes): start, wait, cancel, read results.

One place decides what a job's status means: which statuses are still running, which per-item texts
are successes. Starting a job after a lost answer never starts a second one: the job the POST may have
started is the matching one newer than the newest job listed just before it.
"""

from __future__ import annotations

import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter

# Only these end a wait (seeds 001, 002 say completed/failed; the others are the spellings a server may use). Any
# other status, an unknown one included ("Processing", "IN PROGRESS"), is still running: issue 21 #4.
SUCCEEDED_STATUSES = frozenset(("completed", "complete", "success", "succeeded", "done"))
FAILED_STATUSES = frozenset(("failed", "failure", "error", "cancelled", "canceled", "aborted"))
# Bulk jobs say "Success" per key, synchronization jobs "region synchronized successfully" per region (seeds 001, 002).
_SUCCESS = re.compile(r"(?<!un)success", re.IGNORECASE)
NEWEST_PAGE = 20


class JobKind:
    """The endpoints of one kind of job, and its name in messages."""

    def __init__(self, what, list_jobs, get_job, start_job, cancel_job):
        self.what = what
        self.list_jobs = list_jobs
        self.get_job = get_job
        self.start_job = start_job
        self.cancel_job = cancel_job


BULK = JobKind("bulk job", _api.LIST_BULK_JOBS, _api.GET_BULK_JOB, _api.START_BULK_JOB, _api.CANCEL_BULK_JOB)
SYNC = JobKind("synchronization job", _api.LIST_SYNC_JOBS, _api.GET_SYNC_JOB, _api.START_SYNC_JOB, _api.CANCEL_SYNC_JOB)
# Seed 003 calls the auto-push of a verified template a job; the emulator runs it as a bulk job (assumed; fidelity row 3).
TEMPLATE_PUSH = JobKind("policy push job", _api.LIST_BULK_JOBS, _api.GET_BULK_JOB, None, _api.CANCEL_BULK_JOB)


def status(job):
    return (job or {}).get("overall_status")


def _status_word(job):
    return str(status(job) or "").strip().lower()


def done(job):
    """A job is finished once its ``overall_status`` is a known final one."""
    return _status_word(job) in SUCCEEDED_STATUSES | FAILED_STATUSES


def failed(job):
    """A finished job that did not do its work (failed, cancelled, aborted), whatever its per-item results say."""
    return _status_word(job) in FAILED_STATUSES


def succeeded(text):
    """Whether one per-item text of ``detailed_status`` reports success (the one reading of it)."""
    return bool(_SUCCESS.search(str(text)))


def failures(job):
    """{item: text} of the items (keys, regions) a finished job did not do."""
    return {item: text for item, text in ((job or {}).get("detailed_status") or {}).items() if not succeeded(text)}


def new_job_lookup(client, kind, matches):
    """A ``landed()`` for a POST that starts a job, to be built just before sending it.

    Jobs carry no client-chosen key, so after an ambiguous failure the job the POST may have started is the
    matching one newer than every job listed now; an earlier, identical job (a previous run's, or one that already
    finished) is never mistaken for it, and a fast job that finished is still found. ``sort=-createdAt`` is asked
    for but not relied on (it is documented for bulk jobs only: fidelity review row 18): when the first page is
    not newest-first, every job is listed to know them all.
    """
    page = (kind.list_jobs(client, params={"sort": "-createdAt", "skip": 0, "limit": NEWEST_PAGE}) or {}).get("resources") or []
    stamps = [_created(job) for job in page]
    newest_first = stamps == sorted(stamps, reverse=True)
    if not newest_first:
        page = list(kind.list_jobs.pages(client, {"sort": "-createdAt"}))
        stamps = [_created(job) for job in page]
    since = max(stamps) if stamps else ""
    known = {job.get("id") for job in page}

    def lookup():
        found = []
        for job in kind.list_jobs.pages(client, {"sort": "-createdAt"}, page_size=50):
            if _created(job) < since and newest_first:
                break  # the server sorts: nothing older can be ours
            if _created(job) >= since and job.get("id") not in known and matches(job):
                found.append(job)
        return max(found, key=_created) if found else None
    return lookup


def _created(job):
    return str(job.get("createdAt") or "")


def start(client, kind, body, matches):
    """POST a job; after an ambiguous failure the job it started is found even if it already finished."""
    return kind.start_job(client, body=body, landed=new_job_lookup(client, kind, matches))


def get(client, kind, job_id):
    return kind.get_job(client, job_id)


def cancel(client, kind, job_id):
    return kind.cancel_job(client, job_id)


def wait(client, kind, jobs, timeout, interval, cancel_on_timeout=False):
    """Poll every unfinished job until all are done; one ``timeout`` budget for all of them.

    On timeout the unfinished jobs are cancelled when ``cancel_on_timeout``, and WaitTimeout says so.
    """
    state = {job["id"]: job for job in jobs}

    def fetch():
        for job_id, job in state.items():
            if not done(job):
                state[job_id] = kind.get_job(client, job_id)
        return list(state.values())

    what = "%s %s" % (kind.what, jobs[0]["id"]) if len(jobs) == 1 else "%d %ss" % (len(jobs), kind.what)
    try:
        return Waiter(fetch, done=lambda js: all(done(j) for j in js), what=what,
                      describe=lambda js: ", ".join("%s %s" % (j["id"], status(j)) for j in js if not done(j))).wait(
            timeout, interval, first=list(state.values()))
    except WaitTimeout as exc:
        if cancel_on_timeout:
            for job_id in [job_id for job_id, job in state.items() if not done(job)]:
                state[job_id] = cancel(client, kind, job_id) or state[job_id]
            exc.args = (str(exc) + "; the unfinished jobs were cancelled (cancel_on_timeout=true)",)
        if len(jobs) == 1:
            exc.last_seen = list(state.values())[0]
        raise
