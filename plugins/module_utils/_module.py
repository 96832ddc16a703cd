# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""CckmModule: AnsibleModule plus the shared connection options, the client, and the one error handler."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.errors import NoLogError

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import CONNECTION, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._client import CckmClient
from ansible_collections.ciphertrust.cckm.plugins.module_utils._clumio import CLUMIO, ClumioClient, clumio_base_url
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._http import REQUESTS_IMPORT_ERROR


class CckmModule(AnsibleModule):
    """A module talking to CipherTrust Manager; ``spec`` holds only the module's own options."""

    def __init__(self, spec=None, connection=CONNECTION, **kwargs):
        merged = connection.merge(spec or ArgumentSpec())
        super().__init__(**dict(merged.to_kwargs(), **kwargs))
        if REQUESTS_IMPORT_ERROR:
            self.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        if not self.params.get("validate_certs", True):
            self.warn("validate_certs is false: the server certificate is not verified, so the connection can be intercepted")
        self._client = None

    def fail_json(self, msg, **kwargs):
        """Name the option when Ansible's first argument error does not.

        A string given for a dict option with suboptions first fails Ansible's no_log scan, with a message that
        names no option; Ansible reports only that first error, so report the next one, which names the option.
        """
        errors = getattr(getattr(self, "validation_result", None), "errors", None)
        errors = errors.errors if errors is not None else []
        if len(errors) > 1 and isinstance(errors[0], NoLogError) and msg == errors[0].args[0]:
            msg = errors[1].args[0]
        super().fail_json(msg=msg, **kwargs)

    def client(self):
        """The CipherTrust client, created on first use (one session and token per task)."""
        if self._client is None:
            self._client = CckmClient(self.params, on_retry=self.log)
        return self._client

    def run(self, task):
        """Run ``task(module) -> result dict`` and exit; any CckmError becomes one clear fail_json."""
        try:
            result = task(self)
        except CckmError as exc:
            self.fail_json(**exc.fail_kwargs())
        self.exit_json(**result)


class ClumioModule(CckmModule):
    """A module talking to the Clumio API: the CLUMIO connection options instead of CipherTrust's."""

    def __init__(self, spec=None, **kwargs):
        super().__init__(spec, connection=CLUMIO, **kwargs)

    def client(self):
        """The Clumio client, created on first use; a clear error when no base URL is configured."""
        if self._client is None:
            base_url = clumio_base_url(self.params)
            if not base_url:
                raise CckmError("No Clumio API URL: set clumio_url or clumio_region, "
                                "or the environment variable CLUMIO_API_BASE_URL")
            self._client = ClumioClient(self.params, base_url, on_retry=self.log)
        return self._client
