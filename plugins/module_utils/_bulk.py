# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Many keys to a desired state with CCKM bulk jobs (seed 001).

Keys are resolved with paged list calls, only keys not already in the desired state are sent, in jobs of
at most 100 keys of one AWS account, all jobs of a step started before any is waited for.
"""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import AWS, path_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, NotFound, OptionError, WaitTimeout
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys import KEYS_PATH, LIST_FILTERS, key_view, list_keys
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import resolve_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import alias_name, looks_like_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import TEMPLATES_PATH
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter, job_done, new_job_lookup

BULK_PATH = AWS + "/bulkjob"
JOB_SIZE = 100
QUERY_CHUNK = 100
# The order in which operations run when one task needs several (cancel before enabling, etc.).
STEPS = ("cancelkeydeletion", "applypolicytemplate", "enablekey", "disablekey", "schedulekeydeletion")
PENDING = ("PendingDeletion", "PendingReplicaDeletion")


class BulkKeyErrors(CckmError):
    """Some keys failed inside their jobs; the result still lists every key and job."""

    def __init__(self, failed, result):
        self.result = result
        shown = "; ".join("%s (%s): %s" % (k["id"], k.get("alias") or k.get("key_id"), k["result"]) for k in failed[:20])
        more = "" if len(failed) <= 20 else "; and %d more" % (len(failed) - 20)
        super().__init__("%d of %d key(s) failed: %s%s" % (len(failed), len(result["key_results"]), shown, more))

    def fail_kwargs(self):
        return dict(self.result, msg=str(self))


def operations_for(view, state, template_id):
    """The bulk operations one key needs, in STEPS order; [] when it is already as wanted."""
    key_state = view["key_state"]
    wanted = []
    if key_state in PENDING and state != "pending_deletion":
        wanted.append("cancelkeydeletion")
        key_state = "Disabled"
    if template_id and view["policy_template_id"] != template_id:
        wanted.append("applypolicytemplate")
    if state == "enabled" and key_state == "Disabled":
        wanted.append("enablekey")
    if state == "disabled" and key_state == "Enabled":
        wanted.append("disablekey")
    if state == "pending_deletion" and key_state not in PENDING:
        wanted.append("schedulekeydeletion")
    return wanted


def blocked(view, state):
    """Why a key cannot reach ``state`` by bulk operations (e.g. enabling a key without material), else None."""
    if state == "enabled" and view["key_state"] not in ("Enabled", "Disabled") + PENDING:
        return "cannot enable a key in state %s" % view["key_state"]
    return None


def _classify(ref):
    if ref.startswith("arn:"):
        return "arn"
    if looks_like_id(ref):
        return "uuid"
    if ref.startswith("mrk-"):
        return "keyid"
    return "alias"


def _chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]


MULTI_VALUED = ("id", "keyid", "arn", "alias", "kms", "kms_id", "region", "keystate", "key_material_origin")


def normalise_filters(filters):
    """The aws_key_info filters as list_keys() takes them: known names only, one value or a list where lists are allowed."""
    unknown = sorted(set(filters) - set(LIST_FILTERS))
    if unknown:
        raise OptionError("filters", "unknown filter(s) %s; use %s" % (", ".join(unknown), ", ".join(sorted(LIST_FILTERS))))
    return {name: [value] if name in MULTI_VALUED and isinstance(value, str) else value for name, value in filters.items()}


def resolve_targets(client, params):
    """Views of every key named in ``keys`` or matching ``filters``, each once; unknown names are an error."""
    found = {}
    if params.get("filters"):
        for view in list_keys(client, normalise_filters(params["filters"])):
            found[view["id"]] = view
    refs = params.get("keys") or []
    if refs:
        wanted = {"arn": [], "uuid": [], "keyid": [], "alias": []}
        for ref in refs:
            wanted[_classify(ref)].append(ref)
        views = []
        for kind, params_names in (("arn", ("arn",)), ("uuid", ("id", "keyid")), ("keyid", ("keyid",)), ("alias", ("alias",))):
            for name in params_names:
                for chunk in _chunks(wanted[kind], QUERY_CHUNK):
                    values = [alias_name(v) for v in chunk] if name == "alias" else chunk
                    views.extend(key_view(r) for r in client.paginate(KEYS_PATH, {name: values}))
        missing, ambiguous = [], []
        for ref in refs:
            matching = {v["id"]: v for v in views if ref in (v["id"], v["key_id"], v["arn"]) or alias_name(ref) in v["aliases"]}
            if not matching:
                missing.append(ref)
            elif len(matching) > 1:
                ambiguous.append(ref)
            found.update(matching)
        if missing or ambiguous:
            problems = []
            if missing:
                problems.append("no such key: %s" % ", ".join(missing))
            if ambiguous:
                problems.append("alias in several regions, use a CCKM id or ARN: %s" % ", ".join(ambiguous))
            raise OptionError("keys", "; ".join(problems))
    return sorted(found.values(), key=lambda v: (v["region"] or "", v["alias"] or "", v["id"]))


def resolve_template(client, ref):
    """(template id, AWS account id of its scope) for a template name or id."""
    if ref is None:
        return None, None
    query = {"id": ref} if looks_like_id(ref) else {"name": ref}
    template = client.find_one(TEMPLATES_PATH, query, lambda t: ref in (t.get("id"), t.get("name")))
    if template is None:
        raise OptionError("policy_template", "no policy template %r" % ref)
    account = template.get("account_id")
    if account in (None, "") and template.get("kms"):
        account = resolve_kms(client, [template["kms"]], option="policy_template")[0].get("account_id")
    return template["id"], None if account in (None, "") else str(account)


def plan(views, state, template_id, template_account):
    """{operation: [[views of one job], ...]} in STEPS order, jobs split per AWS account and 100 keys."""
    if template_id and template_account:
        foreign = [v for v in views if str(v["account_id"]) != template_account]
        if foreign:
            raise OptionError("policy_template", "the template belongs to AWS account %s; keys of other accounts: %s"
                              % (template_account, ", ".join(v["id"] for v in foreign[:20])))
    per_step = {}
    for view in views:
        for operation in operations_for(view, state, template_id):
            per_step.setdefault(operation, {}).setdefault(str(view["account_id"]), []).append(view)
    return {op: [job for group in per_step[op].values() for job in _chunks(group, JOB_SIZE)] for op in STEPS if op in per_step}


class BulkRunner:
    """Start the planned jobs step by step, wait for each step's jobs together, collect per-key results."""

    def __init__(self, module):
        self.module = module
        self.client = module.client()
        self.params = module.params

    def job_body(self, operation, views, template_id):
        body = {"operation": operation, "keys": [v["id"] for v in views]}
        if operation == "schedulekeydeletion":
            body["days"] = self.params["pending_window_days"]
        if operation == "applypolicytemplate":
            body["policy_template_id"] = template_id
        return body

    def start(self, operation, views, template_id):
        """POST one job; after an ambiguous failure, the job it started (same operation and keys, newer than any before)."""
        body = self.job_body(operation, views, template_id)

        def same(job):
            return job.get("operation") == body["operation"] and sorted(job.get("keys") or []) == sorted(body["keys"])
        return self.client.post(BULK_PATH, body, landed=new_job_lookup(self.client, BULK_PATH, same))

    def wait_all(self, jobs):
        """Poll every unfinished job until all are done; one wait_timeout budget for the step."""
        state = {job["id"]: job for job in jobs}

        def fetch():
            for job_id, job in state.items():
                if not job_done(job):
                    state[job_id] = self.client.get("%s/%s" % (BULK_PATH, path_id(job_id)))
            return list(state.values())
        try:
            return Waiter(fetch, done=lambda js: all(job_done(j) for j in js),
                          describe=lambda js: ", ".join("%s %s" % (j["id"], j.get("overall_status")) for j in js if not job_done(j)),
                          what="%d bulk job(s)" % len(jobs)).wait(self.params["wait_timeout"], self.params["wait_sleep"], first=jobs)
        except WaitTimeout as exc:
            if self.params["cancel_on_timeout"]:
                for job in state.values():
                    if not job_done(job):
                        self.client.post("%s/%s/cancel" % (BULK_PATH, path_id(job["id"])), idempotent=True)
                exc.args = (str(exc) + "; the unfinished jobs were cancelled (cancel_on_timeout=true)",)
            raise

    def run(self):
        params = self.params
        if params.get("cancel_job_ids"):
            return self.cancel_jobs(params["cancel_job_ids"])
        if not params.get("keys") and not params.get("filters"):
            raise OptionError(("keys", "filters", "cancel_job_ids"), "give the keys to converge (keys and/or filters)")
        template_id, template_account = resolve_template(self.client, params.get("policy_template"))
        views = resolve_targets(self.client, params)
        steps = plan(views, params["state"], template_id, template_account)
        keys = {v["id"]: {"id": v["id"], "alias": v["alias"], "region": v["region"], "key_id": v["key_id"],
                          "previous_state": v["key_state"], "operations": [], "result": blocked(v, params["state"]) or "unchanged"}
                for v in views}
        summary = [{"operation": op, "jobs": len(jobs), "keys": sum(len(j) for j in jobs)} for op, jobs in steps.items()]
        for op, jobs in steps.items():
            for job in jobs:
                for view in job:
                    keys[view["id"]]["operations"].append(op)
                    keys[view["id"]]["result"] = "planned" if self.module.check_mode else keys[view["id"]]["result"]
        result = {"changed": bool(steps), "plan": summary, "key_results": list(keys.values()), "jobs": [], "total": len(views)}
        if self.module.check_mode or not steps:
            return self._finish(result, keys)
        for op, jobs in steps.items():
            started = [self.start(op, job, template_id) for job in jobs]
            result["jobs"].extend({"id": j["id"], "operation": op, "overall_status": j.get("overall_status"),
                                   "keys": len(j.get("keys") or [])} for j in started)
            if not params["wait"]:
                continue
            finished = {j["id"]: j for j in self.wait_all(started)}
            for entry in result["jobs"]:
                if entry["id"] in finished:
                    entry["overall_status"] = finished[entry["id"]].get("overall_status")
            for job in finished.values():
                for key_id, text in (job.get("detailed_status") or {}).items():
                    if key_id in keys and keys[key_id]["result"] in ("unchanged", "Success"):
                        keys[key_id]["result"] = "Success" if str(text).lower() == "success" else "%s: %s" % (op, text)
        if not params["wait"]:
            for key in keys.values():
                if key["operations"]:
                    key["result"] = "started"
        return self._finish(result, keys)

    def _finish(self, result, keys):
        failed = [k for k in keys.values() if k["result"] not in ("Success", "unchanged", "started", "planned")]
        result["failures"] = len(failed)
        if failed and self.params["fail_on_key_error"]:
            raise BulkKeyErrors(failed, result)
        return result

    def cancel_jobs(self, job_ids):
        jobs, changed = [], False
        for job_id in job_ids:
            try:
                job = self.client.get("%s/%s" % (BULK_PATH, path_id(job_id)))
            except NotFound:
                raise OptionError("cancel_job_ids", "no bulk job %r" % job_id)
            if not job_done(job) and not job.get("abort"):
                changed = True
                if not self.module.check_mode:
                    job = self.client.post("%s/%s/cancel" % (BULK_PATH, path_id(job_id)), idempotent=True)
            jobs.append({"id": job.get("id"), "operation": job.get("operation"), "overall_status": job.get("overall_status"),
                         "abort": job.get("abort")})
        return {"changed": changed, "jobs": jobs}


def ensure_bulk(module):
    return BulkRunner(module).run()
