"""The random-fault soak through ansible-playbook: playbooks/demo.yml (bootstrap, Clumio BYOK and rotation roles) and
the policy rollout and decommission roles, against a clean emulator and one failing 20 % of the requests; both must end
in the same state and a re-run must change nothing (tests/convergence.py). The faulty run is at -vvv --diff, where
run_playbook's secret scan reads it. The modules' own scenarios under faults run in-process:
tests/unit/plugins/modules/test_convergence_under_faults.py.
"""

from pathlib import Path

import yaml

from playbooks import ROOT, role_task, run_playbook
from tests.convergence import ACCOUNT, converge, env_for, faults_paused, snapshot


def playbook(tmp_path):
    """A ``play`` for converge(): one ansible-playbook run per label, the faulty one at -vvv with --diff."""
    def play(emu, tasks, label):
        folder = tmp_path / label
        folder.mkdir()
        options = {"verbosity": 3, "diff": True} if label == "faulty" else {}
        return run_playbook(folder, tasks, env_for(emu), expect_rc=None, **options)
    return play


def demo_tasks():
    """The tasks of playbooks/demo.yml (bootstrap, rotation role, info, assert), as `make demo` runs them."""
    return yaml.safe_load(Path(ROOT, "playbooks", "demo.yml").read_text())[0]["tasks"]


def demo_setup(emu):
    """What `make demo` starts from: no AWS connection, no KMS container, 5 keys only AWS knows."""
    emu.control("POST", "reset", {"empty": True})
    for number in range(5):
        emu.control("POST", "aws/keys", {"region": "us-east-1", "alias": "made-in-aws-%d" % number})


ROLES = [
    role_task("aws_policy_rollout", {"aws_policy_rollout_template": {"name": "audit", "kms": "aws-kms", "key_users": ["auditor"]},
                                     "aws_policy_rollout_filters": {"kms": "aws-kms", "alias": ["made-in-aws-0", "made-in-aws-1"]},
                                     "aws_policy_rollout_wait_sleep": 0.2}),
    role_task("aws_key_decommission", {"aws_key_decommission_filters": {"kms": "aws-kms", "alias": ["made-in-aws-3", "made-in-aws-4"]},
                                       "aws_key_decommission_confirm": True, "aws_key_decommission_pending_window_days": 7,
                                       "aws_key_decommission_wait_sleep": 0.2}),
]


def test_demo_bootstrap_and_roles_converge_under_random_faults(emulator_factory, tmp_path):
    clean, faulty = converge(emulator_factory, playbook(tmp_path), "fault-rate 0.2: demo (aws_kms_bootstrap, clumio_byok, aws_key_rotation) "
                             "+ aws_policy_rollout + aws_key_decommission", demo_tasks() + ROLES, setup=demo_setup)
    with faults_paused(faulty):
        state = snapshot(faulty)
    assert state["clumio"][ACCOUNT]["installed_regions"] == ["us-east-1"] and list(state["schedules"]) == ["cckm-sync-aws-kms"]
    assert sorted(state["templates"]) == ["audit", "payments"]
    assert clean.routes.get("POST /api/v1/cckm/aws/bulkjob") == 3
