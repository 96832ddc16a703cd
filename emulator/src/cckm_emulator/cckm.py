"""HTTP routes of the emulated CipherTrust Manager API: auth tokens, ``/api/v1/cckm/aws/...`` and scheduler job configs.

Views are thin: every route goes through :func:`create_blueprint`'s ``route`` helper, which checks
the bearer token and permissions, parses the body leniently, holds the global lock while the
service modules (keys, templates, jobs) run, and serialises the result under that lock.
"""

import functools

import flask
from werkzeug.datastructures import MultiDict

from . import containers, jobs, keys, scheduler, templates
from .state import seed_kms_record
from .common import ApiError, AwsConflict, Body, Lister, bad_request, not_found

API = "/api/v1/cckm/aws"
SCHEDULER = "/api/v1/scheduler/job-configs"
CONNECTIONS = "/api/v1/connectionmgmt/services/aws/connections"
VIEW = ("view", "viewnative", "viewbyok", "viewhyokkey")
#: key action -> permission (anything else needs keyupdate)
ACTION_PERMISSIONS = {"schedule-deletion": ("keydelete",), "cancel-deletion": ("keycanceldelete",),
                      "import-material": ("keymaterialimport",), "delete-material": ("keymaterialdelete",),
                      "rotate-material": ("keyrotate",), "refresh": VIEW}
KMS_LISTER = Lister(filters={name: (lambda record, name=name: record[name]) for name in ("id", "name", "account_id", "cloud_name", "status")})


def check_permissions(state, needed):
    """403 NCERRInsufficientPermissions when every permission that would allow the call is denied."""
    if needed and all(permission in state.denied for permission in needed):
        raise ApiError(403, f"User is not authorized to perform this action: requires permission {' or '.join(needed)}")


def _args():
    """The query string of the current request.

    The strict profile reads one value per filter: DOC aws-api-fetch types the filters as *string*, and no source
    shows repeated values being ORed (FIDELITY.md list_filter_values; fidelity review row 14).
    """
    args = flask.request.args
    if flask.current_app.extensions["cckm_emulator"].config.is_strict("list_filter_values"):
        return MultiDict([(name, args.getlist(name)[0]) for name in args])
    return args


def _respond(result):
    if result is None:
        return flask.Response(status=204)
    payload, status = result if isinstance(result, tuple) else (result, 200)
    response = flask.current_app.json.response(payload)
    response.status_code = status
    return response


def create_blueprint(emu):
    """All CipherTrust Manager API routes, bound to one emulator instance."""
    blueprint = flask.Blueprint("cckm", __name__)
    state = emu.state

    def route(rule, methods, permissions=VIEW, authenticated=True):
        def decorate(handler):
            @functools.wraps(handler)
            def view(**kwargs):
                if authenticated:
                    emu.tokens.verify(flask.request.headers.get("Authorization"))
                check_permissions(state, permissions(kwargs) if callable(permissions) else permissions)
                body = Body.parse(flask.request.get_data()) if flask.request.method in ("POST", "PATCH", "PUT") else Body({})
                try:
                    with state.lock, keys.aws_errors():
                        return _respond(handler(body, **kwargs))
                except AwsConflict as exc:
                    exc.status = emu.config.answer("aws_error_status")
                    raise
            blueprint.add_url_rule(rule, handler.__name__, view, methods=methods)
            return handler
        return decorate

    @route("/api/v1/auth/tokens", ["POST"], permissions=(), authenticated=False)
    def issue_token(body):
        return emu.tokens.issue(body)

    @route("/api/v1/auth/revoke", ["POST"], permissions=())
    def revoke_refresh_token(body):
        return emu.tokens.revoke_refresh_token(body)

    # -- KMS containers ------------------------------------------------------------------------

    @route(f"{API}/kms", ["GET"])
    def list_kms(_body):
        return KMS_LISTER.page(list(state.kms.values()), _args())

    @route(f"{API}/kms/<path:ref>", ["GET"])
    def get_kms(_body, ref):
        return keys.find_kms(state, ref)

    # KMS writes are CipherTrust administration (no CCKM ACL permission names them): none checked, like the scheduler
    @route(f"{API}/kms", ["POST"], permissions=())
    def create_kms(body):
        return containers.create_kms(state, emu.config, body, seed_kms_record), 201

    @route(f"{API}/kms/<path:ref>", ["PATCH"], permissions=())
    def patch_kms(body, ref):
        return containers.patch_kms(state, emu.config, keys.find_kms(state, ref), body)

    @route(f"{API}/kms/<path:ref>", ["DELETE"], permissions=())
    def delete_kms(_body, ref):
        containers.delete_kms(state, emu.config, keys.find_kms(state, ref))

    @route(f"{API}/kms/<path:ref>/update-acls", ["POST"], permissions=())
    def update_kms_acls(body, ref):
        return containers.update_acls(state, emu.config, keys.find_kms(state, ref), body)

    # -- AWS connections (Connection Manager) ------------------------------------------------

    @route(CONNECTIONS, ["POST"], permissions=())
    def create_connection(body):
        return containers.create_connection(state, body), 201

    @route(CONNECTIONS, ["GET"], permissions=())
    def list_connections(_body):
        return containers.list_connections(state, _args())

    @route(f"{CONNECTIONS}/<path:ref>", ["GET"], permissions=())
    def get_connection(_body, ref):
        return containers.find_connection(state, ref)

    @route(f"{CONNECTIONS}/<path:ref>", ["PATCH"], permissions=())
    def patch_connection(body, ref):
        return containers.patch_connection(state, containers.find_connection(state, ref), body)

    @route(f"{CONNECTIONS}/<path:ref>", ["DELETE"], permissions=())
    def delete_connection(_body, ref):
        containers.delete_connection(state, containers.find_connection(state, ref))

    # -- keys ----------------------------------------------------------------------------------

    @route(f"{API}/keys", ["POST"], permissions=("keycreate",))
    def create_key(body):
        return keys.create_key(state, body), 201

    @route(f"{API}/upload-key", ["POST"], permissions=("keyupload",))
    def upload_key(body):
        return keys.upload_key(state, body), 201

    @route(f"{API}/keys", ["GET"])
    def list_keys(_body):
        return keys.list_keys(state, _args())

    @route(f"{API}/keys/<key_id>", ["GET"])
    def get_key(_body, key_id):
        return keys.find_key(state, key_id)

    @route(f"{API}/keys/<key_id>", ["DELETE"], permissions=("keydelete",))
    def forget_key(_body, key_id):
        keys.find_key(state, key_id)
        state.forget_key(key_id)

    @route(f"{API}/keys/<key_id>/<action>", ["POST"], permissions=lambda kw: ACTION_PERMISSIONS.get(kw["action"], ("keyupdate",)))
    def key_action(body, key_id, action):
        return keys.perform(state, keys.find_key(state, key_id), action, body)

    @route(f"{API}/keys/<key_id>/rotate-material/status", ["GET"])
    def rotation_status(_body, key_id):
        keys.find_key(state, key_id)
        status = state.rotations.get(key_id)
        if status is None:
            raise not_found(f"no material rotation was started for key {key_id}")
        return status

    @route(f"{API}/alias/verify", ["POST"])
    def verify_alias(body):
        kms = keys.find_kms(state, body.get("kms"))
        alias, region = body.string("alias"), body.string("region")
        if not alias or not region:
            raise bad_request("alias and region are required")
        if region not in kms["regions"]:
            raise bad_request(f"region {region} is not managed by KMS {kms['name']}")
        if not state.aws.alias_available(kms["account_id"], region, alias):
            raise AwsConflict(f"AlreadyExistsException: alias {alias} already exists in {kms['account_id']}/{region}")
        return {"message": "Alias available"}

    # -- policy templates ----------------------------------------------------------------------

    @route(f"{API}/templates", ["POST"], permissions=("keycreate", "keyupload", "hyokkeycreate", "cloudhsmkeycreate"))
    def create_template(body):
        return templates.create(state, body), 201

    @route(f"{API}/templates", ["GET"])
    def list_templates(_body):
        return templates.list_templates(state, _args())

    @route(f"{API}/templates/<path:ref>", ["GET"])
    def get_template(_body, ref):
        return templates.present(templates.find(state, ref, by_name=not emu.config.is_strict("template_ref")), emu.config.admins_naming)

    @route(f"{API}/templates/<path:ref>", ["PATCH"], permissions=("keyupdate",))
    def patch_template(body, ref):
        template = templates.find(state, ref, by_name=not emu.config.is_strict("template_ref"))
        in_use = templates.patch(state, template, body)
        response = templates.present(template, emu.config.admins_naming)
        if in_use:
            # seed 003 calls it a job; which kind is unknown: strict keeps it out of /bulkjob (FIDELITY.md template_push_job)
            store = state.push_jobs if emu.config.answer("template_push_job") == "elsewhere" else None
            job = jobs.start_bulk(state, "applypolicytemplate", [record["id"] for record in in_use], store=store,
                                  policy_template_id=template["id"])
            response.update(job_id=job["id"], job_status=job["overall_status"])
        return response

    @route(f"{API}/templates/<path:ref>", ["DELETE"], permissions=("keydelete", "hyokkeydelete", "cloudhsmkeydelete"))
    def delete_template(_body, ref):
        templates.delete(state, templates.find(state, ref, by_name=not emu.config.is_strict("template_ref")))

    # -- bulk and synchronization jobs ---------------------------------------------------------

    for collection, store, create, permission in (("bulkjob", state.bulk_jobs, jobs.create_bulk, "keybulkoperation"),
                                                  ("synchronization-jobs", state.sync_jobs, jobs.create_sync, "keysynchronize")):
        _job_routes(route, collection, store, create, permission, state)

    # -- scheduler job configurations (periodic sync), CRUD only -----------------------------

    @route(SCHEDULER, ["POST"], permissions=())
    def create_job_config(body):
        return scheduler.present(state, scheduler.create(state, body)), 201

    @route(SCHEDULER, ["GET"], permissions=())
    def list_job_configs(_body):
        return scheduler.list_configs(state, _args())

    @route(f"{SCHEDULER}/<path:ref>", ["GET"], permissions=())
    def get_job_config(_body, ref):
        return scheduler.present(state, scheduler.find(state, ref))

    @route(f"{SCHEDULER}/<path:ref>", ["PATCH"], permissions=())
    def patch_job_config(body, ref):
        return scheduler.present(state, scheduler.patch(state, scheduler.find(state, ref), body))

    @route(f"{SCHEDULER}/<path:ref>", ["DELETE"], permissions=())
    def delete_job_config(_body, ref):
        del state.job_configs[scheduler.find(state, ref)["id"]]

    return blueprint


def _job_routes(route, collection, store, create, permission, state):
    """Create/list/get/cancel routes of one job collection (bulk or sync), which behave alike."""
    name = collection.replace("-", "_")

    def find(job_id):
        job = store.get(job_id)
        if job is None:
            raise not_found(f"job {job_id} not found")
        return job

    def create_job(body):
        return create(state, body), 201

    def list_all(_body):
        return jobs.list_jobs(store, _args())

    def get_one(_body, job_id):
        return find(job_id)

    def cancel_one(_body, job_id):
        return jobs.cancel(find(job_id))

    for suffix, methods, handler, permissions in (("", ["POST"], create_job, (permission,)), ("", ["GET"], list_all, VIEW),
                                                  ("/<job_id>", ["GET"], get_one, VIEW),
                                                  ("/<job_id>/cancel", ["POST"], cancel_one, (permission,))):
        handler.__name__ = f"{name}_{handler.__name__}"
        route(f"{API}/{collection}{suffix}", methods, permissions=permissions)(handler)
