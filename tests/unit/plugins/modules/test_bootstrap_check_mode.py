"""A bootstrap from nothing in check mode (issue 20): a KMS container an earlier task of the play creates does not
exist yet, so check mode assumes it (a warning) and plans on; a real run fails before its first write."""

import pytest

from module_runner import module, run_module

WARNING = "kms 'new-kms' does not exist yet; check mode assumes an earlier task creates it"


@pytest.mark.parametrize("name, options", [
    ("aws_sync", {"kms": ["new-kms"]}),
    ("aws_sync", {"kms": ["new-kms"], "schedule": {"name": "nightly", "run_at": "0 2 * * *"}}),
    ("aws_key", {"kms": "new-kms", "region": "us-east-1", "alias": "first"}),
    ("aws_policy_template", {"name": "first", "kms": "new-kms", "key_users": ["app"]}),
])
def test_a_kms_an_earlier_task_creates_is_assumed_in_check_mode_and_required_by_a_real_run(emu, connection, name, options):
    emu.control("POST", "stats/reset")
    check = run_module(module(name), dict(connection, **options), check=True)
    assert check["rc"] == 0 and check["actions"] and WARNING in check["warnings"], check
    real = run_module(module(name), dict(connection, **options))
    assert real["rc"] == 1 and "kms: unknown KMS new-kms (known: aws-kms, aws-kms-2)" in real["msg"], real["msg"]
    assert emu.writes() == {}
