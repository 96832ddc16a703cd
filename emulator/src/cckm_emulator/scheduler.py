"""CipherTrust Manager scheduler job configurations (``/api/v1/scheduler/job-configs``), CRUD only.

Enough for a client to manage periodic CCKM synchronizations (operation ``cckm_synchronization``
with ``cckm_synchronization_params {cloud_name, kms}``) or rotation schedules; the emulator never
runs them on their cron schedule. All functions expect the caller to hold ``State.lock``.
"""

import re

from .common import Body, Lister, bad_request, conflict, metadata, new_id, not_found, touch

OPERATIONS = ("cckm_synchronization", "cckm_key_rotation")
CRON_RE = re.compile(r"^\S+(\s+\S+){4}$")
CLOUDS = ("aws", "aws-us-gov", "aws-cn", "aws-eusc")
ROTATION_CLOUDS = ("aws", "oci")  # TF resource_scheduler.go cckmRotationClouds
PERIOD_RE = re.compile(r"^[0-9]+[dh]$")  # TF resource_scheduler.go: "Xd for x days or Yh for y hours"
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
    if config["operation"] == "cckm_key_rotation":
        _validate_rotation(config.get("cckm_key_rotation_params"))


def _validate_rotation(params):
    """TF resource_scheduler.go ``cckm_key_rotation_params``: cloud_name (aws, oci), expiration and expire_in as Xd/Yh,
    ``aws_param {retain_alias, rotate_material}`` (schema_cm.go CCKMKeyRotationParamsJSON). The DOC calls them optional."""
    if params is None:
        return
    if not isinstance(params, dict):
        raise bad_request("cckm_key_rotation_params must be an object")
    body = Body(params)
    if body.string("cloud_name", "aws") not in ROTATION_CLOUDS:
        raise bad_request(f"cloud_name must be one of {', '.join(ROTATION_CLOUDS)}")
    for name in ("expiration", "expire_in"):
        value = body.string(name)
        if value is not None and not PERIOD_RE.match(value):
            raise bad_request(f"{name} must be Xd for x days or Yh for y hours, got {value}")
    aws_param = body.raw("aws_param")
    if aws_param is not None and not (isinstance(aws_param, dict) and all(isinstance(v, bool) for v in aws_param.values())):
        raise bad_request("aws_param must be an object of booleans (retain_alias, rotate_material)")


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
        if config["operation"] == "cckm_key_rotation":
            # TF getParamsFromResponse reads job_config_params.aw_param.retain_alias: the real key is unknown (FIDELITY.md)
            params = dict({"cloud_name": "aws", "expiration": "", "expire_in": ""}, **params)
            aws_param = dict({"retain_alias": False, "rotate_material": False}, **(params.pop("aws_param", None) or {}))
            params[st.config.answer("rotation_params_read")] = aws_param
        shown["job_config_params"] = params
    return shown


def patch(st, config, body):
    """PATCH /scheduler/job-configs/{id}: change schedule, state or parameters (name and operation are fixed).

    Parameters given are merged into the stored ones (``aws_param`` too): TF blanks ``cloud_name`` on update (omitted
    from the body).
    """
    updated = dict(config)
    for field in UPDATABLE:
        if body.raw(field) is not None:
            value = body.flag(field) if field == "disabled" else body.raw(field)
            if field.endswith("_params") and isinstance(value, dict) and isinstance(config.get(field), dict):
                merged = dict(config[field])
                for name, item in value.items():
                    if isinstance(item, dict) and isinstance(merged.get(name), dict):
                        merged[name] = dict(merged[name], **item)
                    elif item not in (None, ""):
                        merged[name] = item
                value = merged
            updated[field] = value
    _validate(st, updated)
    touch(updated)
    config.update(updated)
    return config


def list_configs(st, args):
    """GET /scheduler/job-configs."""
    page = JOB_CONFIG_LISTER.page(list(st.job_configs.values()), args)
    return dict(page, resources=[present(st, config) for config in page["resources"]])
