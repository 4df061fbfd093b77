"""First-run steps shared by `moderation up`, `moderation init` and docker-compose:
data migrations, a model in the registry and an all-tenants admin key."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis

from core.config import Settings
from core.tenants import ALL_TENANTS
from storage.api_keys import ApiKeyStore
from storage.keys import Keys
from storage.migrations import migrate
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
    """Create an all-tenants ("*") admin key when there is none; returns the plain key (shown
    once) or None.

    Admin keys from before tenants belong to the default tenant and cannot manage model
    versions (which serve every tenant), so an upgraded store gets one such key too.
    """
    if any(key.role == "admin" and key.tenant == ALL_TENANTS for key in api_keys.list()):
        return None
    _, plain = api_keys.create("admin", "first admin (created by bootstrap)", ALL_TENANTS)
    return plain


def ensure_migrated(redis: Redis, keys: Keys) -> list[tuple[int, str, int]]:
    """Apply the data migrations not applied yet (storage/migrations.py)."""
    return migrate(redis, keys)
