# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options of modules that start asynchronous CipherTrust jobs and can wait for them."""

    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the job started by this task has finished.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in total when O(wait=true). On timeout the task fails with the last status seen.
    type: int
    default: 600
  wait_sleep:
    description:
      - The longest pause between two status reads while waiting. Reads are 0.1 seconds apart for the first second,
        then the pause doubles up to this, so that short jobs are seen done at once and long ones cost few reads.
    type: float
    default: 2
"""
