# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Test-only callback: writes every task result of a run as JSON, so pytest can assert on real results."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Write task results to the JSON file named by E(CCKM_TEST_RESULTS)
description: Used by the collection's integration tests only.
version_added: 0.1.0
author: CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
requirements:
  - E(CCKM_TEST_RESULTS) names the output file
"""


class CallbackModule(CallbackBase):
    """Collects (task name, status, result) for each host and task."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.records = []

    def _record(self, result, status):
        self.records.append({
            "task": result.task_name,
            "host": result._host.get_name(),  # pylint: disable=protected-access
            "status": status,
            "result": result._result,  # pylint: disable=protected-access
        })

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("CCKM_TEST_RESULTS")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.records, handle, default=str)
