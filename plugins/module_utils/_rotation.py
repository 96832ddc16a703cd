# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CCKM rotation schedules: scheduler job configurations of operation ``cckm_key_rotation`` (TF cm/resource_scheduler.go
``cckm_key_rotation_params``), as the resource of aws_key_rotation_schedule.

Keys are attached to a schedule with aws_key's ``rotation_job``. Deleting a schedule keys are attached to is refused
unless ``detach_keys`` detaches them first (what CipherTrust Manager does with such keys is not documented).
"""

from __future__ import annotations

import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import find_key, key_view, list_records, rotation_job_of, subject
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action
from ansible_collections.ciphertrust.cckm.plugins.module_utils._schedule import ROTATION_OPERATION, ScheduleResource, base_body, base_view, config_params

PARAMS_KEY = "cckm_key_rotation_params"
# TF resource_scheduler.go: "Use either 'Xd' for x days or 'Yh' for y hours"
PERIOD = re.compile(r"[0-9]+[dh]")
PERIODS = ("expiration", "expire_in")
SHOWN_KEYS = 5


def _aws_options(params):
    """The AWS options of rotation parameters: sent as ``aws_param`` (schema_cm.go CCKMRotationAwsParamsJSON); TF reads them
    back as ``aw_param`` (getParamsFromResponse): either is read (FIDELITY.md rotation_params_read)."""
    return params.get("aws_param") or params.get("aw_param") or {}


def schedule_view(config):
    """The managed fields of a rotation schedule, flat, comparable with the view of the create body."""
    if not config:
        return None
    params = config_params(config, PARAMS_KEY)
    aws = _aws_options(params)
    return dict(base_view(config), cloud_name=params.get("cloud_name") or "aws", expiration=params.get("expiration") or None,
                expire_in=params.get("expire_in") or None, retain_alias=bool(aws.get("retain_alias")),
                rotate_material=bool(aws.get("rotate_material")))


def schedule_body(schedule):
    """The job configuration to create: TF getCckmKeyRotationOperationParams (``retain_alias`` always, ``rotate_material``
    only when true, as TF's omitempty does; periods only when given)."""
    params = {"cloud_name": "aws"}
    params.update((name, schedule[name]) for name in PERIODS if schedule.get(name))
    params["aws_param"] = {"retain_alias": bool(schedule.get("retain_alias"))}
    if schedule.get("rotate_material"):
        params["aws_param"]["rotate_material"] = True
    return dict(base_body(schedule, ROTATION_OPERATION), **{PARAMS_KEY: params})


class RotationSchedule(ScheduleResource):
    """aws_key_rotation_schedule: one rotation schedule (or none), and with ``detach_keys`` the keys attached to it."""

    operation = ROTATION_OPERATION
    params_key = PARAMS_KEY
    option = None

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn, params)
        for name in PERIODS:
            value = params.get(name)
            if value is not None and not PERIOD.fullmatch(value):
                raise OptionError(name, "%s is not a period like 30d (days) or 12h (hours)" % shown(value))
        self.attached = []

    def desired_body(self):
        return schedule_body(self.schedule)

    def view(self, config):
        """Periods left unset are None in the wanted view: not managed."""
        return schedule_view(config)

    def update_body(self, before):
        """The wanted fields; ``aws_param`` with both flags, so that a flag turned off is sent as false."""
        body = super().update_body(before)
        body[PARAMS_KEY]["aws_param"] = {"retain_alias": bool(self.schedule.get("retain_alias")),
                                         "rotate_material": bool(self.schedule.get("rotate_material"))}
        return body

    def read(self):
        before = super().read()
        if before is not None and self.schedule["state"] == "absent":
            job_id = before.view["id"]
            # the list filter job_config_id (DOC aws-api-fetch) is re-checked: a detached key may keep a stale id
            self.attached = [key_view(r) for r in list_records(self.client, {"job_config_id": job_id}) if rotation_job_of(r) == job_id]
        return before

    def delete_action(self, before):
        if self.attached and not self.params.get("detach_keys"):
            names = ", ".join(subject(v) for v in self.attached[:SHOWN_KEYS])
            more = "" if len(self.attached) <= SHOWN_KEYS else " and %d more" % (len(self.attached) - SHOWN_KEYS)
            message = ("%d key(s) are attached to schedule %s (%s%s): detach them (aws_key rotation_job state=absent), or set "
                       "detach_keys=true to detach them first" % (len(self.attached), shown(self.schedule["name"]), names, more))
            raise OptionError(("state", "detach_keys"), message)
        return super().delete_action(before)

    def plan(self, before):
        actions = super().plan(before)
        if actions and actions[-1].removes:
            job_id = before.view["id"]
            detach = [Action("disable-rotation-job", _api.DISABLE_ROTATION_JOB, None, "detach key %s from schedule %s"
                             % (subject(v), self.schedule["name"]), ids=[v["id"]],
                             landed=lambda r, j=job_id: rotation_job_of(r) != j) for v in self.attached]
            actions = detach + actions
        return actions

    def apply(self, before, actions):
        for action in actions:
            if action.name == "disable-rotation-job":
                key_id, check = action.ids[0], action.landed
                action.send(self.client, subject=subject(next(v for v in self.attached if v["id"] == key_id)),
                            landed=lambda k=key_id, c=check: _found_if(find_key(self.client, k), c))
        return super().apply(before, [a for a in actions if a.name != "disable-rotation-job"])[0], actions

    def extras(self, before, after, actions, predicted):
        return {"detached_keys": [a.ids[0] for a in actions if a.name == "disable-rotation-job"]}


def _found_if(record, check):
    return record if record is not None and check(record) else None


def rotation_resource(params, client, warn):
    return RotationSchedule(params, client, warn)
