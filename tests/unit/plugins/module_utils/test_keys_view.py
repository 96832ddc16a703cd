"""The flat key view and list filters, checked against the seed 004 key record."""

import pytest

from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import key_view, list_query, matches

SEED_004_KEY = {
    "id": "40387a72-6e24-4cdd-8840-b586757c44bf", "kms_id": "0b90f8de-8617-498d-ad63-ca18eb717ae7", "kms": "kms",
    "region": "ap-south-1", "gone": False, "key_material_origin": "cckm",
    "aws_param": {
        "AWSAccountId": "123456789012",
        "Arn": "arn:aws:kms:ap-south-1:123456789012:key/031c5703-aaf7-425e-a141-7e0c6f5886ab",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT", "Enabled": False, "KeyID": "031c5703-aaf7-425e-a141-7e0c6f5886ab",
        "KeyState": "PendingImport", "KeyUsage": "ENCRYPT_DECRYPT", "Origin": "EXTERNAL",
        "Policy": '{"Version": "2012-10-17", "Statement": []}',
        "Alias": ["alias/aws-test-key-External"],
        "Tags": [{"TagKey": "key", "TagValue": "value"}, {"TagKey": "cckm_policy_template_id", "TagValue": "t-1"}],
        "KeyRotationEnabled": False,
    },
}


def test_view_flattens_aliases_tags_and_policy():
    view = key_view(SEED_004_KEY)
    assert view["aliases"] == ["aws-test-key-External"] and view["alias"] == "aws-test-key-External"
    assert view["tags"] == {"key": "value"}
    assert view["policy_template_id"] == "t-1"
    assert view["policy"] == {"Version": "2012-10-17", "Statement": []}
    assert (view["key_state"], view["enabled"], view["key_spec"], view["origin"]) == ("PendingImport", False, "SYMMETRIC_DEFAULT", "EXTERNAL")
    assert view["account_id"] == "123456789012" and view["multi_region"] is False and view["replica_regions"] == []


def test_list_query_uses_api_names_and_strips_alias_prefix():
    query = list_query({"alias": ["alias/app1"], "region": ["us-east-1"], "enabled": False, "tags": {"a": "b"},
                        "kms": None, "keystate": []})
    assert query == {"alias": "app1", "region": "us-east-1", "enabled": False, "tags": {"a": "b"}}


def test_a_filter_with_several_values_is_left_to_our_side():
    """Fidelity review row 14: list filters take one value; repeated parameters are not known to be ORed."""
    filters = {"alias": ["app1", "app2"], "region": ["us-east-1", "us-west-2"], "kms": ["aws-kms"]}
    assert list_query(filters) == {"kms": "aws-kms"}


def test_matches_rechecks_filters_the_server_may_ignore():
    view = key_view(SEED_004_KEY)
    assert matches(view, {"alias": ["alias/aws-test-key-External"], "region": ["ap-south-1"], "kms": ["kms"]})
    assert matches(view, {"kms": ["0b90f8de-8617-498d-ad63-ca18eb717ae7"], "enabled": False, "tags": {"cckm_policy_template_id": "t-1"}})
    assert not matches(view, {"region": ["us-east-1"]})
    assert not matches(view, {"enabled": True})
    assert not matches(view, {"tags": {"key": "other"}})


KMS_ID = "0b90f8de-8617-498d-ad63-ca18eb717ae7"


@pytest.mark.parametrize("kms, expected", [
    (["aws-kms"], {"kms": "aws-kms"}),
    ([KMS_ID], {"kms_id": KMS_ID}),            # fidelity review row 1: the kms filter matches names only
    (["aws-kms", KMS_ID], {}),                  # both kinds: filtered on our side
])
def test_a_kms_given_by_id_is_filtered_with_kms_id(kms, expected):
    assert list_query({"kms": kms}) == expected
