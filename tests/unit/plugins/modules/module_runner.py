"""Run a module's ``main()`` in this process, the way Ansible would run it, and return its result.

Module arguments go in through ansible-core's own test hook; the result is the JSON the module prints
(so no_log masking, warnings and the exit code are Ansible's own), parsed back.
"""

import contextlib
import io
import json
import os
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as ansible_warnings

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19
    @contextlib.contextmanager
    def patch_module_args(args):
        with mock.patch.object(basic, "_ANSIBLE_ARGS", json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()):
            yield


def _forget_warnings():
    for name in ("_global_warnings", "_global_deprecations"):
        if isinstance(getattr(ansible_warnings, name, None), (dict, list)):
            getattr(ansible_warnings, name).clear()


def run_module(module, args, check=False, diff=False, env=None):
    """``module.main()`` with ``args``; returns the result dict ("failed": true and "rc" when it failed)."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    _forget_warnings()  # Ansible keeps them in module globals, which outlive one in-process run
    out = io.StringIO()
    code = None
    with patch_module_args(args), mock.patch.dict(os.environ, env or {}), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit as exc:
            code = exc.code
        else:
            raise AssertionError("%s.main() returned without exit_json/fail_json" % module.__name__)
    result = json.loads(out.getvalue())
    result["rc"] = code
    # ansible-core 2.19 sends warnings as summaries the controller renders; keep their text
    result["warnings"] = [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]
    return result
