# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Waiting for CipherTrust jobs (bulk, synchronization, template push) on a monotonic clock."""

from __future__ import annotations

import time

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout

RUNNING_STATUSES = frozenset(("in_progress", "pending", "queued", "running", "scheduled"))


def job_done(job):
    """A job is finished once its ``overall_status`` is no longer a running one."""
    return str((job or {}).get("overall_status", "")).lower() not in RUNNING_STATUSES


def job_status(job):
    return (job or {}).get("overall_status")


def new_job_lookup(client, path, matches):
    """A ``landed()`` for a POST that starts a job, to be built just before sending it.

    Jobs carry no client-chosen key, so after an ambiguous failure the job the POST may have started is the
    matching one newer than the newest job listed now; an earlier, identical job (a previous run's, or one
    that already finished) is never mistaken for it, and a fast job that finished is still found.
    """
    newest = (client.get(path, params={"sort": "-createdAt", "skip": 0, "limit": 1}) or {}).get("resources") or []
    since = str(newest[0].get("createdAt") or "") if newest else ""
    known = {job.get("id") for job in newest}

    def lookup():
        for job in client.paginate(path, {"sort": "-createdAt"}, page_size=50):
            if str(job.get("createdAt") or "") < since:
                return None
            if job.get("id") not in known and matches(job):
                return job
        return None
    return lookup


class Waiter:
    """Polls ``fetch()`` until ``done(result)``; ``wait_timeout`` is one budget for the whole wait.

    On timeout raises WaitTimeout carrying the last result seen, so the failure says where it got stuck.
    The token stays valid during long waits because every fetch goes through the client, which renews it.
    """

    def __init__(self, fetch, done=job_done, describe=job_status, what="the job", sleep=time.sleep, clock=time.monotonic):
        self.fetch = fetch
        self.done = done
        self.describe = describe
        self.what = what
        self._sleep = sleep
        self._clock = clock

    def wait(self, timeout, interval, first=None):
        """Return the first result for which ``done`` holds; ``first`` is a result already in hand."""
        start = self._clock()
        result = first if first is not None else self.fetch()
        while not self.done(result):
            elapsed = self._clock() - start
            if elapsed >= timeout:
                raise WaitTimeout(self.what, elapsed, result, self.describe(result))
            self._sleep(max(0.0, min(interval, timeout - elapsed)))
            result = self.fetch()
        return result


class DummyWaiter:
    """Check mode: nothing was started, so there is nothing to wait for."""

    def wait(self, timeout, interval, first=None):
        return first


def get_waiter(fetch, check_mode=False, **kwargs):
    return DummyWaiter() if check_mode else Waiter(fetch, **kwargs)
