"""What Ansible itself adds around the modules: module_defaults action groups (meta/runtime.yml) and task environments.

The CIPHERTRUST_*/CLUMIO_* environment fallbacks are used by every other play of this layer (playbooks.connection_env).
"""

from playbooks import run_playbook

API_TOKEN = "clumio-test-token"


def test_module_defaults_groups_set_the_connections(emu, tmp_path):
    """One play without any connection variable: the cckm group connects aws_key_info; with both groups set, kms_post_process
    still runs (issue 21 #8: the cckm group used to give it options it does not support)."""
    emu.control("POST", "/_emulator/cckm/keys", {"count": 3, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "east-"})
    emu.control("POST", "/_emulator/cckm/keys", {"count": 2, "kms": "aws-kms", "region": "eu-west-1", "alias_prefix": "west-"})
    cckm = {"group/ciphertrust.cckm.cckm": {"host": emu.url, "username": "admin", "password": "admin"}}
    both = dict(cckm, **{"group/ciphertrust.cckm.clumio": {"clumio_api_token": API_TOKEN, "clumio_url": emu.url}})
    tasks = [{"name": "grouped", "module_defaults": cckm, "ciphertrust.cckm.aws_key_info": {"region": "eu-west-1"}},
             {"name": "info", "ciphertrust.cckm.aws_key_info": {"kms": ["aws-kms"]}, "module_defaults": both},
             {"name": "byok", "ciphertrust.cckm.kms_post_process": {"account_native_id": "123456789012", "aws_region": "us-east-1", "version": 3},
              "module_defaults": both}]
    run = run_playbook(tmp_path, tasks, {}, secrets=(API_TOKEN,))
    assert run.failed_tasks() == []
    assert run.result("grouped")["total"] == 2
    assert run.result("byok")["request_type"] == "Create"
