"""First-run steps shared by `moderation up`, `moderation train` and docker-compose:
a model in the registry and an admin key."""

from __future__ import annotations

from collections.abc import Callable

from core.config import Settings
from storage.api_keys import ApiKeyStore
from storage.model_registry import ModelRegistry
from worker.publishing import register_scorer

Progress = Callable[[str, float], None]


def ensure_model(registry: ModelRegistry, settings: Settings, progress: Progress | None = None) -> str:
    """The active version, training and activating one first if there is none."""
    active = registry.active_version()
    if active:
        return active
    from model.train import train

    scorer = train(settings, progress=progress)
    return register_scorer(registry, scorer, created_by="bootstrap", activate=True)


def ensure_admin_key(api_keys: ApiKeyStore) -> str | None:
    """Create a first admin key when there is none; returns the plain key (shown once) or None."""
    if any(key.role == "admin" for key in api_keys.list()):
        return None
    _, plain = api_keys.create("admin", "first admin (created by bootstrap)")
    return plain
