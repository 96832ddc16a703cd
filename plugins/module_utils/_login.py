# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The login module's two states: log in once per play, and revoke the play's refresh token at its end."""

from __future__ import annotations

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot

MASK = "********"


def login(params, client):
    """Authenticate now and return the tokens for the other tasks (``state: present``)."""
    answer = client.tokens.login(refresh_token_lifetime=params["refresh_token_lifetime"])
    return {"jwt": answer["jwt"], "refresh_token": answer.get("refresh_token") or params.get("refresh_token"),
            "client_id": answer.get("client_id") or params.get("client_id"), "duration": int(answer.get("duration") or 0)}


class RefreshTokenRevocation(Resource):
    """``state: absent``: the refresh token is revoked, so that the play leaves no live refresh token behind.

    A refresh token cannot be read back by its value, so check mode always predicts the revocation; CipherTrust's
    answer for a token already revoked is not documented (a 404 or a 400 is assumed), and either means "nothing to
    revoke": the task is then unchanged and says what the server answered.
    """

    def __init__(self, params, client, warn):
        super().__init__(params, client, warn)
        if not params.get("refresh_token"):
            raise OptionError("refresh_token", "state=absent revokes the refresh token given here (the login task's refresh_token)")
        self.body = {"token": params["refresh_token"]}
        if params.get("client_id"):
            self.body["client_id"] = params["client_id"]
        elif params.get("username") and params.get("password"):
            self.body.update(username=params["username"], password=params["password"])
        else:
            raise OptionError(("client_id", "username", "password"), "revoking a refresh token needs its client_id (returned by the login "
                              "task) or the user's username and password")

    def read(self):
        return Snapshot({"refresh_token": MASK}, {"revoked": False})

    def plan(self, before):
        return [Action("revoke", _api.REVOKE_REFRESH_TOKEN, self.body, "revoke the refresh token", {"revoked": True})]

    def apply(self, before, actions):
        try:
            actions[0].send(self.client)
        except ApiError as exc:
            if exc.status not in (400, 404):
                raise
            self.warn("CipherTrust Manager did not revoke the refresh token (%s): it is already revoked, expired or unknown" % exc.message)
            return Snapshot(before.record, {"revoked": True}), []
        return Snapshot(before.record, {"revoked": True}), actions

    def action_result(self, action, after):
        result = action.to_result()
        result["body"] = dict(result["body"], token=MASK, **({"password": MASK} if "password" in result["body"] else {}))
        return result
