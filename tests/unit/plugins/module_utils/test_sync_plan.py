"""aws_sync planning: a run (start, join, wait then start), a cancellation and a schedule, as actions."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._sync import (
    Scope, SyncCancel, SyncRun, SyncSchedule, _schedule_body, job_view, schedule_view,
)

KMS = [{"id": "kms-1", "name": "aws-kms", "regions": ["us-east-1"]}]
RUN = {"kms": ["aws-kms"], "synchronize_all": False, "regions": None, "state": "present", "job_id": None, "if_running": "wait",
       "cancel_on_timeout": False, "schedule": None, "wait": True, "wait_timeout": 60, "wait_sleep": 1}
RUNNING = {"id": "job-1", "overall_status": "in_progress", "kms": ["kms-1"], "abort": False}


def run(**options):
    res = SyncRun(dict(RUN, **options), client=None, warn=None)
    res.scope = Scope(KMS, options.get("regions"))
    return res


def steps(actions):
    return [(a.name, a.endpoint.method if a.endpoint else None, a.body) for a in actions]


@pytest.mark.parametrize("running, if_running, expected", [
    (None, "wait", [("start", "POST", {"kms": ["aws-kms"]})]),
    (RUNNING, "wait", [("join", None, None)]),
    (RUNNING, "start", [("wait", None, None), ("start", "POST", {"kms": ["aws-kms"]})]),
])
def test_run_plan(running, if_running, expected):
    before = Snapshot(running, job_view(running)) if running else None
    assert steps(run(if_running=if_running).plan(before)) == expected


def test_a_running_job_with_if_running_fail_is_refused_before_any_write():
    with pytest.raises(OptionError, match="if_running: synchronization job job-1 is already running"):
        run(if_running="fail").plan(Snapshot(RUNNING, job_view(RUNNING)))


def test_a_start_is_predicted_as_a_job_that_would_start_and_a_join_as_the_running_job():
    res = run(regions=["us-east-1"])
    predicted = res.predict(None, res.plan(None))
    assert predicted.record is None and predicted.view["id"] is None and predicted.view["regions"] == ["us-east-1"]
    joined = Snapshot(RUNNING, job_view(RUNNING))
    assert res.predict(joined, run().plan(joined)) is joined


@pytest.mark.parametrize("job, expected", [
    (RUNNING, [("cancel", "POST", None)]),
    (dict(RUNNING, abort=True), []),
    (dict(RUNNING, overall_status="completed"), []),
])
def test_cancel_plan(job, expected):
    res = SyncCancel(dict(RUN, state="cancelled", job_id="job-1"), client=None, warn=None)
    actions = res.plan(Snapshot(job, job_view(job)))
    assert steps(actions) == expected
    assert [a.to_result()["path"] for a in actions] == ["/api/v1/cckm/aws/synchronization-jobs/job-1/cancel"] * len(expected)


SCHEDULE = {"name": "nightly", "run_at": "0 2 * * *", "description": None, "disabled": False, "state": "present"}


def schedule(**changes):
    res = SyncSchedule(dict(RUN, schedule=dict(SCHEDULE, **changes)), client=None, warn=None)
    res.desired = _schedule_body(Scope(KMS), res.schedule)
    return res


def existing(**changes):
    config = dict(_schedule_body(Scope(KMS), SCHEDULE), id="cfg-1", **changes)
    return Snapshot(config, schedule_view(config))


@pytest.mark.parametrize("before, changes, expected", [
    (None, {}, [("create", "POST")]),
    (existing(), {}, []),
    (existing(run_at="0 3 * * *"), {}, [("update", "PATCH")]),
    (existing(), {"disabled": True}, [("update", "PATCH")]),
    (existing(), {"state": "absent"}, [("delete", "DELETE")]),
    (None, {"state": "absent"}, []),
])
def test_schedule_plan(before, changes, expected):
    actions = schedule(**changes).plan(before)
    assert [(a.name, a.endpoint.method) for a in actions] == expected
    assert all("/cfg-1" in a.to_result()["path"] for a in actions if a.name != "create")


@pytest.mark.parametrize("changes, message", [({"run_at": "nightly"}, "not a cron expression"), ({"run_at": None}, "cron expression is required")])
def test_schedule_options_fail_before_any_request(changes, message):
    with pytest.raises(OptionError, match=message):
        schedule(**changes)
