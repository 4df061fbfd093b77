"""Synchronous scoring in the API process, for the integrations that must answer at once
(the Perspective-compatible endpoint, Coral Talk's external moderation phase).

The model is the registry's active version, loaded by the same ``ActiveModel``
the workers use, once per process and shared by its threads; a background
thread picks up a newly activated version, so no request waits for a reload.

A comment to keep is stored as pending, leased to this process, and decided
here by the workers' own recording code (``worker.jobs.decide_scored``), so
the policy, author counters and webhook events are exactly those of a comment
scored by a worker; if the process dies in between, the lease runs out and a
worker scores it.

The model modules are imported on first use, so an API that never serves these
routes never loads scikit-learn.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from service.runtime import Runtime
from worker.jobs import RECORD_FIELDS

log = logging.getLogger("service.scoring")
_LOCK = threading.RLock()


class ModelUnavailable(RuntimeError):
    """No model version is active (or none could be loaded)."""


@dataclass(frozen=True)
class Stored:
    id: str
    created: bool
    record: dict[str, Any]


def _context(rt: Runtime):
    """A worker context over the API's runtime (its stores, and a shared ActiveModel)."""
    ctx = rt.extras.get("scoring_context")
    if ctx is None:
        with _LOCK:
            ctx = rt.extras.get("scoring_context")
            if ctx is None:
                from worker.active_model import ActiveModel
                from worker.context import WorkerContext

                ctx = WorkerContext(
                    settings=rt.settings, redis=rt.redis, keys=rt.keys, comments=rt.comments,
                    models=rt.models,
                    model=ActiveModel(rt.models, rt.keys, rt.settings.model_poll_interval),
                    queue=rt.queue,
                )
                rt.extras["scoring_context"] = ctx
    return ctx


def _load(rt: Runtime, ctx: Any) -> Any:
    from worker.active_model import NoActiveModel

    # ActiveModel is not thread-safe while it (re)loads; scoring itself runs unlocked.
    with _LOCK:
        try:
            model = ctx.model.get()
        except NoActiveModel as exc:
            raise ModelUnavailable(str(exc)) from exc
    rt.extras["scoring_model"] = model
    return model


def _watch(runtime_ref: weakref.ref, interval: float) -> None:
    """Reload newly activated versions off the request path: a request never waits for a
    load (Coral's phase times out after 200 ms) once this process has a model."""
    while True:
        time.sleep(interval)
        rt = runtime_ref()
        if rt is None:  # the app went away (tests build many)
            return
        try:
            _load(rt, _context(rt))
        except Exception:  # no model yet, Redis away: requests report it, the next tick retries
            log.debug("model refresh failed", exc_info=True)
        del rt


def _ensure_watcher(rt: Runtime) -> None:
    thread = rt.extras.get("scoring_watcher")
    if thread is not None and thread.is_alive():
        return
    with _LOCK:
        thread = rt.extras.get("scoring_watcher")
        # Also after a fork (gunicorn --preload): threads do not survive it.
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_watch, name="model-watcher", daemon=True,
                                      args=(weakref.ref(rt), max(rt.settings.model_poll_interval, 0.1)))
            thread.start()
            rt.extras["scoring_watcher"] = thread


def scorer(rt: Runtime):
    """The active model: loaded by the first request of the process, then kept current by a
    background thread that checks the registry every MODEL_POLL_INTERVAL."""
    _ensure_watcher(rt)
    model = rt.extras.get("scoring_model")
    if model is not None:
        return model
    return _load(rt, _context(rt))


def score(rt: Runtime, text: str):
    """(scorer, Score) for one text with the active model."""
    model = scorer(rt)
    return model, model.score_batch([text])[0]


def store_pending(rt: Runtime, *, tenant: str, article_id: str, text: str, author_id: str,
                  external_id: str | None = None, parent_id: str | None = None,
                  request_id: str | None = None) -> Stored:
    """Store a comment of ``tenant`` as the native API does, leased to this process for scoring."""
    created = rt.comments.create(
        tenant=tenant, article_id=article_id, text=text, author_id=author_id, external_id=external_id,
        parent_id=parent_id, request_id=request_id, scoring_lease=rt.settings.lease_seconds,
    )
    record = rt.comments.get_many([created.id], RECORD_FIELDS)[0] or {}
    return Stored(id=created.id, created=created.created, record=record)


def decide(rt: Runtime, stored: Stored, model: Any, score: Any) -> dict[str, Any]:
    """Record the model's decision on a stored pending comment; returns the current record
    (a comment someone already decided keeps that decision)."""
    from worker.jobs import decide_scored

    if stored.record.get("status") == "pending":
        decide_scored(_context(rt), model, [(stored.record, score)])
    return rt.comments.get(stored.id) or stored.record
