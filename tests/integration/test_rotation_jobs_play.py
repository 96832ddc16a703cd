"""Issue 20 #3-#4 through ansible-playbook: a rotation schedule, a BYOK key uploaded in one call and attached to it (also
through the bootstrap role, as the Clumio BYOK step uses it), detached and the schedule removed; check mode first, then
a real run, then a second run that changes nothing (strict emulator unless $CCKM_EMULATOR_PROFILE says otherwise).
"""

from playbooks import connection_env, run_playbook

WHERE = {"kms": "aws-kms", "region": "us-east-1"}
SCHEDULE = {"name": "weekly-rotation", "run_at": "0 9 * * sat", "expiration": "365d", "retain_alias": True}
BYOK = dict(WHERE, alias="clumio-byok", description="Clumio BYOK", import_material={"source_key": "clumio-material"})
TASKS = [
    {"name": "schedule", "ciphertrust.cckm.aws_key_rotation_schedule": SCHEDULE},
    {"name": "byok key", "ciphertrust.cckm.aws_key": dict(BYOK, rotation_job={"name": "weekly-rotation", "disable_encrypt": True})},
    {"name": "bootstrap", "ansible.builtin.include_role": {"name": "ciphertrust.cckm.aws_kms_bootstrap"}, "vars": {
        "aws_kms_bootstrap_kms": "aws-kms", "aws_kms_bootstrap_sync": False,
        "aws_kms_bootstrap_keys": [{"alias": "app-byok", "region": "us-east-1", "import_material": {"source_key": "app-material"},
                                    "rotation_job": {"name": "weekly-rotation"}}]}},
]


def test_schedule_upload_and_attach_converge_in_check_mode_then_once_then_never_again(emu, tmp_path):
    env = connection_env(emu)
    emu.control("POST", "stats/reset")
    check = run_playbook(tmp_path, TASKS, env, check=True, diff=True)
    assert check.failed_tasks() == [] and emu.writes() == {}
    assert "does not exist yet; check mode assumes an earlier task creates it" in check.output
    first = run_playbook(tmp_path, TASKS, env, diff=True)
    assert first.failed_tasks() == []
    assert [first.result(name)["changed"] for name in ("schedule", "byok key")] == [True, True]
    byok = first.result("byok key")
    assert [a["path"].rsplit("/", 1)[1] for a in byok["actions"]] == ["upload-key", "enable-rotation-job"]
    job_id = first.result("schedule")["resource"]["id"]
    assert byok["resource"]["rotation_job_id"] == job_id and byok["resource"]["key_state"] == "Enabled"
    assert emu.writes() == {"POST /api/v1/scheduler/job-configs": 1, "POST /api/v1/cckm/aws/upload-key": 2,
                            "POST /api/v1/cckm/aws/keys/{id}/enable-rotation-job": 2}
    uploaded = {a for k in emu.aws_keys("us-east-1") for a in k["Aliases"] if k["Origin"] == "EXTERNAL" and k["KeyState"] == "Enabled"}
    assert uploaded == {"alias/clumio-byok", "alias/app-byok"}
    second = run_playbook(tmp_path, TASKS, env, diff=True)
    assert second.changed_tasks() == [] and "changed=0" in second.output


def test_detach_then_remove_the_schedule_and_bad_input_is_refused_before_any_write(emu, tmp_path):
    env = connection_env(emu)
    run_playbook(tmp_path, TASKS[:2], env)
    remove = {"name": "weekly-rotation", "state": "absent"}
    refused = run_playbook(tmp_path, [{"name": "remove", "ciphertrust.cckm.aws_key_rotation_schedule": remove}], env, expect_rc=2)
    assert "1 key(s) are attached to schedule 'weekly-rotation'" in refused.result("remove")["msg"]
    emu.control("POST", "stats/reset")
    bad_source = dict(BYOK, rotation_job={"name": "weekly-rotation", "key_source": "vault"})
    bad = run_playbook(tmp_path, [{"name": "bad period", "ciphertrust.cckm.aws_key_rotation_schedule": dict(SCHEDULE, expire_in="soon"),
                                   "ignore_errors": True},
                                  {"name": "bad source", "ciphertrust.cckm.aws_key": bad_source, "ignore_errors": True}], env)
    assert bad.failed_tasks() == ["bad period", "bad source"] and emu.writes() == {}
    assert "expire_in: 'soon' is not a period" in bad.result("bad period")["msg"]
    assert "key_source" in bad.result("bad source")["msg"]
    tasks = [{"name": "detach", "ciphertrust.cckm.aws_key": dict(BYOK, rotation_job={"state": "absent"})},
             {"name": "remove", "ciphertrust.cckm.aws_key_rotation_schedule": {"name": "weekly-rotation", "state": "absent"}}]
    done = run_playbook(tmp_path, tasks, env, diff=True)
    assert [done.result(t["name"])["changed"] for t in tasks] == [True, True]
    assert done.result("detach")["resource"]["rotation_job_id"] is None and done.result("remove")["resource"] is None
    assert run_playbook(tmp_path, tasks, env).changed_tasks() == []
