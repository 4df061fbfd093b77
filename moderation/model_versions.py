"""Publishing model versions: register, attach the model card, gate, activate, audit.

Shared by the training job (worker/training.py), `moderation train --register`
and the admin API, so a version reaches the registry the same way whoever
trained it. Only activation is needed by the API process, and it never loads
a model: it moves the active pointer, and workers pick the change up.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moderation.config import Settings
from storage.model_registry import ModelRegistry, UnknownVersion

log = logging.getLogger("moderation.models")

Progress = Callable[[str, float], None]
STATUSES = ("active", "candidate", "retired")
# Model cards are Markdown plus a few PNG plots; anything bigger is not a card.
MAX_CARD_BYTES = 8 * 1024 * 1024


def _noop(stage: str, fraction: float) -> None:
    pass


def status_of(meta: dict[str, Any], active: str | None) -> str:
    """A version's status, with the active pointer as the authority.

    The pointer is one key and changes atomically; the status fields in meta
    are written after it, so they can lag a concurrent activation.
    """
    if meta.get("version") == active:
        return "active"
    stored = meta.get("status")
    return "retired" if stored in ("active", "retired") or meta.get("activated_at") else "candidate"


def activate_version(registry: ModelRegistry, version: str, *, by: str, reason: str) -> str | None:
    """Make ``version`` the scoring model, retire the one it replaces, audit it; returns that one."""
    previous = registry.activate(version)
    now = time.time()
    registry.update_meta(version, status="active", activated_at=now, activated_by=by)
    if previous and previous != version:
        try:
            registry.update_meta(previous, status="retired", retired_at=now)
        except UnknownVersion:
            pass
    registry.record_activation(
        {"at": now, "by": by, "version": version, "previous": previous, "reason": reason}
    )
    log.info("model activated", extra={"model_version": version, "previous_version": previous,
                                       "by": by})
    return previous


def load_scorer(registry: ModelRegistry, version: str) -> Any:
    from model.artifact import loads

    blob, digest = registry.blob(version)
    return loads(blob, expected_sha256=digest)


def card_files(scorer: Any) -> dict[str, bytes]:
    """The model card model/card.py writes for ``scorer`` (Markdown and PNGs), by file name."""
    from model import card

    with tempfile.TemporaryDirectory(prefix="model-card-") as tmp:
        # Given a directory, write_card writes MODEL_CARD.md and pr_<category>.png into it.
        card.write_card(scorer, Path(tmp))
        files: dict[str, bytes] = {}
        total = 0
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file() and path.suffix.lower() in (".md", ".png", ".svg", ".txt"):
                data = path.read_bytes()
                total += len(data)
                if total > MAX_CARD_BYTES:
                    break
                files[path.relative_to(tmp).as_posix()] = data
        return files


def attach_card(registry: ModelRegistry, scorer: Any) -> list[str]:
    """Store the version's model card with it; a failure costs the card, not the version."""
    try:
        files = card_files(scorer)
    except Exception as exc:  # plotting libraries and fonts vary between machines
        log.warning("model card not written", extra={"model_version": scorer.version,
                                                     "error_type": type(exc).__name__})
        return []
    registry.put_card(scorer.version, files)
    return sorted(files)


def gate_candidate(registry: ModelRegistry, settings: Settings, scorer: Any,
                   progress: Progress = _noop) -> dict[str, Any]:
    """Run the quality gate of ``scorer`` against the active version and store the result."""
    from model.corpora import CorpusFormatError
    from model.quality_gate import gate, heldout_sets

    active_version = registry.active_version()
    active = None
    if active_version and active_version != scorer.version:
        progress("loading the active version", 0.0)
        try:
            active = load_scorer(registry, active_version)
        except Exception as exc:
            # An active version no worker can load either defends nothing.
            log.warning("active version not loadable for the gate",
                        extra={"model_version": active_version, "error_type": type(exc).__name__})
    abuse = victim = None
    if active is not None:
        progress("loading held-out sets", 0.2)
        try:
            abuse, victim = heldout_sets(settings.abuse_data,
                                         max_per_source=scorer.training.get("max_per_source"))
        except (FileNotFoundError, CorpusFormatError):
            abuse = victim = None
        progress("evaluating both versions on held-out sets", 0.5)
    result = gate(scorer, active, settings.quality_gate_tolerance, abuse=abuse, victim=victim)
    result["checked_at"] = time.time()
    if active is None:
        result["active_version"] = active_version
    registry.update_meta(scorer.version, gate=result)
    progress("quality gate done", 1.0)
    return result


def publish(registry: ModelRegistry, settings: Settings, scorer: Any, *, created_by: str,
            activate_if_passed: bool, extra_meta: dict[str, Any] | None = None,
            progress: Progress = _noop) -> dict[str, Any]:
    """Register ``scorer`` as a candidate, attach its card, gate it, and activate it if it
    passes (and ``activate_if_passed``). Returns {version, gate, activated, previous}."""
    from moderation.bootstrap import register_scorer

    progress("registering the new version", 0.0)
    version = register_scorer(registry, scorer, created_by=created_by, activate=False,
                              status="candidate")
    meta = {"training": scorer.training,
            "training_counts": (scorer.metrics or {}).get("training_counts", {})}
    meta.update(extra_meta or {})
    registry.update_meta(version, **meta)
    progress("writing the model card", 0.1)
    attach_card(registry, scorer)
    result = gate_candidate(registry, settings, scorer,
                            progress=lambda stage, f: progress(stage, 0.2 + 0.75 * f))
    previous = None
    activated = False
    if activate_if_passed and result["passed"]:
        previous = activate_version(registry, version, by=created_by, reason="passed the quality gate")
        activated = True
    log.info("model version published", extra={"model_version": version, "gate_passed": result["passed"],
                                                "activated": activated})
    progress("done", 1.0)
    return {"version": version, "gate": result, "activated": activated, "previous": previous}
