"""Convergence under faults: every scenario run against a clean emulator and a faulty one must end in the same state.

The faulty emulator fails 20 % of the API requests at random (half of the failed writes after the change was
applied: the ambiguous write), or fails every write call of the scenario after applying it (HTTP 500, or the
connection dropped). The state of both emulators is compared through :func:`snapshot`, which names keys by alias
and region and templates by name, so ids, ARNs and timestamps do not matter but duplicates, extra jobs and
half-applied keys do; a re-run against the faulty emulator must then report no change. Figures (faults the
emulator injected, failed tasks, duplicates) go to docs/reliability.md through reliability_report.
"""

import collections
import contextlib
from pathlib import Path

import pytest
import yaml
from cckm_emulator.harness import write_routes

import reliability_report
from playbooks import ROOT, connection_env, role_task, run_playbook

PASSWORD = "Faults-Passw0rd"
SEED = 20240601
CLUMIO_TOKEN = "clumio-test-token"
ACCOUNT = "123456789012"
REGIONS = {ACCOUNT: ("us-east-1", "us-west-2", "eu-west-1"), "210987654321": ("us-east-1",)}
ROLE_ARN = "arn:aws:iam::123456789012:role/ClumioKMSRole"
# Fields of the AWS ground truth that runs change; dates only as "set or not" (they depend on when the run happened).
AWS_FIELDS = ("KeyState", "Enabled", "Description", "Tags", "Policy", "KeyRotationEnabled", "RotationPeriodInDays", "MultiRegion",
              "Origin", "KeySpec", "KeyUsage", "ExpirationModel")
POLICY_LISTS = ("key_admins", "key_admins_roles", "key_users", "key_users_roles", "external_accounts")


# -- state snapshot ------------------------------------------------------------------------------


def _names(emu, aws):
    """{id, KeyId, ARN, CCKM id, template id -> stable name}: keys by aliases (replicas by their primary's) + region."""
    by_key_id = collections.defaultdict(list)
    for keys in aws.values():
        for key in keys:
            by_key_id[key["KeyId"]].append(key)
    names = {}
    for key_id, members in by_key_id.items():
        aliases = sorted({a[len("alias/"):] for k in members for a in k["Aliases"]})
        base = "+".join(aliases) or "no-alias(%s)" % members[0]["Description"]
        names[key_id] = base
        for key in members:
            names[key["Arn"]] = "%s@%s" % (base, key["Region"])
    for record in emu.api("GET", "cckm/aws/keys", params={"limit": -1}).json()["resources"]:
        arn = (record.get("aws_param") or {}).get("Arn")
        names[record["id"]] = names.get(arn, "unknown-key")
    for template in emu.api("GET", "cckm/aws/templates", params={"limit": -1}).json()["resources"]:
        names[template["id"]] = "template:" + template["name"]
    return names


def _rename(value, names):
    """``value`` with every id/ARN replaced by its stable name (longest first, so ARNs win over the KeyIds inside them)."""
    if isinstance(value, dict):
        return {_rename(k, names): _rename(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, names) for v in value]
    if isinstance(value, str):
        for raw in sorted((n for n in names if n and n in value), key=len, reverse=True):
            value = value.replace(raw, names[raw])
    return value


def snapshot(emu):
    """Everything a run can change, comparable between two emulators (read it with faults_paused)."""
    aws = {(account, region): emu.aws_keys(region, account) for account, regions in REGIONS.items() for region in regions}
    names = _names(emu, aws)
    state = {"aws": {}, "cckm": collections.Counter(), "templates": {}, "bulk_jobs": collections.Counter(),
             "sync_jobs": collections.Counter(), "schedules": {}, "clumio": {}}
    for (account, region), keys in aws.items():
        for key in keys:
            truth = {field: key.get(field) for field in AWS_FIELDS}
            mrc = key.get("MultiRegionConfiguration") or {}
            truth.update(aliases=sorted(key["Aliases"]), deletion_scheduled=bool(key.get("DeletionDate")), valid_to=bool(key.get("ValidTo")),
                         mr_type=mrc.get("MultiRegionKeyType"), primary=(mrc.get("PrimaryKey") or {}).get("Region"),
                         replicas=sorted(r["Region"] for r in mrc.get("ReplicaKeys") or []))
            state["aws"].setdefault("%s/%s" % (account, names[key["Arn"]]), []).append(_rename(truth, names))
    configs = emu.api("GET", "scheduler/job-configs", params={"limit": -1}).json()["resources"]
    config_names = {config["id"]: config["name"] for config in configs}
    for record in emu.api("GET", "cckm/aws/keys", params={"limit": -1}).json()["resources"]:
        aws_param = record.get("aws_param") or {}
        attached = record.get("job_config_id") if record.get("rotation_job_enabled") is not False else None
        entry = (names[record["id"]], record["region"], record["kms"], aws_param.get("KeyState"), bool(record.get("gone")),
                 record.get("key_material_origin"), bool(record.get("rotated_at")),
                 tuple((name, tuple(sorted(record.get(name) or []))) for name in POLICY_LISTS), config_names.get(attached, attached))
        state["cckm"][_rename(repr(entry), names)] += 1
    for template in emu.api("GET", "cckm/aws/templates", params={"limit": -1}).json()["resources"]:
        lists = {name: sorted(template.get(name) or template.get(name.replace("_", "-")) or []) for name in POLICY_LISTS}
        state["templates"].setdefault(template["name"], []).append(_rename(dict(
            lists, kms=template.get("kms_name"), account=template.get("account_id"), verified=template.get("is_verified"),
            policy=template.get("policy")), names))
    for job in emu.api("GET", "cckm/aws/bulkjob", params={"limit": -1}).json()["resources"]:
        entry = (job["operation"], sorted(names.get(k, k) for k in job["keys"]), job["overall_status"],
                 sorted((names.get(k, k), v) for k, v in (job.get("detailed_status") or {}).items()), names.get(job.get("policy_template_id")))
        state["bulk_jobs"][repr(entry)] += 1
    for job in emu.api("GET", "cckm/aws/synchronization-jobs", params={"limit": -1}).json()["resources"]:
        state["sync_jobs"][repr((job.get("kms"), job.get("regions"), job["overall_status"], job.get("detailed_status")))] += 1
    for config in configs:
        state["schedules"].setdefault(config["name"], []).append({k: config.get(k) for k in (
            "operation", "run_at", "description", "disabled", "cckm_synchronization_params", "cckm_key_rotation_params", "job_config_params")})
    clumio = emu.control("GET", "clumio/wallets")
    for wallet in clumio["wallets"]:
        regions = {region: {k: v for k, v in record.items() if k != "updated_at"} for region, record in wallet["post_process_regions"].items()}
        state["clumio"][wallet["account_native_id"]] = {k: wallet[k] for k in ("state", "stack_version", "installed_regions", "role_arn")}
        state["clumio"][wallet["account_native_id"]]["post_process"] = regions
    calls = collections.Counter(repr((c["body"] or {}).get("request_type")) + " " + repr((c["body"] or {}).get("aws_region"))
                                for c in clumio["post_process_calls"] if c["status"] == 200)
    state["post_process_calls"] = calls
    return state


def duplicates(faulty, clean):
    """How many more keys, CCKM records, templates, jobs, schedules and applied post-process calls the faulty run left."""
    extra = 0
    for section in ("aws", "templates", "schedules"):
        for name, entries in faulty[section].items():
            extra += max(0, len(entries) - len(clean[section].get(name, [])))
    for section in ("cckm", "bulk_jobs", "sync_jobs", "post_process_calls"):
        extra += max(0, sum(faulty[section].values()) - sum(clean[section].values()))
    return extra


def env_for(emu):
    return connection_env(emu, password=PASSWORD, CIPHERTRUST_RETRIES=10, CLUMIO_API_BASE_URL=emu.url, CLUMIO_API_TOKEN=CLUMIO_TOKEN)


def start(emulator_factory, *extra):
    return emulator_factory("--job-delay", "0.05", "--password", PASSWORD, *extra, password=PASSWORD)


@contextlib.contextmanager
def faults_paused(emu):
    """Setup and reads that must not be faulted (a zero rate draws nothing from the seeded RNG, so the faults stay reproducible)."""
    rate = emu.control("GET", "config")["fault_rate"]
    emu.control("POST", "config", {"fault_rate": 0})
    try:
        yield emu
    finally:
        emu.control("POST", "config", {"fault_rate": rate})


def play(emu, tmp_path, tasks, label, **options):
    folder = tmp_path / label
    folder.mkdir()
    return run_playbook(folder, tasks, env_for(emu), expect_rc=None, **options)


def converge(emulator_factory, tmp_path, test, tasks, setup=None, once=(), ambiguous=None):
    """Clean run, faulty run, then the faulty emulator again (minus the ``once`` tasks) must report no change.

    ``ambiguous`` None: 20 % random faults; "500" or "drop": every write call of the clean run fails that way after it was
    applied (one rule per write route, counted from the clean run). Asserts, records the figures, returns both emulators.
    """
    clean = start(emulator_factory)
    faulty = start(emulator_factory, *(() if ambiguous else ("--fault-rate", "0.2", "--seed", str(SEED))))
    for emu in (clean, faulty):
        with faults_paused(emu):
            if setup:
                setup(emu)
            emu.control("POST", "stats/reset")
    first = play(clean, tmp_path, tasks, "clean")
    assert first.failed_tasks() == [], first.output[-4000:]
    clean.routes = clean.stats()["routes"]
    if ambiguous:
        kind = {"drop": True} if ambiguous == "drop" else {"status": 500}
        faulty.control("POST", "faults", {"rules": [dict(kind, method=route.split(" ")[0], path=route.split(" ")[1], count=n, phase="after")
                                                    for route, n in write_routes(clean.routes).items()]})
    run = play(faulty, tmp_path, tasks, "faulty", verbosity=3, diff=True)  # run_playbook scans this -vvv output for secrets
    faulty.routes = faulty.stats()["routes"]
    with faults_paused(clean), faults_paused(faulty):
        clean_state, faulty_state = snapshot(clean), snapshot(faulty)
    again = play(faulty, tmp_path, [t for t in tasks if t["name"] not in once], "again")
    faults = faulty.stats()["faults"]
    failures = run.failed_tasks() + again.failed_tasks()
    reliability_report.record(test, runs=3, faults=faults["injected"], failures=len(failures), duplicates=duplicates(faulty_state, clean_state))
    assert failures == [], "\n".join(r.output[-4000:] for r in (run, again) if r.failed_tasks())
    assert faulty_state == clean_state
    assert again.changed_tasks() == [], again.output[-4000:]
    assert faults["injected"] > 0 and clean.stats()["faults"]["injected"] == 0
    return clean, faulty


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


def test_module_scenarios_converge_under_random_faults(emulator_factory, tmp_path):
    clean, faulty = converge(emulator_factory, tmp_path, "fault-rate 0.2: aws_key, aws_policy_template, aws_key_bulk, aws_sync, kms_post_process",
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


def demo_tasks():
    """The tasks of playbooks/demo.yml (bootstrap, rotation role, info, assert), as `make demo` runs them."""
    return yaml.safe_load(Path(ROOT, "playbooks", "demo.yml").read_text())[0]["tasks"]


def demo_setup(emu):
    """What `make demo` seeds: 3 keys in CCKM and 2 keys only AWS knows."""
    emu.control("POST", "cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "demo-"})
    for number in range(2):
        emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "made-in-aws-%d" % number})


ROLES = [
    role_task("aws_policy_rollout", {"aws_policy_rollout_template": {"name": "audit", "kms": "aws-kms", "key_users": ["auditor"]},
                                     "aws_policy_rollout_filters": {"kms": "aws-kms", "alias": ["made-in-aws-0", "made-in-aws-1"]},
                                     "aws_policy_rollout_wait_sleep": 0.2}),
    role_task("aws_key_decommission", {"aws_key_decommission_filters": {"kms": "aws-kms", "alias": ["demo-0", "demo-1"]},
                                       "aws_key_decommission_confirm": True, "aws_key_decommission_pending_window_days": 7,
                                       "aws_key_decommission_wait_sleep": 0.2}),
]


def test_demo_bootstrap_and_roles_converge_under_random_faults(emulator_factory, tmp_path):
    clean, faulty = converge(emulator_factory, tmp_path, "fault-rate 0.2: demo (aws_kms_bootstrap, clumio_byok, aws_key_rotation) "
                             "+ aws_policy_rollout + aws_key_decommission", demo_tasks() + ROLES, setup=demo_setup)
    with faults_paused(faulty):
        state = snapshot(faulty)
    assert state["clumio"][ACCOUNT]["installed_regions"] == ["us-east-1"] and list(state["schedules"]) == ["cckm-sync-aws-kms"]
    assert sorted(state["templates"]) == ["audit", "payments"]
    assert clean.routes.get("POST /api/v1/cckm/aws/bulkjob") == 3


# -- deterministic ambiguous writes ---------------------------------------------------------------

# Writes that may simply be sent again (same effect twice); every other write must be sent as often as in the clean run.
RESENDABLE = ("/enable", "/disable", "/update-description", "/add-tags", "/remove-tags", "/enable-auto-rotation", "/policy",
              "DELETE /api/v1/cckm/aws/templates/{id}")


@pytest.mark.parametrize("kind", ["500", "drop"])
def test_ambiguous_write_on_every_route_converges_without_resending(emulator_factory, tmp_path, kind):
    clean, faulty = converge(emulator_factory, tmp_path, "ambiguous %s after apply: every write call" % kind, MODULE_TASKS,
                             setup=module_setup, once=ONCE, ambiguous=kind)
    ambiguous = write_routes(clean.routes)
    actions = {route.rsplit("/", 1)[1] for route in ambiguous if "/keys/{id}/" in route}
    assert actions >= {"add-alias", "delete-alias", "schedule-deletion", "cancel-deletion", "import-material", "rotate-material",
                       "replicate-key", "enable", "disable", "enable-rotation-job", "disable-rotation-job"}, actions
    assert {"POST /api/v1/cckm/aws/templates", "PATCH /api/v1/cckm/aws/templates/{id}", "POST /api/v1/cckm/aws/synchronization-jobs",
            "POST /api/v1/scheduler/job-configs", "POST /api/v1/cckm/aws/bulkjob", "POST /wallets/_post-process",
            "POST /api/v1/cckm/aws/keys", "POST /api/v1/cckm/aws/upload-key"} <= set(ambiguous)
    assert faulty.stats()["faults"]["ambiguous"] == sum(ambiguous.values()) and faulty.control("GET", "faults")["rules"] == []
    resent = {route: faulty.routes.get(route, 0) - n for route, n in ambiguous.items() if not route.endswith(RESENDABLE)}
    assert resent == dict.fromkeys(resent, 0), "sent again although the first call was applied: %s" % resent
