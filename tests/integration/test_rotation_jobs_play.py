"""Issue 20 #3-#4 through ansible-playbook: a rotation schedule, a BYOK key uploaded in one call and attached to it (also
through the bootstrap role, as the Clumio BYOK step uses it), detached and the schedule removed; check mode first, then
a real run, then a second run that changes nothing, as three passes of one play (strict emulator unless
$CCKM_EMULATOR_PROFILE says otherwise). Detaching, removing the schedule and bad input are module logic, tested in-process:
tests/unit/plugins/modules/test_rotation_jobs.py.
"""

from playbooks import connection_env, run_passes

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
    passes = run_passes(tmp_path, emu, TASKS, connection_env(emu), ("check", "first", "second"), diff=True)
    assert passes["check"].failed_tasks() == [] and passes["check"].writes == {}
    assert "does not exist yet; check mode assumes an earlier task creates it" in passes["check"].output
    first = passes["first"]
    assert [first.result(name)["changed"] for name in ("schedule", "byok key")] == [True, True]
    byok = first.result("byok key")
    assert [a["path"].rsplit("/", 1)[1] for a in byok["actions"]] == ["upload-key", "enable-rotation-job"]
    job_id = first.result("schedule")["resource"]["id"]
    assert byok["resource"]["rotation_job_id"] == job_id and byok["resource"]["key_state"] == "Enabled"
    assert first.writes == {"POST /api/v1/scheduler/job-configs": 1, "POST /api/v1/cckm/aws/upload-key": 2,
                            "POST /api/v1/cckm/aws/keys/{id}/enable-rotation-job": 2}
    uploaded = {a for k in emu.aws_keys("us-east-1") for a in k["Aliases"] if k["Origin"] == "EXTERNAL" and k["KeyState"] == "Enabled"}
    assert uploaded == {"alias/clumio-byok", "alias/app-byok"}
    assert passes["second"].changed_tasks() == [] and passes["second"].writes == {}
