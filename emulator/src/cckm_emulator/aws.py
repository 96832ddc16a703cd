"""The emulated AWS side: moto's in-process KMS backend behind one adapter.

This is the only module that imports moto, so every dependency on moto internals is here.
moto holds the real keys (states, aliases, tags, policies, rotation flag, multi-Region ids,
pending windows); the adapter adds what moto lacks (imported key material and PendingImport,
rotation periods, replicas that start in Creating, primary-region changes, AWS key-state rules)
and turns every refusal into :class:`AwsError` carrying the AWS exception name.

Callers hold the emulator's global lock; the adapter itself is not thread-safe.
"""

import copy
import dataclasses
import datetime
import hashlib
import json
import re
import secrets
import time

from moto.kms import models as kms_models
from moto.kms.models import kms_backends

from .common import aws_time

SYMMETRIC = "SYMMETRIC_DEFAULT"
#: key spec -> allowed key usages, the first one being the default (cckm-aws.md 4.3)
KEY_USAGES = {SYMMETRIC: ("ENCRYPT_DECRYPT",)}
KEY_USAGES.update({f"RSA_{bits}": ("ENCRYPT_DECRYPT", "SIGN_VERIFY") for bits in (2048, 3072, 4096)})
KEY_USAGES.update({spec: ("SIGN_VERIFY",) for spec in ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1")})
KEY_USAGES.update({f"HMAC_{bits}": ("GENERATE_VERIFY_MAC",) for bits in (224, 256, 384, 512)})
ORIGINS = ("AWS_KMS", "EXTERNAL")
ALIAS_RE = re.compile(r"^[a-zA-Z0-9/_-]{1,250}$")

_USABLE = {"Enabled", "Disabled", "PendingImport"}
_PENDING_DELETION = {"PendingDeletion", "PendingReplicaDeletion"}
#: AWS key-state rules (cckm-aws.md 4.2): operation -> states in which AWS accepts it
ALLOWED_STATES = {
    "enable": {"Enabled", "Disabled"},
    "disable": {"Enabled", "Disabled"},
    "schedule_deletion": _USABLE,
    "cancel_deletion": _PENDING_DELETION,
    "update_description": _USABLE,
    "tag": _USABLE,
    "create_alias": _USABLE,
    "delete_alias": _USABLE | _PENDING_DELETION,
    "put_policy": _USABLE,
    "rotation": {"Enabled"},
    "rotate_material": {"Enabled"},
    "import_material": _USABLE,
    "delete_material": {"Enabled", "Disabled"},
    "replicate": _USABLE,
    "update_primary_region": _USABLE,
}
_STATE_TEXT = {
    "PendingDeletion": "is pending deletion",
    "PendingReplicaDeletion": "is pending deletion",
    "PendingImport": "is pending import",
    "Creating": "is pending creation",
    "Updating": "is being updated",
    "Disabled": "is disabled",
    "Enabled": "is enabled",
}


class AwsError(Exception):
    """An AWS KMS API error: ``name`` is the exception name clients look for in messages."""

    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class _LazyPrivateKey:
    """Stands in for the RSA/ECC key moto generates for *every* key, even symmetric ones.

    Generating RSA-2048 costs ~65 ms per key, which makes 10,000-key fixtures take minutes;
    the real key is only needed for sign/verify, so it is generated on first use.
    """

    def __init__(self, factory, key_spec):
        self._factory = factory
        self._key_spec = key_spec
        self._key = None

    def __getattr__(self, name):
        if self._key is None:
            self._key = self._factory(self._key_spec)
        return getattr(self._key, name)


def _lazy_private_key(key_spec, _eager=kms_models.generate_private_key):
    return _LazyPrivateKey(_eager, key_spec)


kms_models.generate_private_key = _lazy_private_key


@dataclasses.dataclass
class _Extra:
    """Per-key AWS attributes moto does not model."""

    rotation_period: int | None = None
    next_rotation: float | None = None
    expiration_model: str = ""
    valid_to: str = ""
    material_id: str = ""
    material_source: str = ""


@dataclasses.dataclass
class _Family:
    """A multi-Region key: where its primary is and which regions hold replicas."""

    primary: str
    replicas: list = dataclasses.field(default_factory=list)


def key_arn(account, region, key_id):
    """ARN of a KMS key."""
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def _epoch(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    return float(value)


def policy_text(policy):
    """Validate a key policy (dict or JSON string) the way KMS would and return it as JSON text."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError as exc:
            raise AwsError("MalformedPolicyDocumentException", "The policy is not valid JSON.") from exc
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list) or not all(isinstance(item, dict) for item in statements):
        raise AwsError("MalformedPolicyDocumentException", "The policy must contain a non-empty Statement list.")
    if any(item.get("Effect") not in ("Allow", "Deny") for item in statements):
        raise AwsError("MalformedPolicyDocumentException", "Every policy statement needs Effect Allow or Deny.")
    if not any(item.get("Effect") == "Allow" for item in statements):
        raise AwsError("MalformedPolicyDocumentException",
                       "The new key policy will not allow you to update the key policy in the future.")
    return json.dumps(policy)


def aws_canonical_policy(policy):
    """A key policy the way AWS gives it back: account-ID principals as root ARNs, ``"*"`` as ``{"AWS": "*"}``,
    condition values as strings (amazon.aws policy.py compares these forms as equal for this reason)."""
    policy = json.loads(policy) if isinstance(policy, str) else copy.deepcopy(policy)
    statements = policy.get("Statement")
    for statement in statements if isinstance(statements, list) else [statements]:
        for name in ("Principal", "NotPrincipal"):
            principal = statement.get(name)
            if principal == "*":
                statement[name] = {"AWS": "*"}
            elif isinstance(principal, dict) and "AWS" in principal:
                values = principal["AWS"] if isinstance(principal["AWS"], list) else [principal["AWS"]]
                values = [f"arn:aws:iam::{v}:root" if re.fullmatch(r"[0-9]{12}", str(v)) else v for v in values]
                principal["AWS"] = values if isinstance(principal["AWS"], list) else values[0]
        for operator, values in (statement.get("Condition") or {}).items():
            if isinstance(values, dict):
                statement["Condition"][operator] = {k: _condition_text(v) for k, v in values.items()}
    return policy


def _condition_text(value):
    if isinstance(value, list):
        return [_condition_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def alias_name(alias):
    """Full ``alias/<name>`` from a name given with or without the prefix; validated like KMS does."""
    if not isinstance(alias, str):
        raise AwsError("ValidationException", "Alias must be a string.")
    name = alias[len("alias/"):] if alias.startswith("alias/") else alias
    if not ALIAS_RE.match(name):
        raise AwsError("ValidationException", f"Alias name '{name}' must match pattern ^[a-zA-Z0-9/_-]+$.")
    if name.startswith("aws/"):
        raise AwsError("NotAuthorizedException", "Aliases beginning with aws/ are reserved.")
    return f"alias/{name}"


def _check_tags(tags):
    for tag in tags:
        if not isinstance(tag, dict) or not isinstance(tag.get("TagKey"), str) or not tag["TagKey"]:
            raise AwsError("TagException", "Each tag needs a non-empty TagKey.")
        if not isinstance(tag.get("TagValue", ""), str):
            raise AwsError("TagException", f"Tag {tag['TagKey']} needs a string TagValue.")
        if tag["TagKey"].startswith("aws:"):
            raise AwsError("TagException", "Tag keys beginning with aws: are reserved.")


class AwsKms:
    """All AWS KMS operations the emulator needs, for any account and region.

    ``canonical_policies()`` tells whether key policies are stored the way AWS returns them (FIDELITY.md,
    policy_forms) or exactly as sent.
    """

    def __init__(self, canonical_policies=lambda: True):
        self.canonical_policies = canonical_policies
        self._extra = {}
        self._aliases = {}
        self._families = {}

    def _policy_text(self, policy):
        text = policy_text(policy)
        return json.dumps(aws_canonical_policy(text)) if self.canonical_policies() else text

    def reset(self):
        """Forget every key in every account and region."""
        for account in list(kms_backends.keys()):
            for backend in list(kms_backends[account].values()):
                backend.reset()
        self._extra.clear()
        self._aliases.clear()
        self._families.clear()

    # -- lookups -------------------------------------------------------------------------------

    @staticmethod
    def _backend(account, region):
        try:
            return kms_backends[account][region]
        except KeyError as exc:
            raise AwsError("ValidationException", f"Unknown region {region}.") from exc

    def _key(self, account, region, key_id):
        key = self._backend(account, region).keys.get(key_id)
        if key is None:
            raise AwsError("NotFoundException", f"Key '{key_arn(account, region, key_id)}' does not exist")
        return key

    def _extra_of(self, account, region, key_id):
        return self._extra.setdefault((account, region, key_id), _Extra())

    def exists(self, account, region, key_id):
        """True when the key exists in that account and region."""
        return key_id in self._backend(account, region).keys

    def key_ids(self, account, region):
        """Ids of every key in an account and region (what ListKeys returns)."""
        return list(self._backend(account, region).keys)

    def family_regions(self, account, key_id):
        """Regions holding a multi-Region key (primary first), or [] for single-Region keys."""
        family = self._families.get((account, key_id))
        return [family.primary] + list(family.replicas) if family else []

    def alias_available(self, account, region, alias):
        """True when the alias (with or without ``alias/``) is free in that account and region."""
        return alias_name(alias) not in self._aliases.get((account, region), {})

    def describe(self, account, region, key_id):
        """The key as CCKM shows it in ``aws_param`` (DescribeKey + aliases, tags, policy, rotation)."""
        key = self._key(account, region, key_id)
        extra = self._extra_of(account, region, key_id)
        tags = self._backend(account, region).tagger.list_tags_for_resource(key_id)["Tags"]
        hmac = key.key_spec.startswith("HMAC")
        param = {
            "AWSAccountId": account,
            "Arn": key.arn,
            "KeyID": key.id,
            "CreationDate": aws_time(key.creation_date),
            "CustomerMasterKeySpec": key.key_spec,
            "Description": key.description,
            "Enabled": key.enabled,
            "EncryptionAlgorithms": [] if hmac else list(key.encryption_algorithms or []),
            "KeyManager": key.key_manager,
            "KeyState": key.key_state,
            "KeyUsage": key.key_usage,
            "Origin": key.origin,
            "Policy": json.loads(key.policy),
            "Alias": sorted(key.aliases),
            "Tags": [{"TagKey": tag["TagKey"], "TagValue": tag["TagValue"]} for tag in tags],
            "KeyRotationEnabled": bool(key.key_rotation_status),
            "NextRotationDate": aws_time(extra.next_rotation) if key.key_rotation_status else "",
            "MultiRegion": bool(key.multi_region),
            "DeletionDate": aws_time(_epoch(key.deletion_date)) if key.key_state in _PENDING_DELETION else "",
            "CurrentKeyMaterialId": extra.material_id,
            "CustomKeyStoreId": "",
        }
        if key.key_usage == "SIGN_VERIFY":
            param["SigningAlgorithms"] = list(key.signing_algorithms or [])
        if hmac:
            param["MacAlgorithms"] = [f"HMAC_SHA_{key.key_spec.split('_')[1]}"]
        if key.key_rotation_status:
            param["RotationPeriodInDays"] = extra.rotation_period
        if key.origin == "EXTERNAL" and extra.expiration_model:
            param["ExpirationModel"] = extra.expiration_model
            param["ValidTo"] = extra.valid_to
        if key.multi_region:
            param["MultiRegionConfiguration"] = self._multi_region_configuration(account, key)
        return param

    def ground_truth(self, account, region, key_id):
        """The key in plain AWS terms, for tests that must not trust the API under test."""
        param = self.describe(account, region, key_id)
        truth = {name: param.get(name) for name in (
            "KeyId", "Arn", "KeyState", "Enabled", "Description", "KeyUsage", "Origin", "Policy", "KeyRotationEnabled",
            "RotationPeriodInDays", "MultiRegion", "MultiRegionConfiguration", "DeletionDate", "ExpirationModel", "ValidTo")}
        truth.update(KeyId=key_id, KeySpec=param["CustomerMasterKeySpec"], Aliases=param["Alias"], AccountId=account, Region=region,
                     Tags={tag["TagKey"]: tag["TagValue"] for tag in param["Tags"]})
        return truth

    def _multi_region_configuration(self, account, key):
        family = self._families.get((account, key.id))
        if family is None:
            return copy.deepcopy(key.multi_region_configuration)
        return {
            "MultiRegionKeyType": "PRIMARY" if key.region == family.primary else "REPLICA",
            "PrimaryKey": {"Arn": key_arn(account, family.primary, key.id), "Region": family.primary},
            "ReplicaKeys": [{"Arn": key_arn(account, region, key.id), "Region": region} for region in family.replicas],
        }

    # -- key life cycle ------------------------------------------------------------------------

    def create_key(self, account, region, *, description="", key_usage=None, key_spec=None, origin=None,
                   multi_region=False, policy=None, tags=(), alias=None):
        """CreateKey (+ CreateAlias). Everything is validated before anything is created."""
        key_spec = key_spec or SYMMETRIC
        if key_spec not in KEY_USAGES:
            raise AwsError("ValidationException", f"KeySpec {key_spec} must be one of {', '.join(sorted(KEY_USAGES))}.")
        key_usage = key_usage or KEY_USAGES[key_spec][0]
        if key_usage not in KEY_USAGES[key_spec]:
            raise AwsError("ValidationException", f"KeyUsage {key_usage} is not compatible with KeySpec {key_spec}.")
        origin = origin or "AWS_KMS"
        if origin not in ORIGINS:
            raise AwsError("UnsupportedOperationException", f"Origin {origin} is not supported; use AWS_KMS or EXTERNAL.")
        text = self._policy_text(policy) if policy is not None else None
        full_alias = alias_name(alias) if alias else None
        if full_alias and full_alias in self._aliases.get((account, region), {}):
            raise self._alias_exists(account, region, full_alias)
        tags = list(tags or [])
        _check_tags(tags)
        backend = self._backend(account, region)
        key = backend.create_key(text, key_usage, key_spec, description or "", tags, multi_region, origin)
        extra = self._extra_of(account, region, key.id)
        if origin == "EXTERNAL":
            key.key_state, key.enabled = "PendingImport", False
        else:
            extra.material_id = secrets.token_hex(32)
        if multi_region:
            self._families[(account, key.id)] = _Family(primary=region)
        if full_alias:
            self._add_alias(account, region, key, full_alias)
        return key.id

    def delete_key(self, account, region, key_id):
        """The key vanishes from AWS at once (out-of-band deletion; CCKM notices at the next sync)."""
        key = self._key(account, region, key_id)
        for name in list(key.aliases):
            self._aliases.get((account, region), {}).pop(name, None)
        self._backend(account, region).delete_key(key_id)
        self._extra.pop((account, region, key_id), None)
        family = self._families.get((account, key_id))
        if family is not None:
            if region in family.replicas:
                family.replicas.remove(region)
            elif not family.replicas:
                del self._families[(account, key_id)]

    def _checked(self, account, region, key_id, operation):
        key = self._key(account, region, key_id)
        if key.key_state not in ALLOWED_STATES[operation]:
            raise self._state_error(key, operation)
        return key

    @staticmethod
    def _state_error(key, operation):
        if operation == "cancel_deletion":
            return AwsError("KMSInvalidStateException", f"{key.arn} is not pending deletion.")
        if operation == "delete_material" and key.key_state == "PendingImport":
            return AwsError("KMSInvalidStateException", f"Key material for {key.arn} has not been imported.")
        if key.key_state == "Disabled":
            return AwsError("DisabledException", f"{key.arn} is disabled.")
        text = _STATE_TEXT.get(key.key_state, f"is in state {key.key_state}")
        return AwsError("KMSInvalidStateException", f"{key.arn} {text}.")

    def enable(self, account, region, key_id):
        """EnableKey."""
        self._checked(account, region, key_id, "enable")
        self._backend(account, region).enable_key(key_id)

    def disable(self, account, region, key_id):
        """DisableKey."""
        self._checked(account, region, key_id, "disable")
        self._backend(account, region).disable_key(key_id)

    def schedule_deletion(self, account, region, key_id, days):
        """ScheduleKeyDeletion; an MR primary that still has replicas goes to PendingReplicaDeletion."""
        if not 7 <= days <= 30:
            raise AwsError("ValidationException", f"PendingWindowInDays {days} must be between 7 and 30.")
        key = self._checked(account, region, key_id, "schedule_deletion")
        self._backend(account, region).schedule_key_deletion(key_id, days)
        family = self._families.get((account, key_id))
        if family and family.primary == region and family.replicas:
            key.key_state = "PendingReplicaDeletion"

    def cancel_deletion(self, account, region, key_id):
        """CancelKeyDeletion: the key ends up Disabled."""
        self._checked(account, region, key_id, "cancel_deletion")
        self._backend(account, region).cancel_key_deletion(key_id)

    def update_description(self, account, region, key_id, description):
        """UpdateKeyDescription."""
        self._checked(account, region, key_id, "update_description")
        self._backend(account, region).update_key_description(key_id, description)

    def tag(self, account, region, key_id, tags):
        """TagResource with ``[{TagKey, TagValue}]``; existing keys get the new value."""
        _check_tags(tags)
        self._checked(account, region, key_id, "tag")
        self._backend(account, region).tagger.tag_resource(key_id, tags)

    def untag(self, account, region, key_id, tag_keys):
        """UntagResource by tag key names; unknown names are ignored like AWS does."""
        self._checked(account, region, key_id, "tag")
        self._backend(account, region).tagger.untag_resource_using_names(key_id, list(tag_keys))

    def create_alias(self, account, region, key_id, alias):
        """CreateAlias; the name must be free in the account and region."""
        full = alias_name(alias)
        key = self._checked(account, region, key_id, "create_alias")
        if full in self._aliases.get((account, region), {}):
            raise self._alias_exists(account, region, full)
        self._add_alias(account, region, key, full)

    def delete_alias(self, account, region, key_id, alias):
        """DeleteAlias; the alias must point at this key."""
        full = alias_name(alias)
        key = self._checked(account, region, key_id, "delete_alias")
        if full not in key.aliases:
            raise AwsError("NotFoundException", f"Alias arn:aws:kms:{region}:{account}:{full} is not found.")
        self._backend(account, region).delete_alias(full)
        self._aliases.get((account, region), {}).pop(full, None)

    def _add_alias(self, account, region, key, full):
        self._backend(account, region).create_alias(key.id, full)
        self._aliases.setdefault((account, region), {})[full] = key.id

    @staticmethod
    def _alias_exists(account, region, full):
        return AwsError("AlreadyExistsException", f"An alias with the name arn:aws:kms:{region}:{account}:{full} already exists")

    def put_policy(self, account, region, key_id, policy):
        """PutKeyPolicy with a dict (or JSON string) policy."""
        text = self._policy_text(policy)
        self._checked(account, region, key_id, "put_policy")
        self._backend(account, region).put_key_policy(key_id, text)

    def _require_native_symmetric(self, key, account, region):
        if key.origin != "AWS_KMS" or key.key_spec != SYMMETRIC:
            raise AwsError("UnsupportedOperationException",
                           f"{key.arn} must be a symmetric key with origin AWS_KMS for automatic rotation.")
        family = self._families.get((account, key.id))
        if family and family.primary != region:
            raise AwsError("UnsupportedOperationException", f"{key.arn} is a replica key; manage rotation on the primary key.")

    def enable_rotation(self, account, region, key_id, period):
        """EnableKeyRotation with RotationPeriodInDays 90-2560."""
        key = self._key(account, region, key_id)
        self._require_native_symmetric(key, account, region)
        if not 90 <= period <= 2560:
            raise AwsError("ValidationException", f"RotationPeriodInDays {period} must be between 90 and 2560.")
        self._checked(account, region, key_id, "rotation")
        self._backend(account, region).enable_key_rotation(key_id)
        extra = self._extra_of(account, region, key_id)
        extra.rotation_period, extra.next_rotation = period, time.time() + period * 86400

    def disable_rotation(self, account, region, key_id):
        """DisableKeyRotation."""
        key = self._key(account, region, key_id)
        self._require_native_symmetric(key, account, region)
        self._checked(account, region, key_id, "rotation")
        self._backend(account, region).disable_key_rotation(key_id)
        extra = self._extra_of(account, region, key_id)
        extra.rotation_period = extra.next_rotation = None

    def rotate_material(self, account, region, key_id, source=None):
        """RotateKeyOnDemand (AWS_KMS) or import-and-rotate of new material (EXTERNAL, needs ``source``)."""
        key = self._key(account, region, key_id)
        if key.key_spec != SYMMETRIC:
            raise AwsError("UnsupportedOperationException", f"{key.arn} is not a symmetric key.")
        self._checked(account, region, key_id, "rotate_material")
        extra = self._extra_of(account, region, key_id)
        if key.origin == "EXTERNAL":
            if not source:
                raise AwsError("ValidationException", "Rotating an EXTERNAL key needs new key material (source_key_identifier).")
            extra.material_source = source
            extra.material_id = hashlib.sha256(source.encode()).hexdigest()
        else:
            self._backend(account, region).rotate_key_on_demand(key_id)
            extra.material_id = secrets.token_hex(32)

    def import_material(self, account, region, key_id, source, expiration_model, valid_to=""):
        """ImportKeyMaterial: EXTERNAL keys only; PendingImport -> Enabled; re-imports must bring the same material."""
        key = self._key(account, region, key_id)
        if key.origin != "EXTERNAL":
            raise AwsError("UnsupportedOperationException", f"{key.arn} origin is {key.origin} which is not valid for this operation.")
        self._checked(account, region, key_id, "import_material")
        extra = self._extra_of(account, region, key_id)
        if extra.material_source and extra.material_source != source:
            raise AwsError("IncorrectKeyMaterialException",
                           f"The key material does not match the key material previously imported into {key.arn}.")
        extra.material_source, extra.material_id = source, hashlib.sha256(source.encode()).hexdigest()
        extra.expiration_model, extra.valid_to = expiration_model, valid_to or ""
        if key.key_state == "PendingImport":
            key.key_state, key.enabled = "Enabled", True

    def delete_material(self, account, region, key_id):
        """DeleteImportedKeyMaterial: EXTERNAL keys only; the key goes to PendingImport."""
        key = self._key(account, region, key_id)
        if key.origin != "EXTERNAL":
            raise AwsError("UnsupportedOperationException", f"{key.arn} origin is {key.origin} which is not valid for this operation.")
        self._checked(account, region, key_id, "delete_material")
        key.key_state, key.enabled = "PendingImport", False
        self._extra_of(account, region, key_id).material_id = ""

    def replicate(self, account, region, key_id, replica_region, *, policy=None, tags=(), description=None):
        """ReplicateKey: the replica (same key id) starts in Creating; call :meth:`finish_creation` later."""
        key = self._key(account, region, key_id)
        family = self._families.get((account, key_id))
        if family is None:
            raise AwsError("UnsupportedOperationException", f"{key.arn} is not a multi-Region key.")
        if family.primary != region:
            raise AwsError("UnsupportedOperationException", f"{key.arn} is not a primary key; replicate the primary key.")
        self._checked(account, region, key_id, "replicate")
        if replica_region == region or replica_region in family.replicas:
            raise AwsError("AlreadyExistsException", f"{key_arn(account, replica_region, key_id)} already exists.")
        text = self._policy_text(policy) if policy is not None else None
        tags = list(tags or [])
        _check_tags(tags)
        target = self._backend(account, replica_region)
        replica = copy.copy(key)
        replica.region, replica.arn = replica_region, key_arn(account, replica_region, key_id)
        replica.aliases, replica.grants, replica.rotations = {}, {}, []
        replica.creation_date, replica.deletion_date = time.time(), None
        replica.key_state, replica.enabled = "Creating", False
        replica.description = key.description if description is None else description
        replica.policy = text or replica.generate_default_policy()
        target.keys[key_id] = replica
        target.tagger.tag_resource(key_id, tags)
        primary_extra = self._extra_of(account, region, key_id)
        self._extra[(account, replica_region, key_id)] = _Extra(
            rotation_period=primary_extra.rotation_period, next_rotation=primary_extra.next_rotation,
            material_id="" if key.origin == "EXTERNAL" else primary_extra.material_id)
        family.replicas.append(replica_region)

    def finish_creation(self, account, region, key_id):
        """A replica leaves Creating: Enabled, or PendingImport when its material must be imported."""
        key = self._backend(account, region).keys.get(key_id)
        if key is not None and key.key_state == "Creating":
            if key.origin == "EXTERNAL":
                key.key_state, key.enabled = "PendingImport", False
            else:
                key.key_state, key.enabled = "Enabled", True

    def update_primary_region(self, account, region, key_id, new_primary):
        """UpdatePrimaryRegion, callable on any member; the target must already hold a replica.

        Asking for the current primary region is accepted as a no-op so that retries are safe.
        """
        key = self._key(account, region, key_id)
        family = self._families.get((account, key_id))
        if family is None:
            raise AwsError("UnsupportedOperationException", f"{key.arn} is not a multi-Region key.")
        if new_primary == family.primary:
            return
        if new_primary not in family.replicas:
            raise AwsError("NotFoundException", f"{key_id} has no replica in {new_primary}; replicate the key there first.")
        for member in (family.primary, new_primary):
            self._checked(account, member, key_id, "update_primary_region")
        family.replicas[family.replicas.index(new_primary)] = family.primary
        family.primary = new_primary
