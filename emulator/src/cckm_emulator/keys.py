"""CCKM AWS keys: records, creation, upload, the key actions of cckm-aws.md 4.6, listing and sync.

CCKM keeps its own record per key (like the product's database); ``aws_param`` is re-read from
the AWS side (aws.py) after every change, so records and "AWS" never disagree except where the
real product also lags: keys created or deleted directly in AWS stay unknown/present until a sync.
All functions expect the caller to hold ``State.lock``.
"""

import contextlib
import hashlib
import json
import secrets
import time

from . import templates
from .aws import AwsError, key_arn
from .common import ApiError, AwsConflict, Body, Lister, bad_request, metadata, new_id, not_found, now, parse_aws_time, touch
from .policies import PolicyChoice, choose_policy

SOURCE_TIERS = ("local", "dsm", "hsm-luna", "external-cm")
# DOC aws-api-rotate: auto_rotate_key_source local (default), dsm, hsm-luna, external-cm; TF resource_aws_key.go and older
# DOC pages call the CipherTrust Manager source "ciphertrust"
ROTATION_KEY_SOURCES = ("local", "ciphertrust", "dsm", "hsm-luna", "external-cm")
DEFAULT_ROTATION_PERIOD = 365
DEFAULT_DELETION_DAYS = 30
LIST_FIELD_DEFAULTS = {name: [] for name in ("external_accounts", "key_admins", "key_admins_roles", "key_users", "key_users_roles")}


@contextlib.contextmanager
def aws_errors():
    """Turn an AWS refusal into the CCKM error clients see: 409 for AlreadyExists, else 400 with the AWS text."""
    try:
        yield
    except AwsError as exc:
        if exc.name == "AlreadyExistsException":
            raise AwsConflict(str(exc)) from exc
        raise bad_request(str(exc)) from exc


def find_kms(st, ref, field="kms"):
    """The KMS named or identified by ``ref``; 400 when missing, 404 when unknown."""
    if not ref:
        raise bad_request(f"{field} is required")
    if not isinstance(ref, str):
        raise bad_request(f"{field} must be a KMS name or id")
    record = st.kms_by_ref(ref)
    if record is None:
        raise not_found(f"KMS {ref} not found")
    return record


def find_key(st, key_id):
    """A CCKM key record by its CCKM id (AWS ids, ARNs and aliases are not accepted here)."""
    record = st.keys.get(key_id)
    if record is None:
        raise not_found(f"Key {key_id} not found")
    return record


def aws_ref(record):
    """(account, region, AWS key id) of a record."""
    param = record["aws_param"]
    return param["AWSAccountId"], record["region"], param["KeyID"]


def _key_type(spec):
    if spec == "SYMMETRIC_DEFAULT":
        return "symmetric"
    return "hmac" if spec.startswith("HMAC") else "asymmetric"


def _apply_param(record, param):
    record["aws_param"] = param
    record["deletion_date"] = param.get("DeletionDate", "")
    record["key_type"] = _key_type(param["CustomerMasterKeySpec"])


def new_record(st, kms, region, key_id, *, origin="native", lists=None, replica=None):
    """Create and register the CCKM record of an AWS key (a replica when its MR type says so)."""
    param = st.aws.describe(kms["account_id"], region, key_id)
    if replica is None:
        replica = (param.get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType") == "REPLICA"
    record = metadata("aws-replica-key" if replica else "aws-key", new_id())
    record.update(kms_id=kms["id"], kms=kms["name"], region=region, cloud_name="aws", key_type="symmetric", basic_view_enabled=False,
                  gone=False, synced_at=record["createdAt"], rotation_status="", key_material_origin=origin, local_key_id="",
                  local_key_name="", key_source="", key_source_container_id="", key_source_container_name="", labels={})
    record.update(LIST_FIELD_DEFAULTS if lists is None else lists)
    record.update(deletion_date="", rotated_at="", rotated_from="", rotated_to="", job_config_id="", disable_encrypt_on_auto_rotate=False,
                  linked_state=False, custom_key_store_id="", aws_param={})
    if st.config.answer("rotation_job_record") == "flagged":
        record["rotation_job_enabled"] = False
    _apply_param(record, param)
    st.register_key(record)
    return record


def refresh(st, record):
    """Re-read a record's ``aws_param`` from AWS, and those of its multi-Region siblings."""
    account, region, key_id = aws_ref(record)
    regions = st.aws.family_regions(account, key_id) or [region]
    for member_region in regions:
        member_id = st.key_index.get(key_arn(account, member_region, key_id))
        if member_id is not None and st.aws.exists(account, member_region, key_id):
            member = st.keys[member_id]
            _apply_param(member, st.aws.describe(account, member_region, key_id))
            touch(member)
    return record


def template_tag(record):
    """The ``cckm_policy_template_id`` tag value of a key, or None."""
    return next((tag["TagValue"] for tag in record["aws_param"]["Tags"] if tag["TagKey"] == templates.TEMPLATE_TAG), None)


def tags_from(value, field):
    """Tags from ``[{TagKey, TagValue}]``, ``[{tag_key, tag_value}]`` or a plain object."""
    if not value:
        return []
    if isinstance(value, dict):
        return [{"TagKey": str(k), "TagValue": "" if v is None else str(v)} for k, v in value.items()]
    if not isinstance(value, list):
        raise bad_request(f"{field} must be a list of tags")
    tags = []
    for item in value:
        item = Body(item) if isinstance(item, dict) else None
        key = item and (item.get("TagKey") or item.get("tag_key"))
        if not isinstance(key, str):
            raise bad_request(f"every entry of {field} needs a tag key")
        tag_value = item.raw("TagValue") if item.raw("TagValue") is not None else item.raw("tag_value")
        tags.append({"TagKey": key, "TagValue": "" if tag_value is None else str(tag_value)})
    return tags


def _policy_for(st, choice, kms):
    """(policy document or None for the AWS default, template or None) for a policy choice on a key of ``kms``."""
    if choice.kind == "template":
        template = templates.find(st, choice.template_id)
        templates.check_applicable(template, kms)
        return template["policy"], template
    if choice.kind == "default":
        return None, None
    return choice.document(kms["account_id"]), None


def _template_tags(template):
    return [{"TagKey": templates.TEMPLATE_TAG, "TagValue": template["id"]}] if template else []


def _region_of(kms, region, field="region"):
    if not region:
        raise bad_request(f"{field} is required")
    if region not in kms["regions"]:
        raise bad_request(f"region {region} is not managed by KMS {kms['name']} (regions: {', '.join(kms['regions'])})")
    return region


def _create(st, body, *, origin):
    """Shared by create and upload: validate everything, then create the AWS key and the record."""
    kms = find_kms(st, body.get("kms"))
    region = _region_of(kms, body.string("region"))
    params = body.sub("aws_param")
    choice = choose_policy(body, policy=params.get("Policy"))
    policy, template = _policy_for(st, choice, kms)
    with aws_errors():
        key_id = st.aws.create_key(
            kms["account_id"], region, description=params.string("Description", ""), key_usage=params.string("KeyUsage"),
            key_spec=params.string("CustomerMasterKeySpec") or params.string("KeySpec"), origin=origin or params.string("Origin"),
            multi_region=params.flag("MultiRegion"), policy=policy, tags=tags_from(params.get("Tags"), "aws_param.Tags") + _template_tags(template),
            alias=params.string("Alias"))
    record = new_record(st, kms, region, key_id, lists=choice.recorded_lists(), replica=False)
    return record, template


def create_key(st, body):
    """POST /keys (cckm-aws.md 4.3)."""
    record, template = _create(st, body, origin=None)
    if template:
        template["is_verified"] = True
    return record


def upload_key(st, body):
    """POST /upload-key (4.4): an EXTERNAL key created and given the material of a CipherTrust key in one step.

    ``source_key_identifier`` is required (TF ``upload_key``; DOC aws-api-upload). Whether a failed import leaves the
    new key behind (``PendingImport``) is unknown: the ``upload_failure`` flag (FIDELITY.md).
    """
    if not body.string("source_key_identifier"):
        raise bad_request("source_key_identifier is required")
    _material_args(body, None)
    record, template = _create(st, body, origin="EXTERNAL")
    try:
        alias = body.sub("aws_param").string("Alias") or ""
        failure = st.fail_uploads.get(alias[len("alias/"):] if alias.startswith("alias/") else alias)
        if failure is not None:
            raise bad_request(failure)
        _import(st, record, body)
    except ApiError:
        if st.config.answer("upload_failure") == "rollback":
            account, region, key_id = aws_ref(record)
            st.forget_key(record["id"])
            st.aws.delete_key(account, region, key_id)
        raise
    refresh(st, record)
    if template:
        template["is_verified"] = True
    return record


def _material_args(body, record):
    """(tier, source identifier, expiration model, valid_to) of an import/upload body, validated."""
    tier = body.string("source_key_tier", "local")
    if tier not in SOURCE_TIERS:
        raise bad_request(f"source_key_tier must be one of {', '.join(SOURCE_TIERS)}")
    source = body.string("source_key_identifier")
    if not source and record and record["local_key_name"]:
        source = record["local_key_name"]
    if not source:
        if tier != "local":
            raise bad_request(f"source_key_identifier is required for source_key_tier {tier}")
        source = "cckm-local-" + secrets.token_hex(4)
    valid_to = body.string("valid_to") or body.sub("aws_param").string("ValidTo")
    if body.flag("key_expiration") or valid_to:
        if parse_aws_time(valid_to) is None:
            raise bad_request("valid_to is required with key_expiration and must look like 2027-07-03T14:24:00Z")
        return tier, source, "KEY_MATERIAL_EXPIRES", valid_to
    return tier, source, "KEY_MATERIAL_DOES_NOT_EXPIRE", ""


def _import(st, record, body):
    tier, source, model, valid_to = _material_args(body, record)
    with aws_errors():
        st.aws.import_material(*aws_ref(record), f"{tier}:{source}", model, valid_to)
    _record_material(record, tier, source)


def _record_material(record, tier, source):
    record.update(key_material_origin="cckm", key_source=tier, local_key_name=source,
                  local_key_id=hashlib.sha256(f"{tier}:{source}".encode()).hexdigest())


def apply_policy(st, record, choice):
    """Set a key's policy from a policy choice; a template also tags the key, anything else removes that tag."""
    kms = st.kms[record["kms_id"]]
    policy, template = _policy_for(st, choice, kms)
    account, region, key_id = aws_ref(record)
    with aws_errors():
        st.aws.put_policy(account, region, key_id, policy or _default(account))
        if template:
            st.aws.tag(account, region, key_id, _template_tags(template))
        elif template_tag(record) is not None:
            st.aws.untag(account, region, key_id, [templates.TEMPLATE_TAG])
    record.update(choice.recorded_lists())


def _default(account):
    return PolicyChoice("default").document(account)


def apply_template(st, record, template):
    """Apply a policy template to a key (bulk ``applypolicytemplate`` and template auto-push)."""
    apply_policy(st, record, PolicyChoice("template", template_id=template["id"]))


# -- actions ----------------------------------------------------------------------------------


def _call(st, record, operation, *args):
    with aws_errors():
        getattr(st.aws, operation)(*aws_ref(record), *args)


def _required(body, name):
    value = body.raw(name)
    if value is None:
        raise bad_request(f"{name} is required")
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def _schedule_deletion(st, record, body):
    days = body.integer("days", DEFAULT_DELETION_DAYS)
    if not 7 <= days <= 30:
        raise bad_request(f"days must be between 7 and 30, got {days}")
    _call(st, record, "schedule_deletion", days)


def _add_tags(st, record, body):
    tags = tags_from(body.get("tags"), "tags")
    if not tags:
        raise bad_request("tags is required: [{\"tag_key\": ..., \"tag_value\": ...}]")
    _call(st, record, "tag", tags)


def _remove_tags(st, record, body):
    names = [item.get("tag_key", item.get("TagKey")) if isinstance(item, dict) else item for item in body.get("tags", [])]
    if not names or not all(isinstance(name, str) for name in names):
        raise bad_request("tags is required: a list of tag keys")
    _call(st, record, "untag", names)


def _enable(st, record, _body):
    _call(st, record, "enable")
    st.enabled_at[record["id"]] = time.monotonic()


def _rotation_call(operation, *args):
    """enable-/disable-auto-rotation; right after an enable AWS may still see the key disabled (eventual consistency).

    TF resource_aws_key.go retries these calls while the error names DisabledException (fidelity review row 7); the
    strict profile refuses them that way for ``job_delay`` seconds after an enable.
    """
    def action(st, record, body):
        enabled = st.enabled_at.get(record["id"])
        if (st.config.answer("rotation_after_enable") == "eventual" and enabled is not None
                and time.monotonic() - enabled < st.config.job_delay):
            raise bad_request(f"DisabledException: {record['aws_param']['Arn']} is disabled.")
        _call(st, record, operation, *[arg(body) for arg in args])
    return action


def _rotate_material(st, record, body):
    if record["aws_param"]["Origin"] == "EXTERNAL":
        tier, name, _model, _valid_to = _material_args(body, None)
        _call(st, record, "rotate_material", f"{tier}:{name}")
        _record_material(record, tier, name)
    else:
        _call(st, record, "rotate_material")
    stamp = now()
    if st.config.answer("rotated_at") == "on_material_rotation":
        record["rotated_at"] = stamp  # lenient: TF says rotated_at belongs to CCKM's own rotate (fidelity review row 9)
    status = {"overall_status": "in_progress", "error_details": "", "started_at": stamp}
    st.rotations[record["id"]] = status
    st.later(st.config.job_delay, status.update, {"overall_status": "success", "completed_at": now()})


def _replicate(st, record, body):
    kms = st.kms[record["kms_id"]]
    replica_region = _region_of(kms, body.string("replica_region"), "replica_region")
    params = body.sub("aws_param")
    choice = choose_policy(body, policy=body.get("policy") or params.get("Policy"))
    policy, template = _policy_for(st, choice, kms)
    tags = tags_from(body.get("tags"), "tags") + tags_from(params.get("Tags"), "aws_param.Tags") + _template_tags(template)
    account, region, key_id = aws_ref(record)
    with aws_errors():
        st.aws.replicate(account, region, key_id, replica_region, policy=policy, tags=tags, description=params.get("Description"))
    replica = new_record(st, kms, replica_region, key_id, origin=record["key_material_origin"], lists=choice.recorded_lists(), replica=True)
    st.later(st.config.job_delay, _replica_created, st, replica["id"])
    if template:
        template["is_verified"] = True
    refresh(st, record)
    return replica


def _replica_created(st, replica_id):
    record = st.keys.get(replica_id)
    if record is not None:
        st.aws.finish_creation(*aws_ref(record))
        refresh(st, record)


def _update_primary_region(st, record, body):
    """UpdatePrimaryRegion; asynchronous in the strict profile: TF resource_aws_key.go updatePrimaryRegion polls
    ``MultiRegionConfiguration.PrimaryKey.Region`` until it changes (fidelity review row 8)."""
    target = body.string("PrimaryRegion") or body.string("primary_region")
    if not target:
        raise bad_request("PrimaryRegion is required")
    if st.config.answer("primary_region_move") == "immediate":
        _call(st, record, "update_primary_region", target)
        return
    account, _region, key_id = aws_ref(record)
    if target not in (st.aws.family_regions(account, key_id) or []):
        _call(st, record, "update_primary_region", target)  # the refusal AWS gives at once

    def move():
        if record["id"] in st.keys:
            _call(st, record, "update_primary_region", target)
            refresh(st, record)
    st.later(st.config.job_delay, move)


def _enable_rotation_job(st, record, body):
    """DOC aws-api-rotate: attach the key to a ``cckm_key_rotation`` job configuration; attaching an attached key
    moves it (TF enableDisableKeyRotation re-enables without disabling). The record shows ``job_config_id`` and
    ``disable_encrypt_on_auto_rotate`` (DOC res-params-klcm); the other settings are kept but not shown (assumed)."""
    job_id = _required(body, "job_config_id")
    config = st.job_configs.get(job_id)
    if config is None:
        raise not_found(f"job configuration {job_id} not found")
    if config["operation"] != "cckm_key_rotation":
        raise bad_request(f"job configuration {job_id} is not a cckm_key_rotation job configuration")
    source = body.string("auto_rotate_key_source", "local")
    if source not in ROTATION_KEY_SOURCES:
        raise bad_request(f"auto_rotate_key_source must be one of {', '.join(ROTATION_KEY_SOURCES)}")
    if body.flag("auto_rotate_disable_encrypt") and body.flag("auto_rotate_disable_encrypt_on_all_accounts"):
        raise bad_request("auto_rotate_disable_encrypt and auto_rotate_disable_encrypt_on_all_accounts are mutually exclusive")
    record.update(job_config_id=job_id, disable_encrypt_on_auto_rotate=body.flag("auto_rotate_disable_encrypt"))
    if st.config.answer("rotation_job_record") == "flagged":
        record["rotation_job_enabled"] = True
    st.rotation_jobs[record["id"]] = {name: body.raw(name) for name in body.data}
    touch(record)


def _disable_rotation_job(st, record, _body):
    """DOC aws-api-disabling (no body). Whether ``job_config_id`` is cleared or kept beside ``rotation_job_enabled:
    false`` is unknown: the ``rotation_job_record`` flag (FIDELITY.md). Detaching a detached key is accepted (assumed)."""
    if st.config.answer("rotation_job_record") == "flagged":
        record["rotation_job_enabled"] = False
    else:
        record.update(job_config_id="", disable_encrypt_on_auto_rotate=False)
    st.rotation_jobs.pop(record["id"], None)
    touch(record)


def rotation_job_attached(record):
    """Whether a record is attached to a rotation job (the ``rotation_job_enabled`` list filter, DOC aws-api-fetch)."""
    return bool(record["job_config_id"]) and record.get("rotation_job_enabled", True)


def _refresh(st, record, _body):
    account, region, key_id = aws_ref(record)
    if not st.aws.exists(account, region, key_id):
        record["gone"] = True
        touch(record)


ACTIONS = {
    "enable": _enable,
    "disable": lambda st, r, b: _call(st, r, "disable"),
    "schedule-deletion": _schedule_deletion,
    "cancel-deletion": lambda st, r, b: _call(st, r, "cancel_deletion"),
    "update-description": lambda st, r, b: _call(st, r, "update_description", _required(b, "description")),
    "add-tags": _add_tags,
    "remove-tags": _remove_tags,
    "add-alias": lambda st, r, b: _call(st, r, "create_alias", _required(b, "alias")),
    "delete-alias": lambda st, r, b: _call(st, r, "delete_alias", _required(b, "alias")),
    "policy": lambda st, r, b: apply_policy(st, r, choose_policy(b)),
    "enable-auto-rotation": _rotation_call("enable_rotation", lambda b: b.integer("rotation_period_in_days", DEFAULT_ROTATION_PERIOD)),
    "disable-auto-rotation": _rotation_call("disable_rotation"),
    "rotate-material": _rotate_material,
    "import-material": _import,
    "delete-material": lambda st, r, b: _call(st, r, "delete_material"),
    "replicate-key": _replicate,
    "update-primary-region": _update_primary_region,
    "refresh": _refresh,
    "enable-rotation-job": _enable_rotation_job,
    "disable-rotation-job": _disable_rotation_job,
}


def perform(st, record, action, body):
    """Run a key action and return the updated record (the new replica for ``replicate-key``)."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise not_found(f"Unknown key action {action}")
    result = handler(st, record, body)
    if not record["gone"]:
        refresh(st, record)
    return result or record


# -- listing and synchronisation --------------------------------------------------------------


def _param(name):
    return lambda record: record["aws_param"].get(name)


def _aliases(record):
    names = record["aws_param"]["Alias"]
    return names + [name[len("alias/"):] for name in names]


def _key_lister(kms):
    return Lister(filters={
        "id": lambda r: r["id"], "keyid": _param("KeyID"), "arn": _param("Arn"), "alias": _aliases,
        "kms": kms, "kms_id": lambda r: r["kms_id"], "region": lambda r: r["region"],
        "cloud_name": lambda r: r["cloud_name"], "origin": _param("Origin"), "keystate": _param("KeyState"),
        "keyusage": _param("KeyUsage"), "keymanager": _param("KeyManager"), "CustomerMasterKeySpec": _param("CustomerMasterKeySpec"),
        "key_material_origin": lambda r: r["key_material_origin"], "key_source": lambda r: r["key_source"],
        "multi_region_key_type": lambda r: (r["aws_param"].get("MultiRegionConfiguration") or {}).get("MultiRegionKeyType"),
        "job_config_id": lambda r: r["job_config_id"], "cckm_policy_template_id": template_tag,
        "custom_key_store_id": lambda r: r["custom_key_store_id"],
    }, bool_filters={"multi_region": _param("MultiRegion"), "enabled": _param("Enabled"), "gone": lambda r: r["gone"],
                     "rotation_job_enabled": rotation_job_attached},
        field=lambda record, name: record[name] if name in record else record["aws_param"].get(name))


#: ``kms`` is the KMS name and ``kms_id`` its ID (DOC aws-api-fetch); the lenient profile also matches an ID with ``kms``.
KEY_LISTERS = {"name": _key_lister(lambda r: r["kms"]), "name_or_id": _key_lister(lambda r: [r["kms"], r["kms_id"]])}


def list_keys(st, args):
    """GET /keys with every filter of cckm-aws.md 4.5 (``tags`` is a JSON object that must all match)."""
    extra = []
    if args.get("tags"):
        try:
            wanted = json.loads(args["tags"])
        except ValueError as exc:
            raise bad_request("tags must be a JSON object such as {\"env\": \"prod\"}") from exc
        if not isinstance(wanted, dict):
            raise bad_request("tags must be a JSON object such as {\"env\": \"prod\"}")
        wanted = {str(k): str(v) for k, v in wanted.items()}
        extra.append(lambda r: wanted.items() <= {t["TagKey"]: t["TagValue"] for t in r["aws_param"]["Tags"]}.items())
    return KEY_LISTERS[st.config.answer("kms_filter")].page(list(st.keys.values()), args, extra)


def synchronize_region(st, kms, region):
    """Sync one KMS region: import unknown AWS keys, refresh known ones, mark vanished ones gone.

    Returns ``{"added": n, "updated": n, "gone": n}``.
    """
    account = kms["account_id"]
    present = set(st.aws.key_ids(account, region))
    counts = {"added": 0, "updated": 0, "gone": 0}
    stamp = now()
    for key_id in sorted(present):
        record_id = st.key_index.get(key_arn(account, region, key_id))
        if record_id is None:
            record = new_record(st, kms, region, key_id)
            counts["added"] += 1
        else:
            record = st.keys[record_id]
            _apply_param(record, st.aws.describe(account, region, key_id))
            record["gone"] = False
            touch(record)
            counts["updated"] += 1
        record["synced_at"] = stamp
    for record in st.keys.values():
        if record["kms_id"] == kms["id"] and record["region"] == region and record["aws_param"]["KeyID"] not in present and not record["gone"]:
            record.update(gone=True, synced_at=stamp)
            touch(record)
            counts["gone"] += 1
    return counts


def bulk_create(st, kms, region, count, *, alias_prefix="", tags=None, state="Enabled"):
    """Create ``count`` keys in AWS and CCKM at once (control endpoint for scale tests); returns their ids."""
    if state not in ("Enabled", "Disabled"):
        raise bad_request("state must be Enabled or Disabled")
    tag_list = tags_from(tags, "tags")
    account = kms["account_id"]
    if alias_prefix:
        taken = [i for i in range(count) if not st.aws.alias_available(account, region, f"{alias_prefix}{i}")]
        if taken:
            raise AwsConflict(f"AlreadyExistsException: alias {alias_prefix}{taken[0]} already exists")
    ids = []
    with aws_errors():
        for index in range(count):
            key_id = st.aws.create_key(account, region, tags=tag_list, alias=f"{alias_prefix}{index}" if alias_prefix else None)
            if state == "Disabled":
                st.aws.disable(account, region, key_id)
            ids.append(new_record(st, kms, region, key_id, replica=False)["id"])
    return ids
