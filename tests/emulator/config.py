"""Emulator settings: fixed at start by the CLI, a few of them changeable at run time.

One object is shared by every part of the emulator (and handed to the Clumio blueprint, which
reads ``clumio_token``), so a change through ``POST /_emulator/config`` is seen everywhere at once.
"""

import dataclasses

ADMINS_NAMINGS = ("hyphen", "underscore")


@dataclasses.dataclass
class EmulatorConfig:
    """All knobs of one emulator instance; see README.md for their meaning."""

    username: str = "admin"
    password: str = "admin"
    token_ttl: int = 300
    fault_rate: float = 0.0
    latency_ms: int = 0
    seed: int | None = None
    job_delay: float = 0.2
    clumio_token: str = "clumio-test-token"
    admins_naming: str = "hyphen"
    verbose: bool = False

    #: the fields ``POST /_emulator/config`` may change, with the type each is coerced to
    RUNTIME_FIELDS = {"token_ttl": int, "fault_rate": float, "latency_ms": int, "job_delay": float, "admins_naming": str}

    def __post_init__(self):
        self.validate()
        self._initial = self.runtime()

    def runtime(self):
        """The run-time changeable settings as a dict (the body of ``GET /_emulator/config``)."""
        return {name: getattr(self, name) for name in self.RUNTIME_FIELDS}

    def update(self, values):
        """Apply a partial dict of run-time settings; raises ValueError and changes nothing when one is bad."""
        unknown = sorted(set(values) - set(self.RUNTIME_FIELDS))
        if unknown:
            raise ValueError(f"unknown or read-only setting(s): {', '.join(unknown)}")
        candidate = dataclasses.replace(self, **{name: self._coerce(name, value) for name, value in values.items()})
        for name in values:
            setattr(self, name, getattr(candidate, name))

    def restore(self):
        """Back to the values given on the command line (used by ``POST /_emulator/reset``)."""
        for name, value in self._initial.items():
            setattr(self, name, value)

    def validate(self):
        """Reject settings that would make the emulator misbehave rather than fail loudly later."""
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be at least 1 second")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError("fault_rate must be between 0 and 1")
        if self.latency_ms < 0 or self.job_delay < 0:
            raise ValueError("latency_ms and job_delay must not be negative")
        if self.admins_naming not in ADMINS_NAMINGS:
            raise ValueError(f"admins_naming must be one of {', '.join(ADMINS_NAMINGS)}")

    def _coerce(self, name, value):
        kind = self.RUNTIME_FIELDS[name]
        if isinstance(value, bool) or value is None:
            raise ValueError(f"{name} must be a {kind.__name__}")
        try:
            return kind(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a {kind.__name__}") from exc
