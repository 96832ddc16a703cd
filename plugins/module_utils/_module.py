# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The module base: the only code that chooses predict or apply (check mode), attaches ``diff``, registers
no_log values and shapes the result.

Every stateful module converges a Resource (see _resource): read -> plan -> (predict | apply) -> view.
Its result always holds ``changed``, ``actions`` (what was, or in check mode would be, done), ``resource``
(the normalised view) and ``record`` (the API record as the server returned it), plus the resource's extras;
``diff`` only with ``--diff``, with volatile fields masked. Read-only modules return ``changed: false`` and
``actions: []`` the same way.
"""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.errors import NoLogError

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import CONNECTION, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import CckmClient, host_credentials
from ansible_collections.ciphertrust.cckm.plugins.module_utils._clumio import CLUMIO, ClumioClient, clumio_base_url
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import REQUESTS_IMPORT_ERROR, plain_http

# Fields that change without anything having been changed; never part of a diff.
VOLATILE = frozenset(("createdAt", "updatedAt", "uri", "synced_at", "refreshed_at", "rotated_at"))


def masked(view):
    """A diff side: the view without volatile fields ({} for no resource)."""
    if not isinstance(view, dict):
        return {} if view is None else view
    return {k: v for k, v in view.items() if k not in VOLATILE}


def lifecycle(resource, check_mode, diff, no_log_values):
    """read -> plan -> (check mode: predict | apply) -> the result; ServiceModule.converge runs it for every module."""
    before = resource.read()
    actions = resource.plan(before)
    no_log_values.update(resource.secrets(before))
    if not actions:
        after = before
    elif check_mode:
        for needed in resource.prerequisites:
            needed.warn_if_missing(resource.warn)
        after = resource.predict(before, actions)
    else:
        for needed in resource.prerequisites:
            needed.require()
        after, actions = resource.apply(before, actions)
    result = resource.extras(before, after, actions, predicted=check_mode)
    result.update(
        changed=resource.changed(before, after, actions, predicted=check_mode),
        actions=[resource.action_result(action, after) for action in actions],
        resource=after.view if after else None,
        record=after.record if after else None,
    )
    if diff:
        before_diff, after_diff = resource.diff_pair(before, after, actions)
        result["diff"] = {"before": masked(before_diff), "after": masked(after_diff)}
    return result


class ServiceModule(AnsibleModule):
    """AnsibleModule plus one service's connection options and client; ``spec`` holds only the module's own options."""

    connection = ArgumentSpec()

    def __init__(self, spec=None, returns_tokens=False, **kwargs):
        """``returns_tokens(params)``: whether the tokens issued are the result (the login module), so not masked."""
        self._returns_tokens = False
        merged = self.connection.merge(spec or ArgumentSpec())
        super().__init__(**dict(merged.to_kwargs(), **kwargs))
        self._returns_tokens = returns_tokens(self.params) if callable(returns_tokens) else returns_tokens
        if REQUESTS_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self._unset_empty_options()
        if not self.params.get("validate_certs", True):
            self.warn("validate_certs is false: the server certificate is not verified, so the connection can be intercepted")
        self._check_ca_file()
        self._client = None

    def _unset_empty_options(self):
        """An empty connection option means "not set": AWX/AAP credentials inject optional fields left empty as "" (issue 19)."""
        spec = self.connection
        for name, option in spec.argument_spec.items():
            if option.get("type", "str") in ("str", "path") and isinstance(self.params.get(name), str) and not self.params[name].strip():
                self.params[name] = None
        empty = [name for name, option in spec.argument_spec.items() if option.get("required") and self.params.get(name) is None]
        empty += ["one of " + ", ".join(group) for group in spec.required_one_of if all(self.params.get(name) is None for name in group)]
        if empty:
            self.fail_json(msg="empty connection options: %s must be set to a value" % "; ".join(empty))

    def _check_ca_file(self):
        """A CA file that does not exist fails clearly (requests would raise OSError); an empty one is ignored with a warning."""
        ca_file = self.params.get("ca_file")
        if not ca_file or not self.params.get("validate_certs", True):
            return
        if not os.path.isfile(ca_file):
            self.fail_json(msg="ca_file: no such file: %s" % ca_file)
        if os.path.getsize(ca_file) == 0:
            self.warn("ca_file %s is empty, so it is ignored: the system trust store verifies the server" % ca_file)
            self.params["ca_file"] = None

    def fail_json(self, msg, **kwargs):
        """Name the option when Ansible's first argument error does not.

        A string given for a dict option with suboptions first fails Ansible's no_log scan, with a message that
        names no option; Ansible reports only that first error, so report the next one, which names the option.
        """
        errors = getattr(getattr(self, "validation_result", None), "errors", None)
        errors = errors.errors if errors is not None else []
        if len(errors) > 1 and isinstance(errors[0], NoLogError) and msg == errors[0].args[0]:
            msg = errors[1].args[0]
        self._register_issued_secrets()
        super().fail_json(msg=msg, **kwargs)

    def exit_json(self, **kwargs):
        self._register_issued_secrets()
        super().exit_json(**kwargs)

    def client(self):
        """The service client, created on first use (one session and token per task); retries are warned about."""
        if self._client is None:
            self._client = self._new_client(on_retry=self.warn)
            if plain_http(self._client.base_url):
                self.warn("%s is reached over plain http://, so the password and tokens cross the network unencrypted; use https://"
                          % self._client.service)
        return self._client

    def _new_client(self, on_retry):
        raise NotImplementedError

    def _register_issued_secrets(self):
        """Tokens the server issued during this run are masked in the result like the options marked no_log."""
        if getattr(self, "_returns_tokens", False):
            return
        tokens = getattr(getattr(self, "_client", None), "tokens", None)
        self.no_log_values.update(value for value in getattr(tokens, "issued", ()) if value)

    # -- running -----------------------------------------------------------------------------------------

    def run(self, task):
        """Run ``task(module) -> result dict`` and exit; any CckmError becomes one clear fail_json."""
        try:
            result = task(self)
        except CckmError as exc:
            self.fail_json(**exc.fail_kwargs())
        self.exit_json(**result)

    def read(self, task):
        """A read-only module: ``task(params, client) -> result`` with changed false and no actions."""
        self.run(lambda module: dict(task(module.params, module.client()), changed=False, actions=[]))

    def converge(self, make_resource):
        """A stateful module: ``make_resource(params, client, warn)`` returns the Resource to converge."""
        self.run(lambda module: module._lifecycle(make_resource(module.params, module.client(), module.warn)))

    def _lifecycle(self, resource):
        return lifecycle(resource, self.check_mode, self._diff, self.no_log_values)


class CckmModule(ServiceModule):
    """A module talking to CipherTrust Manager."""

    connection = CONNECTION

    def __init__(self, spec=None, **kwargs):
        super().__init__(spec, **kwargs)
        userinfo = host_credentials(self.params["host"])
        if userinfo:  # refused by the client; never printed, not even in the invocation
            self.no_log_values.update(part for part in (userinfo, userinfo.partition(":")[2]) if part)

    def _new_client(self, on_retry):
        return CckmClient(self.params, on_retry=on_retry)


class ClumioModule(ServiceModule):
    """A module talking to the Clumio API."""

    connection = CLUMIO

    def _new_client(self, on_retry):
        base_url = clumio_base_url(self.params)
        if not base_url:
            raise CckmError("No Clumio API URL: set clumio_url or clumio_region, or the environment variable CLUMIO_API_BASE_URL")
        return ClumioClient(self.params, base_url, on_retry=on_retry)
