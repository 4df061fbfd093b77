"""The Redis key layout: the one place that names keys.

Every key starts with the configured prefix (``MODERATION_KEY_PREFIX``, default
``mod:``) so the service can share a Redis with other applications. The table
in docs/ARCHITECTURE.md mirrors this module; change both together.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "mod:"

    # Comments -------------------------------------------------------------
    def comment(self, comment_id: str) -> str:
        """Hash: the comment record (text, author, status, scores, reasons...)."""
        return f"{self.prefix}c:{comment_id}"

    def history(self, comment_id: str) -> str:
        """List: append-only JSON events of one comment."""
        return f"{self.prefix}c:{comment_id}:h"

    def external_id(self, article_id: str, external_id: str) -> str:
        """String: comment id posted under the site's own id (idempotency)."""
        return f"{self.prefix}ext:{article_id}:{external_id}"

    @property
    def sequence(self) -> str:
        """String counter: posting order of every comment (article listings sort by it)."""
        return f"{self.prefix}seq"

    def article_comments(self, article_id: str, status: str | None = None) -> str:
        """Sorted set: an article's comment ids scored by sequence, all or by status."""
        return self.article_prefix(article_id) + (status or "all")

    def article_prefix(self, article_id: str) -> str:
        """Prefix of an article's listing keys (Lua scripts append the status)."""
        return f"{self.prefix}a:{article_id}:"

    # Scoring pipeline -----------------------------------------------------
    @property
    def pending(self) -> str:
        """Sorted set: comments waiting to be scored, scored by the time they may be
        leased (now for new ones, lease expiry for ones a worker holds)."""
        return f"{self.prefix}pending"

    @property
    def attempts(self) -> str:
        """Hash: comment id -> times leased for scoring (poison-comment detection)."""
        return f"{self.prefix}pending:attempts"

    @property
    def held_queue(self) -> str:
        """Sorted set: held comments by review priority (ascending = first)."""
        return f"{self.prefix}queue:held"

    @property
    def drain_scheduled(self) -> str:
        """String flag (with TTL): a scoring job is already queued."""
        return f"{self.prefix}drain-scheduled"

    # Models ---------------------------------------------------------------
    def model_blob(self, version: str) -> str:
        """String: the skops bytes of one model version."""
        return f"{self.prefix}model:{version}:blob"

    def model_meta(self, version: str) -> str:
        """Hash: metadata of one model version (sha256, metrics JSON, creator...)."""
        return f"{self.prefix}model:{version}:meta"

    @property
    def model_versions(self) -> str:
        """Sorted set: model versions scored by creation time."""
        return f"{self.prefix}models"

    @property
    def model_load_error(self) -> str:
        """String (with TTL): the last failure of a worker to load the active version."""
        return f"{self.prefix}model:load-error"

    @property
    def active_model(self) -> str:
        """String: the version workers score with."""
        return f"{self.prefix}model:active"

    # Access ---------------------------------------------------------------
    def api_key(self, key_hash: str) -> str:
        """Hash: an API key's role, name, creation time (looked up by SHA-256 of the key)."""
        return f"{self.prefix}key:{key_hash}"

    @property
    def api_keys(self) -> str:
        """Hash: key id -> key hash, to list and revoke keys by id."""
        return f"{self.prefix}keys"

    # Policy ---------------------------------------------------------------
    @property
    def thresholds(self) -> str:
        """Hash: category -> hold threshold set by an admin (overrides the model's)."""
        return f"{self.prefix}policy:thresholds"

    @property
    def policy_audit(self) -> str:
        """List: JSON audit events of policy changes."""
        return f"{self.prefix}policy:audit"
