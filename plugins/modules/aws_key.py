#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: aws_key
short_description: Create, update and schedule deletion of AWS KMS keys through CipherTrust Manager CCKM
version_added: 0.1.0
description:
  - Manages one AWS KMS key through CipherTrust Cloud Key Manager (CCKM) declaratively; the module works out which
    CCKM calls are needed and makes only those.
  - The key is identified by O(kms), O(region) and O(alias), or by O(id).
  - Options left unset are not managed; the key keeps whatever value it has.
  - Every change is planned before the first write, so check mode predicts the same C(changed) and RV(actions)
    as a real run, and conflicting options fail before anything is changed.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  id:
    description:
      - Identifies an existing key by its CCKM ID (UUID), AWS key ID or AWS key ARN.
      - Mutually exclusive with O(alias). A key identified by O(id) is never created.
    type: str
  kms:
    description:
      - Name or ID of the CCKM KMS container (AWS account) of the key.
      - Required with O(alias).
    type: str
  region:
    description:
      - AWS region of the key. Required with O(alias).
    type: str
  alias:
    description:
      - Alias identifying the key in O(kms) and O(region), with or without the C(alias/) prefix.
      - 1 to 250 letters, digits, C(/), C(_) and C(-) after the prefix, not beginning with C(alias/aws/) (reserved by AWS);
        O(aliases) follow the same rules.
      - The key is created with this alias when it does not exist and O(state=present); an unknown O(kms) or a region
        O(kms) does not manage then fails before anything is written.
    type: str
  state:
    description:
      - V(present) creates the key when missing and applies the other options. On a key pending deletion it cancels the
        deletion (the key is then disabled unless O(enabled=true)).
      - V(absent) schedules the deletion of the key in AWS after O(pending_window_days). A key already pending deletion,
        or a missing key, is left alone.
      - With V(absent), a policy template applied to the key is detached first (its C(cckm_policy_template_id) tag removed,
        as the Thales Terraform provider does), so that the template can be deleted while the key waits for deletion.
    type: str
    choices: [present, absent]
    default: present
  pending_window_days:
    description:
      - Days before AWS deletes the key after O(state=absent); 7 to 30.
    type: int
    default: 30
  enabled:
    description:
      - Whether the key is enabled. A key without key material (V(PendingImport)) can only be enabled by importing
        material with O(import_material).
    type: bool
  description:
    description: Key description, at most 8192 characters.
    type: str
  key_usage:
    description:
      - Cryptographic use of the key; set at creation only (a different value for an existing key is an error).
      - When unset, new keys get V(ENCRYPT_DECRYPT).
    type: str
    choices: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC]
  key_spec:
    description:
      - Key type (AWS C(CustomerMasterKeySpec)); set at creation only.
      - When unset, new keys get V(SYMMETRIC_DEFAULT).
    type: str
    choices: [SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1,
              HMAC_224, HMAC_256, HMAC_384, HMAC_512]
  origin:
    description:
      - Source of the key material; set at creation only. V(EXTERNAL) keys start without material (V(PendingImport)).
      - When unset, new keys get V(AWS_KMS).
    type: str
    choices: [AWS_KMS, EXTERNAL]
  multi_region:
    description:
      - Whether the key is a multi-Region primary key; set at creation only.
    type: bool
  aliases:
    description:
      - Further aliases of the key, with or without the C(alias/) prefix.
      - Missing ones are added; with O(purge_aliases=true) others are deleted (never O(alias)).
    type: list
    elements: str
  purge_aliases:
    description:
      - Delete aliases of the key that are neither O(alias) nor in O(aliases). Needs O(aliases).
      - Aliases containing C(-rotated-), which CCKM keeps on keys it rotated, are never deleted (as the Thales Terraform
        provider does).
    type: bool
    default: false
  tags:
    description:
      - Tags of the key as a dictionary. Unset means tags are not managed.
      - Keys have 1 to 128 characters and must not begin with C(aws:); values have at most 256 characters.
      - CCKM's own C(cckm_policy_template_id) tag cannot be set here and is never removed.
    type: dict
  purge_tags:
    description: Remove tags not in O(tags) (except C(cckm_policy_template_id)). Only with O(tags).
    type: bool
    default: true
  policy:
    description:
      - The key policy document, as a JSON string or a dictionary.
      - Compared after normalisation (key order, whitespace, statement order, a single string versus a one-element list
        for C(Action), C(Resource) and C(Principal) values; C(Version) is ignored when missing on either side).
      - Mutually exclusive with O(policy_template) and the key admin/user lists.
    type: json
  policy_template:
    description:
      - Name or ID of a CCKM policy template to apply. A value that looks like a UUID is used as the ID as is;
        a name costs one extra request to resolve.
      - Compared with the key's C(cckm_policy_template_id) tag.
    type: str
  key_admins:
    description:
      - IAM user names allowed to administer the key; CCKM generates the key policy from the five lists
        O(key_admins), O(key_admins_roles), O(key_users), O(key_users_roles) and O(external_accounts).
      - When any of the five is given, the unset ones count as empty lists (the generated policy replaces the whole
        policy). They are compared as sets with the lists CCKM recorded on the key.
    type: list
    elements: str
  key_admins_roles:
    description: IAM role names allowed to administer the key. See O(key_admins).
    type: list
    elements: str
  key_users:
    description: IAM user names allowed to use the key. See O(key_admins).
    type: list
    elements: str
  key_users_roles:
    description: IAM role names allowed to use the key. See O(key_admins).
    type: list
    elements: str
  external_accounts:
    description: Other AWS account IDs allowed to use the key. See O(key_admins).
    type: list
    elements: str
  auto_rotation:
    description: Whether AWS rotates the key material automatically (symmetric V(AWS_KMS) keys, enabled keys only).
    type: bool
  rotation_period_days:
    description: Days between automatic rotations, 90 to 2560. Implies O(auto_rotation=true).
    type: int
  rotate_now:
    description:
      - Rotate the key material on demand (CCKM C(rotate-material)). This is an action, not a state, so the task always
        reports a change. EXTERNAL keys take the new material's source from O(import_material).
      - With O(wait=true) the task follows the rotation's status until it succeeds, and fails when it fails.
    type: bool
    default: false
  refresh:
    description:
      - Ask CCKM to read the key again from AWS (C(POST keys/{id}/refresh)) before planning, so that changes made in AWS
        outside CipherTrust Manager are seen. Without it the plan uses CCKM's view of the key, as of its last
        synchronization.
      - Costs two more requests per task (the refresh and a read), and nothing when the key does not exist yet.
    type: bool
    default: false
  import_material:
    description:
      - Key material to import into an V(EXTERNAL) key that has none (V(PendingImport)); nothing is done when the key
        already has material.
      - A key created with O(import_material) is an V(EXTERNAL) key; O(origin) may be left unset (any other value is an error).
      - When the key does not exist yet and O(import_material.source_key) is given, the key is created with that material in
        one call (CCKM C(POST upload-key), as the Thales Terraform provider's C(upload_key) does). Without
        O(import_material.source_key) it is created, then its material is imported (two calls).
      - A create whose answer is lost is looked up by alias; a key found without its material then gets it imported, so the
        task never creates a second key.
    type: dict
    suboptions:
      source_key:
        description:
          - Name or ID of the CipherTrust key whose material is imported (or uploaded, for a new key).
          - May be omitted with O(import_material.source_key_tier=local) on an existing key; CCKM then uses (or creates) a
            local key.
        type: str
      source_key_tier:
        description: Where the source key lives.
        type: str
        choices: [local, dsm, hsm-luna, external-cm]
        default: local
      key_expiration:
        description: Whether the imported material expires (then O(import_material.valid_to) is required).
        type: bool
        default: false
      valid_to:
        description: Expiry of the material, like V(2027-07-03T14:24:00Z).
        type: str
  key_material:
    description:
      - V(absent) deletes the imported key material of an V(EXTERNAL) key (the key goes to V(PendingImport)); a key
        already without material is left alone.
    type: str
    choices: [absent]
  replica_regions:
    description:
      - Regions that must hold a replica of this multi-Region primary key; missing replicas are created, others are kept.
    type: list
    elements: str
  primary_region:
    description:
      - Region that must hold the primary key of a multi-Region key; it must already hold a replica (see O(replica_regions)).
    type: str
extends_documentation_fragment:
  - ciphertrust.cckm.connection
  - ciphertrust.cckm.rotation_job
  - ciphertrust.cckm.wait
  - ciphertrust.cckm.attributes
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
notes:
  - The no-change run of a key identified by O(kms), O(region) and O(alias) costs two requests (authentication and one
    list request); a O(policy_template) given by name adds one.
  - A create whose answer is lost (time-out, 5xx) is retried only after looking the key up by alias, so retries never
    create a second key; the same holds for a create with uploaded material (O(import_material)).
  - O(rotation_job) costs one more request (resolving the schedule); an attach or detach whose answer is lost is judged by
    reading the key again, never sent twice blindly.
  - O(state=absent) does not remove CCKM's record; AWS deletes the key when the pending window ends.
  - With O(wait=true), new replicas (O(replica_regions)) are waited for until AWS has finished creating them, so a
    O(primary_region) change in the same task can use them. There is nothing else to wait for.
seealso:
  - module: ciphertrust.cckm.aws_key_info
  - module: ciphertrust.cckm.aws_key_rotation_schedule
  - name: CCKM AWS key APIs
    description: Thales documentation of the key life cycle API.
    link: https://thalesdocs.com/ctp/cm/latest/reference/cckmapi/aws-apis/aws-kclm-apis/index.html
"""

EXAMPLES = r"""
- name: Key with aliases, tags and a description, connection set once for the block
  module_defaults:
    group/ciphertrust.cckm.cckm:
      host: "{{ cm_host }}"
      username: "{{ cm_username }}"
      password: "{{ cm_password }}"
  block:
    - name: Create or update the key
      ciphertrust.cckm.aws_key:
        kms: aws-kms
        region: us-east-1
        alias: alias/payments
        description: Payments data key
        aliases: [payments-v1]
        tags:
          app: payments
          env: prod
        auto_rotation: true
        rotation_period_days: 180
      register: payments

    - name: Disable it, by CCKM ID
      ciphertrust.cckm.aws_key:
        id: "{{ payments.resource.id }}"
        enabled: false

- name: Set the key policy from IAM users and roles
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-east-1
    alias: ex-0
    key_admins: [alice]
    key_users_roles: [payments-app]

- name: An EXTERNAL key with imported material
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-west-2
    alias: byok-key
    origin: EXTERNAL
    import_material:
      source_key_tier: local

- name: A BYOK key created with the material of a CipherTrust key, in one call (upload-key)
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-west-2
    alias: clumio-byok
    import_material:
      source_key: clumio-byok-material
      key_expiration: true
      valid_to: "2027-07-03T14:24:00Z"

- name: A CCKM rotation schedule, every Saturday at 09:00
  ciphertrust.cckm.aws_key_rotation_schedule:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    name: weekly-rotation
    run_at: "0 9 * * sat"

- name: Rotate the key with CCKM on that schedule
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-west-2
    alias: clumio-byok
    rotation_job:
      name: weekly-rotation
      key_source: local
      disable_encrypt: true

- name: Detach the key from its rotation schedule
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-west-2
    alias: clumio-byok
    rotation_job:
      state: absent

- name: A multi-Region key replicated to two regions
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-east-1
    alias: global-key
    multi_region: true
    replica_regions: [us-west-2, eu-west-1]

- name: Schedule the deletion of a key in 7 days
  ciphertrust.cckm.aws_key:
    host: "{{ cm_host }}"
    username: "{{ cm_username }}"
    password: "{{ cm_password }}"
    kms: aws-kms
    region: us-east-1
    alias: ex-1
    state: absent
    pending_window_days: 7
"""

RETURN = r"""
record:
  description:
    - The key record as the CCKM API returned it after the task.
    - In check mode, the record before the task (nothing is read back).
    - Null when the key does not exist (for example in check mode before a create, or with O(state=absent) on a
      missing key).
  returned: always
  type: dict
  sample: {"id": "40387a72-6e24-4cdd-8840-b586757c44bf", "kms": "aws-kms", "region": "us-east-1", "aws_param": {"KeyState": "Enabled"}}
resource:
  description:
    - The key as a flat, normalised view (the same view M(ciphertrust.cckm.aws_key_info) returns, plus the policy lists
      and C(rotated_at)) after the task.
    - In check mode, the key as it would be after the task.
    - Null when the key does not exist.
  returned: always
  type: dict
  contains:
    id:
      description: CCKM ID of the key (empty in check mode before a create).
      type: str
      sample: 40387a72-6e24-4cdd-8840-b586757c44bf
    kms:
      description: Name (or ID) of the KMS container.
      type: str
      sample: aws-kms
    kms_id:
      description: ID of the KMS container.
      type: str
    region:
      description: AWS region.
      type: str
      sample: us-east-1
    account_id:
      description: AWS account ID.
      type: str
      sample: "123456789012"
    key_id:
      description: AWS key ID.
      type: str
    arn:
      description: AWS key ARN.
      type: str
    alias:
      description: The first alias, without C(alias/).
      type: str
    aliases:
      description: All aliases, without C(alias/).
      type: list
      elements: str
    description:
      description: Key description.
      type: str
    enabled:
      description: Whether the key is enabled.
      type: bool
    key_state:
      description: AWS key state.
      type: str
      sample: Enabled
    key_usage:
      description: AWS key usage.
      type: str
      sample: ENCRYPT_DECRYPT
    key_spec:
      description: AWS key spec.
      type: str
      sample: SYMMETRIC_DEFAULT
    origin:
      description: Origin of the key material.
      type: str
      sample: AWS_KMS
    multi_region:
      description: Whether this is a multi-Region key.
      type: bool
    multi_region_key_type:
      description: V(PRIMARY) or V(REPLICA) for multi-Region keys.
      type: str
    primary_region:
      description: Region of the primary key of a multi-Region key.
      type: str
    replica_regions:
      description: Regions of the replicas of a multi-Region key.
      type: list
      elements: str
    tags:
      description: User tags (without C(cckm_policy_template_id)).
      type: dict
    policy_template_id:
      description: ID of the CCKM policy template applied to the key, if any.
      type: str
    policy:
      description: The key policy document.
      type: dict
    key_admins:
      description: IAM users CCKM recorded as key administrators.
      type: list
      elements: str
    key_admins_roles:
      description: IAM roles CCKM recorded as key administrators.
      type: list
      elements: str
    key_users:
      description: IAM users CCKM recorded as key users.
      type: list
      elements: str
    key_users_roles:
      description: IAM roles CCKM recorded as key users.
      type: list
      elements: str
    external_accounts:
      description: AWS accounts CCKM recorded as allowed to use the key.
      type: list
      elements: str
    auto_rotation:
      description: Whether automatic rotation is enabled.
      type: bool
    rotation_period_days:
      description: Automatic rotation period in days.
      type: int
    rotated_at:
      description: When CCKM last rotated the key material (O(rotate_now)); null if never.
      type: str
    deletion_date:
      description: When a key pending deletion will be deleted.
      type: str
    gone:
      description: True when the key no longer exists in AWS.
      type: bool
    key_material_origin:
      description: Where the key material came from (V(native), V(cckm), V(unknown)).
      type: str
    rotation_job_id:
      description: ID of the CCKM rotation schedule the key is attached to (O(rotation_job)); null when none.
      type: str
    rotation_job_disable_encrypt:
      description: Whether the old key stops encrypting after a scheduled rotation; null when the key has no rotation schedule.
      type: bool
actions:
  description:
    - The CCKM calls made, or in check mode the calls a real run would make, in order.
    - Check mode returns the same actions as a real run; empty when nothing needs to change.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: POST
    path:
      description: API path (C({id}) stands for the key to be created).
      type: str
      sample: /api/v1/cckm/aws/keys/40387a72-6e24-4cdd-8840-b586757c44bf/disable
    body:
      description: Request body, or null.
      type: raw
    description:
      description: What the call does.
      type: str
      sample: disable the key
diff:
  description: Managed properties before and after the task (only with C(--diff)).
  returned: when diff mode is on
  type: dict
  contains:
    before:
      description: Managed properties before the task.
      type: dict
    after:
      description: Managed properties after the task (predicted in check mode).
      type: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ROTATION_JOB, WAIT, ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._keys.apply import KeyResource
from ansible_collections.ciphertrust.cckm.plugins.module_utils._normalize import POLICY_LISTS
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import CckmModule

_STRINGS = {"type": "list", "elements": "str"}
_POLICY_CHOICES = ("policy", "policy_template") + POLICY_LISTS

SPEC = ArgumentSpec(
    {
        "id": {"type": "str"},
        "kms": {"type": "str"},
        "region": {"type": "str"},
        "alias": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "pending_window_days": {"type": "int", "default": 30},
        "enabled": {"type": "bool"},
        "description": {"type": "str"},
        "key_usage": {"type": "str", "no_log": False, "choices": ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC"]},
        "key_spec": {"type": "str", "no_log": False, "choices": [
            "SYMMETRIC_DEFAULT", "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521",
            "ECC_SECG_P256K1", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"]},
        "origin": {"type": "str", "choices": ["AWS_KMS", "EXTERNAL"]},
        "multi_region": {"type": "bool"},
        "aliases": _STRINGS,
        "purge_aliases": {"type": "bool", "default": False},
        "tags": {"type": "dict"},
        "purge_tags": {"type": "bool", "default": True},
        "policy": {"type": "json"},
        "policy_template": {"type": "str"},
        "key_admins": dict(_STRINGS, no_log=False),
        "key_admins_roles": dict(_STRINGS, no_log=False),
        "key_users": dict(_STRINGS, no_log=False),
        "key_users_roles": dict(_STRINGS, no_log=False),
        "external_accounts": _STRINGS,
        "auto_rotation": {"type": "bool"},
        "rotation_period_days": {"type": "int"},
        "rotate_now": {"type": "bool", "default": False},
        "refresh": {"type": "bool", "default": False},
        "import_material": {"type": "dict", "options": {
            "source_key": {"type": "str", "no_log": False},
            "source_key_tier": {"type": "str", "choices": ["local", "dsm", "hsm-luna", "external-cm"], "default": "local"},
            "key_expiration": {"type": "bool", "default": False, "no_log": False},
            "valid_to": {"type": "str"},
        }, "required_if": [("key_expiration", True, ("valid_to",))]},
        "key_material": {"type": "str", "choices": ["absent"], "no_log": False},
        "rotation_job": ROTATION_JOB,
        "replica_regions": _STRINGS,
        "primary_region": {"type": "str"},
    },
    mutually_exclusive=[("id", "alias"), ("import_material", "key_material")] + [
        (first, second) for i, first in enumerate(_POLICY_CHOICES[:2]) for second in _POLICY_CHOICES[i + 1:]],
    required_one_of=[("id", "alias")],
    required_by={"alias": ("kms", "region")},
)


def main():
    CckmModule(SPEC.merge(WAIT), supports_check_mode=True).converge(KeyResource)


if __name__ == "__main__":
    main()
