# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CCKM KMS containers (one AWS account each): resolving the names or ids users give."""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError


def resolve_kms(client, refs, option="kms"):
    """The KMS records for ``refs`` (names or ids), in order; unknown ones are an error naming them."""
    records = list(_api.LIST_KMS.pages(client))
    found, unknown = [], []
    for ref in refs:
        record = next((r for r in records if ref in (r.get("id"), r.get("name"))), None)
        if record is None:
            unknown.append(ref)
        elif record not in found:
            found.append(record)
    if unknown:
        known = ", ".join(sorted(str(r.get("name")) for r in records)) or "none"
        raise OptionError(option, "unknown KMS %s (known: %s)" % (", ".join(unknown), known))
    return found
