"""aws_key_bulk and the rotation role vs loops of aws_key tasks, side by side in one run: python tests/benchmarks/bench_bulk.py

Against one emulator whose bulk jobs take --job-delay seconds (0.5), with aws_key_bulk's default wait_sleep (2), so
that adaptive waiting decides how soon a job is seen done:
- --loop-keys keys (60) enabled then disabled by two aws_key_bulk tasks and by two looped aws_key tasks;
- a one-task aws_key_bulk play (one job) vs a one-task ansible.builtin.ping play plus the job's duration (the best of
  5 alternated runs each);
- --keys keys (1000) disabled then enabled by aws_key_bulk, its no-op re-run, and the aws_key loop extrapolated;
- the aws_key_rotation role on --keys keys, its re-run (no writes), and a loop of aws_key tasks enabling auto-rotation
  on --loop-keys keys, extrapolated;
- aws_key_bulk setting tags and description (per-key calls) on 200 keys with concurrency 8 vs 1, each API request
  delayed 20 ms as a real server's latency would.
A loop is extrapolated to N keys as the fixed cost of a play (the ping play) plus its measured cost per key times N;
the table says which figures are extrapolated.
"""

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import LIST_KEYS, Bench, table, timed, write_markdown  # noqa: E402  pylint: disable=wrong-import-position
from playbooks import role_task  # noqa: E402  pylint: disable=wrong-import-position
from cckm_emulator.harness import Emulator, write_routes  # noqa: E402  pylint: disable=wrong-import-position

JOB_POSTS = "POST /api/v1/cckm/aws/bulkjob"
WHERE = {"kms": "aws-kms", "region": "us-east-1"}
PING = [{"name": "ping", "ansible.builtin.ping": {}}]
ROTATION = {"auto_rotation": True, "rotation_period_days": 365}


def seed(bench, keys, region="us-east-1"):
    """Add ``keys`` enabled keys in ``region``: their CCKM ids."""
    return bench.emu.control("POST", "/_emulator/cckm/keys", {"count": keys, "kms": "aws-kms", "region": region, "alias_prefix": region + "-"})["ids"]


def bulk_task(state):
    return {"name": state, "ciphertrust.cckm.aws_key_bulk": {"filters": WHERE, "state": state}}


def aws_key_loop(ids, *settings):
    """One looped aws_key task over ``ids`` per entry of ``settings`` (the options besides id)."""
    return [{"name": "aws_key %d" % n, "ciphertrust.cckm.aws_key": dict(options, id="{{ item }}"), "loop": ids} for n, options in enumerate(settings)]


def extrapolate(seconds, fixed, measured, wanted):
    """A loop play's time for ``wanted`` keys from its time on ``measured`` keys: its fixed cost plus the rest scaled."""
    return fixed + (seconds - fixed) * wanted / measured


def calls(stats, action):
    return stats["routes"].get("POST /api/v1/cckm/aws/keys/{id}/%s" % action, 0)


class BulkBench:
    """The measurements of the module docstring; each records its figures for the rows."""

    def __init__(self, bench, keys, loop_keys, job_delay):
        self.bench = bench
        self.keys, self.loop_keys, self.job_delay = keys, loop_keys, job_delay
        self.ping = None  # median wall time of a one-task ping play: the fixed cost of a play

    def side_by_side(self):
        """Bulk vs loop on loop_keys keys, and a one-job bulk play vs a ping play: (loop seconds, loop requests)."""
        bench = self.bench
        bench.emu.control("POST", "/_emulator/reset")
        ids = seed(bench, self.loop_keys)
        bulk, ping = [], []
        for state in ("disabled", "enabled") * 2 + ("disabled",):  # alternately, and the best of each: a burst of load hits neither alone
            ping.append(timed(bench.play, PING)[1])
            stats, seconds = bench.requests([bulk_task(state)])
            assert stats["routes"][JOB_POSTS] == 1, stats
            bulk.append(seconds)
        one_job, self.ping = min(bulk), min(ping)
        bulk_stats, bulk_seconds = bench.requests([bulk_task("enabled"), bulk_task("disabled")])
        loop_stats, loop_seconds = bench.requests(aws_key_loop(ids, {"enabled": True}, {"enabled": False}))
        assert bulk_stats["routes"][JOB_POSTS] == 2, bulk_stats
        assert calls(loop_stats, "enable") == calls(loop_stats, "disable") == self.loop_keys, loop_stats
        ratio = loop_seconds / bulk_seconds
        bench.row("aws_key_bulk vs aws_key loop, enable + disable %d keys" % self.loop_keys,
                  "%.0fx faster (%.1fs vs %.1fs)" % (ratio, bulk_seconds, loop_seconds), ">= 10x", ratio >= 10)
        baseline = self.ping + self.job_delay
        ratio = one_job / baseline
        bench.row("one-job aws_key_bulk play (%d keys, wait_sleep 2) vs ping play + job time" % self.loop_keys,
                  "%.2fx (%.2fs vs %.2fs + %.1fs)" % (ratio, one_job, self.ping, self.job_delay), "<= 1.3x", ratio <= 1.3)
        return loop_seconds, loop_stats["requests"]

    def many_keys(self, loop_seconds, loop_requests):
        """Bulk on keys keys vs the loop of side_by_side extrapolated, and the bulk no-op re-run."""
        bench = self.bench
        bench.emu.control("POST", "/_emulator/reset")
        seed(bench, self.keys)
        tasks = [bulk_task("disabled"), bulk_task("enabled")]
        stats, seconds = bench.requests(tasks)
        again, dummy = bench.requests(tasks[1:])
        loop = extrapolate(loop_seconds, self.ping, self.loop_keys, self.keys)
        ratio = loop / seconds
        bench.row("aws_key_bulk vs aws_key loop, disable + enable %d keys" % self.keys,
                  "%.0fx faster (%.1fs vs %.0fs, loop extrapolated from %d keys)" % (ratio, seconds, loop, self.loop_keys), ">= 50x", ratio >= 50)
        requests = loop_requests * self.keys / self.loop_keys
        bench.row("HTTP requests, aws_key_bulk vs aws_key loop, %d keys" % self.keys,
                  "%.0fx fewer (%d vs %.0f, loop extrapolated)" % (requests / stats["requests"], stats["requests"], requests), "-", True)
        max_jobs = 2 * math.ceil(self.keys / 100)
        bench.row("bulk job POSTs, disable + enable %d keys" % self.keys, stats["routes"][JOB_POSTS], "<= %d (2 x ceil(N/100))" % max_jobs,
                  stats["routes"][JOB_POSTS] <= max_jobs)
        reads, posts, most = again["routes"].get(LIST_KEYS, 0), again["routes"].get(JOB_POSTS, 0), math.ceil(self.keys / 1000) + 1
        bench.row("aws_key_bulk no-op re-run on %d keys: job POSTs, key list reads" % self.keys, "%d, %d" % (posts, reads),
                  "0, <= %d" % most, posts == 0 and reads <= most)

    def rotation_role(self):
        """The aws_key_rotation role on keys keys and its re-run vs an auto-rotation loop on loop_keys keys, extrapolated."""
        bench = self.bench
        bench.emu.control("POST", "/_emulator/reset")
        seed(bench, self.keys)
        ids = seed(bench, self.loop_keys, region="us-west-2")
        role = role_task("aws_key_rotation", {"aws_key_rotation_filters": WHERE, "aws_key_rotation_period_days": ROTATION["rotation_period_days"]})
        stats, seconds = bench.requests([role])
        again, again_seconds = bench.requests([role])
        loop_stats, loop_seconds = bench.requests(aws_key_loop(ids, ROTATION))
        assert calls(stats, "enable-auto-rotation") == self.keys, stats
        assert calls(loop_stats, "enable-auto-rotation") == self.loop_keys, loop_stats
        loop = extrapolate(loop_seconds, self.ping, self.loop_keys, self.keys)
        ratio = loop / seconds
        bench.row("aws_key_rotation role vs aws_key loop, auto-rotation on %d keys" % self.keys,
                  "%.0fx faster (%.1fs vs %.0fs, loop extrapolated from %d keys)" % (ratio, seconds, loop, self.loop_keys), ">= 20x", ratio >= 20)
        writes = write_routes(again["routes"])
        bench.row("aws_key_rotation role re-run on %d keys: writes" % self.keys,
                  "%d (%d requests, %.1fs)" % (sum(writes.values()), again["requests"], again_seconds), "0", not writes)

    def concurrency(self, keys=200, latency_ms=20):
        """aws_key_bulk's per-key calls (tags, description) on ``keys`` keys, concurrency 8 (the default) vs 1."""
        bench = self.bench
        bench.emu.control("POST", "/_emulator/reset")
        seed(bench, keys)
        bench.emu.control("POST", "/_emulator/config", {"latency_ms": latency_ms})
        seconds = {}
        try:
            for concurrency in (1, 8):
                options = {"filters": WHERE, "tags": {"run": str(concurrency)}, "description": "run %d" % concurrency, "concurrency": concurrency}
                stats, seconds[concurrency] = bench.requests([{"name": "settings", "ciphertrust.cckm.aws_key_bulk": options}])
                assert calls(stats, "add-tags") == calls(stats, "update-description") == keys, stats
        finally:
            bench.emu.control("POST", "/_emulator/config", {"latency_ms": 0})
        ratio = seconds[1] / seconds[8]
        bench.row("aws_key_bulk tags + description on %d keys (%d ms latency), concurrency 8 vs 1" % (keys, latency_ms),
                  "%.1fx faster (%.1fs vs %.1fs)" % (ratio, seconds[8], seconds[1]), "> 1x (2 cores here)", ratio > 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--loop-keys", type=int, default=60)
    parser.add_argument("--job-delay", type=float, default=0.5, help="seconds every bulk job of the emulator takes")
    parser.add_argument("--markdown", help="also write the table, with the command that made it, to this file")
    args = parser.parse_args(argv)
    with Emulator("--job-delay", str(args.job_delay)) as emulator, tempfile.TemporaryDirectory() as workdir:
        bench = Bench(emulator, Path(workdir))
        bulk = BulkBench(bench, args.keys, args.loop_keys, args.job_delay)
        bulk.many_keys(*bulk.side_by_side())
        bulk.rotation_role()
        bulk.concurrency()
    print(table(bench.rows))
    if args.markdown:
        write_markdown(Path(args.markdown), "bulk", table(bench.rows))
    return 0 if all(row[3] == "yes" for row in bench.rows) else 1


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print("(benchmark took %.0fs)" % (time.monotonic() - started))
    sys.exit(code)
