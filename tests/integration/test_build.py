"""The Galaxy tarball builds, installs, documents itself and runs (not just the source tree).

The release check: the tarball ``make build`` makes is installed with ``ansible-galaxy collection install`` into an
empty path, and the demo playbook runs from that copy alone against the emulator, as ``make demo`` runs it.
"""

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from cckm_emulator.run import DEMO_PASSWORD

from playbooks import ROOT
from tests import reliability_report

BIN = Path(sys.executable).parent


def _counted():
    """Count one ansible-playbook process for this test file (the suite prints the count per file)."""
    reliability_report.count(reliability_report.PLAYBOOK_RUNS, os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0])


def _clean_env(collections_path):
    """This environment with no connection variables, and ``collections_path`` as the only place for collections."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIPHERTRUST_", "CLUMIO_", "ANSIBLE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections_path), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_NOCOLOR="true",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(tarball, collections path) of the collection built from this tree and installed into an empty path."""
    out = tmp_path_factory.mktemp("galaxy")
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    tarball = next(out.glob("ciphertrust-cckm-*.tar.gz"))
    path = out / "collections"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--force", "-p", str(path), str(tarball)],
                   env=_clean_env(path), check=True, capture_output=True)
    return tarball, path


def test_built_collection_installs_and_documents_itself(installed):
    tarball, path = installed
    names = tarfile.open(tarball).getnames()
    assert "plugins/modules/aws_key_info.py" in names and "meta/runtime.yml" in names and "playbooks/demo.yml" in names
    assert not [n for n in names if n.startswith((".venv", ".tree", "tests/output")) or "__pycache__" in n]
    assert not [n for n in names if n.split("/")[0] == "emulator" or "cckm_emulator" in n]  # a test tool, not the collection
    assert (path / "ansible_collections" / "ciphertrust" / "cckm" / "MANIFEST.json").is_file()
    doc = subprocess.run([str(BIN / "ansible-doc"), "ciphertrust.cckm.aws_key_info"], env=_clean_env(path),
                         capture_output=True, text=True, check=True)
    assert "CIPHERTRUST_HOST" in doc.stdout   # it runs: test_installed_collection_runs_the_demo


def test_installed_collection_runs_the_demo(installed, tmp_path):
    """playbooks/demo.yml from the installed copy, against a TLS emulator, as `make demo` runs it (once)."""
    path = installed[1]
    playbook = tmp_path / "demo.yml"  # outside the source tree: nothing next to it (no collections/ folder) to find
    shutil.copy(path / "ansible_collections" / "ciphertrust" / "cckm" / "playbooks" / "demo.yml", playbook)
    # The control: without the installed copy, this environment finds no ciphertrust.cckm at all (not the source tree's).
    empty = tmp_path / "no-collections"
    empty.mkdir()
    syntax = [str(BIN / "ansible-playbook"), "--syntax-check", str(playbook)]
    _counted()
    missing = subprocess.run(syntax, cwd=tmp_path, env=_clean_env(empty), capture_output=True, text=True, check=False)
    assert missing.returncode != 0 and "ciphertrust.cckm.login" in missing.stdout + missing.stderr
    _counted()
    subprocess.run(syntax, cwd=tmp_path, env=_clean_env(path), capture_output=True, text=True, check=True)

    command = [sys.executable, "-m", "cckm_emulator.run", "--tls", "--empty", "--seed-aws-keys", "5", "--",  # as make demo
               str(BIN / "ansible-playbook"), str(playbook)]
    _counted()
    proc = subprocess.run(command, cwd=tmp_path, env=_clean_env(path), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    recap = [line for line in output.splitlines() if line.startswith("localhost ") and " ok=" in line]
    assert len(recap) == 1 and " failed=0 " in recap[0] and " changed=0 " not in recap[0], output[-3000:]
    assert "TASK [ciphertrust.cckm.aws_kms_bootstrap" in output and "TASK [ciphertrust.cckm.aws_key_rotation" in output
    leaks = reliability_report.secret_leaks(output, {"CIPHERTRUST_PASSWORD": DEMO_PASSWORD})
    reliability_report.record(reliability_report.SECRET_SCAN, leaks=len(leaks))
    assert not leaks


def test_execution_environment_definition(installed, tmp_path):
    tarball = installed[0]
    source = ROOT / "docs" / "awx" / "execution-environment.yml"
    definition = yaml.safe_load(source.read_text())
    base = definition["images"]["base_image"]["name"]
    assert re.fullmatch(r"[a-z0-9.-]+(/[a-z0-9._-]+)+(:\w[\w.-]*|@sha256:[0-9a-f]{64})", base) and not base.endswith(":latest"), base
    assert tarball.name == "ciphertrust-cckm-%s.tar.gz" % yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    assert [entry["src"] for entry in definition["additional_build_files"]] == [tarball.name]  # the tarball of this version
    ee = tmp_path / "ee"
    ee.mkdir()
    shutil.copy(source, ee)
    shutil.copy(tarball, ee)
    subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(ee / source.name), "--context", str(ee / "context"),
                    "--output-filename", "Containerfile"], check=True, capture_output=True, text=True)
    containerfile = (ee / "context" / "Containerfile").read_text()
    build = ee / "context" / "_build"
    assert 'ARG EE_BASE_IMAGE="%s"' % base in containerfile
    assert (build / "collections" / tarball.name).read_bytes() == tarball.read_bytes()

    # The galaxy stage, as the Containerfile runs it: from /build, which is the context's _build/.
    assert "COPY _build /build\nWORKDIR /build" in containerfile and "-r requirements.yml" in containerfile
    share = tmp_path / "usr-share-ansible-collections"
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", "requirements.yml", "--collections-path", str(share)],
                   cwd=build, env=_clean_env(tmp_path / "nowhere"), check=True, capture_output=True, text=True)
    assert (share / "ansible_collections" / "ciphertrust" / "cckm" / "MANIFEST.json").is_file()
    # The builder stage: its introspection finds the Python requirements the collection declares (meta/execution-environment.yml).
    pip = tmp_path / "pip.txt"
    subprocess.run([sys.executable, str(build / "scripts" / "introspect.py"), "introspect", str(share), "--write-pip", str(pip)],
                   check=True, capture_output=True, text=True)
    declared = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert declared and [line.split("#")[0].strip() for line in pip.read_text().splitlines() if line.strip()] == declared
