# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The one waiting loop: poll until a predicate holds, on a monotonic clock, within one time budget."""

from __future__ import annotations

import time

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import WaitTimeout


FIRST_PAUSE = 0.1
FAST_PHASE = 1.0


class Waiter:
    """Polls ``fetch()`` until ``done(result)``; ``wait_timeout`` is one budget for the whole wait.

    On timeout raises WaitTimeout carrying the last result seen, so the failure says where it got stuck.
    The token stays valid during long waits because every fetch goes through the client, which renews it.
    """

    def __init__(self, fetch, done, describe=str, what="the job", sleep=time.sleep, clock=time.monotonic):
        self.fetch = fetch
        self.done = done
        self.describe = describe
        self.what = what
        self._sleep = sleep
        self._clock = clock

    def wait(self, timeout, interval, first=None):
        """Return the first result for which ``done`` holds; ``first`` is a result already in hand.

        Reads are FIRST_PAUSE apart for the first FAST_PHASE seconds, then the pause doubles up to ``interval``
        (wait_sleep): a job that takes 0.5 s is seen done within 0.1 s of its end, not after a whole ``interval``,
        and a long one costs few reads (issue 18).
        """
        start = self._clock()
        pause = min(FIRST_PAUSE, interval)
        result = first if first is not None else self.fetch()
        while not self.done(result):
            elapsed = self._clock() - start
            if elapsed >= timeout:
                raise WaitTimeout(self.what, elapsed, result, self.describe(result))
            self._sleep(max(0.0, min(pause, timeout - elapsed)))
            if self._clock() - start >= FAST_PHASE:
                pause = min(pause * 2, interval)
            result = self.fetch()
        return result
