"""Model versions for admins: retrain, inspect, promote and roll back.

Training runs as an RQ job on its own queue; this process only enqueues it
and reads the registry, and never loads a model. One model scores every
tenant's comments, so these routes take an all-tenants admin key ("*"); an
admin of one tenant gets 403 all_tenants_required.
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from flask import Response, current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate
from rq.exceptions import NoSuchJobError
from rq.job import Job

from core.tenants import ALL_TENANTS, TENANT_PATTERN
from model.quality_gate import summary
from service.auth import current_key
from service.auth import require as require_role
from service.errors import ApiError
from service.runtime import Runtime
from service.tenancy import all_tenants_only
from storage.model_registry import UnknownVersion, activate_version, status_of
from storage.quality import QualityStore, live_by_version, live_summary
from worker.training import TRAIN_JOB, enqueue_training, training_queue

blp = Blueprint("admin_models", __name__, url_prefix="/v1/admin/models",
                description="Admins: retrain the model, compare versions, activate or roll back.")


def runtime() -> Runtime:
    return current_app.extensions["moderation"]


def actor() -> tuple[str, str | None]:
    key = current_key()
    return (f"admin:{key.name}", key.id) if key else ("admin", None)


def _iso(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


# --------------------------------------------------------------------- schemas

class TrainingOptionsSchema(ma.Schema):
    max_per_source = ma.fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=50, max=10_000_000),
        metadata={"description": "Cap the training examples taken from each abuse corpus (quick "
                                 "runs). Held-out sets shrink with it; the gate compares both "
                                 "versions on the same sets. Default: all."},
    )
    tenant = ma.fields.String(
        load_default=None, allow_none=True,
        validate=validate.Regexp(f"^(\\*|{TENANT_PATTERN})$"),
        metadata={"description": "Learn from the moderator decisions of this tenant only; "
                                 "'*' or absent (the default): every tenant's."},
    )
    activate_if_passed = ma.fields.Boolean(
        load_default=True,
        metadata={"description": "Activate the new version if it passes the quality gate "
                                 "(otherwise it stays a candidate either way)."},
    )


class TrainingStartedSchema(ma.Schema):
    job_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


class JobProgressSchema(ma.Schema):
    stage = ma.fields.String(allow_none=True)
    fraction = ma.fields.Float(allow_none=True)


class TrainingJobSchema(ma.Schema):
    job_id = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True,
        metadata={"description": "queued, started, finished, failed, stopped, canceled, ..."},
    )
    progress = ma.fields.Nested(JobProgressSchema, required=True)
    started_by = ma.fields.String(allow_none=True)
    options = ma.fields.Dict(allow_none=True)
    enqueued_at = ma.fields.DateTime(allow_none=True)
    started_at = ma.fields.DateTime(allow_none=True)
    ended_at = ma.fields.DateTime(allow_none=True)
    version = ma.fields.String(allow_none=True, metadata={"description": "The version it trained"})
    activated = ma.fields.Boolean(allow_none=True)
    note = ma.fields.String(allow_none=True, metadata={
        "description": "Why a version that passed the gate was not activated (the active "
                       "version changed while it was gated)"})
    gate = ma.fields.Dict(allow_none=True)
    moderator_decisions = ma.fields.Dict(allow_none=True)
    label_sources = ma.fields.Dict(allow_none=True, metadata={
        "description": "Labels per source: moderators' (spot_check, near_threshold, queue, "
                       "reader_report) and the corpora's training counts"})
    live_active = ma.fields.Dict(allow_none=True, metadata={
        "description": "The then active version's live figures (last 30 days), beside the "
                       "candidate's offline ones in `gate`"})
    error = ma.fields.String(allow_none=True)


class ModelVersionSchema(ma.Schema):
    version = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=validate.OneOf(("active", "candidate", "retired")))
    created_at = ma.fields.String(allow_none=True)
    created_by = ma.fields.String(allow_none=True)
    registered_at = ma.fields.DateTime(allow_none=True)
    activated_at = ma.fields.DateTime(allow_none=True)
    thresholds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    metrics = ma.fields.Dict(metadata={"description": "Held-out metrics per category (the list "
                                                      "shows the gated ones; one version shows all)"})
    training_counts = ma.fields.Dict(allow_none=True,
                                     metadata={"description": "Training examples per category, "
                                                              "split and source"})
    moderator_decisions = ma.fields.Dict(allow_none=True)
    gate = ma.fields.Dict(allow_none=True, metadata={"description": "Quality gate result and the "
                                                                    "per-category comparison"})
    note = ma.fields.String(allow_none=True, metadata={
        "description": "Why a version that passed the gate was not activated (the active "
                       "version changed while it was gated)"})
    live = ma.fields.Dict(allow_none=True, metadata={
        "description": "Live figures of this version on every title's comments over the last "
                       "30 days (spot-checked miss rate and interval, precision of holds, "
                       "overturn rate), beside the offline `metrics` and `gate`"})
    label_sources = ma.fields.Dict(allow_none=True)
    sha256 = ma.fields.String(allow_none=True)
    size = ma.fields.Integer(allow_none=True)
    card_files = ma.fields.List(ma.fields.String())
    card = ma.fields.String(allow_none=True, metadata={"description": "Model card (Markdown)"})
    training = ma.fields.Dict(allow_none=True)


class ActivationSchema(ma.Schema):
    at = ma.fields.Float()
    by = ma.fields.String()
    version = ma.fields.String()
    previous = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class ModelListSchema(ma.Schema):
    active = ma.fields.String(allow_none=True)
    load_error = ma.fields.String(allow_none=True,
                                  metadata={"description": "Last failure of a worker to load the "
                                                           "active version"})
    versions = ma.fields.List(ma.fields.Nested(ModelVersionSchema), required=True)
    activations = ma.fields.List(ma.fields.Nested(ActivationSchema), required=True)


class ActivateInSchema(ma.Schema):
    reason = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class ActivatedSchema(ma.Schema):
    version = ma.fields.String(required=True)
    previous = ma.fields.String(allow_none=True)
    changed = ma.fields.Boolean(required=True)


# --------------------------------------------------------------------- helpers

def _job_is_active(rt: Runtime) -> str | None:
    """Id of a training job queued or running, if any."""
    queue = training_queue(rt.redis, rt.settings)
    for job_id in queue.get_job_ids(0, 1) + queue.started_job_registry.get_job_ids():
        return job_id
    return None


def _live() -> dict[str, dict[str, Any]]:
    rt = runtime()
    return live_by_version(QualityStore(rt.redis, rt.keys))


def _present_version(meta: dict[str, Any], active: str | None, *, full: bool,
                     live: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    metrics = meta.get("metrics") or {}
    out = {
        "version": meta["version"],
        "status": status_of(meta, active),
        "created_at": meta.get("created_at"),
        "created_by": meta.get("created_by"),
        "registered_at": _iso(meta.get("registered_at") or meta.get("stored_at")),
        "activated_at": _iso(meta.get("activated_at")),
        "thresholds": meta.get("thresholds") or {},
        "metrics": metrics if full else summary(metrics),
        "training_counts": meta.get("training_counts") or metrics.get("training_counts"),
        "moderator_decisions": meta.get("moderator_decisions"),
        "gate": meta.get("gate"),
        "live": live_summary((live or {}).get(meta["version"])),
        "label_sources": meta.get("label_sources"),
        "note": meta.get("note"),
        "sha256": meta.get("sha256"),
        "size": meta.get("size"),
    }
    if full:
        out["training"] = meta.get("training")
    return out


def _meta_or_404(version: str) -> dict[str, Any]:
    try:
        return runtime().models.meta(version)
    except UnknownVersion:
        raise ApiError(404, "model_not_found", f"No model version {version!r}.") from None


def _card_markdown(names: list[str], version: str) -> str | None:
    name = next((n for n in names if n.lower().endswith(".md")), None)
    if name is None:
        return None
    raw = runtime().models.card_file(version, name)
    return raw.decode("utf-8", errors="replace") if raw else None


# --------------------------------------------------------------------- views

@blp.route("")
class Models(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.response(200, ModelListSchema)
    def get(self):
        """Every model version, newest first, with held-out metrics, training-data counts,
        thresholds, who made it and the quality-gate comparison."""
        rt = runtime()
        active = rt.models.active_version()
        versions = []
        live = _live()
        for version in reversed(rt.models.versions()):
            try:
                meta = rt.models.meta(version)
            except UnknownVersion:
                continue
            item = _present_version(meta, active, full=False, live=live)
            item["card_files"] = rt.models.card_files(version)
            versions.append(item)
        load_error = rt.redis.get(rt.keys.model_load_error)
        return {
            "active": active,
            "load_error": load_error.decode() if load_error else None,
            "versions": versions,
            "activations": rt.models.activations(50),
        }

    @require_role("admin")
    @all_tenants_only
    @blp.arguments(TrainingOptionsSchema, required=False)
    @blp.response(202, TrainingStartedSchema,
                  headers={"Location": {"description": "URL of the training job",
                                        "schema": {"type": "string"}}})
    def post(self, options: dict | None):
        """Start training a new version on the corpora plus every moderator decision so far.

        Runs on the training queue (a worker started with `--queues training`).
        The new version is registered as a candidate and activated only if it
        passes the quality gate. One training job at a time: 409 while one is
        queued or running.
        """
        rt = runtime()
        busy = _job_is_active(rt)
        if busy:
            raise ApiError(409, "training_in_progress", "A training job is already queued or running.",
                           {"job_id": busy, "url": url_for("admin_models.TrainingJob", job_id=busy)})
        by, _ = actor()
        options = {k: v for k, v in (options or {}).items() if v is not None}
        if options.get("tenant") == ALL_TENANTS:
            options.pop("tenant")
        job = enqueue_training(training_queue(rt.redis, rt.settings), rt.settings,
                               started_by=by, options=options)
        location = url_for("admin_models.TrainingJob", job_id=job.id)
        return {"job_id": job.id, "status": "queued", "url": location}, 202, {"Location": location}


@blp.route("/jobs/<job_id>")
class TrainingJob(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.response(200, TrainingJobSchema)
    def get(self, job_id: str):
        """A training job: its status, progress, and when finished the version it made
        (with the gate result) or the error it failed with."""
        rt = runtime()
        try:
            job = Job.fetch(job_id, connection=rt.redis)
        except (NoSuchJobError, ValueError):  # ValueError: not a well-formed RQ job id
            job = None
        if job is None or job.func_name != TRAIN_JOB:
            raise ApiError(404, "job_not_found", f"No training job {job_id!r}.")
        status = job.get_status()
        status = getattr(status, "value", status)
        out: dict[str, Any] = {
            "job_id": job.id,
            "status": status,
            "progress": {"stage": job.meta.get("stage"), "fraction": job.meta.get("fraction")},
            "started_by": job.meta.get("started_by"),
            "options": job.args[1] if len(job.args) > 1 else None,
            "enqueued_at": job.enqueued_at,
            "started_at": job.started_at,
            "ended_at": job.ended_at,
            "version": None, "activated": None, "note": None, "gate": None,
            "moderator_decisions": None, "label_sources": None, "live_active": None,
            "error": None,
        }
        if status == "finished":
            result = job.return_value() or {}
            out.update(version=result.get("version"), activated=result.get("activated"),
                       note=result.get("note"), gate=result.get("gate"),
                       moderator_decisions=result.get("moderator_decisions"),
                       label_sources=result.get("label_sources"),
                       live_active=result.get("live_active"))
            out["progress"] = {"stage": "done", "fraction": 1.0}
        elif status in ("failed", "stopped"):
            latest = job.latest_result()
            text = (latest.exc_string if latest else None) or ""
            # The last line names the exception; the traceback stays in the worker's log.
            lines = [line for line in text.strip().splitlines() if line.strip()]
            out["error"] = lines[-1] if lines else status
        return out


@blp.route("/<version>")
class ModelVersion(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.response(200, ModelVersionSchema)
    def get(self, version: str):
        """One version with all its held-out metrics, training details and model card text."""
        rt = runtime()
        meta = _meta_or_404(version)
        out = _present_version(meta, rt.models.active_version(), full=True, live=_live())
        names = rt.models.card_files(version)
        out["card_files"] = names
        out["card"] = _card_markdown(names, version)
        return out


@blp.route("/<version>/activate")
class ActivateVersion(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.arguments(ActivateInSchema, required=False)
    @blp.response(200, ActivatedSchema)
    def post(self, body: dict | None, version: str):
        """Make this version the one that scores comments: promote a candidate (whatever its
        gate result) or roll back to a retired version. Workers switch within seconds
        (`MODEL_POLL_INTERVAL`), between batches, without restarting. Audited."""
        rt = runtime()
        _meta_or_404(version)
        current = rt.models.active_version()
        if current == version:
            return {"version": version, "previous": current, "changed": False}
        by, _ = actor()
        reason = (body or {}).get("reason") or "activated by an admin"
        try:
            previous = activate_version(rt.models, version, by=by, reason=reason)
        except UnknownVersion:
            raise ApiError(404, "model_not_found", f"No model version {version!r}.") from None
        return {"version": version, "previous": previous, "changed": True}


@blp.route("/<version>/card")
class ModelCard(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.doc(responses={"200": {"description": "The model card (Markdown)",
                                "content": {"text/markdown": {"schema": {"type": "string"}}}}})
    def get(self, version: str):
        """The version's model card as Markdown; its plots are under `card/{name}`."""
        _meta_or_404(version)
        text = _card_markdown(runtime().models.card_files(version), version)
        if text is None:
            raise ApiError(404, "card_not_found", f"Version {version!r} has no model card stored.")
        return Response(text, mimetype="text/markdown")


@blp.route("/<version>/card/<path:name>")
class ModelCardFile(MethodView):
    @require_role("admin")
    @all_tenants_only
    @blp.doc(responses={"200": {"description": "One file of the model card (Markdown or PNG)",
                                "content": {"image/png": {"schema": {"type": "string",
                                                                     "format": "binary"}}}}})
    def get(self, version: str, name: str):
        """One file of the version's model card (e.g. a precision-recall curve PNG)."""
        _meta_or_404(version)
        data = runtime().models.card_file(version, name)
        if data is None:
            raise ApiError(404, "card_file_not_found", f"Version {version!r} has no card file {name!r}.")
        mimetype = "text/markdown" if name.endswith(".md") else (
            mimetypes.guess_type(name)[0] or "application/octet-stream")
        return Response(data, mimetype=mimetype, headers={"X-Content-Type-Options": "nosniff"})
