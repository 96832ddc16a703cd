"""aws_key_bulk vs a loop of aws_key tasks, disabling then re-enabling keys: python tests/benchmarks/bench_bulk.py

Both run against the same emulator in one run. The aws_key loop runs on --loop-keys keys (default 100) and
its time per key is extrapolated to --keys, which the table says; bulk runs on all --keys keys.
"""

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import Bench, table, write_markdown  # noqa: E402  pylint: disable=wrong-import-position
from cckm_emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position

JOB_POSTS = "POST /api/v1/cckm/aws/bulkjob"


def bulk_round_trip(bench, keys):
    """Disable then enable ``keys`` keys with two aws_key_bulk tasks: (seconds, job POSTs, HTTP requests)."""
    bench.emu.control("POST", "/_emulator/reset")
    bench.emu.control("POST", "/_emulator/cckm/keys", {"count": keys, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "b-"})
    tasks = [{"name": state, "ciphertrust.cckm.aws_key_bulk": {"filters": {"kms": "aws-kms"}, "state": state, "wait_sleep": 0.2}}
             for state in ("disabled", "enabled")]
    stats, seconds = bench.requests(tasks)
    again, dummy = bench.requests(tasks[1:])
    return seconds, stats["routes"].get(JOB_POSTS, 0), stats["requests"], again


def loop_round_trip(bench, keys):
    """The same with a loop of aws_key tasks over ``keys`` keys: (seconds, HTTP requests)."""
    bench.emu.control("POST", "/_emulator/reset")
    ids = bench.emu.control("POST", "/_emulator/cckm/keys", {"count": keys, "kms": "aws-kms", "region": "us-east-1", "alias_prefix": "l-"})["ids"]
    tasks = [{"name": "enabled %s" % enabled, "ciphertrust.cckm.aws_key": {"id": "{{ item }}", "enabled": enabled}, "loop": ids}
             for enabled in (False, True)]
    stats, seconds = bench.requests(tasks)
    return seconds, stats["requests"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--loop-keys", type=int, default=100)
    parser.add_argument("--markdown", help="also write the table, with the command that made it, to this file")
    args = parser.parse_args(argv)
    with Emulator("--job-delay", "0.5") as emulator, tempfile.TemporaryDirectory() as workdir:
        bench = Bench(emulator, Path(workdir))
        bulk_seconds, job_posts, bulk_requests, no_op = bulk_round_trip(bench, args.keys)
        loop_seconds, loop_requests = loop_round_trip(bench, args.loop_keys)
    scale = args.keys / args.loop_keys
    ratio = loop_seconds * scale / bulk_seconds
    max_jobs = 2 * math.ceil(args.keys / 100)
    bench.row("aws_key_bulk, disable + enable %d keys" % args.keys, "%.1fs, %d requests" % (bulk_seconds, bulk_requests), "-", True)
    bench.row("aws_key loop, disable + enable %d keys" % args.loop_keys, "%.1fs, %d requests (%.0fs for %d keys, extrapolated)"
              % (loop_seconds, loop_requests, loop_seconds * scale, args.keys), "-", True)
    bench.row("wall-time ratio, loop / bulk for %d keys" % args.keys, "%.0fx" % ratio, ">= 50x", ratio >= 50)
    bench.row("bulk job POSTs", job_posts, "<= %d (2 x ceil(N/100))" % max_jobs, job_posts <= max_jobs)
    bench.row("HTTP requests, loop / bulk for %d keys" % args.keys, "%.0fx" % (loop_requests * scale / bulk_requests), "-", True)
    reads, posts = no_op["routes"].get("GET /api/v1/cckm/aws/keys", 0), no_op["routes"].get(JOB_POSTS, 0)
    bench.row("aws_key_bulk no-op re-run on %d keys: job POSTs, key list reads" % args.keys, "%d, %d" % (posts, reads),
              "0, <= %d" % (math.ceil(args.keys / 1000) + 1), posts == 0 and reads <= math.ceil(args.keys / 1000) + 1)
    print(table(bench.rows))
    if args.markdown:
        write_markdown(Path(args.markdown), "bulk", table(bench.rows))
    return 0 if all(row[3] == "yes" for row in bench.rows) else 1


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print("(benchmark took %.0fs)" % (time.monotonic() - started))
    sys.exit(code)
