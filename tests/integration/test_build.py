"""The Galaxy tarball builds, installs, documents itself and runs (not just the source tree)."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

from playbooks import ROOT, connection_env, run_playbook

BIN = Path(sys.executable).parent


def test_built_collection_installs_and_runs(emu, tmp_path):
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path)], cwd=ROOT, check=True,
                   capture_output=True)
    tarball = next(tmp_path.glob("ciphertrust-cckm-*.tar.gz"))
    names = tarfile.open(tarball).getnames()
    assert "plugins/modules/aws_key_info.py" in names and "meta/runtime.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".tree", "tests/output")) or "__pycache__" in n]
    assert not [n for n in names if n.split("/")[0] == "emulator" or "cckm_emulator" in n]  # a test tool, not the collection
    installed = tmp_path / "collections"
    only_installed = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed))  # not the source tree make test exports
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--force", "-p", str(installed), str(tarball)],
                   env=only_installed, check=True, capture_output=True)
    assert (installed / "ansible_collections" / "ciphertrust" / "cckm" / "MANIFEST.json").is_file()
    doc = subprocess.run([str(BIN / "ansible-doc"), "ciphertrust.cckm.aws_key_info"], env=only_installed,
                         capture_output=True, text=True, check=True)
    assert "CIPHERTRUST_HOST" in doc.stdout
    env = dict(connection_env(emu), ANSIBLE_COLLECTIONS_PATH=str(installed))
    run = run_playbook(tmp_path, [{"name": "installed", "ciphertrust.cckm.aws_key_info": {}}], env)
    assert run.result("installed")["total"] == 0
