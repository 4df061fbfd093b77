"""Liveness and readiness probes (no authentication: load balancers call them)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from redis.exceptions import RedisError

from service.schemas import HealthSchema

blp = Blueprint("health", __name__, description="Probes for orchestrators.")


@blp.route("/healthz")
class Health(MethodView):
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is alive."""
        return {"status": "ok", "checks": {}}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="Not ready: see checks.")
    def get(self):
        """Redis answers and an active model exists."""
        rt = current_app.extensions["moderation"]
        checks: dict = {}
        try:
            rt.redis.ping()
            checks["redis"] = "ok"
            version = rt.models.active_version()
            checks["model"] = version or "missing"
            load_error = rt.redis.get(rt.keys.model_load_error)
            if load_error:
                checks["model_load_error"] = load_error.decode()
        except RedisError as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
        ready = checks.get("redis") == "ok" and checks.get("model", "missing") != "missing"
        return {"status": "ready" if ready else "not_ready", "checks": checks}, 200 if ready else 503
