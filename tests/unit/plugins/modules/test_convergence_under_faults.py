"""Convergence under faults, in-process: one desired-state task list touching every write the collection makes, against
a clean emulator and a faulty one (20 % random faults; every write failing after it was applied, as HTTP 500 or a dropped
connection); both must end in the same state and a re-run must change nothing (tests/convergence.py). The same under
ansible-playbook, with roles and -vvv, is the soak in tests/integration/test_faults.py.
"""

import pytest

from module_runner import run_tasks
from tests.convergence import ACCOUNT, CLUMIO_TOKEN, converge, env_for, faults_paused, snapshot

# faults change what happens, not how long the client would wait in production: retry quickly (conftest)
pytestmark = pytest.mark.usefixtures("brisk_retries")

ROLE_ARN = "arn:aws:iam::123456789012:role/ClumioKMSRole"


def play(emu, tasks, label):
    """The tasks in-process; the faulty pass with diff, as the soak runs it."""
    return run_tasks(tasks, env=env_for(emu), diff=label == "faulty", expect_rc=None)


# -- scenarios -------------------------------------------------------------------------------------


def key_task(name, alias, region="us-east-1", **options):
    return {"name": name, "ciphertrust.cckm.aws_key": dict({"kms": "aws-kms", "region": region, "alias": alias, "wait_sleep": 0.2}, **options)}


def template_task(name, tpl, **options):
    return {"name": name, "ciphertrust.cckm.aws_policy_template": dict({"name": tpl, "kms": "aws-kms", "wait_sleep": 0.2}, **options)}


def bulk(name, **options):
    return {"name": name, "ciphertrust.cckm.aws_key_bulk": dict({"wait_sleep": 0.2}, **options)}


def sync(name, **options):
    return {"name": name, "ciphertrust.cckm.aws_sync": dict({"kms": ["aws-kms"], "wait_sleep": 0.2}, **options)}


def post_process(name, region, **options):
    options = dict({"account_native_id": ACCOUNT, "aws_region": region, "retries": 10}, **options)
    return {"name": name, "ciphertrust.cckm.kms_post_process": options}


MAIN = {"description": "Main key", "tags": {"app": "fx", "env": "prod"}, "policy_template": "fx-new", "auto_rotation": True,
        "rotation_period_days": 180, "aliases": ["fx-main-2"], "multi_region": True, "replica_regions": ["eu-west-1"]}

# One desired-state play touching every write the collection makes; the keys, templates and Clumio region it updates,
# deletes or cancels exist beforehand (module_setup), so a second run must change nothing. "main rotate" is the one
# task that is not idempotent by design (rotate_now), so the re-run leaves it out.
MODULE_TASKS = [
    template_task("tpl update in use (auto_push)", "fx-app", key_users=["app-user", "auditor"], auto_push=True),
    template_task("tpl delete", "fx-tmp", state="absent"),
    template_task("tpl create", "fx-new", key_users=["new-user"]),
    key_task("main create", "fx-main", **MAIN),
    key_task("main rotate", "fx-main", rotate_now=True),
    key_task("external create and import", "fx-ext", origin="EXTERNAL", import_material={"source_key_tier": "local"}),
    {"name": "rotation schedule", "ciphertrust.cckm.aws_key_rotation_schedule": {"name": "fx-rotation", "run_at": "0 4 * * *",
                                                                                 "expiration": "90d", "retain_alias": True}},
    key_task("byok upload and attach", "fx-byok", import_material={"source_key": "fx-src"}, rotation_job={"name": "fx-rotation"}),
    key_task("update description tags aliases, disable, detach", "upd-0", description="v2", tags={"a": "2"}, enabled=False,
             aliases=["upd-0-new"], purge_aliases=True, rotation_job={"state": "absent"}),
    key_task("schedule deletion", "del-0", state="absent", pending_window_days=7),
    key_task("cancel deletion and enable", "cancel-0", enabled=True),
    sync("sync east", regions=["us-east-1"]),
    sync("sync schedule", schedule={"name": "fx-sync", "run_at": "0 3 * * *"}),
    bulk("bulk template and disable", keys=["blk-0", "blk-1", "blk-2"], policy_template="fx-new", state="disabled"),
    bulk("bulk schedule deletion", keys=["blk-3"], state="pending_deletion", pending_window_days=7),
    post_process("clumio create east", "us-east-1", version=15, role_arn=ROLE_ARN),
    post_process("clumio delete west", "us-west-2", state="absent"),
]
ONCE = ("main rotate",)


def _ok(response):
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def module_setup(emu):
    """What the play updates, deletes or cancels: templates (one in use), keys in several states, a Clumio region."""
    app = _ok(emu.api("POST", "cckm/aws/templates", json={"name": "fx-app", "kms": "aws-kms", "key_users": ["app-user"]}))
    _ok(emu.api("POST", "cckm/aws/templates", json={"name": "fx-tmp", "kms": "aws-kms", "key_admins": ["tmp-admin"]}))
    _ok(emu.api("POST", "cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1", "aws_param": {"Alias": "used"}, "policytemplate": app["id"]}))
    for prefix, count in (("blk-", 4), ("upd-", 1), ("del-", 1), ("cancel-", 1)):
        emu.control("POST", "cckm/keys", {"count": count, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": prefix})
    ids = {k["aws_param"]["Alias"][0].replace("alias/", ""): k["id"] for k in _ok(emu.api("GET", "cckm/aws/keys", params={"limit": -1}))["resources"]}
    _ok(emu.api("POST", "cckm/aws/keys/%s/add-alias" % ids["upd-0"], json={"alias": "upd-0-old"}))
    old = _ok(emu.api("POST", "scheduler/job-configs", json={"name": "fx-old-rotation", "operation": "cckm_key_rotation", "run_at": "0 5 * * *"}))
    _ok(emu.api("POST", "cckm/aws/keys/%s/enable-rotation-job" % ids["upd-0"], json={"job_config_id": old["id"]}))
    _ok(emu.api("POST", "cckm/aws/keys/%s/schedule-deletion" % ids["cancel-0"], json={"days": 7}))
    emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "oob-east", "tags": {"origin": "aws"}})
    wallet = emu.control("GET", "clumio/wallets")["wallets"][0]
    response = emu.session.post(emu.url + "/wallets/_post-process", timeout=30, json={
        "account_native_id": ACCOUNT, "aws_region": "us-west-2", "request_type": "Create", "token": wallet["token"], "version": 15},
        headers={"Authorization": "Bearer " + CLUMIO_TOKEN, "Accept": "application/api.clumio.post-process-kms=v1+json"})
    _ok(response)


def test_module_scenarios_converge_under_random_faults(emulator_factory):
    clean, faulty = converge(emulator_factory, play, "fault-rate 0.2: aws_key, aws_policy_template, aws_key_bulk, aws_sync, kms_post_process",
                             MODULE_TASKS, setup=module_setup, once=ONCE)
    with faults_paused(faulty):
        state = snapshot(faulty)
    keys = {name.split("/", 1)[1]: entries[0] for name, entries in state["aws"].items()}
    assert keys["fx-main+fx-main-2@us-east-1"]["Tags"]["cckm_policy_template_id"] == "template:fx-new"
    assert keys["fx-main+fx-main-2@eu-west-1"]["mr_type"] == "REPLICA" and keys["fx-ext@us-east-1"]["KeyState"] == "Enabled"
    assert keys["cancel-0@us-east-1"]["KeyState"] == "Enabled" and keys["del-0@us-east-1"]["KeyState"] == "PendingDeletion"
    assert keys["upd-0+upd-0-new@us-east-1"]["KeyState"] == "Disabled"
    assert sorted(state["templates"]) == ["fx-app", "fx-new"] and state["clumio"][ACCOUNT]["installed_regions"] == ["us-east-1"]
    assert clean.routes.get("POST /api/v1/cckm/aws/keys/{id}/rotate-material") == 1


# -- deterministic ambiguous writes ---------------------------------------------------------------

# Writes that may simply be sent again (same effect twice); every other write must be sent as often as in the clean run.
RESENDABLE = ("/enable", "/disable", "/update-description", "/add-tags", "/remove-tags", "/enable-auto-rotation", "/policy",
              "DELETE /api/v1/cckm/aws/templates/{id}")


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_ambiguous_write_on_every_route_converges_without_resending(emulator_factory, kind):
    clean, faulty = converge(emulator_factory, play, "ambiguous %s after apply: every write call" % kind, MODULE_TASKS,
                             setup=module_setup, once=ONCE, ambiguous=kind)
    ambiguous = clean.written
    actions = {route.rsplit("/", 1)[1] for route in ambiguous if "/keys/{id}/" in route}
    assert actions >= {"add-alias", "delete-alias", "schedule-deletion", "cancel-deletion", "import-material", "rotate-material",
                       "replicate-key", "enable", "disable", "enable-rotation-job", "disable-rotation-job"}, actions
    assert {"POST /api/v1/cckm/aws/templates", "PATCH /api/v1/cckm/aws/templates/{id}", "POST /api/v1/cckm/aws/synchronization-jobs",
            "POST /api/v1/scheduler/job-configs", "POST /api/v1/cckm/aws/bulkjob", "POST /wallets/_post-process",
            "POST /api/v1/cckm/aws/keys", "POST /api/v1/cckm/aws/upload-key"} <= set(ambiguous)
    assert faulty.stats()["faults"]["ambiguous"] == sum(ambiguous.values()) and faulty.control("GET", "faults")["rules"] == []
    resent = {route: faulty.routes.get(route, 0) - n for route, n in ambiguous.items() if not route.endswith(RESENDABLE)}
    assert resent == dict.fromkeys(resent, 0), "sent again although the first call was applied: %s" % resent
