# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""CCKM KMS containers (one AWS account each): resolving the names or ids users give."""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError, shown


class KmsChoice:
    """The KMS containers a task names (names or ids), read with one list.

    One that does not exist (yet) is assumed, in check mode, to come from an earlier task of the play (aws_kms in a
    bootstrap from nothing); a real run fails before its first write, naming the known ones (the lifecycle calls
    ``warn_if_missing`` and ``require``, see Resource.prerequisites).
    """

    def __init__(self, client, refs, option="kms"):
        records = list(_api.LIST_KMS.pages(client))
        self.option = option
        self.found, self.unknown = [], []
        for ref in refs:
            record = next((r for r in records if ref in (r.get("id"), r.get("name"))), None)
            if record is None:
                self.unknown.append(ref)
            elif record not in self.found:
                self.found.append(record)
        self.known = ", ".join(sorted(str(r.get("name")) for r in records)) or "none"

    @property
    def missing(self):
        return bool(self.unknown)

    def records(self):
        """The records found, and for each unknown name a stand-in that check mode plans with."""
        return self.found + [{"id": ref, "name": ref, "regions": []} for ref in self.unknown]

    def warn_if_missing(self, warn):
        if self.missing:
            warn("%s %s does not exist yet; check mode assumes an earlier task creates it" % (self.option, ", ".join(map(shown, self.unknown))))

    def require(self):
        if self.missing:
            raise OptionError(self.option, "unknown KMS %s (known: %s)" % (", ".join(self.unknown), self.known))


def resolve_kms(client, refs, option="kms"):
    """The KMS records for ``refs`` (names or ids), in order; unknown ones are an error naming them."""
    choice = KmsChoice(client, refs, option)
    choice.require()
    return choice.found
