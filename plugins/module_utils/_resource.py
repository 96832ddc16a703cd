# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""What every resource gives the module base: Snapshot (record + view), Action (a planned call), Resource.

A Resource reads the current state, plans the calls that reach the desired state (pure: no I/O), predicts
the state they would leave (check mode) or applies them and reads back (real run). It never reads
check mode or diff mode: the module base (_module) decides which of predict and apply runs.
"""

from __future__ import annotations


class Snapshot:
    """A resource as the API returned it (``record``, None when only predicted) and as modules return it (``view``)."""

    __slots__ = ("record", "view")

    def __init__(self, record, view):
        self.record = record
        self.view = view

    def __repr__(self):
        return "Snapshot(%r)" % (self.view,)


class Action:
    """One planned step: the endpoint it calls (None for a step that only waits), its body, and its predicted effect.

    ``ids`` fill the endpoint's path when the plan knows them; ``effect`` is merged into the view to predict the
    state after the step; ``landed(record)`` tells, after an answer was lost, whether the call was applied (so it
    is not sent twice); ``removes`` marks the step that deletes the resource.
    """

    def __init__(self, name, endpoint, body=None, description="", effect=None, landed=None, ids=(), removes=False):
        self.name = name
        self.removes = removes
        self.endpoint = endpoint
        self.body = body
        self.description = description
        self.effect = effect or {}
        self.landed = landed
        self.ids = tuple(ids)

    def send(self, client, **kwargs):
        """Make the call with the planned ids and body (kwargs: landed, subject)."""
        return self.endpoint(client, *self.ids, body=self.body, **kwargs)

    def to_result(self, *ids):
        """The step as modules return it in ``actions``: method, path, body, description."""
        endpoint = self.endpoint
        ids = [i for i in (ids or self.ids) if i]
        return {"method": endpoint.method if endpoint else None, "path": endpoint.path_for(*ids) if endpoint else None,
                "body": self.body, "description": self.description}

    def __repr__(self):
        return "Action(%r, %r)" % (self.name, self.body)


def predict_view(view, actions):
    """The view after ``actions``: each action's effect merged in order (None stays None when nothing happens)."""
    result = dict(view) if view else {}
    for action in actions:
        result.update(action.effect)
    return result if (view or actions) else None


class Resource:
    """Base of every converged resource; subclasses override read, plan, apply and the views."""

    def __init__(self, params, client, warn):
        self.params = params
        self.client = client
        self.warn = warn
        # Things the task names that may not exist yet (a template, a schedule, a KMS container), each with
        # ``warn_if_missing(warn)`` and ``require()``: the lifecycle warns in check mode (an earlier task of the play may
        # create them) and requires them before a real run's first write.
        self.prerequisites = []

    def read(self):
        """The current state as a Snapshot, or None when the resource does not exist."""
        raise NotImplementedError

    def plan(self, before):
        """The Actions that take ``before`` to the desired state; [] when there is nothing to do. No I/O."""
        raise NotImplementedError

    def predict(self, before, actions):
        """Check mode: the Snapshot the actions would leave (no record for what does not exist yet, None once deleted)."""
        if actions[-1].removes:
            return None
        view = predict_view(before.view if before else None, actions)
        return Snapshot(before.record if before else None, view) if view is not None else None

    def apply(self, before, actions):
        """Send the actions; returns (Snapshot read back after them, the actions done)."""
        raise NotImplementedError

    def diff_view(self, view):
        """The fields ``--diff`` shows."""
        return view

    def diff_pair(self, before, after, actions):
        """(before, after) as ``--diff`` shows them: by default the diff_view of each side; a resource with write-only
        fields (secrets) adds a masked marker for what was sent."""
        return (self.diff_view(before.view if before else None), self.diff_view(after.view if after else None))

    def changed(self, before, after, actions, predicted):
        return bool(actions)

    def extras(self, before, after, actions, predicted):
        """Result fields of this resource beyond changed, actions, resource, record and diff."""
        return {}

    def action_result(self, action, after):
        return action.to_result()

    def secrets(self, before):
        """Values read from the server that must be masked in the output (e.g. a wallet's token)."""
        return ()
