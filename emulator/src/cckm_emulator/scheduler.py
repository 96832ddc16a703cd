"""CipherTrust Manager scheduler job configurations (``/api/v1/scheduler/job-configs``), CRUD only.

Enough for a client to manage periodic CCKM synchronizations (operation ``cckm_synchronization``
with ``cckm_synchronization_params {cloud_name, kms}``) or rotation schedules; the emulator never
runs them on their cron schedule. All functions expect the caller to hold ``State.lock``.
"""

import re

from .common import Lister, bad_request, conflict, metadata, new_id, not_found, touch

OPERATIONS = ("cckm_synchronization", "cckm_key_rotation")
CRON_RE = re.compile(r"^\S+(\s+\S+){4}$")
CLOUDS = ("aws", "aws-us-gov", "aws-cn", "aws-eusc")
UPDATABLE = ("description", "run_at", "run_on", "disabled", "start_date", "end_date", "cckm_synchronization_params", "cckm_key_rotation_params")

JOB_CONFIG_LISTER = Lister(filters={"id": lambda j: j["id"], "name": lambda j: j["name"], "operation": lambda j: j["operation"]},
                           bool_filters={"disabled": lambda j: j["disabled"]})


def find(st, ref):
    """A job configuration by id or name, else 404."""
    config = st.job_configs.get(ref) or next((c for c in st.job_configs.values() if c["name"] == ref), None)
    if config is None:
        raise not_found(f"job configuration {ref} not found")
    return config


def _validate(st, config):
    if not CRON_RE.match(str(config.get("run_at") or "")):
        raise bad_request("run_at must be a cron expression with 5 fields, e.g. \"0 1 * * *\"")
    params = config.get("cckm_synchronization_params")
    if config["operation"] == "cckm_synchronization":
        if not isinstance(params, dict):
            raise bad_request("cckm_synchronization_params {cloud_name, kms} is required for operation cckm_synchronization")
        if params.get("cloud_name", "aws") not in CLOUDS:
            raise bad_request(f"cloud_name must be one of {', '.join(CLOUDS)}")
        kms_refs = params.get("kms") or []
        if not params.get("synchronize_all") and not kms_refs:
            raise bad_request("cckm_synchronization_params needs kms or synchronize_all")
        # TF resource_scheduler.go: "a list of kms resource ID's"; only the lenient profile also takes names
        by_id = st.config.is_strict("scheduler_params")
        unknown = [ref for ref in kms_refs if (st.kms.get(ref) if by_id else st.kms_by_ref(ref)) is None]
        if unknown:
            raise not_found(f"KMS {', '.join(unknown)} not found")


def create(st, body):
    """POST /scheduler/job-configs."""
    name, operation = body.string("name"), body.string("operation")
    if not name:
        raise bad_request("name is required")
    if operation not in OPERATIONS:
        raise bad_request(f"operation must be one of {', '.join(OPERATIONS)}")
    if any(c["name"] == name for c in st.job_configs.values()):
        raise conflict(f"job configuration with name {name} already exists")
    config = metadata("scheduler-job-config", new_id())
    config.update(name=name, operation=operation, description=body.string("description", ""), run_at=body.string("run_at", ""),
                  run_on=body.string("run_on", "any"), disabled=body.flag("disabled"), start_date=body.string("start_date", ""),
                  end_date=body.string("end_date", ""))
    for params in ("cckm_synchronization_params", "cckm_key_rotation_params"):
        if body.has(params):
            config[params] = body.get(params)
    _validate(st, config)
    st.job_configs[config["id"]] = config
    return config


def present(st, config):
    """A job configuration as reads answer it.

    Strict profile (TF resource_scheduler.go getParamsFromResponse): the operation's parameters come back under
    ``job_config_params`` as ``{cloud_name, kms: [IDs], synchronize_all}``; lenient: as they were sent.
    """
    if not st.config.is_strict("scheduler_params"):
        return config
    shown = {k: v for k, v in config.items() if k not in ("cckm_synchronization_params", "cckm_key_rotation_params")}
    params = config.get("cckm_synchronization_params") or config.get("cckm_key_rotation_params")
    if params is not None:
        params = dict(params)
        if config["operation"] == "cckm_synchronization":
            params["kms"] = [st.kms_by_ref(ref)["id"] for ref in params.get("kms") or []]
            params["synchronize_all"] = bool(params.get("synchronize_all"))
        shown["job_config_params"] = params
    return shown


def patch(st, config, body):
    """PATCH /scheduler/job-configs/{id}: change schedule, state or parameters (name and operation are fixed).

    Parameters given are merged into the stored ones: TF blanks ``cloud_name`` on update (omitted from the body).
    """
    updated = dict(config)
    for field in UPDATABLE:
        if body.raw(field) is not None:
            value = body.flag(field) if field == "disabled" else body.raw(field)
            if field.endswith("_params") and isinstance(value, dict) and isinstance(config.get(field), dict):
                value = dict(config[field], **{k: v for k, v in value.items() if v not in (None, "")})
            updated[field] = value
    _validate(st, updated)
    touch(updated)
    config.update(updated)
    return config


def list_configs(st, args):
    """GET /scheduler/job-configs."""
    page = JOB_CONFIG_LISTER.page(list(st.job_configs.values()), args)
    return dict(page, resources=[present(st, config) for config in page["resources"]])
