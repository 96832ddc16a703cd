"""Command line: ``python -m cckm_emulator --port PORT [--tls] [...]`` (see the package README.md).

Prints ``CA <path>`` (with ``--tls``) and then exactly one ``READY <url>`` line once the server
accepts connections; other tools wait for that line, so keep the format.
"""

import argparse
import sys

from .app import serve
from .config import ADMINS_NAMINGS, FIDELITY, PROFILES, EmulatorConfig


def parse_args(argv=None):
    """The CLI options."""
    parser = argparse.ArgumentParser(prog="python -m cckm_emulator", description="CipherTrust Manager CCKM (AWS) + Clumio HTTP emulator")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA (its path is printed)")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--token-ttl", type=int, default=300, help="JWT lifetime in seconds")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of API requests that fail (500/503/429/drop)")
    parser.add_argument("--latency-ms", type=int, default=0, help="delay added to every API request")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random faults")
    parser.add_argument("--job-delay", type=float, default=0.2, help="seconds an asynchronous job or transition takes")
    parser.add_argument("--clumio-token", default="clumio-test-token", help="bearer token the Clumio API accepts")
    parser.add_argument("--admins-naming", choices=ADMINS_NAMINGS, default="hyphen", help="how templates report key_admins on reads")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--empty", action="store_true", help="start (and reset) with no AWS connection and no KMS container")
    parser.add_argument("--profile", choices=PROFILES, default="strict",
                        help="strict: answer as the evidence says the real product does (FIDELITY.md); lenient: as before the review")
    parser.add_argument("--fidelity", action="append", default=[], metavar="FLAG=ANSWER",
                        help="override one behaviour of the profile: %s" % ", ".join(sorted(FIDELITY)))
    return parser.parse_args(argv)


def _fidelity(pairs):
    flags = {}
    for pair in pairs:
        name, dummy, answer = pair.partition("=")
        choices = FIDELITY.get(name, ())
        flags[name] = next((choice for choice in choices if str(choice) == answer), answer)
    return flags


def main(argv=None):
    """Run the emulator until SIGTERM/SIGINT."""
    args = parse_args(argv)
    try:
        config = EmulatorConfig(username=args.username, password=args.password, token_ttl=args.token_ttl, fault_rate=args.fault_rate,
                                latency_ms=args.latency_ms, seed=args.seed, job_delay=args.job_delay, clumio_token=args.clumio_token,
                                admins_naming=args.admins_naming, verbose=args.verbose, empty=args.empty, profile=args.profile,
                                fidelity=_fidelity(args.fidelity))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return serve(config, port=args.port, use_tls=args.tls)


if __name__ == "__main__":
    sys.exit(main())
