"""aws_key planning: (current view, desired options) -> CCKM calls, predict(), and option validation."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import OptionError
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.apply import apply
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.desired import desired_from_params
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.plan import plan, predict
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import managed_view

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "kms:*",
                                                  "Resource": "*"}]}
OPTIONS = {
    "id": None, "kms": "aws-kms", "region": "us-east-1", "alias": "app", "state": "present", "pending_window_days": 30, "enabled": None,
    "description": None, "key_usage": None, "key_spec": None, "origin": None, "multi_region": None, "aliases": None,
    "purge_aliases": False, "tags": None, "purge_tags": True, "policy": None, "policy_template": None, "key_admins": None,
    "key_admins_roles": None, "key_users": None, "key_users_roles": None, "external_accounts": None, "auto_rotation": None,
    "rotation_period_days": None, "rotate_now": False, "import_material": None, "key_material": None, "replica_regions": None,
    "primary_region": None, "rotation_job": None,
}
JOB, OTHER = "0b5e7a0e-1111-4e7b-9d2c-5a1f0c3a9e01", "0b5e7a0e-2222-4e7b-9d2c-5a1f0c3a9e02"


def record(state="Enabled", origin="AWS_KMS", tags=None, aliases=("app",), multi=None, **top):
    aws = {"KeyState": state, "Enabled": state == "Enabled", "Origin": origin, "KeyUsage": "ENCRYPT_DECRYPT",
           "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "Description": "", "Alias": ["alias/" + a for a in aliases],
           "Tags": [{"TagKey": k, "TagValue": v} for k, v in (tags or {}).items()], "Policy": POLICY, "KeyRotationEnabled": False,
           "MultiRegion": multi is not None, "Arn": "arn:aws:kms:us-east-1:1:key/k", "KeyID": "k"}
    if multi:
        aws["MultiRegionConfiguration"] = multi
    return dict({"id": "cckm-1", "kms": "aws-kms", "region": "us-east-1"}, aws_param=aws, **top)


def desired(**options):
    params = dict(OPTIONS, **options)
    result = desired_from_params(params)
    result["policy_template_id"] = params["policy_template"]
    if result.get("rotation_job") and result["rotation_job"].get("name"):
        result["rotation_job_id"] = {"weekly": JOB, "daily": OTHER}.get(result["rotation_job"]["name"], result["rotation_job"]["name"])
    return result


def job(**suboptions):
    return dict({"name": "weekly", "state": "present", "key_source": None, "disable_encrypt": None, "disable_encrypt_on_all_accounts": None,
                 "domain_id": None, "partition_id": None, "external_cm_domain_id": None}, **suboptions)


def names(actions):
    return [(a.name, a.body) for a in actions]


MR = {"MultiRegionKeyType": "PRIMARY", "PrimaryKey": {"Region": "us-east-1"}, "ReplicaKeys": [{"Region": "us-west-2"}]}

CASES = [
    ("nothing managed", record(), {}, []),
    ("absent on missing", None, {"state": "absent"}, []),
    ("absent", record(), {"state": "absent", "pending_window_days": 7}, [("schedule-deletion", {"days": 7})]),
    ("absent when pending", record("PendingDeletion"), {"state": "absent"}, []),
    ("absent detaches the template first", record(tags={"cckm_policy_template_id": "t1"}), {"state": "absent", "pending_window_days": 7},
     [("remove-tags", {"tags": ["cckm_policy_template_id"]}), ("schedule-deletion", {"days": 7})]),
    ("cancel", record("PendingDeletion"), {}, [("cancel-deletion", None)]),
    ("cancel then enable", record("PendingDeletion"), {"enabled": True}, [("cancel-deletion", None), ("enable", None)]),
    ("disable", record(), {"enabled": False}, [("disable", None)]),
    ("enable", record("Disabled"), {"enabled": True}, [("enable", None)]),
    ("enabled no-op", record(), {"enabled": True}, []),
    ("description", record(), {"description": "d"}, [("update-description", {"description": "d"})]),
    ("alias prefix", record(), {"aliases": ["alias/app"]}, []),
    ("alias add", record(), {"aliases": ["b"]}, [("add-alias", {"alias": "b"})]),
    ("alias purge keeps identifier", record(aliases=("app", "old")), {"aliases": ["b"], "purge_aliases": True},
     [("add-alias", {"alias": "b"}), ("delete-alias", {"alias": "old"})]),
    ("purge keeps the aliases CCKM rotation left", record(aliases=("app", "app-rotated-20240101", "old")), {"aliases": [], "purge_aliases": True},
     [("delete-alias", {"alias": "old"})]),
    ("tags set and purge", record(tags={"a": "1", "b": "2", "cckm_policy_template_id": "t"}), {"tags": {"a": "9"}},
     [("add-tags", {"tags": [{"tag_key": "a", "tag_value": "9"}]}), ("remove-tags", {"tags": ["b"]})]),
    ("tags no purge", record(tags={"a": "1", "b": "2"}), {"tags": {"a": "1"}, "purge_tags": False}, []),
    ("policy same", record(), {"policy": '{"Statement": {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root"]},'
                                         ' "Action": ["kms:*"], "Resource": "*"}}'}, []),
    ("policy differs", record(), {"policy": dict(POLICY, Statement=[])}, [("policy", {"policy": dict(POLICY, Statement=[])})]),
    ("template", record(), {"policy_template": "11111111-2222-3333-4444-555555555555"},
     [("policy", {"policytemplate": "11111111-2222-3333-4444-555555555555"})]),
    ("template same", record(tags={"cckm_policy_template_id": "t1"}), {"policy_template": "t1"}, []),
    ("lists as sets", record(key_users=["b", "a"]), {"key_users": ["a", "b", "a"]}, []),
    ("lists differ", record(key_users=["a"]), {"key_users": ["a"], "key_admins": ["z"]},
     [("policy", {"key_users": ["a"], "key_admins": ["z"]})]),
    ("rotation", record(), {"auto_rotation": True}, [("enable-auto-rotation", {"rotation_period_in_days": 365})]),
    ("rotation period", record(), {"rotation_period_days": 100}, [("enable-auto-rotation", {"rotation_period_in_days": 100})]),
    ("rotate now", record(), {"rotate_now": True}, [("rotate-material", None)]),
    ("delete material", record(origin="EXTERNAL"), {"key_material": "absent"}, [("delete-material", None)]),
    ("delete material no-op", record("PendingImport", origin="EXTERNAL"), {"key_material": "absent"}, []),
    ("import", record("PendingImport", origin="EXTERNAL"), {"import_material": {"source_key": "s", "source_key_tier": "local"}},
     [("import-material", {"source_key_identifier": "s", "source_key_tier": "local", "key_expiration": False})]),
    ("import skipped with material", record(origin="EXTERNAL"), {"import_material": {"source_key": "s"}}, []),
    ("replicate missing only", record(multi=MR), {"replica_regions": ["us-west-2", "eu-west-1"]},
     [("replicate-key", {"replica_region": "eu-west-1"})]),
    ("primary region", record(multi=MR), {"primary_region": "us-west-2"}, [("update-primary-region", {"PrimaryRegion": "us-west-2"})]),
    ("attach to a rotation schedule", record(), {"rotation_job": job(key_source="local")},
     [("enable-rotation-job", {"job_config_id": JOB, "auto_rotate_disable_encrypt": False, "auto_rotate_key_source": "local"})]),
    ("attached already", record(job_config_id=JOB), {"rotation_job": job(key_source="dsm", domain_id="d1")}, []),
    ("attached with another disable_encrypt", record(job_config_id=JOB), {"rotation_job": job(disable_encrypt=True)},
     [("enable-rotation-job", {"job_config_id": JOB, "auto_rotate_disable_encrypt": True})]),
    ("disable_encrypt matches", record(job_config_id=JOB, disable_encrypt_on_auto_rotate=True), {"rotation_job": job(disable_encrypt=True)}, []),
    ("move to another schedule", record(job_config_id=OTHER), {"rotation_job": job()},
     [("enable-rotation-job", {"job_config_id": JOB, "auto_rotate_disable_encrypt": False})]),
    ("a stale job id beside rotation_job_enabled false is no attachment", record(job_config_id=JOB, rotation_job_enabled=False),
     {"rotation_job": job()}, [("enable-rotation-job", {"job_config_id": JOB, "auto_rotate_disable_encrypt": False})]),
    ("detach", record(job_config_id=OTHER), {"rotation_job": job(name=None, state="absent")}, [("disable-rotation-job", None)]),
    ("detach when detached", record(job_config_id=JOB, rotation_job_enabled=False), {"rotation_job": job(name=None, state="absent")}, []),
    ("detach from the named schedule only", record(job_config_id=OTHER), {"rotation_job": job(state="absent")}, []),
    ("detach from the named schedule", record(job_config_id=JOB), {"rotation_job": job(state="absent")}, [("disable-rotation-job", None)]),
    ("enable before rotation, disable last", record("Disabled"), {"enabled": False, "auto_rotation": True, "description": "x"},
     [("update-description", {"description": "x"}), ("enable-auto-rotation", {"rotation_period_in_days": 365})]),
]


@pytest.mark.parametrize("current,options,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(current, options, expected):
    view = managed_view(current)
    actions = plan(view, desired(**options))
    assert names(actions) == expected
    after = predict(view, actions)
    assert plan(after, desired(**dict(options, rotate_now=False))) == [] or options.get("state") == "absent"


def test_create_plan_puts_create_time_options_in_the_body_and_follows_up():
    actions = plan(None, desired(alias="alias/app", description="d", tags={"a": 1}, aliases=["b"], enabled=False, key_users=["u"],
                                 multi_region=True, replica_regions=["eu-west-1"]))
    create = actions[0]
    assert create.name == "create" and create.to_result()["path"] == "/api/v1/cckm/aws/keys"
    assert create.body == {"kms": "aws-kms", "region": "us-east-1", "key_users": ["u"],
                           "aws_param": {"Alias": "app", "Description": "d", "MultiRegion": True, "Tags": [{"TagKey": "a", "TagValue": "1"}]}}
    assert names(actions[1:]) == [("add-alias", {"alias": "b"}), ("replicate-key", {"replica_region": "eu-west-1"}), ("disable", None)]
    view = predict(None, actions)
    assert view["enabled"] is False and view["aliases"] == ["app", "b"] and view["replica_regions"] == ["eu-west-1"]
    assert actions[1].to_result()["path"] == "/api/v1/cckm/aws/keys/{id}/add-alias"


def test_create_external_with_material_then_enabled():
    actions = plan(None, desired(origin="EXTERNAL", import_material={"source_key_tier": "local"}, enabled=True))
    assert [a.name for a in actions] == ["create", "import-material"]
    assert predict(None, actions)["key_state"] == "Enabled"


def test_create_with_material_from_a_source_key_is_one_upload_call():
    actions = plan(None, desired(import_material={"source_key": "cm-key", "source_key_tier": "local", "key_expiration": True,
                                                  "valid_to": "2027-07-03T14:24:00Z"}, description="BYOK", key_admins=["alice"],
                                 rotation_job=job()))
    assert [a.name for a in actions] == ["upload", "enable-rotation-job"]
    upload = actions[0]
    assert upload.to_result()["path"] == "/api/v1/cckm/aws/upload-key"
    assert upload.body == {"kms": "aws-kms", "region": "us-east-1", "key_admins": ["alice"], "source_key_identifier": "cm-key",
                           "source_key_tier": "local", "key_expiration": True,
                           "aws_param": {"Alias": "app", "Description": "BYOK", "Origin": "EXTERNAL", "ValidTo": "2027-07-03T14:24:00Z"}}
    view = predict(None, actions)
    assert (view["origin"], view["key_state"], view["enabled"], view["key_material_origin"], view["rotation_job_id"]) == (
        "EXTERNAL", "Enabled", True, "cckm", JOB)


@pytest.mark.parametrize("options, steps", [
    ({"origin": "EXTERNAL", "import_material": {"source_key_tier": "local"}}, ["create", "import-material"]),  # no source key to upload
    ({"origin": "EXTERNAL", "import_material": {"source_key": "cm-key"}}, ["upload"]),
    ({"import_material": {"source_key": "cm-key"}, "enabled": False}, ["upload", "disable"]),
    ({"import_material": {"source_key_tier": "local"}}, ["create", "import-material"]),  # origin implied EXTERNAL
])
def test_which_creates_upload(options, steps):
    assert [a.name for a in plan(None, desired(**options))] == steps


def test_create_needs_an_alias():
    with pytest.raises(OptionError, match="kms, region and alias"):
        plan(None, desired(alias=None, id="arn:aws:kms:us-east-1:1:key/x"))


@pytest.mark.parametrize("current,options,message", [
    (record(), {"multi_region": True}, "multi_region: cannot change"),
    (record(), {"key_spec": "RSA_2048"}, "key_spec: cannot change"),
    (record(), {"origin": "EXTERNAL"}, "origin: cannot change"),
    (record(), {"key_material": "absent"}, "needs an EXTERNAL key"),
    (record("PendingImport", origin="EXTERNAL"), {"enabled": True}, "give import_material"),
    (record(), {"replica_regions": ["eu-west-1"]}, "needs a multi-Region key"),
    (record(multi=MR), {"primary_region": "eu-west-1"}, "primary_region: the key has no replica in eu-west-1"),
    (record(origin="EXTERNAL"), {"rotate_now": True}, "needs import_material"),
    (None, {"origin": "AWS_KMS", "import_material": {"source_key": "cm-key"}}, "import_material, origin: import_material needs an EXTERNAL key"),
], ids=["multi_region", "key_spec", "origin", "material on native", "enable without material", "replicas on single-region",
        "primary without replica", "rotate external", "upload into a native key"])
def test_plan_refuses_what_cannot_work(current, options, message):
    with pytest.raises(OptionError, match=message):
        plan(managed_view(current), desired(**options))


@pytest.mark.parametrize("options,message", [
    ({"pending_window_days": 6}, "pending_window_days: must be between 7 and 30"),
    ({"pending_window_days": 31}, "pending_window_days"),
    ({"rotation_period_days": 89}, "rotation_period_days: must be between 90 and 2560"),
    ({"rotation_period_days": 100, "auto_rotation": False}, "needs auto_rotation=true"),
    ({"policy": "{not json"}, "policy: not valid JSON"),
    ({"policy": "[1]"}, "policy: must be a JSON object"),
    ({"tags": {"cckm_policy_template_id": "x"}}, "tags: must not contain"),
    ({"alias": "bad alias!"}, "not a valid alias"),
    ({"key_material": "absent", "enabled": True}, "enabled, key_material: a key without material"),
    ({"rotation_job": job(name=None)}, "rotation_job.name: the rotation schedule"),
    ({"rotation_job": job(disable_encrypt=True, disable_encrypt_on_all_accounts=True)}, "are mutually exclusive"),
    ({"rotation_job": job(domain_id="d1")}, "rotation_job.domain_id, rotation_job.key_source: domain_id is only used with key_source=dsm"),
    ({"rotation_job": job(key_source="dsm", partition_id="p")}, "partition_id is only used with key_source=hsm-luna"),
])
def test_desired_from_params_validates_before_any_request(options, message):
    with pytest.raises(OptionError, match=message):
        desired_from_params(dict(OPTIONS, **options))


def test_predict_is_none_for_a_missing_key_without_actions():
    assert predict(None, []) is None


class RecordingClient:
    """Answers POSTs with a key record and remembers every call (and the landed lookups it was given)."""

    def __init__(self):
        self.calls = []

    def request(self, method, path, params=None, json_body=None, idempotent=None, landed=None, **kwargs):
        if method == "GET":
            return self.get(path, params)
        body = json_body
        self.calls.append((path, body, idempotent, landed is not None))
        if path.endswith("/replicate-key"):
            return {"id": "replica-1", "region": body["replica_region"], "aws_param": {"KeyState": "Enabled"}}
        return record()

    def get(self, path, params=None):
        raise AssertionError("no read expected: %s" % path)


def test_apply_sends_the_plan_in_order_against_the_created_key():
    client = RecordingClient()
    want = desired(aliases=["b"], enabled=False, tags={"a": "1"})
    actions = plan(None, want)
    assert apply(client, None, actions, want, wait=(5, 0)) == "cckm-1"
    assert [(c[0].rsplit("/", 1)[-1], c[2], c[3]) for c in client.calls] == [
        ("keys", False, True),          # create: never blindly re-sent, looked up by alias instead
        ("add-alias", False, True),     # re-sending would fail (alias exists): checked on the key instead
        ("disable", True, False),       # harmless to re-send
    ]
    assert client.calls[1][0] == "/api/v1/cckm/aws/keys/cckm-1/add-alias"


def test_apply_does_not_wait_for_a_replica_already_created():
    client = RecordingClient()
    current = managed_view(record(multi=MR))
    actions = plan(current, desired(replica_regions=["eu-west-1"]))
    apply(client, "cckm-1", actions, wait=(5, 0))
    assert client.calls == [("/api/v1/cckm/aws/keys/cckm-1/replicate-key", {"replica_region": "eu-west-1"}, False, True)]


def test_rotate_material_landed_only_when_cckm_stamped_a_new_rotation():
    """After a lost answer, a new rotated_at tells the rotation happened, so it is not rotated twice."""
    action = plan(managed_view(record(rotated_at="2024-01-01T00:00:00.000000Z")), desired(rotate_now=True))[0]
    assert action.name == "rotate-material" and action.endpoint.idempotent is False
    assert action.landed(record(rotated_at="2024-01-01T00:00:00.000000Z")) is False
    assert action.landed(record(rotated_at="2024-06-01T00:00:00.000000Z")) is True
    first = plan(managed_view(record(rotated_at="")), desired(rotate_now=True))[0]
    assert first.landed(record(rotated_at="")) is False and first.landed(record(rotated_at="2024-06-01T00:00:00.000000Z")) is True


class LostReplicaAnswerClient(RecordingClient):
    """replicate-key's answer was lost: the landed check hands back the primary; the replica is Creating until read twice."""

    def __init__(self):
        super().__init__()
        self.reads = 0

    def request(self, method, path, params=None, json_body=None, idempotent=None, landed=None, **kwargs):
        if method == "GET":
            return self.get(path, params)
        self.calls.append((path, json_body, idempotent, landed is not None))
        return record(multi=MR)

    def paginate(self, path, params=None, page_size=None):
        self.calls.append((path, params))
        return [self.get(path + "/replica-1")]

    def get(self, path, params=None):
        self.reads += 1
        replica = record(multi=dict(MR, MultiRegionKeyType="REPLICA"), id="replica-1", region="eu-west-1")
        replica["aws_param"]["KeyState"] = "Creating" if self.reads < 3 else "Enabled"
        return replica


def test_apply_waits_for_a_replica_whose_answer_was_lost():
    client = LostReplicaAnswerClient()
    actions = plan(managed_view(record(multi=MR)), desired(replica_regions=["eu-west-1"]))
    apply(client, "cckm-1", actions, wait=(5, 0))
    lookup = client.calls[1]
    assert lookup[0] == "/api/v1/cckm/aws/keys" and lookup[1]["region"] == "eu-west-1", client.calls
    assert client.reads == 3, "apply returned while the replica was still Creating"
