"""Run a command against a freshly started emulator: ``python -m cckm_emulator.run [options] -- command ...``.

Used by ``make demo``. The emulator's address, the demo credentials and (with --tls) its CA file reach the
command through the CIPHERTRUST_* and CLUMIO_* environment variables that the modules read as fallbacks,
the way an AWX/AAP credential type injects them. The emulator is stopped when the command ends.
"""

import argparse
import os
import subprocess
import sys

from .harness import Emulator

# Not "admin": Ansible masks every occurrence of a no_log value in output, and "admin" also appears in CCKM records.
DEMO_PASSWORD = "Demo-Passw0rd"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cckm_emulator.run", description=__doc__.splitlines()[0])
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA (passed as CIPHERTRUST_CA_FILE)")
    parser.add_argument("--empty", action="store_true", help="start with no AWS connection and no KMS container (a bootstrap from nothing)")
    parser.add_argument("--seed-keys", type=int, default=0, help="create this many keys in KMS aws-kms, us-east-1 first")
    parser.add_argument("--seed-aws-keys", type=int, default=0,
                        help="create this many keys directly in AWS (us-east-1), unknown to CCKM until a sync")
    parser.add_argument("--repeat", type=int, default=1, help="run the command this many times against the same emulator")
    parser.add_argument("--expect-idempotent", action="store_true",
                        help="fail unless the PLAY RECAP of every run after the first says changed=0")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run, after --")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    if args.empty and args.seed_keys:
        parser.error("--seed-keys needs the seeded KMS container aws-kms, which --empty leaves out")
    flags = (["--tls"] if args.tls else []) + (["--empty"] if args.empty else [])
    with Emulator("--password", DEMO_PASSWORD, *flags, password=DEMO_PASSWORD) as emulator:
        if args.seed_keys:
            emulator.control("POST", "/_emulator/cckm/keys",
                             {"count": args.seed_keys, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "demo-"})
        for number in range(args.seed_aws_keys):
            emulator.control("POST", "/_emulator/aws/keys", {"region": "us-east-1", "alias": "made-in-aws-%d" % number})
        env = dict(os.environ, CIPHERTRUST_HOST=emulator.url, CIPHERTRUST_USERNAME="admin", CIPHERTRUST_PASSWORD=DEMO_PASSWORD,
                   CLUMIO_API_BASE_URL=emulator.url, CLUMIO_API_TOKEN="clumio-test-token",
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
        if emulator.ca_file:
            env.update(CIPHERTRUST_CA_FILE=emulator.ca_file, CLUMIO_CA_FILE=emulator.ca_file)
        print("emulator at %s" % emulator.url, flush=True)
        for run in range(1, args.repeat + 1):
            print("\n=== run %d of %d: %s" % (run, args.repeat, " ".join(command)), flush=True)
            code = _run(command, env, check_unchanged=args.expect_idempotent and run > 1)
            if code:
                return code
        return 0


def _run(command, env, check_unchanged):
    """Run the command, echoing its output; with check_unchanged, a recap with changed>0 is a failure."""
    proc = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    print(proc.stdout, end="", flush=True)
    if proc.returncode or not check_unchanged:
        return proc.returncode
    changed = [line for line in proc.stdout.splitlines() if " changed=" in line and " changed=0 " not in line]
    if changed:
        print("NOT IDEMPOTENT: the repeated run changed something: %s" % "; ".join(changed), flush=True)
        return 1
    print("Idempotent: the repeated run reported changed=0.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
