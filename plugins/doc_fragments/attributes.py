# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Attribute blocks: every module states its check mode, diff mode and action group support."""

    DOCUMENTATION = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/ciphertrust.cckm.cckm) in C(module_defaults) to set connection options for all modules of this collection.
    support: full
    membership:
      - ciphertrust.cckm.cckm
"""

    CLUMIO = r"""
options: {}
attributes:
  action_group:
    description:
      - Use C(group/ciphertrust.cckm.clumio) in C(module_defaults) to set the Clumio connection options; the CipherTrust
        Manager group C(group/ciphertrust.cckm.cckm) does not apply to this module (its options would be unsupported here).
    support: full
    membership:
      - ciphertrust.cckm.clumio
"""

    CHECK_MODE_FULL = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return the changed status (and the resource as it would be) without modifying anything.
    support: full
  diff_mode:
    description: Returns C(before) and C(after) of the managed properties when run with C(--diff).
    support: full
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    description: This module only reads, so it runs unchanged in check mode.
    support: full
    details: This action does not modify state.
  diff_mode:
    description: This module only reads and returns no diff.
    support: N/A
    details: This action does not modify state.
"""
