"""Post-process KMS planning: the wallet decides the request type, check-mode prediction, masking, landed checks."""

import json

import pytest
import responses

from ansible_collections.ciphertrust.cckm.plugins.module_utils._api import list_wallets
from ansible_collections.ciphertrust.cckm.plugins.module_utils._clumio import ClumioClient
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import CckmError, WaitTimeout
from ansible_collections.ciphertrust.cckm.plugins.module_utils import _post_process as pp
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import lifecycle

URL = "https://us-west-2.api.clumio.com"
TOKEN = "6f1c2a8e-0d5b-4a8e-9b67-3c2d1e0f9a11"
ROLE = "arn:aws:iam::123456789012:role/ClumioKMSRole"


def make_wallet(**overrides):
    wallet = {"id": "w-1", "account_native_id": "123456789012", "aws_region": "us-east-1", "token": TOKEN, "state": "Waiting",
              "stack_version": 0, "installed_regions": [], "role_arn": ""}
    wallet.update(overrides)
    return wallet


INSTALLED = make_wallet(state="Enabled", stack_version=15, installed_regions=["us-east-1"], role_arn=ROLE)


def make_params(**overrides):
    params = {name: None for name in pp.BODY_FIELDS}
    params.update(account_native_id="123456789012", aws_region="us-east-1", state="present", request_type=None,
                  wait=True, wait_timeout=0, wait_sleep=0)
    params.update(overrides)
    return params


@pytest.mark.parametrize("wallet, options, expected", [
    (make_wallet(), {}, "Create"),
    (INSTALLED, {}, None),
    (INSTALLED, {"version": 15, "role_arn": ROLE}, None),
    (INSTALLED, {"version": 16}, "Update"),
    (INSTALLED, {"role_arn": ROLE + "-2"}, "Update"),
    (INSTALLED, {"aws_region": "us-west-2"}, "Create"),
    (INSTALLED, {"state": "absent"}, "Delete"),
    (INSTALLED, {"state": "absent", "aws_region": "us-west-2"}, None),
    (make_wallet(), {"state": "absent"}, None),
    (INSTALLED, {"request_type": "Create"}, "Create"),
    (make_wallet(), {"request_type": "Delete", "state": "present"}, "Delete"),
])
def test_plan_from_wallet(wallet, options, expected):
    assert pp.plan(wallet, make_params(**options)) == expected


def test_prediction_matches_the_documented_effects_and_reaches_the_goal():
    params = make_params(version=15, role_arn=ROLE)
    created = pp.predict(make_wallet(), params, "Create")
    assert (created["state"], created["stack_version"], created["installed_regions"], created["role_arn"]) == ("Enabled", 15, ["us-east-1"], ROLE)
    assert pp.reached(created, params, "Create") and not pp.reached(make_wallet(), params, "Create")
    two = make_wallet(state="Enabled", stack_version=15, installed_regions=["us-east-1", "us-west-2"], role_arn=ROLE)
    one = pp.predict(two, params, "Delete")
    assert one["installed_regions"] == ["us-west-2"] and one["state"] == "Enabled" and one["stack_version"] == 15
    none = pp.predict(one, make_params(aws_region="us-west-2"), "Delete")
    assert (none["state"], none["stack_version"], none["role_arn"], none["installed_regions"]) == ("Waiting", 0, "", [])
    assert two["installed_regions"] == ["us-east-1", "us-west-2"]  # the input is not modified


def test_body_leaves_out_unset_fields_and_masking_hides_the_token():
    body = pp.build_body(make_params(version=0, created_multi_region_cmk=False), "Create", TOKEN)
    assert body == {"account_native_id": "123456789012", "aws_region": "us-east-1", "version": 0, "created_multi_region_cmk": False,
                    "request_type": "Create", "token": TOKEN}
    assert pp.masked(body)["token"] == pp.MASK and body["token"] == TOKEN
    assert pp.masked(None) is None


@pytest.mark.parametrize("options, words", [
    ({"aws_region": " "}, "aws_region"),
    ({"account_native_id": "12345"}, "12-digit"),
    ({"token": ""}, "token"),
    ({"version": -1}, "version"),
])
def test_validation_before_any_call(options, words):
    with pytest.raises(CckmError, match=words):
        pp.validate(make_params(**options))


class FakeModule:
    """Runs kms_post_process's lifecycle the way the module base does, without an Ansible process."""

    def __init__(self, client, check_mode=False, **options):
        self.params = make_params(**options)
        self.check_mode = check_mode
        self.no_log_values = set()
        self.client = client

    def run(self):
        return lifecycle(pp.PostProcessResource(self.params, self.client, lambda text: None), self.check_mode, True, self.no_log_values)


@pytest.fixture
def clumio(fake_time):
    params = {"clumio_api_token": "api-secret", "validate_certs": True, "ca_file": None, "timeout": 5, "retries": 2}
    return ClumioClient(params, URL, sleep=fake_time.sleep, clock=fake_time.clock)


def wallets_page(*wallets, more=False):
    links = {"_self": {"href": "/wallets"}}
    if more:
        links["_next"] = {"href": "/wallets?limit=100&start=opaque-Zm9v"}
    return {"_embedded": {"items": list(wallets)}, "_links": links, "current_count": len(wallets)}


@responses.activate
def test_list_wallets_follows_pages(clumio):
    """Fidelity review row 15: ``start`` is an opaque token from ``_links._next``, none on the first page."""
    responses.get(URL + "/wallets", json=wallets_page(make_wallet(id="a"), more=True),
                  match=[responses.matchers.query_param_matcher({"limit": "100"})])
    responses.get(URL + "/wallets", json=wallets_page(make_wallet(id="b")),
                  match=[responses.matchers.query_param_matcher({"limit": "100", "start": "opaque-Zm9v"})])
    assert [w["id"] for w in list_wallets(clumio)] == ["a", "b"]
    assert responses.calls[0].request.headers["Accept"] == "application/api.clumio.wallets=v1+json"


def read_wallet(wallet):
    """The module's read of the wallet: the list, then a refresh of the account's wallet (fidelity review row 16)."""
    responses.get(URL + "/wallets", json=wallets_page(wallet))
    responses.post(URL + "/wallets/%s/_refresh" % wallet["id"], json=wallet)


REFRESH = ("POST", URL + "/wallets/w-1/_refresh")
PROCESS = ("POST", URL + "/wallets/_post-process")
LIST = ("GET", URL + "/wallets?limit=100")


def conversation():
    return [(c.request.method, c.request.url) for c in responses.calls]


@responses.activate
def test_ambiguous_failure_reads_the_wallet_and_does_not_resend(clumio):
    read_wallet(make_wallet())
    responses.post(URL + "/wallets/_post-process", status=503, json={"errors": [{"error_code": 503, "error_message": "busy"}]})
    responses.get(URL + "/wallets", json=wallets_page(INSTALLED))
    read_wallet(INSTALLED)
    module = FakeModule(clumio, version=15)
    result = module.run()
    assert result["changed"] and result["request_type"] == "Create" and result["record"]["installed_regions"] == ["us-east-1"]
    assert conversation() == [LIST, REFRESH, PROCESS, LIST, LIST, REFRESH]
    assert json.loads(responses.calls[2].request.body)["token"] == TOKEN
    assert TOKEN in module.no_log_values and TOKEN not in json.dumps(result)


@responses.activate
def test_ambiguous_failure_not_landed_is_sent_again(clumio):
    read_wallet(make_wallet())
    responses.post(URL + "/wallets/_post-process", status=502, json={"errors": [{"error_code": 502, "error_message": "gateway"}]})
    responses.get(URL + "/wallets", json=wallets_page(make_wallet()))
    responses.post(URL + "/wallets/_post-process", json={})
    read_wallet(INSTALLED)
    result = FakeModule(clumio).run()
    assert result["request_type"] == "Create"
    assert conversation() == [LIST, REFRESH, PROCESS, LIST, PROCESS, LIST, REFRESH]


@responses.activate
def test_a_wallet_that_does_not_move_fails_the_task_and_nothing_is_sent_again(clumio):
    """Issue 21 #9: Clumio's answer alone is not success; the wallet is re-read until it shows the request, then the task fails."""
    read_wallet(make_wallet())
    responses.post(URL + "/wallets/_post-process", json={})
    read_wallet(make_wallet())
    with pytest.raises(WaitTimeout, match="the Clumio wallet of AWS account 123456789012 to show the Create .*sent once and not again") as caught:
        lifecycle(pp.PostProcessResource(make_params(), clumio, [].append), False, True, set())
    assert caught.value.last_seen["token"] == pp.MASK and conversation() == [LIST, REFRESH, PROCESS, LIST, REFRESH]


@responses.activate
def test_a_wallet_that_shows_the_request_late_is_waited_for(clumio):
    read_wallet(make_wallet())
    responses.post(URL + "/wallets/_post-process", json={})
    read_wallet(make_wallet())
    read_wallet(INSTALLED)
    result = lifecycle(pp.PostProcessResource(make_params(wait_timeout=30), clumio, [].append), False, True, set())
    assert result["changed"] and result["resource"]["installed"] is True
    assert conversation() == [LIST, REFRESH, PROCESS, LIST, REFRESH, LIST, REFRESH]


@responses.activate
def test_with_wait_false_a_wallet_that_does_not_move_is_reported_and_nothing_is_sent_again(clumio):
    """Nothing says post-process updates the wallet (row 16): wait=false accepts Clumio's answer, warning with what was sent."""
    read_wallet(make_wallet())
    responses.post(URL + "/wallets/_post-process", json={})
    read_wallet(make_wallet())
    warnings = []
    result = lifecycle(pp.PostProcessResource(make_params(wait=False), clumio, warnings.append), False, True, set())
    assert result["changed"] and result["request_type"] == "Create" and conversation() == [LIST, REFRESH, PROCESS, LIST, REFRESH]
    assert len(warnings) == 1 and "Clumio accepted the Create post-process request for AWS account 123456789012" in warnings[0]


@responses.activate
def test_check_mode_and_wrong_token_send_nothing(clumio):
    for dummy in range(3):
        read_wallet(INSTALLED)
    result = FakeModule(clumio, check_mode=True, state="absent").run()
    assert result["changed"] and result["request"]["token"] == pp.MASK and result["record"]["installed_regions"] == []
    assert result["diff"]["before"]["installed"] and not result["diff"]["after"]["installed"]
    with pytest.raises(CckmError, match="token does not match .* 123456789012 .*us-east-1"):
        FakeModule(clumio, token="x" * 36).run()
    with pytest.raises(CckmError, match="No Clumio wallet exists for AWS account 210987654321 .region us-east-1"):
        FakeModule(clumio, account_native_id="210987654321").run()
    assert PROCESS not in conversation()


@responses.activate
def test_403_on_post_process_names_the_token_too(clumio):
    read_wallet(make_wallet(token=None))
    responses.post(URL + "/wallets/_post-process", status=403, json={"errors": [{"error_code": 403, "error_message": "token mismatch"}]})
    with pytest.raises(CckmError, match="token mismatch.*lacks the rights.*token is not the token of the wallet of AWS account 123456789012"):
        FakeModule(clumio, token=TOKEN).run()
    assert conversation() == [LIST, REFRESH, PROCESS]
