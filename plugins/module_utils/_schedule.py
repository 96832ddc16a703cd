# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CipherTrust Manager scheduler job configurations (TF ``cm/resource_scheduler.go``): one resource per name, and
references to them.

Shared by aws_sync's ``schedule`` (operation ``cckm_synchronization``) and aws_key_rotation_schedule
(``cckm_key_rotation``): a configuration is found by its unique name, created, updated with a PATCH of what differs,
or deleted; a lost create is found by name. A name held by a configuration of another operation is an error, never
overwritten. Keys name a rotation schedule by name or ID (``JobConfigChoice``).
"""

from __future__ import annotations

import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import NotFound, OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import looks_like_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot

ROTATION_OPERATION = "cckm_key_rotation"
# Five cron fields (minute hour day month weekday): numbers, names, * / , - ? only; checked before the scheduler is written.
CRON = re.compile(r"[0-9A-Za-z*/,?-]+(\s+[0-9A-Za-z*/,?-]+){4}")


def check_run_at(option, run_at):
    """``run_at`` must be a five-field cron expression (TF resource_scheduler.go ``run_at``; DOC scheduler-apis)."""
    if not run_at:
        raise OptionError(option, "a cron expression is required when the schedule is present")
    if not CRON.fullmatch(run_at.strip()):
        raise OptionError(option, "%s is not a cron expression with five fields, like '0 2 * * *'" % shown(run_at))


def find_config(client, name):
    """The job configuration named ``name`` (names are unique), or None; the server's filter is re-checked."""
    return _api.LIST_JOB_CONFIGS.find(client, {"name": name}, lambda c: c.get("name") == name)


def config_params(config, request_key):
    """A configuration's operation parameters: reads give them back under ``job_config_params`` (TF
    getParamsFromResponse) or, on other versions, under the request's own key (fidelity review row 2)."""
    return dict(config.get("job_config_params") or config.get(request_key) or {})


def base_body(schedule, operation):
    """The fields every job configuration a schedule option describes is created with."""
    return {"name": schedule["name"], "operation": operation, "run_at": schedule["run_at"],
            "description": schedule.get("description") or "", "disabled": bool(schedule.get("disabled"))}


def base_view(config):
    return {"id": config.get("id"), "name": config.get("name"), "run_at": config.get("run_at"),
            "description": config.get("description") or "", "disabled": bool(config.get("disabled"))}


def _differs(current, wanted):
    """Whether ``current`` differs in a field ``wanted`` manages (a None in ``wanted``, also inside a dict, is unmanaged)."""
    for name, value in wanted.items():
        if value is None or name == "id":
            continue
        have = current.get(name)
        if isinstance(value, dict) and isinstance(have, dict):
            if _differs(have, value):
                return True
        elif have != value:
            return True
    return False


def _merged(current, wanted):
    """``current`` with the fields ``wanted`` manages (the predicted view after an update)."""
    result = dict(current)
    for name, value in wanted.items():
        if value is None or name == "id":
            continue
        result[name] = _merged(current.get(name) or {}, value) if isinstance(value, dict) else value
    return result


class ScheduleResource(Resource):
    """One scheduler job configuration of ``operation``, named ``schedule["name"]``, as wanted (or absent).

    Subclasses give ``desired_body()`` (the create body, after read), ``view(config)`` (the managed fields, comparable
    with ``view(desired)``) and ``params_key`` (the request's key of the operation parameters).
    """

    operation = None
    params_key = None
    option = "schedule"

    def __init__(self, params, client, warn, schedule):
        super().__init__(params, client, warn)
        self.schedule = schedule
        self.desired = None
        if schedule["state"] == "present":
            check_run_at(self._option("run_at"), schedule.get("run_at"))

    def _option(self, name):
        return "%s.%s" % (self.option, name) if self.option else name

    def desired_body(self):
        raise NotImplementedError

    def view(self, config):
        raise NotImplementedError

    def _find(self):
        config = find_config(self.client, self.schedule["name"])
        if config is not None and config.get("operation") not in (None, self.operation):
            raise OptionError(self._option("name"), "the scheduler job configuration %s runs %s, not %s: choose another name"
                              % (shown(self.schedule["name"]), config.get("operation"), self.operation))
        return config

    def read(self):
        existing = self._find()
        if self.schedule["state"] == "present":
            self.desired = self.desired_body()
        return Snapshot(existing, self.view(existing)) if existing else None

    def plan(self, before):
        name = self.schedule["name"]
        if self.schedule["state"] == "absent":
            return [self.delete_action(before)] if before else []
        wanted = self.view(self.desired)
        if before is None:
            return [Action("create", _api.CREATE_JOB_CONFIG, self.desired, "create schedule %s" % name, wanted)]
        if not _differs(before.view, wanted):
            return []
        return [Action("update", _api.UPDATE_JOB_CONFIG, self.update_body(before), "update schedule %s" % name,
                       _merged(before.view, wanted), ids=[before.view["id"]])]

    def delete_action(self, before):
        return Action("delete", _api.DELETE_JOB_CONFIG, None, "delete schedule %s" % self.schedule["name"], ids=[before.view["id"]],
                      removes=True)

    def update_body(self, before):
        """What a PATCH sends: the wanted fields but name and operation (they cannot change); TF Update blanks
        ``cloud_name``, which cannot change either, so it is left out (fidelity review row 2)."""
        changes = {k: v for k, v in self.desired.items() if k not in ("name", "operation")}
        if isinstance(changes.get(self.params_key), dict):
            changes[self.params_key] = {k: v for k, v in changes[self.params_key].items() if k != "cloud_name"}
        return changes

    def apply(self, before, actions):
        config = None
        for action in actions:
            try:
                config = action.send(self.client, landed=self._find if action.name == "create" else None, subject=self.schedule["name"])
            except NotFound:
                if not action.removes:
                    raise
                # a DELETE retried after its answer was lost finds the configuration gone: deleted, as wanted
        return (None if actions[-1].removes else Snapshot(config, self.view(config))), actions

    def diff_view(self, view):
        return {k: v for k, v in view.items() if k != "id"} if view else {}


class JobConfigChoice:
    """A reference (name or ID) to a job configuration of ``operation``, resolved before any write.

    A value that looks like a UUID is read by ID first (TF reads configurations with ``GET job-configs/{id}``), else
    the name is looked up. One that does not exist (yet) is assumed, in check mode, to come from an earlier task of the
    play; a real run fails before its first write. One of another operation fails at once.
    """

    def __init__(self, client, ref, operation, option):
        self.ref, self.option, self.operation = ref, option, operation
        config = _api.GET_JOB_CONFIG(client, ref, subject=ref) if looks_like_id(ref) else None
        if config is None:
            config = find_config(client, ref)
        if config is not None and config.get("operation") not in (None, operation):
            raise OptionError(option, "the scheduler job configuration %s runs %s, not %s" % (shown(ref), config.get("operation"), operation))
        self.config = config
        self.id = config["id"] if config else ref

    @property
    def missing(self):
        return self.config is None

    def warn_if_missing(self, warn):
        if self.missing:
            warn("%s %s does not exist yet; check mode assumes an earlier task creates it" % (self.option, shown(self.ref)))

    def require(self):
        if self.missing:
            raise OptionError(self.option, "no %s scheduler job configuration %s" % (self.operation, shown(self.ref)))
