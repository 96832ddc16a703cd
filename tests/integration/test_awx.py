"""A job as AWX/AAP runs it: docs/awx/credential-type.yml's injectors rendered the way AWX renders them, then ansible-runner.

AWX (awx/main/models/credential: CredentialType.inject_credential) puts only the credential's non-empty inputs into a
sandboxed Jinja2 namespace, writes every ``file`` injector to a temp file under <private_data_dir>/env/ (also when it
renders empty) and names it ``tower.filename.<label>``, then renders every ``env`` injector, and runs the job through
ansible-runner with that environment. On save it checks each template against the fields with StrictUndefined.

The bug this guards (issue 19): a credential with its optional CA certificate left empty made AWX write an empty CA
file, CIPHERTRUST_CA_FILE named it, and every task failed with X509 NO_CERTIFICATE_OR_CRL_FOUND although the system
trusted the server's certificate.
"""

import json
import os
import re
import stat
import sys
import tempfile
from pathlib import Path

import ansible_runner
import pytest
import yaml
from cckm_emulator.harness import Emulator
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from playbooks import ROOT
from tests import reliability_report

CREDENTIAL_TYPE = yaml.safe_load((ROOT / "docs" / "awx" / "credential-type.yml").read_text())
BIN = Path(sys.executable).parent
PASSWORD = "Awx-Job-Passw0rd"
#: what the job's own environment must not bring: everything the test should get from the credential or not at all
FOREIGN = re.compile(r"^(CIPHERTRUST_|CLUMIO_|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$|SSL_CERT_FILE$|SSL_CERT_DIR$)")

JOB = [{
    "name": "AWX job",
    "hosts": "all",
    "gather_facts": False,
    "tasks": [
        {"name": "Create a key", "ciphertrust.cckm.aws_key": {"kms": "aws-kms", "region": "us-east-1", "alias": "awx-job",
                                                              "tags": {"launched_by": "awx"}}},
        {"name": "Read the keys", "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms"}, "register": "found"},
        {"name": "The key is there", "ansible.builtin.assert": {
            "that": ["found.aws_keys | selectattr('alias', 'equalto', 'awx-job') | list | length == 1"], "quiet": True}},
    ],
}]


class TowerNamespace:  # pylint: disable=too-few-public-methods
    """AWX's ``tower`` template namespace (attributes set as the file injectors are written)."""


def validate_injectors(credential_type):
    """What AWX checks when the credential type is saved (CredentialTypeInjectorField.validate)."""
    namespace = {field["id"]: "EXAMPLE" for field in credential_type["inputs"]["fields"]}
    namespace["tower"] = TowerNamespace()
    namespace["tower"].filename = TowerNamespace()
    for label in credential_type["injectors"].get("file", {}):
        assert label.startswith("template."), "one file, several files: AWX wants template.<name> labels here"
        setattr(namespace["tower"].filename, label.split(".", 1)[1], "EXAMPLE_FILENAME")
    strict = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, injector in credential_type["injectors"].items():
        assert kind in ("env", "file", "extra_vars")
        for key, template in injector.items():
            if kind == "env":
                assert re.match(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$", key) and not key.startswith("ANSIBLE_"), key
            strict.from_string(template).render(namespace)  # an undefined field or a syntax error raises


def inject(credential_type, inputs, private_data_dir):
    """(env, cmdline args) for a credential with ``inputs``, as AWX's CredentialType.inject_credential builds them."""
    tower = TowerNamespace()
    namespace = {"tower": tower}
    namespace.update({name: value for name, value in inputs.items() if len(value)})  # AWX leaves empty inputs out
    sandbox = ImmutableSandboxedEnvironment()
    env_dir = Path(private_data_dir) / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as written:
            written.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IWGRP)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = TowerNamespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env = {name: sandbox.from_string(template).render(**namespace) for name, template in credential_type["injectors"].get("env", {}).items()}
    args = []
    extra_vars = {name: sandbox.from_string(template).render(**namespace)
                  for name, template in credential_type["injectors"].get("extra_vars", {}).items()}
    if extra_vars:
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as written:
            written.write(yaml.safe_dump(extra_vars))
        args += ["-e", "@" + path]
    return env, args


@pytest.fixture(scope="module")
def tls_emulator():
    """One HTTPS emulator with its own CA, for the jobs of this module."""
    with Emulator("--tls", "--job-delay", "0.05", "--password", PASSWORD, password=PASSWORD) as instance:
        yield instance


def run_job(tmp_path, monkeypatch, credential_env, args, system_trust=None):
    """Run JOB through ansible-runner with the credential's env (+ the EE's system trust store); returns the Runner."""
    private_data_dir = tmp_path
    (private_data_dir / "project").mkdir(exist_ok=True)
    (private_data_dir / "project" / "job.yml").write_text(yaml.safe_dump(JOB, sort_keys=False))
    for name in [name for name in os.environ if FOREIGN.match(name)]:
        monkeypatch.delenv(name)  # ansible-runner starts from this process's environment
    envvars = dict(credential_env, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".tree" / "run"), ANSIBLE_NOCOLOR="true",
                   PATH=os.pathsep.join((str(BIN), os.environ["PATH"])))  # the EE's ansible-playbook: this one
    if system_trust:
        envvars["REQUESTS_CA_BUNDLE"] = system_trust  # stands for the EE's system CA store trusting the server
    inventory = {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
    reliability_report.count(reliability_report.PLAYBOOK_RUNS, os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[0])
    return ansible_runner.run(private_data_dir=str(private_data_dir), playbook="job.yml", inventory=inventory, envvars=envvars,
                              cmdline=" ".join(args) or None, quiet=True, timeout=300)


def task_results(runner):
    """{task name: (event, result)} of the job's task events."""
    found = {}
    for event in runner.events:
        data = event.get("event_data", {})
        if event["event"].startswith("runner_on_") and data.get("task"):
            found[data["task"]] = (event["event"], data.get("res", {}))
    return found


def warnings_of(results):
    """Every warning the job's tasks returned."""
    return [warning for outcome in results.values() for warning in outcome[1].get("warnings", [])]


def job_leaks(runner, env):
    """Secrets of ``env`` (and any JWT) in what AWX shows and keeps of a job: its output and its events (not
    ansible-runner's record of the environment it was given); counted in docs/reliability.md."""
    text = runner.stdout.read() + runner.stderr.read() + json.dumps(list(runner.events))
    leaks = reliability_report.secret_leaks(text, env)
    reliability_report.record(reliability_report.SECRET_SCAN, leaks=len(leaks))
    return leaks


def test_credential_type_is_valid_for_awx():
    validate_injectors(CREDENTIAL_TYPE)
    fields = {field["id"] for field in CREDENTIAL_TYPE["inputs"]["fields"]}
    assert set(CREDENTIAL_TYPE["inputs"]["required"]) <= fields
    secret = {field["id"] for field in CREDENTIAL_TYPE["inputs"]["fields"] if field.get("secret")}
    assert {"password", "refresh_token"} <= secret


def test_filled_credential_runs_a_job_over_tls_with_its_ca(tls_emulator, tmp_path, monkeypatch):
    tls_emulator.reset()
    tokens = tls_emulator.session.post(tls_emulator.url + "/api/v1/auth/tokens", timeout=30,
                                       json={"grant_type": "password", "username": "admin", "password": PASSWORD}).json()
    inputs = {"host": tls_emulator.url, "username": "admin", "password": PASSWORD, "refresh_token": tokens["refresh_token"],
              "auth_domain": "root", "ca_cert": Path(tls_emulator.ca_file).read_text()}
    env, args = inject(CREDENTIAL_TYPE, inputs, tmp_path)
    assert Path(env["CIPHERTRUST_CA_FILE"]).read_text() == inputs["ca_cert"] and Path(env["CIPHERTRUST_CA_FILE"]).parent == tmp_path / "env"
    assert env["CIPHERTRUST_REFRESH_TOKEN"] == tokens["refresh_token"] and env["CIPHERTRUST_AUTH_DOMAIN"] == "root"

    runner = run_job(tmp_path, monkeypatch, env, args)  # no system trust: only the credential's CA verifies
    results = task_results(runner)
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()[-4000:]
    assert results["Create a key"][0] == "runner_on_ok" and results["Create a key"][1]["changed"] is True
    assert [key["alias"] for key in results["Read the keys"][1]["aws_keys"]] == ["awx-job"]
    assert not warnings_of(results)
    assert not job_leaks(runner, env)


def test_empty_optional_fields_run_a_job_trusted_by_the_system(tls_emulator, tmp_path, monkeypatch):
    """The issue-19 credential: CA certificate, refresh token and auth domain left empty (AWX hands them over as "")."""
    tls_emulator.reset()
    inputs = {"host": tls_emulator.url, "username": "admin", "password": PASSWORD, "refresh_token": "", "auth_domain": "", "ca_cert": ""}
    env, args = inject(CREDENTIAL_TYPE, inputs, tmp_path)
    written = list((tmp_path / "env").iterdir())
    assert len(written) == 1 and written[0].read_text() == ""  # AWX still writes the CA file, empty...
    assert env["CIPHERTRUST_CA_FILE"] == ""  # ...but the credential type does not name it
    assert env["CIPHERTRUST_REFRESH_TOKEN"] == "" and env["CIPHERTRUST_AUTH_DOMAIN"] == ""  # every env key is always set

    runner = run_job(tmp_path, monkeypatch, env, args, system_trust=tls_emulator.ca_file)
    results = task_results(runner)
    output = runner.stdout.read()
    assert runner.status == "successful" and runner.rc == 0, output[-4000:]
    assert "NO_CERTIFICATE_OR_CRL_FOUND" not in output
    assert results["Create a key"][0] == "runner_on_ok" and results["Create a key"][1]["changed"] is True
    # Not even the modules' fallback for an empty CA file was needed (it warns): nothing pointed at one.
    assert not warnings_of(results)
    assert not job_leaks(runner, env)


def test_empty_ca_field_still_verifies_the_server(tls_emulator, tmp_path, monkeypatch):
    """The control: the same empty credential where the system does not trust the server's CA fails on TLS, no write."""
    tls_emulator.reset()
    inputs = {"host": tls_emulator.url, "username": "admin", "password": PASSWORD, "refresh_token": "", "auth_domain": "", "ca_cert": ""}
    env, args = inject(CREDENTIAL_TYPE, inputs, tmp_path)
    runner = run_job(tmp_path, monkeypatch, env, args)
    results = task_results(runner)
    assert runner.status == "failed" and results["Create a key"][0] == "runner_on_failed"
    assert "CERTIFICATE_VERIFY_FAILED" in json.dumps(results["Create a key"][1])
    assert "Read the keys" not in results and tls_emulator.writes() == {}
    assert not job_leaks(runner, env)
