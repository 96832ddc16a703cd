"""The job waiter: polls until done, one total budget, timeout carries the last status."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import DummyWaiter, Waiter, get_waiter, job_done, new_job_lookup
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import FakeTime


def test_waits_until_the_job_is_no_longer_in_progress():
    states = iter(["in_progress", "in_progress", "completed"])
    clock = FakeTime()
    waiter = Waiter(lambda: {"overall_status": next(states)}, sleep=clock.sleep, clock=clock.clock)
    assert waiter.wait(timeout=60, interval=2) == {"overall_status": "completed"}
    assert clock.sleeps == [2, 2]


def test_timeout_is_a_total_budget_and_reports_the_last_status():
    clock = FakeTime()
    waiter = Waiter(lambda: {"overall_status": "in_progress", "id": "j1"}, what="bulk job j1", sleep=clock.sleep, clock=clock.clock)
    with pytest.raises(WaitTimeout) as caught:
        waiter.wait(timeout=5, interval=2)
    assert sum(clock.sleeps) == 5
    assert "bulk job j1" in str(caught.value) and "in_progress" in str(caught.value)
    assert caught.value.fail_kwargs()["last_seen"]["id"] == "j1"


def test_check_mode_waiter_does_not_poll():
    assert isinstance(get_waiter(lambda: pytest.fail("polled"), check_mode=True), DummyWaiter)
    assert job_done({"overall_status": "completed"}) and not job_done({"overall_status": "in_progress"})


class FakeJobs:
    """A job list endpoint sorted newest first, as GET ...?sort=-createdAt answers."""

    def __init__(self, jobs):
        self.jobs = jobs

    def get(self, path, params=None):
        return {"resources": self.listing()[:params["limit"]]}

    def paginate(self, path, params=None, page_size=50):
        return iter(self.listing())

    def listing(self):
        return sorted(self.jobs, key=lambda j: j["createdAt"], reverse=True)


def test_new_job_lookup_finds_a_finished_job_of_the_post_but_never_an_earlier_identical_one():
    """After a lost answer the started job may already be done; an older job with the same body must not count as ours."""
    old = {"id": "old", "createdAt": "2024-01-01T10:00:00.000000Z", "operation": "disablekey", "overall_status": "completed"}
    jobs = FakeJobs([old, dict(old, id="older", createdAt="2024-01-01T09:00:00.000000Z")])
    lookup = new_job_lookup(jobs, "/jobs", lambda j: j["operation"] == "disablekey")
    assert lookup() is None
    jobs.jobs.append(dict(old, id="other", createdAt="2024-01-01T10:00:01.000000Z", operation="enablekey"))
    assert lookup() is None
    ours = dict(old, id="ours", createdAt="2024-01-01T10:00:02.000000Z")
    jobs.jobs.append(ours)
    assert lookup() == ours
    assert new_job_lookup(FakeJobs([]), "/jobs", lambda j: True)() is None
