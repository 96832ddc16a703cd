"""kms_post_process in-process against the emulator's Clumio API, connected through $CLUMIO_API_TOKEN / $CLUMIO_API_BASE_URL.

Every result is scanned for the API token and the wallet's token (run_tasks); the console at -vvv and the examples
are checked through ansible-playbook in tests/integration (test_reliability.py, test_examples.py).
"""

from module_runner import ONE_PROFILE, run_tasks

pytestmark = ONE_PROFILE
API_TOKEN = "clumio-test-token"
ACCOUNT = "123456789012"
REGION = "us-east-1"
POST = "POST /wallets/_post-process"
ROLE = "arn:aws:iam::123456789012:role/ClumioKMSRole"


def clumio_env(emu):
    return {"CLUMIO_API_TOKEN": API_TOKEN, "CLUMIO_API_BASE_URL": emu.url}


def wallet(emu):
    """The seeded wallet as the emulator holds it (token included)."""
    return next(w for w in emu.control("GET", "clumio/wallets")["wallets"] if w["account_native_id"] == ACCOUNT)


def post_calls(emu):
    return emu.control("GET", "clumio/wallets")["post_process_calls"]


def task(name, **options):
    return {"name": name, "ciphertrust.cckm.kms_post_process": dict({"account_native_id": ACCOUNT, "aws_region": REGION}, **options)}


def run_pair(emu, options, expect_changed, expect_type):
    """Check mode first (must predict and send nothing), then the real run; returns the real result."""
    before = wallet(emu)
    calls = len(post_calls(emu))
    emu.control("POST", "stats/reset")
    check = run_tasks([task("t", **options)], env=clumio_env(emu), check=True, diff=True, secrets=(before["token"],)).result("t")
    assert check["changed"] is expect_changed and check["request_type"] == expect_type
    assert emu.stats()["routes"].get(POST, 0) == 0 and len(post_calls(emu)) == calls
    assert wallet(emu) == before
    real = run_tasks([task("t", **options)], env=clumio_env(emu), diff=True, secrets=(before["token"],)).result("t")
    assert real["changed"] is expect_changed and real["request_type"] == expect_type
    assert emu.stats()["routes"].get(POST, 0) == (1 if expect_type else 0)
    assert len(post_calls(emu)) == calls + (1 if expect_type else 0)
    for key in ("installed_regions", "state", "stack_version", "role_arn"):
        assert check["record"][key] == real["record"][key] == wallet(emu)[key], key
    assert check["diff"] == real["diff"]
    return real


def test_lifecycle_create_rerun_update_delete_with_check_mode(emu):
    created = run_pair(emu, {"version": 14, "role_arn": ROLE, "role_id": "AROA1", "role_external_id": "ext"}, True, "Create")
    assert wallet(emu)["installed_regions"] == [REGION] and wallet(emu)["state"] == "Enabled"
    assert created["request"]["token"] == "********" and created["request"]["version"] == 14
    assert created["wallet_before"]["state"] == "Waiting" and created["record"]["token"] == "********"
    assert created["diff"]["before"]["installed"] is False and created["diff"]["after"]["installed"] is True
    body = post_calls(emu)[-1]["body"]
    assert body["request_type"] == "Create" and body["role_id"] == "AROA1" and "multi_region_cmk_key_id" not in body

    same = run_pair(emu, {"version": 14, "role_arn": ROLE}, False, None)
    assert same["request"] is None and same["diff"]["before"] == same["diff"]["after"]
    run_pair(emu, {}, False, None)  # unmanaged version/role: installed is enough

    updated = run_pair(emu, {"version": 15, "role_arn": ROLE}, True, "Update")
    assert wallet(emu)["stack_version"] == 15 and updated["diff"]["before"]["stack_version"] == 14
    run_pair(emu, {"role_arn": ROLE + "2"}, True, "Update")
    assert wallet(emu)["role_arn"] == ROLE + "2"

    run_pair(emu, {"state": "absent"}, True, "Delete")
    assert wallet(emu)["installed_regions"] == [] and wallet(emu)["state"] == "Waiting"
    run_pair(emu, {"state": "absent"}, False, None)


def test_explicit_request_type_always_sends(emu):
    run_pair(emu, {"request_type": "Delete"}, True, "Delete")  # nothing installed: the emulator accepts it
    run_pair(emu, {"request_type": "Create", "version": 15}, True, "Create")
    run_pair(emu, {"request_type": "Update", "version": 15}, True, "Update")
    assert [c["body"]["request_type"] for c in post_calls(emu)] == ["Delete", "Create", "Update"]


def test_token_from_wallet_or_given_and_never_shown(emu):
    token = wallet(emu)["token"]
    run = run_tasks([task("given", token=token, version=15), task("from wallet", state="absent")], env=clumio_env(emu), diff=True,
                    secrets=(token,))
    assert run.result("given")["request_type"] == "Create" and run.result("from wallet")["request_type"] == "Delete"
    for name in ("given", "from wallet"):
        assert token not in str(run.result(name)) and API_TOKEN not in str(run.result(name))
    assert [c["status"] for c in post_calls(emu)] == [200, 200]


def test_wrong_token_fails_before_sending(emu):
    wrong = "00000000-0000-0000-0000-000000000000"
    emu.control("POST", "stats/reset")
    run = run_tasks([task("bad", token=wrong)], env=clumio_env(emu), expect_rc=2, secrets=(wrong, wallet(emu)["token"]))
    msg = run.result("bad")["msg"]
    assert "token does not match" in msg and ACCOUNT in msg and REGION in msg
    assert emu.stats()["routes"].get(POST, 0) == 0 and post_calls(emu) == []


def test_option_errors_are_caught_before_any_request(emu):
    emu.control("POST", "stats/reset")
    tasks = [
        {"name": "no region", "ciphertrust.cckm.kms_post_process": {"account_native_id": ACCOUNT}, "ignore_errors": True},
        dict(task("bad type", request_type="create"), ignore_errors=True),
        dict(task("bad account"), **{"ciphertrust.cckm.kms_post_process": {"account_native_id": "12ab", "aws_region": REGION}},
             ignore_errors=True),
        dict(task("negative version", version=-1), ignore_errors=True),
    ]
    run = run_tasks(tasks, env=clumio_env(emu))
    assert "aws_region" in run.result("no region")["msg"]
    assert "request_type" in run.result("bad type")["msg"] and "Create" in run.result("bad type")["msg"]
    assert "12-digit" in run.result("bad account")["msg"]
    assert "version" in run.result("negative version")["msg"]
    assert emu.stats()["requests"] == 0


def test_missing_wallet_names_account_and_region(emu):
    run = run_tasks([{"name": "nowallet", "ciphertrust.cckm.kms_post_process": {"account_native_id": "210987654321", "aws_region": "eu-west-1"}}],
                    env=clumio_env(emu), expect_rc=2)
    msg = run.result("nowallet")["msg"]
    assert "No Clumio wallet" in msg and "210987654321" in msg and "eu-west-1" in msg
    assert emu.stats()["routes"].get(POST, 0) == 0


def test_bad_api_token_and_missing_url(emu):
    env = dict(clumio_env(emu), CLUMIO_API_TOKEN="not-the-token")
    run = run_tasks([task("bad")], env=env, expect_rc=2)  # the result is scanned for $CLUMIO_API_TOKEN
    assert "HTTP 401" in run.result("bad")["msg"] and "clumio_api_token" in run.result("bad")["msg"]
    run = run_tasks([task("nourl")], env={"CLUMIO_API_TOKEN": API_TOKEN}, expect_rc=2)
    assert "clumio_url" in run.result("nourl")["msg"] and "CLUMIO_API_BASE_URL" in run.result("nourl")["msg"]


def test_options_instead_of_environment(emu):
    run = run_tasks([task("opts", clumio_url=emu.url, clumio_api_token=API_TOKEN, clumio_organizational_unit="ou-7")], secrets=(API_TOKEN,))
    assert run.result("opts")["request_type"] == "Create"
    assert {r["organizational_unit"] for r in emu.control("GET", "clumio/wallets")["requests"]} == {"ou-7"}


def test_ambiguous_failure_is_not_resent_when_the_wallet_shows_it(emu):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/wallets/_post-process", "status": 503, "phase": "after"}]})
    run = run_tasks([task("flaky", version=15)], env=clumio_env(emu))
    assert run.result("flaky")["changed"] is True and run.result("flaky")["record"]["installed_regions"] == [REGION]
    assert emu.stats()["routes"][POST] == 1


def test_429_is_retried(emu):
    emu.control("POST", "faults", {"rules": [{"method": "POST", "path": "/wallets/_post-process", "status": 429, "retry_after": 0}]})
    run = run_tasks([task("busy", version=15)], env=clumio_env(emu))
    assert run.result("busy")["request_type"] == "Create"
    assert emu.stats()["routes"][POST] == 2 and wallet(emu)["installed_regions"] == [REGION]
