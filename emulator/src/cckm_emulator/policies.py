"""Key policies CCKM builds: the AWS default one and the console-style one generated from user lists.

Shared by key creation, the key ``policy`` action, replication and policy templates, which all
accept the same mutually exclusive inputs (cckm-aws.md 4.3, 4.7 and seed 003).
"""

import dataclasses

from .common import bad_request

LIST_FIELDS = ("external_accounts", "key_admins", "key_admins_roles", "key_users", "key_users_roles")
ADMIN_ACTIONS = ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
                 "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
                 "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"]
USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
GRANT_ACTIONS = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]


def default_policy(account):
    """The AWS default key policy (``key-default-1``), as in seed 004."""
    return {"Id": "key-default-1", "Version": "2012-10-17", "Statement": [{
        "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*", "Resource": "*"}]}


def _principal(account, kind, name):
    return name if name.startswith("arn:") else f"arn:aws:iam::{account}:{kind}/{name}"


def console_policy(account, lists):
    """The ``key-consolepolicy-3`` document CCKM generates from admin/user lists (seed 003).

    External accounts become ``arn:aws:iam::<ext>:root`` principals of the key-use statements.
    """
    admins = [_principal(account, "user", n) for n in lists.get("key_admins", [])]
    admins += [_principal(account, "role", n) for n in lists.get("key_admins_roles", [])]
    users = [_principal(account, "user", n) for n in lists.get("key_users", [])]
    users += [_principal(account, "role", n) for n in lists.get("key_users_roles", [])]
    users += [n if n.startswith("arn:") else f"arn:aws:iam::{n}:root" for n in lists.get("external_accounts", [])]
    statements = [{"Sid": "Enable IAM UserName Permissions", "Effect": "Allow",
                   "Principal": {"AWS": [f"arn:aws:iam::{account}:root"]}, "Action": ["kms:*"], "Resource": "*"}]
    if admins:
        statements.append({"Sid": "Allow access for Key Administrators", "Effect": "Allow", "Principal": {"AWS": admins},
                           "Action": list(ADMIN_ACTIONS), "Resource": "*"})
    if users:
        statements.append({"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": users},
                           "Action": list(USE_ACTIONS), "Resource": "*"})
        statements.append({"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": {"AWS": list(users)},
                           "Action": list(GRANT_ACTIONS), "Resource": "*",
                           "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
    return {"Id": "key-consolepolicy-3", "Version": "2012-10-17", "Statement": statements}


@dataclasses.dataclass
class PolicyChoice:
    """Which one of the exclusive policy inputs a request used.

    ``kind`` is ``default``, ``policy``, ``template`` or ``lists``.
    """

    kind: str
    policy: object = None
    template_id: str = ""
    lists: dict = dataclasses.field(default_factory=dict)

    def document(self, account):
        """The policy document for a key in ``account`` (templates are resolved by the caller)."""
        if self.kind == "policy":
            return self.policy
        if self.kind == "lists":
            return console_policy(account, self.lists)
        return default_policy(account)

    def recorded_lists(self):
        """The five list fields as CCKM records them on a key (empty unless lists were used)."""
        return {name: list(self.lists.get(name, [])) for name in LIST_FIELDS}


def choose_policy(body, policy=None, allow_template=True):
    """Read the exclusive policy inputs from ``body`` (a common.Body); more than one kind is a 400.

    ``policy`` overrides where the policy document is read from (create reads ``aws_param.Policy``).
    """
    if policy is None:
        policy = body.get("policy")
    template_id = body.get("policytemplate") if allow_template else None
    lists = {name: body.strings(name) for name in LIST_FIELDS if body.has(name)}
    used = [kind for kind, present in (("policy", policy is not None), ("template", template_id), ("lists", lists)) if present]
    if len(used) > 1:
        inputs = "policy, policytemplate and the key_admins/key_users/external_accounts lists" if allow_template else \
            "policy and the key_admins/key_users/external_accounts lists"
        raise bad_request(f"{inputs} are mutually exclusive; got {' and '.join(used)}")
    if template_id is not None and not isinstance(template_id, str):
        raise bad_request("policytemplate must be a template id")
    if policy is not None and not isinstance(policy, (dict, str)):
        raise bad_request("policy must be a JSON object")
    return PolicyChoice(kind=used[0] if used else "default", policy=policy, template_id=template_id or "", lists=lists)
