"""Control endpoints under ``/_emulator`` for tests: reset, stats, faults, config, permissions, AWS side.

No authentication, never counted in stats, never faulted or delayed. Documented in README.md.
"""

import flask

from . import containers, keys
from .common import Body, bad_request

CONTROL_PREFIX = "/_emulator"
MAX_BULK_KEYS = 100_000


def _json(payload=None, status=200):
    response = flask.current_app.json.response({} if payload is None else payload)
    response.status_code = status
    return response


def _body():
    return Body.parse(flask.request.get_data())


def _value_error(action, *args):
    try:
        return action(*args)
    except ValueError as exc:
        raise bad_request(str(exc)) from exc


def create_blueprint(emu):
    """The ``/_emulator`` routes bound to one emulator instance."""
    blueprint = flask.Blueprint("control", __name__, url_prefix=CONTROL_PREFIX)
    state = emu.state

    def route(rule, methods):
        def decorate(handler):
            blueprint.add_url_rule(rule, handler.__name__, handler, methods=methods)
            return handler
        return decorate

    @route("/health", ["GET"])
    def health():
        return _json({"status": "ok"})

    @route("/reset", ["POST"])
    def reset():
        body = _body()
        emu.reset(body.flag("empty") if body.raw("empty") is not None else None)
        return _json({"status": "reset"})

    @route("/connections/secrets", ["GET"])
    def connection_secrets():
        with state.lock:
            return _json(containers.secret_fingerprints(state))

    @route("/stats", ["GET"])
    def stats():
        return _json(emu.stats.snapshot())

    @route("/stats/reset", ["POST"])
    def reset_stats():
        emu.stats.reset()
        return _json(emu.stats.snapshot())

    @route("/faults", ["GET", "POST", "DELETE"])
    def faults():
        if flask.request.method == "POST":
            rules = _body().get("rules", [])
            _value_error(emu.faults.set_rules, rules if isinstance(rules, list) else [rules])
        elif flask.request.method == "DELETE":
            emu.faults.set_rules([])
        return _json({"rules": emu.faults.rules()})

    @route("/config", ["GET", "POST"])
    def config():
        if flask.request.method == "POST":
            _value_error(emu.config.update, _body().data)
        return _json(emu.config.runtime())

    @route("/permissions", ["GET", "POST", "DELETE"])
    def permissions():
        with state.lock:
            if flask.request.method == "POST":
                state.denied.clear()
                state.denied.update(_body().strings("deny"))
            elif flask.request.method == "DELETE":
                state.denied.clear()
            return _json({"deny": sorted(state.denied)})

    @route("/auth/refresh-tokens", ["GET"])
    def refresh_tokens():
        return _json(emu.tokens.refresh_tokens())

    @route("/auth/revoke", ["POST"])
    def revoke():
        emu.tokens.revoke(jwts=_body().flag("jwts"))
        return _json({"status": "revoked"})

    def failure_map(rule, attribute, field):
        """A GET/POST/DELETE route editing one ``{name: failure message}`` map of the state."""
        def handler():
            failures = getattr(state, attribute)
            with state.lock:
                if flask.request.method == "POST":
                    body = _body()
                    message = body.string("message", "simulated failure")
                    failures.update({name: message for name in body.strings(field)})
                elif flask.request.method == "DELETE":
                    failures.clear()
                return _json({attribute: dict(failures)})
        handler.__name__ = attribute
        route(rule, ["GET", "POST", "DELETE"])(handler)

    failure_map("/fail-keys", "fail_keys", "key_ids")
    failure_map("/fail-sync-regions", "fail_regions", "regions")
    failure_map("/fail-uploads", "fail_uploads", "aliases")

    @route("/aws/keys", ["GET"])
    def aws_keys():
        args = flask.request.args
        account, region = args.get("account_id", "123456789012"), args.get("region", "us-east-1")
        with state.lock, keys.aws_errors():
            ids = [args["key_id"]] if args.get("key_id") else state.aws.key_ids(account, region)
            return _json({"keys": [state.aws.ground_truth(account, region, key_id) for key_id in ids if state.aws.exists(account, region, key_id)]})

    @route("/aws/keys", ["POST"])
    def create_aws_key():
        body = _body()
        region = body.string("region")
        if not region:
            raise bad_request("region is required")
        account = body.string("account_id", "123456789012")
        with state.lock, keys.aws_errors():
            key_id = state.aws.create_key(account, region, description=body.string("description", ""), alias=body.string("alias"),
                                          tags=keys.tags_from(body.get("tags"), "tags"), multi_region=body.flag("multi_region"),
                                          origin=body.string("origin"), key_spec=body.string("key_spec"), key_usage=body.string("key_usage"))
            truth = state.aws.ground_truth(account, region, key_id)
        return _json({"KeyId": key_id, "Arn": truth["Arn"]}, 201)

    @route("/aws/keys/<key_id>/delete", ["POST"])
    def delete_aws_key(key_id):
        body = _body()
        account, region = body.string("account_id", "123456789012"), body.string("region")
        if not region:
            raise bad_request("region is required")
        with state.lock, keys.aws_errors():
            state.aws.delete_key(account, region, key_id)
        return _json({"KeyId": key_id, "deleted": True})

    @route("/cckm/rotation-jobs", ["GET"])
    def rotation_jobs():
        """What each key's last accepted enable-rotation-job asked for (the record shows only part of it)."""
        with state.lock:
            return _json({"keys": dict(state.rotation_jobs)})

    @route("/cckm/keys", ["POST"])
    def bulk_keys():
        body = _body()
        count = body.integer("count", 1)
        if not 1 <= count <= MAX_BULK_KEYS:
            raise bad_request(f"count must be between 1 and {MAX_BULK_KEYS}")
        with state.lock:
            kms = keys.find_kms(state, body.get("kms", "aws-kms"))
            region = body.string("region", kms["regions"][0])
            if region not in kms["regions"]:
                raise bad_request(f"region {region} is not managed by KMS {kms['name']}")
            ids = keys.bulk_create(state, kms, region, count, alias_prefix=body.string("alias_prefix", ""), tags=body.get("tags"),
                                   state=body.string("state", "Enabled"))
        return _json({"ids": ids, "count": len(ids)}, 201)
    return blueprint
