"""The RETURN documentation of the shared views lists exactly the fields the code that builds them returns."""

import importlib

import pytest
import yaml

from ansible_collections.ciphertrust.cckm.plugins.module_utils._connection import connection_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.read import key_view, managed_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._kms_container import kms_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._post_process import view as wallet_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._rotation import schedule_view as rotation_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._sync import job_view, schedule_view
from ansible_collections.ciphertrust.cckm.plugins.module_utils._templates import template_view

KEY = {"id": "k", "aws_param": {"KeyState": "Enabled"}}


def returned(module, *path):
    """The ``contains`` of a RETURN entry (``path`` of nested names), as a set of field names."""
    entry = {"contains": yaml.safe_load(importlib.import_module("ansible_collections.ciphertrust.cckm.plugins.modules." + module).RETURN)}
    for name in path:
        entry = entry["contains"][name]
    return set(entry["contains"])


@pytest.mark.parametrize("module, path, fields", [
    ("aws_connection", ("resource",), set(connection_view({}))),
    ("aws_connection_info", ("connections",), set(connection_view({})) | {"record"}),
    ("aws_kms", ("resource",), set(kms_view({}))),
    ("aws_kms_info", ("kms_containers",), set(kms_view({})) | {"record"}),
    ("aws_key", ("resource",), set(managed_view(KEY))),
    ("aws_key_info", ("aws_keys",), set(key_view(KEY)) | {"record"}),
    ("aws_policy_template", ("resource",), set(template_view({}))),
    ("aws_policy_template_info", ("policy_templates",), set(template_view({})) | {"record"}),
    ("aws_sync", ("resource",), set(job_view({})) | set(schedule_view({"name": "n"}))),
    ("kms_post_process", ("resource",), set(wallet_view({}, "us-east-1"))),
    ("aws_key_rotation_schedule", ("resource",), set(rotation_view({"name": "n"}))),
])
def test_documented_view_fields_are_the_built_ones(module, path, fields):
    assert returned(module, *path) == fields
