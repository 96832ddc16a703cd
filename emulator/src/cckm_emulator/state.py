"""In-memory CCKM state (what the real product keeps in its database) and the one global lock.

Every request handler and background job mutates state only while holding ``State.lock``; the
AWS side (moto, via aws.py) is part of the state for that purpose. ``generation`` increases on
every reset so that background work started before a reset cannot touch the new state.
"""

import threading
import time
import uuid

from .aws import AwsKms
from .common import metadata
from .containers import seed_connection

#: the KMS containers every fresh emulator has (cckm-aws.md 3 and the brief)
SEED_KMS = (
    {"name": "aws-kms", "account_id": "123456789012", "regions": ["us-east-1", "us-west-2", "eu-west-1"], "connection": "aws-connection"},
    {"name": "aws-kms-2", "account_id": "210987654321", "regions": ["us-east-1"], "connection": "aws-connection-2"},
)
_ID_NAMESPACE = uuid.UUID("6f1c2a52-7d1e-4b7e-9a57-4c4d5e6f7a8b")


def seed_kms_record(spec):
    """A KMS record (cckm-aws.md 3.2) with an id stable across resets, derived from its name (new ones get a random id)."""
    kms_id = str(uuid.uuid5(_ID_NAMESPACE, "kms/" + spec["name"]))
    record = metadata("aws-kms", kms_id)
    record.update(name=spec["name"], account_id=spec["account_id"], connection=spec["connection"], regions=list(spec["regions"]),
                  arn=f"arn:aws:iam::{spec['account_id']}:user/cckm", assume_role_arn="", assume_role_external_id="",
                  auto_added=False, status="active", cloud_name="aws", acls=[])
    return record


class State:
    """All CCKM records plus the AWS side, guarded by ``lock``."""

    def __init__(self, config):
        self.config = config
        self.lock = threading.RLock()
        self.aws = AwsKms(canonical_policies=lambda: config.is_strict("policy_forms"))
        self.generation = 0
        self.kms = {}
        self.connections = {}  # AWS connections (Connection Manager), without their secrets
        self.secrets = {}      # connection id -> its write-only secrets (never answered)
        self.keys = {}
        self.key_index = {}
        self.templates = {}
        self.bulk_jobs = {}
        self.push_jobs = {}    # template auto-push jobs, which the strict profile keeps out of /bulkjob (FIDELITY.md)
        self.enabled_at = {}   # key id -> when it was last enabled (AWS' DisabledException window, FIDELITY.md)
        self.sync_jobs = {}
        self.job_configs = {}
        self.rotations = {}
        self.rotation_jobs = {}  # key id -> the enable-rotation-job body last accepted (what the record does not show)
        self.denied = set()
        self.fail_keys = {}
        self.fail_regions = {}
        self.fail_uploads = {}   # alias -> message: upload-key with that alias fails at its import (a test tool)
        self.reset()

    def reset(self, empty=None):
        """Empty state with only the seeded connections and KMS containers (none at all when ``empty``, by default the
        ``--empty`` flag); pending background work is orphaned."""
        empty = self.config.empty if empty is None else empty
        with self.lock:
            self.generation += 1
            self.aws.reset()
            self.connections.clear()
            self.secrets.clear()
            self.kms = {} if empty else {record["id"]: record for record in map(seed_kms_record, SEED_KMS)}
            for name in sorted({spec["connection"] for spec in SEED_KMS} if not empty else ()):
                seed_connection(self, name)
            for mapping in (self.keys, self.key_index, self.templates, self.bulk_jobs, self.sync_jobs, self.job_configs,
                            self.rotations, self.rotation_jobs, self.fail_keys, self.fail_regions, self.fail_uploads, self.enabled_at, self.push_jobs):
                mapping.clear()
            self.denied.clear()

    def later(self, delay, action, *args):
        """Run ``action(*args)`` under the lock after ``delay`` seconds, unless the state was reset meanwhile."""
        self.spawn(self._delayed, delay, action, args)

    def _delayed(self, generation, delay, action, args):
        time.sleep(delay)
        with self.lock:
            if self.alive(generation):
                action(*args)

    def spawn(self, target, *args):
        """Start a daemon thread running ``target(generation, *args)`` (a job that checks :meth:`alive`)."""
        thread = threading.Thread(target=target, args=(self.generation,) + args, daemon=True)
        thread.start()
        return thread

    def alive(self, generation):
        """False once the state was reset after ``generation`` was taken."""
        return generation == self.generation

    # -- lookups used by several services ----------------------------------------------------

    def kms_by_ref(self, ref):
        """The KMS with that id or name, or None."""
        if ref in self.kms:
            return self.kms[ref]
        return next((record for record in self.kms.values() if record["name"] == ref), None)

    def register_key(self, record):
        """Add a CCKM key record and index it by ARN (how sync recognises known keys)."""
        self.keys[record["id"]] = record
        self.key_index[record["aws_param"]["Arn"]] = record["id"]

    def forget_key(self, key_id):
        """Remove a CCKM key record (the AWS key is untouched)."""
        record = self.keys.pop(key_id)
        self.key_index.pop(record["aws_param"]["Arn"], None)
        self.rotations.pop(key_id, None)
        self.rotation_jobs.pop(key_id, None)
        return record
