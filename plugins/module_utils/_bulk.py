# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Many keys to a desired state with CCKM bulk jobs (seed 001), as one resource: the set of targeted keys.

Keys are resolved with paged list calls, only keys not already in the desired state are sent, in jobs of
at most 100 keys of one AWS account; each job is one action, and all jobs of a step are started before
any is waited for. Settings no bulk job exists for (automatic rotation, its period, tags, description, the CCKM
rotation schedule) are planned per key with aws_key's planner and sent per key, ``concurrency`` keys at a time (issue 18).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api, _jobs
from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import PENDING_WINDOW_DAYS, check_range
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, NotFound, OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.apply import apply as apply_key, rotation_job_choice
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.desired import desired_from_params
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.plan import plan as plan_key
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import LIST_FILTERS, key_view, list_keys, list_records, subject
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms import resolve_kms
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import alias_name, looks_like_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import TemplateChoice

JOB_SIZE = 100
# The order in which operations run when one task needs several (cancel before enabling, etc.).
STEPS = ("cancelkeydeletion", "applypolicytemplate", "enablekey", "disablekey", "schedulekeydeletion")
PENDING = ("PendingDeletion", "PendingReplicaDeletion")
# What each operation does to a key's view (the prediction of check mode, and of a real run's successful keys).
EFFECTS = {"cancelkeydeletion": {"key_state": "Disabled", "enabled": False}, "enablekey": {"key_state": "Enabled", "enabled": True},
           "disablekey": {"key_state": "Disabled", "enabled": False},
           "schedulekeydeletion": {"key_state": "PendingDeletion", "enabled": False}}
DONE = ("Success", "unchanged", "started", "planned")
# Settings with no bulk operation: each key gets aws_key's own calls for them.
SETTINGS = ("auto_rotation", "rotation_period_days", "tags", "description", "rotation_job")
# Setting -> the fields of the key view it manages (what the diff shows)
SETTING_FIELDS = {"rotation_job": ("rotation_job_id", "rotation_job_disable_encrypt")}
ROTATION_STEPS = ("enable-auto-rotation", "disable-auto-rotation")
CONCURRENCY = (1, 32)


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


def desired_settings(params):
    """The per-key settings the task manages, validated as aws_key validates them; None when it manages none."""
    given = {name: params.get(name) for name in SETTINGS}
    if all(value is None for value in given.values()):
        return None
    if params["state"] == "pending_deletion":
        raise OptionError(["state"] + [name for name in SETTINGS if given[name] is not None],
                          "keys scheduled for deletion are not given new settings; use another state")
    return desired_from_params(dict(given, purge_tags=params.get("purge_tags")))


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


def _candidates(client, refs):
    """Key views among which ``refs`` are looked up: one filtered list for a single key, else every key once.

    List filters take one value (row 14), so many references are matched on our side, never by repeated parameters.
    """
    if len(refs) > 1:
        return [key_view(record) for record in list_records(client, {})]
    ref = refs[0]
    kind = _classify(ref)
    if kind == "uuid":
        found = [key_view(record) for record in list_records(client, {"id": ref})]
        return found or [key_view(record) for record in list_records(client, {"keyid": ref})]
    return [key_view(record) for record in list_records(client, {kind: alias_name(ref) if kind == "alias" else ref})]


def selective(filters):
    """Whether filters select anything: a value that is not empty, on a filter other than ``sort`` (issue 21 #2)."""
    return any(name != "sort" and value not in (None, "", [], {}) for name, value in (filters or {}).items())


def resolve_targets(client, params):
    """Views of every key named in ``keys`` or matching ``filters`` (all of them with all_keys), each once."""
    found = {}
    if params.get("all_keys") and not params.get("keys") and not selective(params.get("filters")):
        for view in list_keys(client, normalise_filters({k: v for k, v in (params.get("filters") or {}).items() if k == "sort"})):
            found[view["id"]] = view
    elif selective(params.get("filters")):
        for view in list_keys(client, normalise_filters(params["filters"])):
            found[view["id"]] = view
    refs = params.get("keys") or []
    if refs:
        views = _candidates(client, refs)
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


def template_scope(client, template):
    """The AWS account a template belongs to (its own, or its KMS container's), or None for a global template."""
    account = template.get("account_id")
    if account in (None, "") and template.get("kms"):
        account = resolve_kms(client, [template["kms"]], option="policy_template")[0].get("account_id")
    return None if account in (None, "") else str(account)


def _effect(operation, template_id):
    return {"policy_template_id": template_id} if operation == "applypolicytemplate" else EFFECTS[operation]


class BulkResource(Resource):
    """aws_key_bulk: the keys named or matched, each brought to ``state`` (and ``policy_template``)."""

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn)
        check_range(params, "pending_window_days", *PENDING_WINDOW_DAYS)
        if params.get("max_keys") is not None and params["max_keys"] < 1:
            raise OptionError("max_keys", "must be at least 1, got %d" % params["max_keys"])
        selects = bool(params.get("keys")) or selective(params.get("filters"))
        if not selects and not params["all_keys"]:
            raise OptionError(("keys", "filters", "all_keys", "cancel_job_ids"), "give the keys to converge (keys and/or filters that select "
                              "something) or cancel_job_ids; "
                              "filters whose values are all empty, or that only sort, would select every key: set all_keys: true to mean that")
        check_range(params, "concurrency", *CONCURRENCY)
        self.settings = desired_settings(params)
        self.template = None
        self.rotation_job = None
        self.template_id = self.template_account = None
        self.jobs = []
        self.results = {}
        self.names = {}

    def read(self):
        views = resolve_targets(self.client, self.params)
        ref = self.params.get("policy_template")
        if ref is not None and views:
            self.template = TemplateChoice(self.client, ref, views)
            self.template_id = self.template.id
            self.template_account = None if self.template.missing else template_scope(self.client, self.template.template)
        self.results = {v["id"]: {"id": v["id"], "alias": v["alias"], "region": v["region"], "key_id": v["key_id"],
                                  "previous_state": v["key_state"], "operations": [], "result": blocked(v, self.params["state"]) or "unchanged"}
                        for v in views}
        self.names = {v["id"]: subject(v) for v in views}
        if self.settings is not None and views:
            self.rotation_job = rotation_job_choice(self.client, self.settings)
        self.prerequisites += [choice for choice in (self.template, self.rotation_job) if choice is not None]
        return Snapshot(None, views)

    def plan(self, before):
        steps = plan(before.view, self.params["state"], self.template_id, self.template_account)
        self.summary = [{"operation": op, "jobs": len(jobs), "keys": sum(len(j) for j in jobs)} for op, jobs in steps.items()]
        actions = []
        for op, jobs in steps.items():
            for job in jobs:
                for view in job:
                    self.results[view["id"]]["operations"].append(op)
                actions.append(Action(op, _api.START_BULK_JOB, self.job_body(op, job), "%s on %d key(s)" % (op, len(job)),
                                      _effect(op, self.template_id)))
        actions += self.plan_settings(self._views_after(before.view, actions))
        changing = {key_id for action in actions for key_id in _targets(action)}
        if self.params.get("max_keys") is not None and len(changing) > self.params["max_keys"]:
            raise OptionError("max_keys", "the task would change %d keys, more than max_keys=%d; narrow keys or filters, or raise max_keys"
                              % (len(changing), self.params["max_keys"]))
        return actions

    def plan_settings(self, views):
        """aws_key's planner per key, on the key as the bulk jobs would leave it; AWS rotates only enabled keys."""
        if self.settings is None:
            return []
        actions, counts = [], {}
        for view in views:
            if self.results[view["id"]]["result"] != "unchanged":
                continue
            steps = plan_key(view, self.settings)
            if view["key_state"] != "Enabled" and any(step.name in ROTATION_STEPS for step in steps):
                self.results[view["id"]]["result"] = "automatic rotation needs an enabled key; the key is %s" % view["key_state"]
                steps = [step for step in steps if step.name not in ROTATION_STEPS]
            for step in steps:
                step.ids = (view["id"],)
                step.description = "%s: %s" % (self.names[view["id"]], step.description)
                self.results[view["id"]]["operations"].append(step.name)
                counts[step.name] = counts.get(step.name, 0) + 1
            actions += steps
        self.summary += [{"operation": name, "jobs": 0, "keys": count} for name, count in counts.items()]
        return actions

    def job_body(self, operation, views):
        body = {"operation": operation, "keys": [v["id"] for v in views]}
        if operation == "schedulekeydeletion":
            body["days"] = self.params["pending_window_days"]
        if operation == "applypolicytemplate":
            body["policy_template_id"] = self.template_id
        return body

    @staticmethod
    def _views_after(views, actions, applied=lambda key_id, action: True):
        by_id = {v["id"]: dict(v) for v in views}
        for action in actions:
            for key_id in _targets(action):
                if applied(key_id, action):
                    by_id[key_id].update(action.effect)
        return [by_id[v["id"]] for v in views]

    def predict(self, before, actions):
        for action in actions:
            for key_id in _targets(action):
                self.results[key_id]["result"] = "planned"
        return Snapshot(None, self._views_after(before.view, actions))

    def apply(self, before, actions):
        params, results = self.params, self.results
        for op in STEPS:
            step = [a for a in actions if a.name == op]
            if not step:
                continue
            started = [_jobs.start(self.client, _jobs.BULK, action.body, _same_job(action.body)) for action in step]
            planned = {job["id"]: action.body["keys"] for action, job in zip(step, started)}
            self.jobs.extend({"id": j["id"], "operation": op, "overall_status": j.get("overall_status"),
                              "keys": len(j.get("keys") or [])} for j in started)
            if not params["wait"]:
                continue
            finished = {j["id"]: j for j in _jobs.wait(self.client, _jobs.BULK, started, params["wait_timeout"], params["wait_sleep"],
                                                       params["cancel_on_timeout"])}
            for entry in self.jobs:
                if entry["id"] in finished:
                    entry["overall_status"] = finished[entry["id"]].get("overall_status")
            for job in finished.values():
                details = job.get("detailed_status") or {}
                for key_id in planned.get(job["id"], ()):
                    if key_id not in results or results[key_id]["result"] not in ("unchanged", "Success"):
                        continue
                    # a planned key without its own result, or in a job that failed, did not get the operation (issue 21 #4)
                    text = details.get(key_id)
                    if text is None:
                        text = "job %s ended %s without a result for this key" % (job["id"], _jobs.status(job))
                    elif _jobs.failed(job) and _jobs.succeeded(text):
                        text = "job %s ended %s" % (job["id"], _jobs.status(job))
                    results[key_id]["result"] = "Success" if _jobs.succeeded(text) else "%s: %s" % (op, text)
        if not params["wait"]:
            for key in results.values():
                if key["operations"]:
                    key["result"] = "started"
        self.apply_settings([a for a in actions if a.name not in STEPS])
        return Snapshot(None, self._views_after(before.view, actions, lambda key_id, action: results[key_id]["result"] == "Success")), actions

    def apply_settings(self, actions):
        """Each key's own calls, ``concurrency`` keys at a time; a key whose bulk job failed gets none, and one key's
        failure is that key's result, never the others'. The calls are idempotent, so retries cannot duplicate."""
        per_key = {}
        for action in actions:
            per_key.setdefault(action.ids[0], []).append(action)
        ready = [key_id for key_id in per_key if self.results[key_id]["result"] in ("unchanged", "Success", "started")]
        if not ready:
            return
        with ThreadPoolExecutor(max_workers=min(self.params["concurrency"], len(ready))) as pool:
            running = {key_id: pool.submit(apply_key, self.client, key_id, per_key[key_id], name=self.names[key_id]) for key_id in ready}
        for key_id, future in running.items():
            try:
                future.result()
            except CckmError as exc:
                self.results[key_id]["result"] = str(exc)
            else:
                self.results[key_id]["result"] = "Success"

    def extras(self, before, after, actions, predicted):
        result = {"plan": self.summary, "key_results": list(self.results.values()), "jobs": self.jobs, "total": len(before.view)}
        failed = [k for k in self.results.values() if k["result"] not in DONE]
        result["failures"] = len(failed)
        if failed and self.params["fail_on_key_error"]:
            raise BulkKeyErrors(failed, dict(result, changed=bool(actions)))
        return result

    def diff_view(self, view):
        """{key id: its key state (and template, and settings, when given)} over the targeted keys."""
        fields = ("key_state", "policy_template_id") if self.params.get("policy_template") else ("key_state",)
        fields += tuple(field for name in SETTINGS if self.params.get(name) is not None for field in SETTING_FIELDS.get(name, (name,)))
        return {key["id"]: {name: key.get(name) for name in fields} for key in view or []}


def _targets(action):
    """The keys an action changes: a bulk job's keys, or the one key of a per-key call."""
    return action.body["keys"] if action.name in STEPS else list(action.ids)


def _same_job(body):
    """The lost-answer match of a bulk job: same operation and keys."""
    return lambda job: job.get("operation") == body["operation"] and sorted(job.get("keys") or []) == sorted(body["keys"])


def _job_view(job):
    return {"id": job.get("id"), "operation": job.get("operation"), "overall_status": job.get("overall_status"), "abort": job.get("abort")}


class BulkCancel(Resource):
    """aws_key_bulk cancel_job_ids: the given bulk jobs, each cancelled unless already finished."""

    def read(self):
        jobs = []
        for job_id in self.params["cancel_job_ids"]:
            try:
                jobs.append(_api.GET_BULK_JOB(self.client, job_id))
            except NotFound:
                raise OptionError("cancel_job_ids", "no bulk job %r" % job_id)
        return Snapshot(jobs, [_job_view(j) for j in jobs])

    def plan(self, before):
        return [Action("cancel", _api.CANCEL_BULK_JOB, None, "cancel bulk job %s" % job["id"], {"abort": True}, ids=[job["id"]])
                for job in before.record if not _jobs.done(job) and not job.get("abort")]

    def predict(self, before, actions):
        cancelled = {a.ids[0] for a in actions}
        return Snapshot(before.record, [dict(v, abort=True) if v["id"] in cancelled else v for v in before.view])

    def apply(self, before, actions):
        answers = {a.ids[0]: a.send(self.client) for a in actions}
        jobs = [answers.get(job["id"]) or job for job in before.record]
        return Snapshot(jobs, [_job_view(j) for j in jobs]), actions

    def extras(self, before, after, actions, predicted):
        return {"jobs": after.view}


def bulk_resource(params, client, warn):
    return BulkCancel(params, client, warn) if params.get("cancel_job_ids") else BulkResource(params, client, warn)
