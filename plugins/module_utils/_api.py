# -*- coding: utf-8 -*-
# Copyright: ciphertrust.cckm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This module_utils is private to this collection: no API stability promise.

"""The endpoint layer: one declaration per CipherTrust Manager or Clumio call, the only code that knows a path.

Each Endpoint says whether sending it twice is safe (``idempotent``), how a 404 is read (``not_found``: an
error, or "no such resource" for lookups), which permission a 403 most likely lacks, and the source its
behaviour rests on (``source``: a seed file, the Thales Terraform provider ``TF``, Thales API pages ``DOC``,
Clumio's SDKs ``CL``, or "assumed"). Errors name the action, the way amazon.aws' ``_kms`` wrappers do:
"Failed to schedule deletion of key alias/app (id): POST ...: HTTP 403 ...".

Callers pass ids, bodies and query parameters; they never build a path. This module imports only _errors,
so the HTTP clients, the auth code and every resource may import it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

from ansible_collections.ciphertrust.cckm.plugins.module_utils._errors import ApiError, CallError, CckmError, NotFound, add_hint, name_action

API = "/api/v1"
CCKM_AWS = API + "/cckm/aws"
PAGE_SIZE = 1000
NOT_YET_PATIENCE = 60.0
MAX_WALLET_PAGES = 1000   # seconds an eventually consistent AWS answer is waited out


def path_id(value):
    """A resource id or name as one URL path segment; "", "." and ".." are refused (they would name the list itself
    or its parent: issue 21 #11)."""
    text = str(value)
    if text.strip() in ("", ".", ".."):
        raise CckmError("%r is not an ID: it would name a list or its parent instead of one resource" % text)
    return quote(text, safe="")


class Endpoint:
    """One API call: method, path template (``{}`` per id), what it does in words, and how to treat its answers."""

    def __init__(self, method, path, action, idempotent=None, not_found="raise", permission=None, media_type=None, source="assumed",
                 not_yet=None):
        self.method = method
        self.not_yet = not_yet    # an AWS exception name meaning "not yet": AWS is eventually consistent, so ask again
        self.path = path
        self.action = action
        self.idempotent = method != "POST" if idempotent is None else idempotent
        self.not_found = not_found
        self.permission = permission
        self.media_type = media_type  # Clumio: the resource name of its versioned Accept header
        self.source = source

    def path_for(self, *ids):
        return self.path.format(*(path_id(i) for i in ids)) if ids else self.path.replace("/{}", "/{id}")

    def __call__(self, client, *ids, body=None, params=None, landed=None, subject=None, authenticated=True, patience=NOT_YET_PATIENCE):
        """Send the call; ``landed()`` (for a call that is not idempotent) tells whether a lost answer was applied.

        Returns the decoded answer, or None for a 404 of a lookup (``not_found="none"``). An answer naming
        ``not_yet`` is asked again, backing off, for up to ``patience`` seconds.
        """
        deadline, delay = None, 0.2
        while True:
            try:
                return self._send(client, ids, body, params, landed, subject, authenticated)
            except ApiError as exc:
                if not (self.not_yet and self.not_yet in str(exc.message)):
                    raise
                deadline = client.clock() + patience if deadline is None else deadline
                if client.clock() + delay > deadline:
                    raise
            client.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _send(self, client, ids, body, params, landed, subject, authenticated):
        headers = {"Accept": "application/api.clumio.%s=v1+json" % self.media_type} if self.media_type else None
        idempotent = self.idempotent and landed is None
        try:
            return client.request(self.method, self.path_for(*ids), params=params, json_body=body, headers=headers,
                                  authenticated=authenticated, idempotent=idempotent, landed=landed)
        except NotFound as exc:
            if self.not_found == "none":
                return None
            raise self._named(exc, subject)
        except CallError as exc:
            raise self._named(exc, subject)

    def pages(self, client, params=None, page_size=PAGE_SIZE, subject=None):
        """Every resource of a CipherTrust list endpoint (skip/limit/total pages), in order."""
        try:
            yield from client.paginate(self.path_for(), params, page_size)
        except CallError as exc:
            raise self._named(exc, subject)

    def find(self, client, params, matches, subject=None):
        """The first listed resource for which ``matches(resource)`` holds (filters the server ignored are re-checked)."""
        return next((resource for resource in self.pages(client, params, subject=subject) if matches(resource)), None)

    def _named(self, exc, subject):
        if isinstance(exc, ApiError) and exc.status == 403 and self.permission and exc.endpoint is None:
            exc.hint = None
            add_hint(exc, "The user needs the '%s' permission on the KMS (CCKM ACLs) or the feature is not licensed" % self.permission)
        return name_action(exc, self, self.action + (" " + subject if subject else ""))


def _cckm(method, path, action, **kwargs):
    return Endpoint(method, CCKM_AWS + path, action, **kwargs)


# -- authentication ------------------------------------------------------------------------------------
LOGIN = Endpoint("POST", API + "/auth/tokens", "log in to CipherTrust Manager", idempotent=True,
                 source="seed 000; TF common/auth.go (password and refresh_token grants)")
REVOKE_REFRESH_TOKEN = Endpoint("POST", API + "/auth/revoke", "revoke the refresh token", idempotent=True,
                                source="Thales PowerShell CipherTrustManager-Tokens.psm1 Revoke-CMToken: body token and client_id "
                                       "(or username and password); its answer to a token already revoked: assumed 404 or 400")

# -- AWS connections (Connection Manager) ---------------------------------------------------------------------
_CONNECTIONS = API + "/connectionmgmt/services/aws/connections"
_TF_CONNECTION = "TF connections/resource_aws_connection.go"
LIST_CONNECTIONS = Endpoint("GET", _CONNECTIONS, "list AWS connections",
                            source="TF common/urls.go URL_AWS_CONNECTION, connections/data_source_aws_connection.go (filters id, name, "
                                   "products, cloud_name, ...); PowerShell CipherTrustManager-ConnectionMgr-AWS.psm1 Find-CMAWSConnections")
GET_CONNECTION = Endpoint("GET", _CONNECTIONS + "/{}", "read AWS connection", not_found="none",
                          source=_TF_CONNECTION + " Read (GET by ID; secret_access_key is never returned)")
CREATE_CONNECTION = Endpoint("POST", _CONNECTIONS, "create AWS connection", idempotent=False,
                             source=_TF_CONNECTION + " Create (201); names are unique (PowerShell: 409), so a lost answer is found by name")
UPDATE_CONNECTION = Endpoint("PATCH", _CONNECTIONS + "/{}", "update AWS connection",
                             source=_TF_CONNECTION + " Update (fields given change; labels merge-patched, null deletes)")
DELETE_CONNECTION = Endpoint("DELETE", _CONNECTIONS + "/{}", "delete AWS connection", not_found="none",
                             source=_TF_CONNECTION + " Delete (a 404 means already gone)")

# -- KMS containers --------------------------------------------------------------------------------------
_TF_KMS = "TF cckm/aws/resource_aws_kms.go"
LIST_KMS = _cckm("GET", "/kms", "list the CCKM KMS containers", source="DOC aws-api-fetch; TF resource_aws_kms.go")
GET_KMS = _cckm("GET", "/kms/{}", "read KMS container", not_found="none", source=_TF_KMS + " Read (getAwsKms)")
CREATE_KMS = _cckm("POST", "/kms", "create KMS container", idempotent=False,
                   source=_TF_KMS + " Create (name, account_id, connection, regions, assume_role_*); names are unique (cckm-aws.md "
                                    "11.15: 409), so a lost answer is found by name")
UPDATE_KMS = _cckm("PATCH", "/kms/{}", "update KMS container", source=_TF_KMS + " Update (connection, regions replace, assume_role_*)")
DELETE_KMS = _cckm("DELETE", "/kms/{}", "delete KMS container", not_found="none",
                   source=_TF_KMS + " Delete; its answer while keys exist: unknown (emulator flag kms_delete_with_keys)")
UPDATE_KMS_ACLS = _cckm("POST", "/kms/{}/update-acls", "update the ACLs of KMS container", idempotent=True,
                        source="TF cckm/aws/resource_aws_acls.go applyAcls, cckm/acls/acls.go (permit true adds the actions, false "
                               "removes them: sending it twice is harmless)")

# -- keys -------------------------------------------------------------------------------------------------
LIST_KEYS = _cckm("GET", "/keys", "list AWS keys", source="DOC aws-api-fetch (filters); seed 001")
GET_KEY = _cckm("GET", "/keys/{}", "read key", not_found="none", source="DOC aws-api-fetch; TF resource_aws_key.go Read")
FORGET_KEY = _cckm("DELETE", "/keys/{}", "remove from CCKM the record of key", permission="keydelete", not_found="none",
                   source="cckm-aws.md 11.16 (DELETE keys/{id} removes only the CCKM record; the AWS key stays)")
CREATE_KEY = _cckm("POST", "/keys", "create key", permission="keycreate",
                   source="TF resource_aws_key.go Create (aws_param, kms, region); a lost answer is found by alias (assumed unique)")
UPLOAD_KEY = _cckm("POST", "/upload-key", "create (uploading its key material) key", permission="keyupload",
                   source="TF resource_aws_key.go uploadKey (UploadAWSKeyPayloadJSON: the create fields, source_key_identifier, "
                          "source_key_tier, key_expiration, aws_param.ValidTo); DOC aws-api-upload; a lost answer is found by alias")


def _key_action(name, action, permission="keyupdate", idempotent=True, source="DOC aws-api-update; TF resource_aws_key.go"):
    return _cckm("POST", "/keys/{}/" + name, action, permission=permission, idempotent=idempotent, source=source)


ENABLE_KEY = _key_action("enable", "enable key")
DISABLE_KEY = _key_action("disable", "disable key")
UPDATE_DESCRIPTION = _key_action("update-description", "set the description of key")
ADD_ALIAS = _key_action("add-alias", "add an alias to key", idempotent=False)
DELETE_ALIAS = _key_action("delete-alias", "delete an alias of key", idempotent=False)
ADD_TAGS = _key_action("add-tags", "set tags on key")
REMOVE_TAGS = _key_action("remove-tags", "remove tags from key")
SET_POLICY = _key_action("policy", "set the key policy of key")
# Right after an enable AWS may still call the key disabled; TF resource_aws_key.go retries these (fidelity review row 7)
ENABLE_AUTO_ROTATION = _cckm("POST", "/keys/{}/enable-auto-rotation", "enable automatic rotation of key", permission="keyupdate",
                             idempotent=True, not_yet="DisabledException", source="TF resource_aws_key.go enableAutoRotation")
DISABLE_AUTO_ROTATION = _cckm("POST", "/keys/{}/disable-auto-rotation", "disable automatic rotation of key", permission="keyupdate",
                              idempotent=True, not_yet="DisabledException", source="TF resource_aws_key.go disableAutoRotation")
ROTATE_MATERIAL = _key_action("rotate-material", "rotate the key material of key", permission="keyrotate", idempotent=False,
                              source="TF aws_key_material.go (asynchronous; see the fidelity review row 9)")
REFRESH_KEY = _key_action("refresh", "refresh from AWS the CCKM view of key", permission="view",
                          source="TF resource_aws_key.go RefreshKeyAndWait (fidelity review row 17)")
ROTATION_STATUS = _cckm("GET", "/keys/{}/rotate-material/status", "read the material rotation status of key", not_found="none",
                        source="TF aws_key_material.go waitForMaterialRotation (overall_status success/failed, error_details)")
REPLICATE_KEY = _key_action("replicate-key", "replicate key", idempotent=False)
UPDATE_PRIMARY_REGION = _key_action("update-primary-region", "change the primary region of key",
                                    source="TF resource_aws_key.go updatePrimaryRegion")
SCHEDULE_DELETION = _key_action("schedule-deletion", "schedule deletion of key", permission="keydelete", idempotent=False)
CANCEL_DELETION = _key_action("cancel-deletion", "cancel the deletion of key", permission="keycanceldelete", idempotent=False)
IMPORT_MATERIAL = _key_action("import-material", "import key material into key", permission="keymaterialimport", idempotent=False,
                              source="seed 004; TF resource_aws_key_import_material.go")
ENABLE_ROTATION_JOB = _key_action("enable-rotation-job", "attach a rotation schedule to key",
                                  source="DOC aws-api-rotate (job_config_id, auto_rotate_*); TF resource_aws_key.go enableKeyRotationJob "
                                         "(also how it moves a key to another job); permission: assumed")
DISABLE_ROTATION_JOB = _key_action("disable-rotation-job", "detach the rotation schedule from key",
                                   source="DOC aws-api-disabling (no body); TF resource_aws_key.go disableKeyRotationJob; permission: assumed")
DELETE_MATERIAL = _key_action("delete-material", "delete the key material of key", permission="keymaterialdelete", idempotent=False,
                              source="seed 004")

# -- policy templates (seed 003) ---------------------------------------------------------------------------
LIST_TEMPLATES = _cckm("GET", "/templates", "list policy templates", source="seed 003; TF resource_aws_policy_template.go")
GET_TEMPLATE = _cckm("GET", "/templates/{}", "read policy template", source="seed 003 ({id} is the template ID)")
CREATE_TEMPLATE = _cckm("POST", "/templates", "create policy template", permission="keycreate", idempotent=False, source="seed 003")
UPDATE_TEMPLATE = _cckm("PATCH", "/templates/{}", "update policy template", permission="keyupdate",
                        source="seed 003 (with auto_push a push job starts, so it is then not resent blindly)")
DELETE_TEMPLATE = _cckm("DELETE", "/templates/{}", "delete policy template", permission="keydelete", source="seed 003")

# -- bulk jobs (seed 001) ------------------------------------------------------------------------------------
LIST_BULK_JOBS = _cckm("GET", "/bulkjob", "list bulk jobs", source="seed 001; DOC aws-api-list-bulk-jobs")
GET_BULK_JOB = _cckm("GET", "/bulkjob/{}", "read bulk job", source="seed 001")
START_BULK_JOB = _cckm("POST", "/bulkjob", "start a bulk job", permission="keybulkoperation", idempotent=False, source="seed 001")
CANCEL_BULK_JOB = _cckm("POST", "/bulkjob/{}/cancel", "cancel bulk job", permission="keybulkoperation", idempotent=True,
                        source="seed 001 (cancelling twice is harmless: assumed)")

# -- synchronization jobs (seed 002) ---------------------------------------------------------------------------
LIST_SYNC_JOBS = _cckm("GET", "/synchronization-jobs", "list synchronization jobs", source="seed 002; DOC aws-api-sync")
GET_SYNC_JOB = _cckm("GET", "/synchronization-jobs/{}", "read synchronization job", source="seed 002")
START_SYNC_JOB = _cckm("POST", "/synchronization-jobs", "start a synchronization job", permission="keysynchronize", idempotent=False,
                       source="seed 002")
CANCEL_SYNC_JOB = _cckm("POST", "/synchronization-jobs/{}/cancel", "cancel synchronization job", permission="keysynchronize",
                        idempotent=True, source="seed 002")

# -- scheduler job configurations -------------------------------------------------------------------------------
_SCHEDULER = API + "/scheduler/job-configs"
LIST_JOB_CONFIGS = Endpoint("GET", _SCHEDULER, "list scheduler job configurations", source="TF cm/resource_scheduler.go")
GET_JOB_CONFIG = Endpoint("GET", _SCHEDULER + "/{}", "read scheduler job configuration", not_found="none",
                          source="TF cm/resource_scheduler.go Read (GetById)")
CREATE_JOB_CONFIG = Endpoint("POST", _SCHEDULER, "create scheduler job configuration", idempotent=False,
                             source="TF cm/resource_scheduler.go (names are unique: a lost answer is found by name)")
UPDATE_JOB_CONFIG = Endpoint("PATCH", _SCHEDULER + "/{}", "update scheduler job configuration", source="TF cm/resource_scheduler.go")
DELETE_JOB_CONFIG = Endpoint("DELETE", _SCHEDULER + "/{}", "delete scheduler job configuration", source="TF cm/resource_scheduler.go")

# -- Clumio ------------------------------------------------------------------------------------------------------
LIST_WALLETS = Endpoint("GET", "/wallets", "list Clumio wallets", media_type="wallets",
                        source="CL clumio-python-sdk controllers/wallets_v1.py")
REFRESH_WALLET = Endpoint("POST", "/wallets/{}/_refresh", "refresh the Clumio wallet", media_type="wallets", idempotent=True,
                          source="CL controllers/wallets (RefreshWallet); fidelity review row 16")
POST_PROCESS_KMS = Endpoint("POST", "/wallets/_post-process", "post-process the BYOK key of", media_type="post-process-kms",
                            idempotent=False, source="CL controllers/post_process_kms; seed 000 (no read-back API exists)")


def list_wallets(client, limit=100):
    """Every wallet of the organisation, page by page along ``_links._next``.

    Clumio's python SDK (controllers/wallets_v1.py) calls ``start`` a page token: empty for the first page, then
    whatever ``_links._next.href`` carries (fidelity review row 15) - never a number computed here.
    """
    wallets, followed = [], set()
    params = {"limit": limit}
    while True:
        body = LIST_WALLETS(client, params=params) or {}
        items = (body.get("_embedded") or {}).get("items") or []
        wallets.extend(items)
        following = ((body.get("_links") or {}).get("_next") or {}).get("href")
        if not items or not following:
            return wallets
        if following in followed or len(followed) >= MAX_WALLET_PAGES:  # a server sending us round in circles
            raise CckmError("GET /wallets: stopped after %d pages: the _links._next of the answers do not end" % (len(followed) + 1))
        followed.add(following)
        params = dict(parse_qsl(urlsplit(following).query))
