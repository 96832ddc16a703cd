# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Argument specs that carry their own constraints, so shared option groups merge without losing them."""

from __future__ import annotations

from ansible.module_utils.basic import env_fallback

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError

_CONSTRAINTS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


class ArgumentSpec:
    """An argument_spec plus its constraint lists; ``merge`` joins groups, ``to_kwargs`` feeds AnsibleModule."""

    def __init__(self, argument_spec=None, mutually_exclusive=None, required_together=None, required_one_of=None,
                 required_if=None, required_by=None):
        self.argument_spec = dict(argument_spec or {})
        self.mutually_exclusive = list(mutually_exclusive or [])
        self.required_together = list(required_together or [])
        self.required_one_of = list(required_one_of or [])
        self.required_if = list(required_if or [])
        self.required_by = dict(required_by or {})

    def merge(self, other):
        """A new spec with both groups' options and constraints."""
        merged = ArgumentSpec(dict(self.argument_spec, **other.argument_spec))
        for name in _CONSTRAINTS:
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(merged, name, dict(mine, **theirs) if isinstance(mine, dict) else mine + theirs)
        return merged

    def to_kwargs(self):
        kwargs = {"argument_spec": self.argument_spec}
        for name in _CONSTRAINTS:
            if getattr(self, name):
                kwargs[name] = getattr(self, name)
        return kwargs


def env(*names):
    """``fallback`` entry reading the first set environment variable."""
    return (env_fallback, list(names))


CONNECTION = ArgumentSpec(
    {
        "host": {"type": "str", "required": True, "fallback": env("CIPHERTRUST_HOST")},
        "username": {"type": "str", "fallback": env("CIPHERTRUST_USERNAME")},
        "password": {"type": "str", "no_log": True, "fallback": env("CIPHERTRUST_PASSWORD")},
        "refresh_token": {"type": "str", "no_log": True, "fallback": env("CIPHERTRUST_REFRESH_TOKEN")},
        "jwt": {"type": "str", "no_log": True, "fallback": env("CIPHERTRUST_JWT")},
        "domain": {"type": "str", "fallback": env("CIPHERTRUST_DOMAIN")},
        "auth_domain": {"type": "str", "fallback": env("CIPHERTRUST_AUTH_DOMAIN")},
        "validate_certs": {"type": "bool", "default": True, "fallback": env("CIPHERTRUST_VALIDATE_CERTS")},
        "ca_file": {"type": "path", "fallback": env("CIPHERTRUST_CA_FILE")},
        "timeout": {"type": "int", "default": 30, "fallback": env("CIPHERTRUST_TIMEOUT")},
        "retries": {"type": "int", "default": 5, "fallback": env("CIPHERTRUST_RETRIES")},
    },
    required_together=[("username", "password")],
    required_one_of=[("password", "refresh_token", "jwt")],
)

WAIT = ArgumentSpec({
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
    "wait_sleep": {"type": "float", "default": 2},
})


# aws_key and aws_key_bulk: attach keys to a CCKM rotation schedule (doc fragment rotation_job; DOC aws-api-rotate)
ROTATION_JOB = {"type": "dict", "options": {
    "name": {"type": "str"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "key_source": {"type": "str", "no_log": False, "choices": ["local", "ciphertrust", "dsm", "hsm-luna", "external-cm"]},
    "disable_encrypt": {"type": "bool"},
    "disable_encrypt_on_all_accounts": {"type": "bool"},
    "domain_id": {"type": "str"},
    "partition_id": {"type": "str"},
    "external_cm_domain_id": {"type": "str"},
}, "required_if": [("state", "present", ("name",))], "mutually_exclusive": [("disable_encrypt", "disable_encrypt_on_all_accounts")]}


def check_range(params, name, low, high):
    """AWS limits of a number option, checked before the first write rather than refused halfway through."""
    value = params.get(name)
    if value is not None and not low <= value <= high:
        raise OptionError(name, "must be between %d and %d, got %d" % (low, high, value))


def unclearable_changes(params, view, fields, why=""):
    """{field: wanted} for the ``fields`` whose wanted value differs from ``view``; these are fields the API ignores an
    empty value for on update, so asking to clear one is refused (naming it) rather than never converging."""
    changes = {}
    for field in fields:
        wanted = params.get(field)
        if wanted is None or wanted == view[field]:
            continue
        if wanted == "":
            raise OptionError(field, "cannot be cleared once set" + why)
        changes[field] = wanted
    return changes


PENDING_WINDOW_DAYS = (7, 30)
