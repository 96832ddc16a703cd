"""The package's own surfaces that other tools rely on: the CLI's output lines, ``run``, the in-process fixtures."""

import subprocess
import sys

import requests


def test_cli_prints_ca_then_one_ready_line_and_stops_on_sigterm():
    with subprocess.Popen([sys.executable, "-m", "cckm_emulator", "--port", "0", "--tls"], stdout=subprocess.PIPE, text=True) as server:
        try:
            ca_line, ready_line = server.stdout.readline(), server.stdout.readline()
            assert ca_line.startswith("CA ") and ready_line.startswith("READY https://127.0.0.1:"), (ca_line, ready_line)
            url, ca_file = ready_line.split()[1], ca_line.split(" ", 1)[1].strip()
            assert requests.get(f"{url}/_emulator/health", verify=ca_file, timeout=10).json() == {"status": "ok"}
        finally:
            server.terminate()
        assert server.wait(10) == 0 and server.stdout.read() == ""


def test_run_hands_the_connection_to_the_command_and_passes_its_exit_code():
    show = "import os, sys; print(os.environ['CIPHERTRUST_HOST'], os.environ['CLUMIO_API_BASE_URL']); sys.exit(3)"
    done = subprocess.run([sys.executable, "-m", "cckm_emulator.run", "--", sys.executable, "-c", show],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3, done.stderr
    host, clumio = done.stdout.splitlines()[-1].split()
    assert host.startswith("http://127.0.0.1:") and clumio == host


def test_in_process_client_is_reset_before_each_test(emulator_client):
    token = emulator_client.post("/api/v1/auth/tokens", json={"username": "admin", "password": "admin"}).get_json()["jwt"]
    auth = {"Authorization": f"Bearer {token}"}
    created = emulator_client.post("/api/v1/cckm/aws/keys", json={"kms": "aws-kms", "region": "us-east-1"}, headers=auth)
    assert created.status_code == 201, created.get_json()
    assert emulator_client.get("/_emulator/stats").get_json()["routes"]["POST /api/v1/cckm/aws/keys"] == 1


def test_in_process_client_starts_empty(emulator_client):
    """Whatever ran before on this worker (the test above, in a serial run), the client starts from the seeded state."""
    assert emulator_client.get("/_emulator/stats").get_json()["requests"] == 0
    assert emulator_client.get("/_emulator/aws/keys").get_json()["keys"] == []
