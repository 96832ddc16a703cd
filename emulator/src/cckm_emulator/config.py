"""Emulator settings: fixed at start by the CLI, a few of them changeable at run time.

One object is shared by every part of the emulator (and handed to the Clumio blueprint, which
reads ``clumio_token``), so a change through ``POST /_emulator/config`` is seen everywhere at once.
"""

import dataclasses

ADMINS_NAMINGS = ("hyphen", "underscore")

#: Behaviours where our sources disagree with (or say nothing about) what the emulator used to do.
#: name -> (strict answer, lenient answer, further answers a test may select). ``--profile strict`` (the default) answers the way the
#: evidence says the real product does, or, where the truth is unknown, the answer our client assumed
#: least; ``--profile lenient`` answers as the emulator did before the fidelity review. FIDELITY.md
#: names the source of each and what the client does under both.
FIDELITY = {
    "kms_filter": ("name", "name_or_id"),             # key list ?kms= matches the KMS name only (row 1)
    "template_ref": ("id", "id_or_name"),             # templates/{ref} takes the template ID only (row 4)
    "aws_error_status": (400, 409),                    # AWS AlreadyExists / "job running" as 400 or as 409 (row 5)
    "refresh_token_error": (400, 401),                 # status for a rejected refresh token (row 6, unknown)
    "policy_forms": ("canonical", "as_sent"),          # AWS returns account IDs as root ARNs, condition values as strings (row 12)
    "scheduler_params": ("job_config_params", "as_sent"),  # scheduler reads: params under job_config_params, KMS IDs (row 2)
    "wallet_pages": ("token", "number"),               # Clumio wallet pages: opaque start token or page number (row 15)
    "list_filter_values": ("single", "any"),          # repeated list filter values: first one only, or ORed (row 14, unknown)
    "rotation_after_enable": ("eventual", "immediate"),  # auto-rotation calls right after an enable: DisabledException (row 7)
    "primary_region_move": ("eventual", "immediate"),  # update-primary-region lands after --job-delay, or at once (row 8)
    "rotated_at": ("cckm_rotation_only", "on_material_rotation"),  # rotate-material stamps rotated_at? (row 9)
    "template_push_job": ("elsewhere", "bulk"),        # a verified template's push job: not readable at /bulkjob, or a bulk job (row 3)
    "post_process_wallet": ("moves", "moves", "still"),  # post-process changes the wallet's fields, or not (row 16, unknown)
    "revoke_unknown": (404, 400),                      # auth/revoke of a token already revoked or unknown (PowerShell; unknown)
    "kms_connection_ref": ("name", "as_sent"),         # a KMS record's connection: the connection's name, or what was sent (TF; unknown)
    "kms_delete_with_keys": ("refused", "cascade"),    # DELETE kms/{id} while it holds keys (unknown, cckm-aws.md 12)
    "acl_view_actions": ("added", "as_sent"),          # update-acls adds viewnative/viewbyok by itself (TF aws_acl docs; which: unknown)
    "rotation_params_read": ("aw_param", "aws_param"),  # rotation job params read back with TF's aw_param, or as sent (assumed)
    "rotation_job_record": ("flagged", "cleared"),     # a detached key keeps job_config_id and shows rotation_job_enabled, or is cleared
    "upload_failure": ("keeps", "rollback"),           # upload-key whose import fails leaves a PendingImport key, or none (assumed)
}
PROFILES = ("strict", "lenient")


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
    profile: str = "strict"
    empty: bool = False        # start (and reset) with no connection and no KMS container
    fidelity: dict = dataclasses.field(default_factory=dict)   # flag -> answer, overriding the profile

    #: the fields ``POST /_emulator/config`` may change, with the type each is coerced to
    RUNTIME_FIELDS = {"token_ttl": int, "fault_rate": float, "latency_ms": int, "job_delay": float, "admins_naming": str,
                      "fidelity": dict}

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        self.fidelity = dict({name: answers[PROFILES.index(self.profile)] for name, answers in FIDELITY.items()}, **self.fidelity)
        self.validate()
        self._initial = self.runtime()

    def answer(self, flag):
        """The answer this instance gives where the sources disagree (see FIDELITY)."""
        return self.fidelity[flag]

    def is_strict(self, flag):
        return self.fidelity[flag] == FIDELITY[flag][0]

    def runtime(self):
        """The run-time changeable settings as a dict (the body of ``GET /_emulator/config``)."""
        return {name: getattr(self, name) for name in self.RUNTIME_FIELDS}

    def update(self, values):
        """Apply a partial dict of run-time settings; raises ValueError and changes nothing when one is bad."""
        unknown = sorted(set(values) - set(self.RUNTIME_FIELDS))
        if unknown:
            raise ValueError(f"unknown or read-only setting(s): {', '.join(unknown)}")
        coerced = {name: self._coerce(name, value) for name, value in values.items()}
        if "fidelity" in coerced:
            coerced["fidelity"] = dict(self.fidelity, **coerced["fidelity"])
        candidate = dataclasses.replace(self, **coerced)
        for name in values:
            setattr(self, name, getattr(candidate, name))

    def restore(self):
        """Back to the values given on the command line (used by ``POST /_emulator/reset``)."""
        for name, value in self._initial.items():
            setattr(self, name, dict(value) if isinstance(value, dict) else value)

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
        for name, answer in self.fidelity.items():
            if name not in FIDELITY or answer not in FIDELITY[name]:
                raise ValueError(f"fidelity {name}={answer!r}: choose one of {FIDELITY.get(name, 'the FIDELITY flags')}")

    def _coerce(self, name, value):
        kind = self.RUNTIME_FIELDS[name]
        if isinstance(value, bool) or value is None:
            raise ValueError(f"{name} must be a {kind.__name__}")
        try:
            return kind(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} must be a {kind.__name__}") from exc
