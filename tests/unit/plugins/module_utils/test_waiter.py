"""The waiting loop: polls until done, one total budget, timeout carries the last status."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout
from ansible_collections.ciphertrust.cckm.plugins.module_utils._jobs import done, status
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter
from ansible_collections.ciphertrust.cckm.tests.unit.fakes import FakeTime


def test_waits_until_the_job_is_no_longer_in_progress():
    states = iter(["in_progress", "in_progress", "completed"])
    clock = FakeTime()
    waiter = Waiter(lambda: {"overall_status": next(states)}, done=done, sleep=clock.sleep, clock=clock.clock)
    assert waiter.wait(timeout=60, interval=2) == {"overall_status": "completed"}
    assert clock.sleeps == [0.1, 0.1]  # a short job is seen done at once (issue 18)


def test_the_pause_doubles_up_to_wait_sleep_and_never_beyond_the_timeout():
    clock = FakeTime()
    waiter = Waiter(lambda: {"overall_status": "in_progress"}, done=done, sleep=clock.sleep, clock=clock.clock)
    with pytest.raises(WaitTimeout):
        waiter.wait(timeout=10, interval=2)
    assert [round(s, 6) for s in clock.sleeps] == [0.1] * 10 + [0.2, 0.4, 0.8, 1.6, 2, 2, 2]
    small = FakeTime()
    Waiter(iter([{"overall_status": "in_progress"}] * 2 + [{"overall_status": "completed"}]).__next__, done=done,
           sleep=small.sleep, clock=small.clock).wait(timeout=10, interval=0.05)
    assert small.sleeps == [0.05, 0.05]


def test_timeout_is_a_total_budget_and_reports_the_last_status():
    clock = FakeTime()
    waiter = Waiter(lambda: {"overall_status": "in_progress", "id": "j1"}, done=done, describe=status, what="bulk job j1",
                    sleep=clock.sleep, clock=clock.clock)
    with pytest.raises(WaitTimeout) as caught:
        waiter.wait(timeout=5, interval=2)
    assert round(sum(clock.sleeps), 6) == 5
    assert "bulk job j1" in str(caught.value) and "in_progress" in str(caught.value)
    assert caught.value.fail_kwargs()["last_seen"]["id"] == "j1"
