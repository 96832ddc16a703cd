# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CCKM key policy templates (seed 003) as desired state: read, compare normalised, write what differs."""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import AWS, path_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys import KEYS_PATH
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import resolve_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import (
    POLICY_LISTS, TEMPLATE_TAG, as_policy, looks_like_account_id, policies_differ,
)
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter, new_job_lookup

TEMPLATES_PATH = AWS + "/templates"
BULK_PATH = AWS + "/bulkjob"
# Some CipherTrust versions report admins with hyphens on reads (seed 003); requests always use underscores.
_READ_ALIASES = {"key_admins": "key-admins", "key_admins_roles": "key-admins-roles"}
INFO_FILTERS = ("id", "name", "kms_name", "account_id", "cloud", "is_verified", "sort")


class TemplateInUse(CckmError):
    """The template is applied to keys, so the wanted change needs auto_push (or cannot be made)."""


def template_view(record):
    """The template with one spelling for every field: admins from ``key_admins`` or ``key-admins``, lists never null."""
    if record is None:
        return None
    view = {
        "id": record.get("id"),
        "name": record.get("name"),
        "kms": record.get("kms") or None,
        "kms_name": record.get("kms_name") or None,
        "account_id": None if record.get("account_id") in (None, "") else str(record.get("account_id")),
        "is_verified": bool(record.get("is_verified")),
        "policy": as_policy(record.get("policy")),
    }
    for field in POLICY_LISTS:
        value = record.get(field)
        if value is None and field in _READ_ALIASES:
            value = record.get(_READ_ALIASES[field])
        view[field] = sorted(value or [])
    return view


def find_template(client, params):
    """The template named (or with the id) given, in the given scope; None when it does not exist."""
    if params.get("id"):
        found = client.find_one(TEMPLATES_PATH, {"id": params["id"]}, lambda r: r.get("id") == params["id"])
        if found is None:
            raise OptionError("id", "no policy template with id %s" % params["id"])
        return found
    query = {"name": params["name"]}
    if params.get("account_id"):
        query["account_id"] = params["account_id"]
    return client.find_one(TEMPLATES_PATH, query, lambda r: r.get("name") == params["name"] and _in_scope(r, params))


def _in_scope(record, params):
    """Names are unique per scope (a KMS, an account, or none), so the scope is part of the identity."""
    if params.get("kms"):
        return params["kms"] in (record.get("kms"), record.get("kms_name"))
    if params.get("account_id"):
        return str(record.get("account_id")) == str(params["account_id"])
    return not record.get("kms") and record.get("account_id") in (None, "")


def desired_content(params):
    """The policy definition the task asks for, or None when it leaves the content unmanaged."""
    policy = params.get("policy")
    lists = {field: params[field] for field in POLICY_LISTS if params.get(field) is not None}
    if policy is not None and lists:
        raise OptionError(["policy"] + sorted(lists), "policy and the key_* / external_accounts lists are mutually exclusive")
    if policy is not None:
        parsed = as_policy(policy)
        if not isinstance(parsed, dict):
            raise OptionError("policy", "must be a JSON object (a dict, or a string holding one)")
        return {"policy": parsed}
    if lists:
        return {field: sorted(lists.get(field) or []) for field in POLICY_LISTS}
    return None


def content_differs(view, content):
    if content is None:
        return False
    if "policy" in content:
        return policies_differ(view["policy"], content["policy"])
    return any(view[field] != content[field] for field in POLICY_LISTS)


def keys_using(client, template_id):
    """CCKM ids of the keys the template is applied to (CCKM tags them with cckm_policy_template_id)."""
    return sorted(key["id"] for key in client.paginate(KEYS_PATH, {TEMPLATE_TAG: template_id}) if not key.get("gone"))


def _diff_view(view):
    if view is None:
        return {}
    return {k: view[k] for k in ("name", "kms_name", "account_id", "policy") + POLICY_LISTS}


def _predict(view, params, content):
    after = dict(view or {"id": None, "name": params["name"], "kms": None, "account_id": params.get("account_id"),
                          "kms_name": params.get("kms"), "is_verified": False, "policy": None})
    for field in POLICY_LISTS:
        after.setdefault(field, [])
    if content and "policy" in content:
        after.update({field: [] for field in POLICY_LISTS}, policy=content["policy"])
    elif content:
        after.update(content)
    return after


class TemplateTask:
    """aws_policy_template: one template to converge, plus its use by keys when that matters."""

    def __init__(self, module):
        self.module = module
        self.client = module.client()
        self.params = module.params

    def run(self):
        params = self.params
        if not params.get("id") and not params.get("name"):
            raise OptionError(("name", "id"), "one of them is required")
        if params.get("account_id") is not None and not looks_like_account_id(params["account_id"]):
            raise OptionError("account_id", "must be a 12-digit AWS account ID, got %s" % shown(params["account_id"]))
        content = desired_content(params)
        if params["state"] == "present" and not params.get("kms") and not params.get("account_id") and not (content and "policy" in content):
            raise OptionError(("kms", "account_id", "policy"), "a template with neither kms nor account_id needs a policy")
        current = find_template(self.client, params)
        if params["state"] == "absent":
            result = self.absent(current)
        elif current is None:
            if not params.get("name"):
                raise OptionError("name", "required to create a policy template")
            result = self.create(content)
        else:
            result = self.update(current, content)
        if self.module._diff:  # pylint: disable=protected-access
            result["diff"] = {"before": _diff_view(template_view(current)), "after": _diff_view(result.get("policy_template"))}
        return result

    def create(self, content):
        if self.params.get("kms"):  # an unknown KMS fails here, not with the create (one GET, creates only)
            resolve_kms(self.client, [self.params["kms"]])
        body = {"name": self.params["name"]}
        for scope in ("kms", "account_id"):
            if self.params.get(scope):
                body[scope] = self.params[scope]
        body.update(content or {})
        if self.module.check_mode:
            return self._result(True, None, _predict(None, self.params, content))
        record = self.client.post(TEMPLATES_PATH, body, landed=lambda: find_template(self.client, self.params))
        return self._result(True, record, template_view(record))

    def update(self, current, content):
        view = template_view(current)
        if not content_differs(view, content):
            return self._result(False, current, view)
        in_use = keys_using(self.client, view["id"]) if view["is_verified"] else []
        if in_use and not self.params["auto_push"]:
            raise TemplateInUse("Policy template %s is verified and applied to %d key(s) (%s); set auto_push: true to change it "
                                "and push the new policy to them" % (view["name"], len(in_use), ", ".join(in_use)))
        predicted = dict(_predict(view, self.params, content), is_verified=bool(in_use))
        extra = {"in_use_by": in_use, "became_unverified": view["is_verified"] and not in_use}
        if self.module.check_mode:
            return self._result(True, current, predicted, **extra)
        path = "%s/%s" % (TEMPLATES_PATH, path_id(view["id"]))
        if in_use:
            record = self.client.request("PATCH", path, json_body=dict(content, auto_push=True), idempotent=False,
                                         landed=self._pushed(view["id"], content))
        else:
            record = self.client.patch(path, dict(content))
        if record.get("job_id"):
            extra["push_job"] = self._wait_push(record["job_id"])
        return self._result(True, record, template_view(record), **extra)

    def _pushed(self, template_id, content):
        """landed() of an auto-push PATCH: sending it twice would start a second push job, so look for the change and its job."""
        push_job = new_job_lookup(self.client, BULK_PATH, lambda job: job.get("operation") == "applypolicytemplate"
                                  and job.get("policy_template_id") == template_id)

        def lookup():
            record = self.client.get("%s/%s" % (TEMPLATES_PATH, path_id(template_id)))
            if content_differs(template_view(record), content):
                return None
            job = push_job()
            return dict(record, job_id=job["id"]) if job else record
        return lookup

    def _wait_push(self, job_id):
        """The auto-push job (a bulk job in CCKM): waited for when wait=true; its failures fail the task."""
        if not self.params["wait"]:
            return {"id": job_id, "overall_status": "in_progress"}
        job = Waiter(lambda: self.client.get("%s/%s" % (BULK_PATH, path_id(job_id))), what="policy push job %s" % job_id).wait(
            self.params["wait_timeout"], self.params["wait_sleep"])
        failed = {key: text for key, text in (job.get("detailed_status") or {}).items() if text != "Success"}
        if failed:
            raise CckmError("Policy push job %s failed for %d key(s): %s" % (
                job_id, len(failed), "; ".join("%s: %s" % item for item in sorted(failed.items()))))
        return {"id": job_id, "overall_status": job.get("overall_status"), "detailed_status": job.get("detailed_status")}

    def absent(self, current):
        if current is None:
            return {"changed": False, "template": None, "policy_template": None}
        in_use = keys_using(self.client, current["id"])
        if in_use:
            raise TemplateInUse("Policy template %s is applied to %d key(s) and cannot be deleted: %s" % (
                current.get("name"), len(in_use), ", ".join(in_use)))
        if not self.module.check_mode:
            self.client.delete("%s/%s" % (TEMPLATES_PATH, path_id(current["id"])))
        return {"changed": True, "template": None, "policy_template": None, "in_use_by": []}

    @staticmethod
    def _result(changed, record, view, **extra):
        result = {"changed": changed, "template": record, "policy_template": view}
        if view is not None:
            result["is_verified"] = view["is_verified"]
        result.update(extra)
        return result


def list_templates(client, params):
    """aws_policy_template_info: every template matching the API filters, as views (+ API record when asked)."""
    query = {name: params[name] for name in INFO_FILTERS if params.get(name) is not None}
    found = []
    for record in client.paginate(TEMPLATES_PATH, query):
        view = template_view(record)
        if params.get("name") and view["name"] != params["name"]:
            continue
        if params.get("include_resource"):
            view["resource"] = record
        found.append(view)
    return {"changed": False, "policy_templates": found, "total": len(found)}
