# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""Desired-state logic of Clumio's BYOK post-process KMS call (_api.POST_PROCESS_KMS).

Clumio has no API that reads the post-process state back; the account's wallet is the only observable
(``installed_regions``, ``state``, ``stack_version``, ``role_arn``). The plan compares the wallet with the
wanted state, and the same comparison tells, after an ambiguous failure, whether the call already landed.
"""

from __future__ import annotations

import copy
import hmac
import re

from ansible_collections.ciphertrust.cckm.plugins.module_utils import _api
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import AccessDenied, CckmError, WaitTimeout, shown
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import looks_like_account_id
from ansible_collections.ciphertrust.cckm.plugins.module_utils._resource import Action, Resource, Snapshot
from ansible_collections.ciphertrust.cckm.plugins.module_utils._waiter import Waiter

REQUEST_TYPES = ("Create", "Update", "Delete")
MASK = "********"
# The request body, in the order of Clumio's documentation (request_type is added by the plan).
BODY_FIELDS = ("account_native_id", "aws_region", "token", "role_arn", "role_external_id", "role_id",
               "intermediate_role_arn", "multi_region_cmk_key_id", "created_multi_region_cmk", "version")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_MAX_VERSION = 2 ** 64 - 1


def masked(data):
    """A copy of a wallet or request body with its ``token`` replaced by a mask (None stays None)."""
    if data is None:
        return None
    data = copy.deepcopy(data)
    if data.get("token"):
        data["token"] = MASK
    return data


def validate(params):
    """Option checks the argument spec cannot express; raises before any request is sent."""
    problems = []
    for name in ("account_native_id", "aws_region"):
        if not (params.get(name) or "").strip():
            problems.append("%s is required and must not be empty" % name)
    if params.get("account_native_id") and not looks_like_account_id(params["account_native_id"].strip()):
        problems.append("account_native_id must be a 12-digit AWS account ID, got %s" % shown(params["account_native_id"]))
    if (params.get("aws_region") or "").strip() and not _REGION_RE.fullmatch(params["aws_region"]):
        problems.append("aws_region must be an AWS region name like us-east-1, got %s" % shown(params["aws_region"]))
    if params.get("token") is not None and not params["token"].strip():
        problems.append("token must not be empty (omit it to use the wallet's token)")
    version = params.get("version")
    if version is not None and not 0 <= version <= _MAX_VERSION:
        problems.append("version must be between 0 and 2^64-1, got %s" % version)
    if problems:
        raise CckmError("; ".join(problems))


def find_wallet(client, account_native_id):
    """The wallet of an AWS account, or None."""
    return next((w for w in _api.list_wallets(client) if w.get("account_native_id") == account_native_id), None)


def installed(wallet, region):
    return region in (wallet.get("installed_regions") or [])


def differs(wallet, params):
    """True when a given ``version`` or ``role_arn`` is not what the wallet shows."""
    if params.get("version") is not None and params["version"] != wallet.get("stack_version"):
        return True
    return params.get("role_arn") is not None and params["role_arn"] != (wallet.get("role_arn") or "")


def plan(wallet, params):
    """The request type to send (``Create``, ``Update``, ``Delete``), or None when the wallet already matches."""
    if params.get("request_type"):
        return params["request_type"]
    region = params["aws_region"]
    if params.get("state") == "absent":
        return "Delete" if installed(wallet, region) else None
    if not installed(wallet, region):
        return "Create"
    return "Update" if differs(wallet, params) else None


def reached(wallet, params, request_type):
    """True when the wallet shows the effect of ``request_type`` (so re-sending it is unnecessary)."""
    if request_type == "Delete":
        return not installed(wallet, params["aws_region"])
    return installed(wallet, params["aws_region"]) and not differs(wallet, params)


def predict(wallet, params, request_type):
    """The wallet as it will look after ``request_type`` (check mode); the documented effects of the call."""
    after = copy.deepcopy(wallet)
    regions = list(after.get("installed_regions") or [])
    region = params["aws_region"]
    if request_type == "Delete":
        if region in regions:
            regions.remove(region)
        if not regions:
            after.update(state="Waiting", stack_version=0, role_arn="")
    else:
        if region not in regions:
            regions.append(region)
        after["state"] = "Enabled"
        if params.get("version") is not None:
            after["stack_version"] = params["version"]
        if params.get("role_arn") is not None:
            after["role_arn"] = params["role_arn"]
    after["installed_regions"] = regions
    return after


def build_body(params, request_type, token):
    """The post-process body: given fields only (unset optional fields are left out), the request type, the token."""
    body = {name: params[name] for name in BODY_FIELDS if params.get(name) is not None}
    body.update(request_type=request_type, token=token)
    return body


def view(wallet, region):
    """The properties the post-process call manages, for ``diff``."""
    return {
        "aws_region": region,
        "installed": installed(wallet, region),
        "installed_regions": list(wallet.get("installed_regions") or []),
        "state": wallet.get("state"),
        "stack_version": wallet.get("stack_version"),
        "role_arn": wallet.get("role_arn"),
    }


def _wallet_token(wallet, params):
    """The token to send: the given one after comparing it with the wallet's, else the wallet's."""
    account, region = params["account_native_id"], params["aws_region"]
    known = wallet.get("token")
    given = params.get("token")
    if given is not None and known and not hmac.compare_digest(given.encode(), known.encode()):
        raise CckmError("token does not match the token of the Clumio wallet of AWS account %s (region %s); "
                        "omit token to use the wallet's own" % (account, region))
    token = given or known
    if not token:
        raise CckmError("The Clumio wallet of AWS account %s (region %s) does not show its token; set token" % (account, region))
    return token


def _require_wallet(client, params):
    """The account's wallet, refreshed first so that what Clumio last saw of the account is what is read (row 16)."""
    wallet = find_wallet(client, params["account_native_id"])
    if wallet is None:
        raise CckmError("No Clumio wallet exists for AWS account %s (region %s): check account_native_id, or create the wallet "
                        "(the clumio_wallet resource of Clumio's Terraform provider, or its API) before post-processing its BYOK key"
                        % (params["account_native_id"], params["aws_region"]))
    refreshed = _api.REFRESH_WALLET(client, wallet["id"], subject="of AWS account %s" % params["account_native_id"])
    return refreshed if isinstance(refreshed, dict) and refreshed.get("id") == wallet["id"] else wallet


def _snapshot(wallet, region):
    return Snapshot(masked(wallet), view(wallet, region))


class PostProcessResource(Resource):
    """kms_post_process: the post-process state of one account and region, as the account's wallet shows it."""

    def __init__(self, params, client, warn):
        validate(params)
        params = dict(params, account_native_id=params["account_native_id"].strip())
        super().__init__(params, client, warn)

    def read(self):
        self.wallet = _require_wallet(self.client, self.params)
        self.token = _wallet_token(self.wallet, self.params)
        return _snapshot(self.wallet, self.params["aws_region"])

    def secrets(self, before):
        return [value for value in (self.wallet.get("token"),) if value]

    def plan(self, before):
        request_type = plan(self.wallet, self.params)
        if request_type is None:
            return []
        return [Action(request_type, _api.POST_PROCESS_KMS, build_body(self.params, request_type, self.token),
                       "send a %s post-process request for AWS account %s in %s" % (request_type, self.params["account_native_id"],
                                                                                    self.params["aws_region"]))]

    def predict(self, before, actions):
        return _snapshot(predict(self.wallet, self.params, actions[0].name), self.params["aws_region"])

    def apply(self, before, actions):
        params, request_type = self.params, actions[0].name

        def landed():
            current = find_wallet(self.client, params["account_native_id"])
            return masked(current) if current is not None and reached(current, params, request_type) else None

        try:
            actions[0].send(self.client, landed=landed, subject="AWS account %s in %s" % (params["account_native_id"], params["aws_region"]))
        except AccessDenied as exc:
            exc.hint = "%s; or token is not the token of the wallet of AWS account %s" % (exc.hint or "Access denied", params["account_native_id"])
            exc.args = (exc.describe(),)
            raise
        after = self._verify(_require_wallet(self.client, params), request_type)
        return _snapshot(after, params["aws_region"]), actions

    def _verify(self, after, request_type):
        """The wallet once it shows the request (issue 21 #9): Clumio's answer alone is not taken for success.

        That the wallet records post-process calls is assumed (row 16), so with ``wait: false`` a wallet that does not
        move only gets a warning. The request is never sent again in the same run.
        """
        params = self.params
        if reached(after, params, request_type):
            return after
        what = "the Clumio wallet of AWS account %s to show the %s post-process request for %s" % (
            params["account_native_id"], request_type, params["aws_region"])
        shows = "installed_regions %s, stack_version %s"
        if not params["wait"]:
            self.warn("Clumio accepted the %s post-process request for AWS account %s in %s, but its wallet does not show it "
                      "(%s); not checked further (wait=false), nothing was sent again" % (
                          request_type, params["account_native_id"], params["aws_region"],
                          shows % (after.get("installed_regions"), after.get("stack_version"))))
            return after
        waiter = Waiter(lambda: _require_wallet(self.client, params), lambda wallet: reached(wallet, params, request_type),
                        lambda wallet: shows % (wallet.get("installed_regions"), wallet.get("stack_version")), what)
        try:
            return waiter.wait(params["wait_timeout"], params["wait_sleep"], first=after)
        except WaitTimeout as exc:
            exc.last_seen = masked(exc.last_seen)
            exc.args = ("%s. Clumio accepted the request, which was sent once and not again; run the task again to check, "
                        "or set wait=false to accept Clumio's answer without seeing it in the wallet" % exc.args[0],)
            raise

    def action_result(self, action, after):
        return dict(action.to_result(), body=masked(action.body))

    def extras(self, before, after, actions, predicted):
        return {"request_type": actions[0].name if actions else None, "request": masked(actions[0].body) if actions else None,
                "wallet_before": before.record}
