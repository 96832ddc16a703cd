"""Roles run against the emulator: converge, then a second run reports no change, and check mode writes nothing."""

from playbooks import role_task, run_playbook

CLUMIO_ENV_TOKEN = "clumio-test-token"


def clumio_env(emu):
    return {"CLUMIO_API_BASE_URL": emu.url, "CLUMIO_API_TOKEN": CLUMIO_ENV_TOKEN}


def wallet(emu):
    return emu.control("GET", "/_emulator/clumio/wallets")["wallets"][0]


def test_clumio_byok_role_is_idempotent_and_check_safe(emu, tmp_path):
    variables = {"clumio_byok_account_id": "123456789012", "clumio_byok_region": "us-east-1", "clumio_byok_version": 15,
                 "clumio_byok_role_arn": "arn:aws:iam::123456789012:role/ClumioKMSRole"}
    check = run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu), check=True)
    assert len(check.changed_tasks()) == 1 and wallet(emu)["installed_regions"] == []
    first = run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu))
    assert len(first.changed_tasks()) == 1
    assert wallet(emu)["installed_regions"] == ["us-east-1"] and wallet(emu)["stack_version"] == 15
    assert run_playbook(tmp_path, [role_task("clumio_byok", variables)], clumio_env(emu)).changed_tasks() == []
    removed = run_playbook(tmp_path, [role_task("clumio_byok", dict(variables, clumio_byok_state="absent"))], clumio_env(emu))
    assert len(removed.changed_tasks()) == 1 and wallet(emu)["installed_regions"] == []
    assert CLUMIO_ENV_TOKEN not in first.output and wallet(emu)["token"] not in first.output


def test_role_argument_specs_reject_bad_variables(emu, tmp_path):
    run = run_playbook(tmp_path, [role_task("clumio_byok", {"clumio_byok_region": "us-east-1", "clumio_byok_state": "gone"})],
                       clumio_env(emu), expect_rc=2)
    text = run.output
    assert "clumio_byok_account_id" in text and "clumio_byok_state" in text
    assert emu.control("GET", "/_emulator/clumio/wallets")["post_process_calls"] == []
