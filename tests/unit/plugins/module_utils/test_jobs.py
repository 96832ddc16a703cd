"""The jobs module: one reading of job statuses and per-item results, the lost-answer lookup, waiting and cancelling."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _jobs
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout


class FakeJobs:
    """A CipherTrust job API in memory: lists sorted newest first (as ?sort=-createdAt answers), GET and cancel by id."""

    def __init__(self, jobs):
        self.jobs = jobs
        self.calls = []

    def request(self, method, path, params=None, json_body=None, **kwargs):
        self.calls.append((method, path))
        if method == "GET" and path.endswith("/bulkjob"):
            return {"resources": self.listing()[:params["limit"]]}
        job = next(j for j in self.jobs if path.split("/")[6] == j["id"])
        if path.endswith("/cancel"):
            job["abort"] = True
        return dict(job)

    def paginate(self, path, params=None, page_size=50):
        self.calls.append(("GET", path))
        return iter(self.listing())

    def listing(self):
        return sorted(self.jobs, key=lambda j: j["createdAt"], reverse=True)


def test_statuses_and_per_item_results_have_one_reading():
    assert _jobs.done({"overall_status": "completed"}) and not _jobs.done({"overall_status": "in_progress"})
    assert not _jobs.done({"overall_status": "QUEUED"}) and _jobs.failed({"overall_status": "Failed"})
    job = {"detailed_status": {"k1": "Success", "k2": "KMSInternalException: boom", "eu": "region synchronized successfully",
                               "us": "unsuccessful"}}
    assert _jobs.failures(job) == {"k2": "KMSInternalException: boom", "us": "unsuccessful"}


def test_new_job_lookup_finds_a_finished_job_of_the_post_but_never_an_earlier_identical_one():
    """After a lost answer the started job may already be done; an older job with the same body must not count as ours."""
    old = {"id": "old", "createdAt": "2024-01-01T10:00:00.000000Z", "operation": "disablekey", "overall_status": "completed"}
    jobs = FakeJobs([old, dict(old, id="older", createdAt="2024-01-01T09:00:00.000000Z")])
    lookup = _jobs.new_job_lookup(jobs, _jobs.BULK, lambda j: j["operation"] == "disablekey")
    assert lookup() is None
    jobs.jobs.append(dict(old, id="other", createdAt="2024-01-01T10:00:01.000000Z", operation="enablekey"))
    assert lookup() is None
    ours = dict(old, id="ours", createdAt="2024-01-01T10:00:02.000000Z")
    jobs.jobs.append(ours)
    assert lookup() == ours
    assert _jobs.new_job_lookup(FakeJobs([]), _jobs.BULK, lambda j: True)() is None


def test_wait_polls_only_unfinished_jobs_and_cancels_them_on_timeout(fake_time, monkeypatch):
    jobs = FakeJobs([{"id": "a", "createdAt": "1", "overall_status": "completed"}, {"id": "b", "createdAt": "2", "overall_status": "in_progress"}])
    monkeypatch.setattr(_jobs, "Waiter", _clocked(fake_time))
    with pytest.raises(WaitTimeout, match="2 bulk jobs.*b in_progress.*were cancelled"):
        _jobs.wait(jobs, _jobs.BULK, [dict(j) for j in jobs.jobs], timeout=4, interval=2, cancel_on_timeout=True)
    assert ("GET", "/api/v1/cckm/aws/bulkjob/a") not in jobs.calls
    assert ("POST", "/api/v1/cckm/aws/bulkjob/b/cancel") in jobs.calls and jobs.jobs[1]["abort"] is True


def _clocked(fake_time):
    real = _jobs.Waiter

    def make(*args, **kwargs):
        return real(*args, sleep=fake_time.sleep, clock=fake_time.clock, **kwargs)
    return make


class UnsortedJobs(FakeJobs):
    """A job list that ignores ``sort`` (documented for bulk jobs only; fidelity review row 18): oldest first."""

    def listing(self):
        return sorted(self.jobs, key=lambda j: j["createdAt"])


def test_new_job_lookup_does_not_rely_on_the_server_sorting():
    old = {"id": "old", "createdAt": "2024-01-01T10:00:00.000000Z", "operation": "disablekey", "overall_status": "completed"}
    jobs = UnsortedJobs([dict(old, id="j%d" % n, createdAt="2024-01-01T09:%02d:00.000000Z" % n) for n in range(30)] + [old])
    lookup = _jobs.new_job_lookup(jobs, _jobs.BULK, lambda j: j["operation"] == "disablekey")
    assert lookup() is None  # none of the 31 earlier identical jobs is taken for ours
    ours = dict(old, id="ours", createdAt="2024-01-01T10:00:02.000000Z")
    jobs.jobs.append(ours)
    assert lookup() == ours


@pytest.mark.parametrize("status, is_done, is_failed", [
    ("completed", True, False), ("Success", True, False), ("failed", True, True), ("Failed", True, True),
    ("cancelled", True, True), ("aborted", True, True), ("Processing", False, False), ("IN PROGRESS", False, False),
    ("in_progress", False, False), (None, False, False),
])
def test_only_known_final_statuses_end_a_wait(status, is_done, is_failed):
    """Issue 21 #4: an unknown status is still running, and failure statuses are failures whatever the case."""
    assert _jobs.done({"overall_status": status}) is is_done and _jobs.failed({"overall_status": status}) is is_failed
