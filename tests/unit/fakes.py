"""Test doubles shared by unit tests: an unsigned JWT maker and a fake clock."""

import base64
import json

HOST = "https://cm.test"
TOKENS = HOST + "/api/v1/auth/tokens"


def make_jwt(lifetime=300, iat=1_700_000_000, marker="x"):
    """An unsigned JWT whose payload carries iat/exp (the client only reads them)."""
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return "%s.%s.sig-%s" % (part({"alg": "HS256", "typ": "JWT"}), part({"iat": iat, "exp": iat + lifetime, "m": marker}), marker)


class FakeTime:
    """A monotonic clock that only moves when the code sleeps (or the test advances it)."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds
