"""Convergence under faults, shared by the in-process scenarios (tests/unit/plugins/modules/test_convergence_under_faults.py)
and the ansible-playbook soak (tests/integration/test_faults.py).

Every scenario runs against a clean emulator and a faulty one and must end in the same state. The faulty emulator
fails 20 % of the API requests at random (half of the failed writes after the change was applied: the ambiguous
write), or fails every write call of the scenario after applying it (HTTP 500, or the connection dropped). The state
of both emulators is compared through :func:`snapshot`, which names keys by alias and region and templates by name,
so ids, ARNs and timestamps do not matter but duplicates, extra jobs and half-applied keys do; a re-run against the
faulty emulator must then report no change. Figures (faults the emulator injected, failed tasks, duplicates) go to
docs/reliability.md through reliability_report.
"""

import collections
import contextlib

from tests import reliability_report

PASSWORD = "Faults-Passw0rd"
SEED = 20240601
CLUMIO_TOKEN = "clumio-test-token"
ACCOUNT = "123456789012"
REGIONS = {ACCOUNT: ("us-east-1", "us-west-2", "eu-west-1"), "210987654321": ("us-east-1",)}
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
    for kms in emu.api("GET", "cckm/aws/kms", params={"limit": -1}).json()["resources"]:  # created by the run in a bootstrap from nothing
        names[kms["id"]] = "kms:" + kms["name"]
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
        state["schedules"].setdefault(config["name"], []).append(_rename({k: config.get(k) for k in (
            "operation", "run_at", "description", "disabled", "cckm_synchronization_params", "cckm_key_rotation_params", "job_config_params")},
            names))
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
    """The environment of every run: connection through the documented variables, generous retries, Clumio as well."""
    return {"CIPHERTRUST_HOST": emu.url, "CIPHERTRUST_USERNAME": "admin", "CIPHERTRUST_PASSWORD": PASSWORD, "CIPHERTRUST_RETRIES": "10",
            "CLUMIO_API_BASE_URL": emu.url, "CLUMIO_API_TOKEN": CLUMIO_TOKEN}


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


def _explain(runs):
    """What failed, for an assertion message: the tail of a playbook's output, or the failed records of an in-process run."""
    return "\n".join(run.output[-4000:] if hasattr(run, "output") else repr([r for r in run.records if r["status"] == "failed"])
                     for run in runs)


def converge(emulator_factory, play, test, tasks, setup=None, once=(), ambiguous=None):
    """Clean run, faulty run, then the faulty emulator again (minus the ``once`` tasks) must report no change.

    ``play(emu, tasks, label)`` runs the tasks (ansible-playbook or in-process) with :func:`env_for` and returns a run
    with ``failed_tasks()`` and ``changed_tasks()``; ``label`` is "clean", "faulty" or "again". ``ambiguous`` None: 20 %
    random faults; "500" or "drop": every write call of the clean run fails that way after it was applied (one rule per
    write route, counted from the clean run). Asserts, records the figures, returns both emulators (``routes`` set, and
    the clean one's ``written``: its write calls per route).
    """
    clean = start(emulator_factory)
    faulty = start(emulator_factory, *(() if ambiguous else ("--fault-rate", "0.2", "--seed", str(SEED))))
    for emu in (clean, faulty):
        with faults_paused(emu):
            if setup:
                setup(emu)
            emu.control("POST", "stats/reset")
    first = play(clean, tasks, "clean")
    assert first.failed_tasks() == [], _explain([first])
    clean.routes, clean.written = clean.stats()["routes"], clean.writes()
    if ambiguous:
        kind = {"drop": True} if ambiguous == "drop" else {"status": 500}
        faulty.control("POST", "faults", {"rules": [dict(kind, method=route.split(" ")[0], path=route.split(" ")[1], count=n, phase="after")
                                                    for route, n in clean.written.items()]})
    run = play(faulty, tasks, "faulty")
    faulty.routes = faulty.stats()["routes"]
    with faults_paused(clean), faults_paused(faulty):
        clean_state, faulty_state = snapshot(clean), snapshot(faulty)
    again = play(faulty, [t for t in tasks if t["name"] not in once], "again")
    faults = faulty.stats()["faults"]
    failures = run.failed_tasks() + again.failed_tasks()
    reliability_report.record(test, runs=3, faults=faults["injected"], failures=len(failures), duplicates=duplicates(faulty_state, clean_state))
    assert failures == [], _explain([r for r in (run, again) if r.failed_tasks()])
    assert faulty_state == clean_state
    assert again.changed_tasks() == [], again.changed_tasks()
    assert faults["injected"] > 0 and clean.stats()["faults"]["injected"] == 0
    return clean, faulty
