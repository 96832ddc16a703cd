"""CCKM AWS key policy templates (seed 003, cckm-aws.md 5 and 11.10).

A template is scoped to one KMS (``kms``), to an AWS account (``account_id``) or to nothing (then
it carries an explicit policy and cannot be applied). Keys using a template carry the tag
``cckm_policy_template_id``; that tag is how "in use" is decided, including keys pending deletion.
All functions expect the caller to hold ``State.lock``.
"""

import hashlib
import re

from .common import Lister, bad_request, conflict, metadata, new_id, not_found, touch
from .policies import LIST_FIELDS, choose_policy, default_policy

TEMPLATE_TAG = "cckm_policy_template_id"
HYPHENATED = {"key_admins": "key-admins", "key_admins_roles": "key-admins-roles"}
ACCOUNT_RE = re.compile(r"^\d{12}$")
METADATA_FIELDS = ("id", "name", "uri", "account", "application", "devAccount", "createdAt", "updatedAt")


def find(st, ref, by_name=True):
    """A template by id or (``by_name``) name, first match, else 404.

    ``templates/{id}`` takes the ID only in the strict profile (seed 003; FIDELITY.md template_ref).
    """
    template = st.templates.get(ref) or next((t for t in st.templates.values() if by_name and t["name"] == ref), None)
    if template is None:
        raise not_found(f"Policy template {ref} not found")
    return template


def keys_using(st, template_id):
    """CCKM key records tagged with the template (gone keys excluded; keys pending deletion included)."""
    return [record for record in st.keys.values() if not record["gone"] and any(
        tag["TagKey"] == TEMPLATE_TAG and tag["TagValue"] == template_id for tag in record["aws_param"]["Tags"])]


def check_applicable(template, kms):
    """400 unless the template may be applied to keys of ``kms`` (same KMS, or same AWS account)."""
    if template["kms"]:
        if template["kms"] != kms["id"]:
            raise bad_request(f"policy template {template['id']} belongs to KMS {template['kms_name']}, not to KMS {kms['name']}")
    elif template["account_id"] is not None:
        if str(template["account_id"]) != kms["account_id"]:
            raise bad_request(f"policy template {template['id']} belongs to AWS account {template['account_id']}, "
                              f"but the key belongs to AWS account {kms['account_id']}")
    else:
        raise bad_request(f"policy template {template['id']} has neither kms nor account_id and cannot be applied to keys")


def present(template, naming):
    """A template as GET/list/PATCH show it: admins as ``key-admins``/``key-admins-roles`` in hyphen mode."""
    if naming != "hyphen":
        return dict(template)
    return {HYPHENATED.get(name, name): value for name, value in template.items()}


def _scope(st, body):
    """(kms record or None, account id string or None) from a body; kms and account_id are exclusive."""
    kms_ref, account = body.get("kms"), body.get("account_id")
    if kms_ref and account:
        raise bad_request("kms and account_id are mutually exclusive; specify either")
    if kms_ref:
        if not isinstance(kms_ref, str):
            raise bad_request("kms must be a KMS name or id")
        kms = st.kms_by_ref(kms_ref)
        if kms is None:
            raise not_found(f"KMS {kms_ref} not found")
        return kms, None
    if account is not None:
        if isinstance(account, bool) or not ACCOUNT_RE.match(str(account)):
            raise bad_request("account_id must be a 12-digit AWS account id")
        return None, str(account)
    return None, None


def _define(template, body, kms, account):
    """Write scope, lists and policy into a template (create and PATCH share the seed's rules)."""
    choice = choose_policy(body, allow_template=False)
    if kms is None and account is None and choice.kind != "policy":
        raise bad_request("policy is required when neither kms nor account_id is specified")
    owner = kms["account_id"] if kms else account
    for name in [name for name in template if name not in METADATA_FIELDS]:
        del template[name]
    lists = choice.lists
    template.update({name: list(lists[name]) for name in LIST_FIELDS[1:] if name in lists})
    template["external_accounts"] = list(lists["external_accounts"]) if "external_accounts" in lists else None
    policy = choice.policy if choice.kind == "policy" else (choice.document(owner) if choice.kind == "lists" else default_policy(owner))
    template.update(policy=policy, kms_name=kms["name"] if kms else "", kms=kms["id"] if kms else "",
                    account_id=int(owner) if owner else None, cloud="aws")
    template["uri"] = "kylo:kylo:cckm:aws-template:" + hashlib.sha256((template["id"] + template["updatedAt"]).encode()).hexdigest()[:8]


def _same_scope(template, kms, account):
    if kms:
        return template["kms"] == kms["id"]
    return not template["kms"] and template["account_id"] == (int(account) if account else None)


def create(st, body):
    """POST /templates; the response uses ``key_admins`` (seed 003 create example)."""
    name = body.string("name")
    if not name:
        raise bad_request("name is required")
    kms, account = _scope(st, body)
    if any(t["name"] == name and _same_scope(t, kms, account) for t in st.templates.values()):
        raise conflict(f"policy template with name {name} already exists")
    stamped = dict(metadata("aws-template", new_id()), name=name)
    template = {field: stamped[field] for field in METADATA_FIELDS}
    _define(template, body, kms, account)
    template["is_verified"] = False
    st.templates[template["id"]] = template
    return template


def patch(st, template, body):
    """PATCH /templates/{id}; returns the keys the change must be pushed to (empty unless verified and in use).

    Unverified stays unverified; verified and unused becomes unverified; verified and in use needs
    ``auto_push: true`` and stays verified. The policy inputs replace the old ones (none = default policy).
    """
    if body.has("name") and body.get("name") != template["name"]:
        raise bad_request("a policy template cannot be renamed")
    if body.has("kms") or body.has("account_id"):
        kms, account = _scope(st, body)
    else:
        kms, account = st.kms.get(template["kms"]), (None if template["kms"] or template["account_id"] is None else str(template["account_id"]))
    in_use = keys_using(st, template["id"]) if template["is_verified"] else []
    if in_use and not body.flag("auto_push"):
        raise bad_request(f"policy template {template['id']} is verified and used by {len(in_use)} key(s): "
                          "auto_push must be set to true to update it and push the change to those keys")
    updated = dict(template)
    touch(updated)
    _define(updated, body, kms, account)
    updated["is_verified"] = bool(in_use) and template["is_verified"]
    template.clear()
    template.update(updated)
    return in_use


def delete(st, template):
    """DELETE /templates/{id}: refused while any key uses the template."""
    users = keys_using(st, template["id"])
    if users:
        raise bad_request(f"policy template {template['id']} has one or more key associated with it ({len(users)} key(s)) and cannot be deleted")
    del st.templates[template["id"]]


TEMPLATE_LISTER = Lister(
    filters={"id": lambda t: t["id"], "name": lambda t: t["name"], "kms_name": lambda t: [t["kms_name"], t["kms"]],
             "account_id": lambda t: "" if t["account_id"] is None else str(t["account_id"]), "cloud": lambda t: t["cloud"]},
    bool_filters={"is_verified": lambda t: t["is_verified"]},
)


def list_templates(st, args):
    """GET /templates with the seed's filters."""
    envelope = TEMPLATE_LISTER.page(list(st.templates.values()), args)
    envelope["resources"] = [present(t, st.config.admins_naming) for t in envelope["resources"]]
    return envelope
