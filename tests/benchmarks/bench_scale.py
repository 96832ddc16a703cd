"""Scale benchmarks against the emulator, measured in one run: python tests/benchmarks/bench_scale.py

Prints a table of request counts and time ratios (absolute times vary between machines; ratios and
request counts do not):
- aws_key_info over 1,000 and 10,000 keys: list requests (goal <= ceil(N/1000)+1) and time ratio (linear: ~10x);
- idempotent no-op re-runs: HTTP requests per task, auth included (goal <= 2 for single-resource modules), and an
  aws_key no-op with the jwt of a ciphertrust.cckm.login task instead of the password (goal 1: no login of its own);
- password grants of a 10-task play without and with one login task (goal 1), also when the JWT expires mid-play,
  and the refresh tokens a play ending with login state=absent leaves live (goal 0);
- per-task overhead of a no-op module task vs ansible.builtin.ping (goal <= 1.5x; the best of 3 alternated runs each);
- a play over 10 KMS/region hosts with 10 forks vs 1 fork.
"""

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / ".tree" / "run"), str(ROOT / "tests" / "integration")]

from playbooks import connection_env, run_playbook  # noqa: E402  pylint: disable=wrong-import-position
from cckm_emulator.harness import Emulator  # noqa: E402  pylint: disable=wrong-import-position

LIST_KEYS = "GET /api/v1/cckm/aws/keys"
TOKENS = "POST /api/v1/auth/tokens"
LOGIN = {"name": "login", "ciphertrust.cckm.login": {}, "register": "cm_login", "no_log": True}
LOGOUT = {"name": "logout", "no_log": True, "ciphertrust.cckm.login": {
    "state": "absent", "jwt": "{{ cm_login.jwt }}", "refresh_token": "{{ cm_login.refresh_token }}", "client_id": "{{ cm_login.client_id }}"}}
TOKEN_DEFAULTS = {"group/ciphertrust.cckm.cckm": {"jwt": "{{ cm_login.jwt }}", "refresh_token": "{{ cm_login.refresh_token }}"}}


def logged_in(tasks, revoke=False):
    """``tasks`` after one login task, run with its tokens through module_defaults (and revoking them at the end)."""
    return [LOGIN, {"name": "with the login's tokens", "module_defaults": TOKEN_DEFAULTS, "block": tasks}] + ([LOGOUT] if revoke else [])


def timed(func, *args, **kwargs):
    started = time.monotonic()
    result = func(*args, **kwargs)
    return result, time.monotonic() - started


class Bench:
    """One emulator, a scratch directory, and the rows of the result table."""

    def __init__(self, emulator, workdir):
        self.emu = emulator
        self.tmp = workdir
        self.env = connection_env(emulator)
        self.rows = []

    def play(self, tasks, **kwargs):
        return run_playbook(self.tmp, tasks, self.env, **kwargs)

    def requests(self, tasks, **kwargs):
        """(HTTP requests the play made, per route; wall time)."""
        self.emu.control("POST", "/_emulator/stats/reset")
        dummy, seconds = timed(self.play, tasks, **kwargs)
        return self.emu.stats(), seconds

    def token_use(self, tasks):
        """Play ``tasks`` with no refresh token live before: password grants, refresh tokens live after, token requests (all grants)."""
        self.emu.control("POST", "/_emulator/auth/revoke", {})
        before = self.emu.control("GET", "/_emulator/auth/refresh-tokens")["issued"]
        stats, dummy = self.requests(tasks)
        after = self.emu.control("GET", "/_emulator/auth/refresh-tokens")
        return {"grants": after["issued"] - before, "live": after["live"], "requests": stats["routes"].get(TOKENS, 0)}

    def row(self, measure, value, goal, ok):
        self.rows.append((measure, value, goal, "yes" if ok else "NO"))

    def info_scale(self, small, large):
        self.emu.control("POST", "/_emulator/cckm/keys", {"count": small, "kms": "aws-kms", "region": "us-east-1"})
        task = [{"name": "info", "ciphertrust.cckm.aws_key_info": {"region": "us-east-1"}}]
        self.play(task)  # warm caches (imports, first login) before measuring
        small_stats, small_time = self.requests(task)
        self.emu.control("POST", "/_emulator/cckm/keys", {"count": large - small, "kms": "aws-kms", "region": "us-east-1"})
        large_stats, large_time = self.requests(task)
        for count, stats in ((small, small_stats), (large, large_stats)):
            goal = math.ceil(count / 1000) + 1
            self.row("aws_key_info over %d keys: list requests" % count, stats["routes"][LIST_KEYS], "<= %d" % goal,
                     stats["routes"][LIST_KEYS] <= goal)
        ratio, linear = large_time / small_time, large / small
        self.row("aws_key_info time, %d vs %d keys" % (large, small), "%.1fx (%.2fs vs %.2fs)" % (ratio, large_time, small_time),
                 "<= %.1fx (linear, +25%% noise)" % (linear * 1.25), ratio <= linear * 1.25)

    def no_op_requests(self):
        self.emu.control("POST", "/_emulator/reset")
        template = {"name": "t", "ciphertrust.cckm.aws_policy_template": {"name": "bench", "kms": "aws-kms", "key_users": ["u"]}}
        self.play([template])
        stats, dummy = self.requests([template])
        self.row("aws_policy_template no-op: requests per task", stats["requests"], "<= 2", stats["requests"] <= 2)
        if (ROOT / "plugins" / "modules" / "aws_key.py").exists():
            options = {"kms": "aws-kms", "region": "us-east-1", "alias": "bench-noop", "description": "bench", "tags": {"app": "bench"}}
            key = {"name": "k", "ciphertrust.cckm.aws_key": options}
            self.play([key])
            stats, dummy = self.requests([key])
            self.row("aws_key no-op: requests per task", stats["requests"], "<= 2", stats["requests"] <= 2)
            self.no_op_with_jwt(key)

    def no_op_with_jwt(self, task, tasks=5):
        """Requests per no-op task with the password vs with the jwt of a login task (the login's own requests not counted)."""
        with_password, dummy = self.requests([dict(task, name="t%d" % n) for n in range(tasks)])
        login_only, dummy = self.requests([LOGIN])
        with_jwt, dummy = self.requests(logged_in([dict(task, name="t%d" % n) for n in range(tasks)]))
        password_each = with_password["requests"] / tasks
        jwt_each = (with_jwt["requests"] - login_only["requests"]) / tasks
        self.row("aws_key no-op: requests per task, password vs jwt from login", "%.1fx fewer (%g vs %g)"
                 % (password_each / jwt_each, password_each, jwt_each), "jwt: 1", jwt_each == 1)

    def logins(self, tasks=10):
        """Password grants and refresh tokens left by a play of ``tasks`` aws_key_info tasks, without and with a login task."""
        self.emu.control("POST", "/_emulator/reset")
        work = [{"name": "info %d" % n, "ciphertrust.cckm.aws_key_info": {"kms": ["aws-kms"]}} for n in range(tasks)]
        plain, login, revoke = self.token_use(work), self.token_use(logged_in(work)), self.token_use(logged_in(work, revoke=True))
        self.row("password grants, %d-task play, without vs with one login task" % tasks, "%.0fx fewer (%d vs %d)"
                 % (plain["grants"] / login["grants"], plain["grants"], login["grants"]), "with login: 1", login["grants"] == 1)
        self.row("refresh tokens left live, %d-task play: without login, with login, ending with login state=absent" % tasks,
                 "%d, %d, %d" % (plain["live"], login["live"], revoke["live"]), "state=absent: 0", revoke["live"] == 0)
        ttl = self.emu.control("GET", "/_emulator/config")["token_ttl"]
        self.emu.control("POST", "/_emulator/config", {"token_ttl": 2})
        try:
            short = self.token_use(logged_in(work))
        finally:
            self.emu.control("POST", "/_emulator/config", {"token_ttl": ttl})
        self.row("password grants, %d-task play with login, JWT expiring mid-play (2 s)" % tasks,
                 "%d (+%d refresh-token grants)" % (short["grants"], short["requests"] - short["grants"]), "1", short["grants"] == 1)

    def overhead_vs_ping(self, tasks=12, rounds=3):
        self.emu.control("POST", "/_emulator/reset")
        if (ROOT / "plugins" / "modules" / "aws_key.py").exists():
            module = {"ciphertrust.cckm.aws_key": {"kms": "aws-kms", "region": "us-east-1", "alias": "bench-ping"}}
            self.play([dict(module, name="create")])
            label = "aws_key no-op"
        else:
            module = {"ciphertrust.cckm.aws_key_info": {"id": ["00000000-0000-0000-0000-000000000000"]}}
            label = "aws_key_info"

        def play_times(task):
            """Wall time of a one-task and of a (tasks + 1)-task play of ``task``."""
            one, one_time = timed(self.play, [dict(task, name="t0")])
            many, many_time = timed(self.play, [dict(task, name="t%d" % n) for n in range(tasks + 1)])
            assert not one.returncode and not many.returncode
            return one_time, many_time

        def per_task(times):
            """The best one-task and the best many-task time; their difference per task."""
            ones, manys = zip(*times)
            return (min(manys) - min(ones)) / tasks

        pings, modules = [], []
        for dummy in range(rounds):  # alternately, and the best of each, so that a burst of load elsewhere hits neither side alone
            pings.append(play_times({"ansible.builtin.ping": {}}))
            modules.append(play_times(module))
        ping, ours = per_task(pings), per_task(modules)
        ratio = ours / ping
        self.row("per-task time, %s vs ansible.builtin.ping" % label, "%.2fx (%.0f ms vs %.0f ms)" % (ratio, ours * 1000, ping * 1000),
                 "<= 1.5x", ratio <= 1.5)

    def forks(self, hosts=10):
        self.emu.control("POST", "/_emulator/reset")
        regions = ["us-east-1", "us-west-2", "eu-west-1"]
        inventory = {"acct-%02d" % n: {"region": regions[n % 3]} for n in range(hosts)}
        self.emu.control("POST", "/_emulator/cckm/keys", {"count": 300, "kms": "aws-kms", "region": "us-east-1"})
        tasks = [{"name": "info %d" % n, "ciphertrust.cckm.aws_key_info": {"kms": "aws-kms", "region": "{{ region }}"}} for n in range(3)]
        dummy, serial = timed(self.play, tasks, hosts=inventory, forks=1)
        dummy, parallel = timed(self.play, tasks, hosts=inventory, forks=hosts)
        speedup = serial / parallel
        self.row("%d hosts x 3 tasks, %d forks vs 1 fork" % (hosts, hosts), "%.1fx faster (%.1fs vs %.1fs)" % (speedup, parallel, serial),
                 "> 1x (2 cores here)", speedup > 1)


def table(rows):
    lines = ["| measure | value | goal | met |", "|---|---|---|---|"]
    lines += ["| %s | %s | %s | %s |" % row for row in rows]
    return "\n".join(lines)


def write_markdown(path, section, text):
    """Replace (or add) one benchmark's section of the performance page, keeping the others."""
    marker_start, marker_end = "<!-- %s:start -->" % section, "<!-- %s:end -->" % section
    command = "python " + " ".join(["tests/benchmarks/" + Path(sys.argv[0]).name] + sys.argv[1:])
    block = "%s\nMeasured %s with `%s`:\n\n%s\n%s" % (marker_start, time.strftime("%Y-%m-%d"), command, text, marker_end)
    page = path.read_text() if path.exists() else "# Performance\n\nWritten by the benchmark scripts in `tests/benchmarks/` (`make bench`).\n"
    if marker_start in page:
        page = page[:page.index(marker_start)] + block + page[page.index(marker_end) + len(marker_end):]
    else:
        page = page.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(page)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=10000, help="key count of the large aws_key_info run (small = keys / 10)")
    parser.add_argument("--markdown", help="also write the table, with the command that made it, to this file")
    args = parser.parse_args(argv)
    with Emulator("--job-delay", "0.05") as emulator, tempfile.TemporaryDirectory() as workdir:
        bench = Bench(emulator, Path(workdir))
        bench.info_scale(args.keys // 10, args.keys)
        bench.no_op_requests()
        bench.logins()
        bench.overhead_vs_ping()
        bench.forks()
    print(table(bench.rows))
    if args.markdown:
        write_markdown(Path(args.markdown), "scale", table(bench.rows))
    return 0 if all(row[3] == "yes" for row in bench.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
