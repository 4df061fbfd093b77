"""Publishing model versions: register, attach the model card, gate, activate.

Shared by the training job (worker/training.py) and `moderation train --register`,
so a version reaches the registry the same way whoever trained it. Activation
itself (the pointer and its audit) lives in storage/model_registry.py: the API
process needs only that, and never loads a model.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.config import Settings
from model.artifact import dumps
from storage.model_registry import ActiveVersionChanged, ModelRegistry, activate_version

log = logging.getLogger("moderation.models")

Progress = Callable[[str, float], None]
# Model cards are Markdown plus a few PNG plots; anything bigger is not a card.
MAX_CARD_BYTES = 8 * 1024 * 1024


def _noop(stage: str, fraction: float) -> None:
    pass


def register_scorer(
    registry: ModelRegistry, scorer: Any, *, created_by: str, activate: bool, status: str = "candidate"
) -> str:
    """Store a trained scorer as a version (and make it active if asked); returns the version."""
    blob = dumps(scorer)
    registry.put(
        scorer.version,
        blob,
        {
            "created_at": scorer.created_at,
            "created_by": created_by,
            "metrics": scorer.metrics,
            "thresholds": scorer.thresholds,
            "status": "active" if activate else status,
            "registered_at": time.time(),
        },
    )
    if activate:
        previous = registry.activate(scorer.version)
        if previous and previous != scorer.version:
            registry.update_meta(previous, status="retired")
    return scorer.version


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
    # The version this gate was decided against: activation is a compare-and-set on it.
    result["active_version"] = active_version
    registry.update_meta(scorer.version, gate=result)
    progress("quality gate done", 1.0)
    return result


def publish(registry: ModelRegistry, settings: Settings, scorer: Any, *, created_by: str,
            activate_if_passed: bool, extra_meta: dict[str, Any] | None = None,
            progress: Progress = _noop) -> dict[str, Any]:
    """Register ``scorer`` as a candidate, attach its card, gate it, and activate it if it
    passes (and ``activate_if_passed``). Returns {version, gate, activated, previous}."""
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
    note = None
    if activate_if_passed and result["passed"]:
        try:
            previous = activate_version(registry, version, by=created_by,
                                        reason="passed the quality gate",
                                        expected=result["active_version"])
            activated = True
        except ActiveVersionChanged as moved:
            # Someone (an admin rolling back, another run) chose a version while this one was
            # being gated: that choice stands, and this version waits as a candidate.
            note = (f"Passed the quality gate against {moved.expected or 'no active version'}, "
                    f"but the active version changed to {moved.current or 'none'} while the gate "
                    "ran; not activated over that choice. Activate it explicitly if it should "
                    "score comments.")
            registry.update_meta(version, note=note, not_activated_at=time.time())
            log.warning("gated version not activated: the active version changed meanwhile",
                        extra={"model_version": version, "gated_against": moved.expected,
                               "active_version": moved.current})
    log.info("model version published", extra={"model_version": version, "gate_passed": result["passed"],
                                                "activated": activated})
    progress("done", 1.0)
    return {"version": version, "gate": result, "activated": activated, "previous": previous,
            "note": note}
