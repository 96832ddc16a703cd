"""Bulk planning: which operations a key needs, jobs of at most 100 keys per AWS account, cross-account templates refused."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._bulk import normalise_filters, operations_for, plan
from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError


def view(n, state="Enabled", account="111111111111", template=None):
    return {"id": "k%d" % n, "key_state": state, "account_id": account, "policy_template_id": template, "alias": "a%d" % n}


@pytest.mark.parametrize("key_state,state,template,expected", [
    ("Enabled", "enabled", None, []),
    ("Disabled", "enabled", None, ["enablekey"]),
    ("PendingDeletion", "enabled", None, ["cancelkeydeletion", "enablekey"]),
    ("Enabled", "disabled", None, ["disablekey"]),
    ("PendingDeletion", "disabled", None, ["cancelkeydeletion"]),
    ("PendingDeletion", "present", None, ["cancelkeydeletion"]),
    ("Disabled", "present", None, []),
    ("Enabled", "pending_deletion", None, ["schedulekeydeletion"]),
    ("PendingDeletion", "pending_deletion", None, []),
    ("Enabled", "present", "t1", ["applypolicytemplate"]),
    ("Disabled", "disabled", "t1", ["applypolicytemplate"]),
])
def test_operations_for(key_state, state, template, expected):
    assert operations_for(view(0, key_state), state, template) == expected


def test_template_already_applied_needs_nothing():
    assert operations_for(view(0, template="t1"), "present", "t1") == []


def test_jobs_hold_at_most_100_keys_of_one_account():
    views = [view(n) for n in range(250)] + [view(1000 + n, account="222222222222") for n in range(30)]
    steps = plan(views, "disabled", None, None)
    assert list(steps) == ["disablekey"]
    assert sorted(len(job) for job in steps["disablekey"]) == [30, 50, 100, 100]
    assert all(len({v["account_id"] for v in job}) == 1 for job in steps["disablekey"])


def test_steps_run_in_a_safe_order():
    steps = plan([view(0, "PendingDeletion"), view(1, "Disabled")], "enabled", None, None)
    assert list(steps) == ["cancelkeydeletion", "enablekey"]


def test_template_of_another_account_is_refused_before_any_job():
    with pytest.raises(OptionError, match="policy_template: the template belongs to AWS account 111111111111; keys of other accounts: k7"):
        plan([view(1), view(7, account="999999999999")], "present", "t1", "111111111111")


def test_filters_are_checked_and_single_values_become_lists():
    assert normalise_filters({"region": "us-east-1", "enabled": True}) == {"region": ["us-east-1"], "enabled": True}
    with pytest.raises(OptionError, match="unknown filter"):
        normalise_filters({"colour": "blue"})
