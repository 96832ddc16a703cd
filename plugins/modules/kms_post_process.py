#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_post_process
short_description: Tell Clumio about a BYOK AWS KMS key (post-process KMS), idempotently
version_added: 0.1.0
description:
  - Calls Clumio's C(POST /wallets/_post-process) after the Clumio BYOK (bring your own key) template
    is installed, updated or removed in an AWS account, the call Clumio's Terraform provider makes with its
    C(clumio_post_process_kms) resource.
  - Clumio has no API that reads the post-process state back. The module reads the account's wallet
    (C(GET /wallets)) instead, whose C(installed_regions), C(state), C(stack_version) and C(role_arn) show
    the outcome, and sends a request only when the wallet differs from the wanted state.
  - With O(state=present) it sends V(Create) when O(aws_region) is not installed, V(Update) when it is
    installed but O(version) or O(role_arn) differ from the wallet, and nothing otherwise.
    With O(state=absent) it sends V(Delete) only when O(aws_region) is installed.
  - O(request_type) forces one call (always reported as changed) for callers that track the lifecycle
    themselves.
  - When a request fails in a way that leaves open whether Clumio applied it (a 5xx answer or a lost
    connection), the module re-reads the wallet and sends the request again only when its effect is not
    visible; HTTP 429 is retried with backoff.
author:
  - CipherTrust CCKM collection maintainers (@ciphertrust-cckm)
options:
  account_native_id:
    description: AWS account ID (12 digits) of the BYOK key; the account whose Clumio wallet is used.
    type: str
    required: true
  aws_region:
    description: AWS region name of the BYOK key and template, for example V(us-east-1).
    type: str
    required: true
  token:
    description:
      - The 36-character Clumio AWS integration ID token of the account's wallet.
      - If not set, the token is read from the account's wallet. When set, it must equal the wallet's token;
        a mismatch fails before anything is sent.
    type: str
  role_arn:
    description:
      - ARN of the IAM role Clumio assumes to use the key (C(ClumioKMSRole) in Clumio's template).
      - Compared with the wallet's C(role_arn); a difference makes an V(Update).
    type: str
  role_external_id:
    description: External ID to use with O(role_arn).
    type: str
  role_id:
    description: ID of the IAM role of O(role_arn).
    type: str
  intermediate_role_arn:
    description: ARN of Clumio's role assumed before the role in the customer account (C(ClumioCustomerProtectRole)).
    type: str
  multi_region_cmk_key_id:
    description: ID of the multi-Region customer managed key.
    type: str
  created_multi_region_cmk:
    description: Whether the template created the multi-Region key (V(true)) or an existing key was used (V(false)).
    type: bool
  version:
    description:
      - Version of the CloudFormation or Terraform BYOK template (Clumio's current template is version 15).
      - Compared with the wallet's C(stack_version); a difference makes an V(Update).
    type: int
  state:
    description:
      - V(present) registers the key for O(aws_region) (V(Create) or V(Update) as needed).
      - V(absent) unregisters it (V(Delete) when the region is installed).
      - Ignored when O(request_type) is set.
    type: str
    choices: [present, absent]
    default: present
  request_type:
    description:
      - Send exactly this request type, whatever the wallet shows; the task is always changed.
      - Leave unset to let the module choose from O(state) and the wallet.
    type: str
    choices: [Create, Update, Delete]
  wait:
    description:
      - After the request, read the wallet again (refreshed) until it shows the request's effect, for up to
        O(wait_timeout) seconds; the task fails when it does not. Clumio's answer alone is not taken for success.
      - V(false) accepts Clumio's answer and only warns when the wallet does not show it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in total for the wallet when O(wait=true).
    type: int
    default: 60
  wait_sleep:
    description:
      - The longest pause between two reads of the wallet while waiting (reads are 0.1 seconds apart for the first second, then the pause doubles).
    type: float
    default: 2
notes:
  - Clumio's post-process API cannot be read back; the result is judged from the account's wallet, whose
    C(stack_version) and C(role_arn) are per account, not per region.
  - That the wallet's C(installed_regions), C(stack_version) and C(role_arn) record the post-process calls made is
    an B(assumption) (Clumio documents them as the regions where the wallet is installed and the version of its
    stack). The wallet is refreshed (C(POST /wallets/{id}/_refresh)) before it is read, so that it shows what Clumio
    last saw. When the wallet does not show a request that Clumio accepted, the task fails after O(wait_timeout) (with
    O(wait=false), it warns and says what it sent); it never sends the request again in the same run, so each run
    sends it at most once.
  - Tokens (O(clumio_api_token), O(token) and the wallet's token) never appear in the result; they are
    replaced by V(********).
  - O(account_native_id) must have a Clumio wallet; the module does not create one.
extends_documentation_fragment:
  - ciphertrust.cckm.clumio
  - ciphertrust.cckm.attributes.CLUMIO
  - ciphertrust.cckm.attributes.CHECK_MODE_FULL
"""

EXAMPLES = r"""
- name: Register the BYOK key of an account with Clumio (token read from the account's wallet)
  ciphertrust.cckm.kms_post_process:
    clumio_url: "{{ clumio_url }}"
    clumio_api_token: "{{ clumio_token }}"
    account_native_id: "123456789012"
    aws_region: us-east-1
    role_arn: arn:aws:iam::123456789012:role/ClumioKMSRole
    role_id: AROAEXAMPLEROLEID0001
    role_external_id: clumio-byok-external-id
    intermediate_role_arn: arn:aws:iam::999999999999:role/ClumioCustomerProtectRole
    multi_region_cmk_key_id: mrk-1234abcd12ab34cd56ef1234567890ab
    created_multi_region_cmk: true
    version: 15
  register: byok

- name: Show what was sent
  ansible.builtin.debug:
    msg: "{{ byok.request_type | default('nothing', true) }} sent; installed regions {{ byok.resource.installed_regions }}"

- name: Unregister the key again (Delete only when the region is installed)
  ciphertrust.cckm.kms_post_process:
    clumio_url: "{{ clumio_url }}"
    clumio_api_token: "{{ clumio_token }}"
    account_native_id: "123456789012"
    aws_region: us-east-1
    state: absent
"""

RETURN = r"""
request_type:
  description: The request type sent (or, in check mode, that would be sent); null when nothing was needed.
  returned: always
  type: str
  sample: Create
request:
  description: The request body sent (or, in check mode, that would be sent), with the token masked; null when nothing was needed.
  returned: always
  type: dict
  sample:
    account_native_id: "123456789012"
    aws_region: us-east-1
    request_type: Create
    token: "********"
    version: 15
actions:
  description:
    - The post-process request sent, or in check mode the request a real run would send (the same actions as a real
      run); empty when the wallet already shows the wanted state.
  returned: always
  type: list
  elements: dict
  contains:
    method:
      description: HTTP method.
      type: str
      sample: POST
    path:
      description: Clumio API path.
      type: str
      sample: /wallets/_post-process
    body:
      description: The request body, with the token masked.
      type: dict
      sample: {"account_native_id": "123456789012", "aws_region": "us-east-1", "request_type": "Create", "token": "********"}
    description:
      description: What the request does.
      type: str
      sample: send a Create post-process request for AWS account 123456789012 in us-east-1
resource:
  description:
    - The post-process state of O(aws_region) as the account's wallet shows it after the task (in check mode, as it is
      predicted to be).
  returned: always
  type: dict
  contains:
    aws_region:
      description: The region of the task (O(aws_region)).
      type: str
      sample: us-east-1
    installed:
      description: Whether the template is installed in O(aws_region).
      type: bool
    installed_regions:
      description: Regions where the template is installed.
      type: list
      elements: str
      sample: [us-east-1]
    state:
      description: Wallet state, V(Waiting) (no template installed), V(Enabled) or V(Error).
      type: str
      sample: Enabled
    stack_version:
      description: Template version installed.
      type: int
      sample: 15
    role_arn:
      description: ARN of the role Clumio assumes.
      type: str
record:
  description: The account's Clumio wallet afterwards (in check mode, as it is predicted to be), token masked.
  returned: always
  type: dict
  contains:
    id:
      description: Wallet ID.
      type: str
    account_native_id:
      description: AWS account ID.
      type: str
      sample: "123456789012"
    state:
      description: V(Waiting) (no template installed), V(Enabled) or V(Error).
      type: str
      sample: Enabled
    stack_version:
      description: Template version installed.
      type: int
      sample: 15
    installed_regions:
      description: Regions where the template is installed.
      type: list
      elements: str
      sample: [us-east-1]
    role_arn:
      description: ARN of the role Clumio assumes.
      type: str
    token:
      description: Always V(********).
      type: str
wallet_before:
  description: The account's Clumio wallet before the task, token masked.
  returned: always
  type: dict
"""

from ansible_collections.ciphertrust.cckm.plugins.module_utils._args import ArgumentSpec
from ansible_collections.ciphertrust.cckm.plugins.module_utils._module import ClumioModule
from ansible_collections.ciphertrust.cckm.plugins.module_utils._post_process import REQUEST_TYPES, PostProcessResource

SPEC = ArgumentSpec({
    "account_native_id": {"type": "str", "required": True},
    "aws_region": {"type": "str", "required": True},
    "token": {"type": "str", "no_log": True},
    "role_arn": {"type": "str"},
    "role_external_id": {"type": "str"},
    "role_id": {"type": "str"},
    "intermediate_role_arn": {"type": "str"},
    "multi_region_cmk_key_id": {"type": "str", "no_log": False},
    "created_multi_region_cmk": {"type": "bool"},
    "version": {"type": "int"},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "request_type": {"type": "str", "choices": list(REQUEST_TYPES)},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 60},
    "wait_sleep": {"type": "float", "default": 2},
})


def main():
    ClumioModule(SPEC, supports_check_mode=True).converge(PostProcessResource)


if __name__ == "__main__":
    main()
