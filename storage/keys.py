"""The Redis key layout: the one place that names keys.

Every key starts with the configured prefix (``MODERATION_KEY_PREFIX``, default
``mod:``) so the service can share a Redis with other applications. The table
in docs/ARCHITECTURE.md mirrors this module; change both together.

Ids inside key names are the sites' own (article, author, external and reader
ids) and may hold ``:``, ``*``, braces, spaces or any Unicode. Each is
percent-encoded (``encode_id``) so that no id can reach into another key's
name (author ``bob:comments`` must not name bob's comment index). Ids made only
of the safe characters, which is every id the API accepted before, keep the
names they had. Lua scripts that build key names from ids use ``LUA_ENCODE``,
the same encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

# Kept as they are in key names (quote() also keeps letters, digits and "_.-~").
_SAFE = "@+="

# The same encoding in Lua, for scripts that build key names: every byte outside
# the safe set becomes %XX (upper-case hex), exactly as encode_id does.
LUA_ENCODE = """
local function encode_id(s)
  return (string.gsub(s, '[^A-Za-z0-9_%.~@%+=%-]', function(c)
    return string.format('%%%02X', string.byte(c))
  end))
end
"""


def encode_id(value: str) -> str:
    """An id as it appears in key names: percent-encoded outside ``[A-Za-z0-9_.~@+=-]``.

    Injective (distinct ids, distinct names) and free of ``:``, so an encoded id
    can never end early or run into the next segment of a key name.
    """
    return quote(value, safe=_SAFE, encoding="utf-8", errors="surrogatepass")

# Tenant seam (the tenants work defines these for every key): records and keys without a
# tenant belong to DEFAULT_TENANT; "*" is a moderator's or admin's key over all tenants.
DEFAULT_TENANT = "default"
ALL_TENANTS = "*"


@dataclass(frozen=True)
class Keys:
    prefix: str = "mod:"

    # Comments -------------------------------------------------------------
    def comment(self, comment_id: str) -> str:
        """Hash: the comment record (text, author, status, scores, reasons...)."""
        return f"{self.prefix}c:{encode_id(comment_id)}"

    def history(self, comment_id: str) -> str:
        """List: append-only JSON events of one comment."""
        return f"{self.prefix}c:{encode_id(comment_id)}:h"

    def external_id(self, article_id: str, external_id: str) -> str:
        """String: comment id posted under the site's own id (idempotency)."""
        return f"{self.prefix}ext:{encode_id(article_id)}:{encode_id(external_id)}"

    @property
    def sequence(self) -> str:
        """String counter: posting order of every comment (article listings sort by it)."""
        return f"{self.prefix}seq"

    def article_comments(self, article_id: str, status: str | None = None) -> str:
        """Sorted set: an article's comment ids scored by sequence, all or by status."""
        return self.article_prefix(article_id) + (status or "all")

    def article_prefix(self, article_id: str) -> str:
        """Prefix of an article's listing keys (Lua scripts append the status)."""
        return f"{self.prefix}a:{encode_id(article_id)}:"

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
    def retention_lock(self) -> str:
        """String (with TTL): a worker is running, or recently ran, the retention sweep."""
        return f"{self.prefix}retention-lock"

    @property
    def drain_scheduled(self) -> str:
        """String flag (with TTL): a scoring job is already queued."""
        return f"{self.prefix}drain-scheduled"

    # Moderation (review queue, claims, authors, reports, article policy) ---
    def claim(self, comment_id: str) -> str:
        """String with TTL: the moderator who holds a claim on a held comment."""
        return f"{self.prefix}claim:{encode_id(comment_id)}"

    def reports(self, comment_id: str) -> str:
        """Set: ids of readers who reported a comment (one report per reader counts)."""
        return f"{self.prefix}c:{encode_id(comment_id)}:reports"

    def author(self, author_id: str) -> str:
        """Hash: an author's counters (posted, held, approved, rejected), name, ban state."""
        return f"{self.prefix}au:{encode_id(author_id)}"

    def author_comments(self, author_id: str) -> str:
        """Sorted set: an author's comment ids by posting time, added when a comment is first
        decided (its ``ZADD NX`` is what counts each comment once in the author's counters)."""
        return f"{self.prefix}au:{encode_id(author_id)}:comments"

    def author_stored(self, author_id: str) -> str:
        """Sorted set: every comment stored under the author, by posting time, written in the
        same script as the record (every path: API, Perspective, Coral; pending ones too), so
        erasure reaches all of them without scanning the store."""
        return f"{self.prefix}au:{encode_id(author_id)}:stored"

    def author_outcomes(self, author_id: str) -> str:
        """List: an author's recent moderator outcomes as '<approved|rejected>:<comment id>',
        newest first, one entry per comment (a re-decision replaces it)."""
        return f"{self.prefix}au:{encode_id(author_id)}:outcomes"

    def author_audit(self, author_id: str) -> str:
        """List: JSON ban/unban events of an author (who, when, why), oldest first."""
        return f"{self.prefix}au:{encode_id(author_id)}:audit"

    @property
    def banned_authors(self) -> str:
        """Set: banned author ids."""
        return f"{self.prefix}banned"

    def article_policy(self, article_id: str) -> str:
        """Hash: an article's moderation policy (mode, sensitive, protected terms, allowed names)."""
        return f"{self.prefix}a:{encode_id(article_id)}:policy"

    def article_policy_audit(self, article_id: str) -> str:
        """List: JSON audit events of an article's policy changes (who, when, mode), oldest first."""
        return f"{self.prefix}a:{encode_id(article_id)}:policy:audit"

    @property
    def examples(self) -> str:
        """Hash: comment id -> JSON labelled example from a moderator's latest decision."""
        return f"{self.prefix}examples"

    # Webhooks -------------------------------------------------------------
    def webhook(self, key_id: str) -> str:
        """Hash: a site key's callback URL and signing secret."""
        return f"{self.prefix}webhook:{encode_id(key_id)}"

    def tenant_webhooks(self, tenant: str) -> str:
        """Set: ids of the keys of one tenant with a registered webhook (an emitter reads the
        sets of its batch's tenants in one round trip). The default tenant keeps the name
        this set had before tenants, so registrations made then need no migration.
        ``ALL_TENANTS`` ("*") is the set of keys over every tenant, which get every decision.

        Tenant seam: other tenants' sets take a ``t:{tenant}:`` segment.
        """
        if tenant == DEFAULT_TENANT:
            return f"{self.prefix}webhooks"
        if tenant == ALL_TENANTS:
            return f"{self.prefix}webhooks:all-tenants"
        return f"{self.prefix}t:{encode_id(tenant)}:webhooks"

    def webhook_breaker(self, key_id: str) -> str:
        """Hash (with TTL): a webhook's circuit breaker: consecutive failures, open until,
        trial delivery in flight until. Absent: closed."""
        return f"{self.prefix}webhook:breaker:{encode_id(key_id)}"

    @property
    def webhook_failures(self) -> str:
        """Sorted set: delivery ids that ran out of retries, by time (for replay): every key's."""
        return f"{self.prefix}webhook:failed"

    def key_webhook_failures(self, key_id: str) -> str:
        """Sorted set: one key's failed delivery ids by time (a site key's listing reads only this)."""
        return f"{self.prefix}webhook:failed:k:{encode_id(key_id)}"

    def tenant_webhook_failures(self, tenant: str) -> str:
        """Sorted set: one tenant's failed delivery ids by time (a tenant's admin reads only this)."""
        return f"{self.prefix}webhook:failed:t:{encode_id(tenant)}"

    def webhook_delivery(self, delivery_id: str) -> str:
        """Hash: one delivery's event body, target, tenant and attempts."""
        return f"{self.prefix}webhook:d:{encode_id(delivery_id)}"

    # Models ---------------------------------------------------------------
    def model_blob(self, version: str) -> str:
        """String: the skops bytes of one model version."""
        return f"{self.prefix}model:{encode_id(version)}:blob"

    def model_meta(self, version: str) -> str:
        """Hash: metadata of one model version (sha256, metrics JSON, creator...)."""
        return f"{self.prefix}model:{encode_id(version)}:meta"

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

    def model_card(self, version: str) -> str:
        """Hash: file name -> bytes of one version's model card (Markdown, PR-curve PNGs)."""
        return f"{self.prefix}model:{encode_id(version)}:card"

    @property
    def model_audit(self) -> str:
        """List: JSON audit events of model activations (who, when, from, to), newest first."""
        return f"{self.prefix}model:audit"

    # Access ---------------------------------------------------------------
    def api_key(self, key_hash: str) -> str:
        """Hash: an API key's role, name, creation time (looked up by SHA-256 of the key)."""
        return f"{self.prefix}key:{encode_id(key_hash)}"

    @property
    def api_keys(self) -> str:
        """Hash: key id -> key hash, to list and revoke keys by id."""
        return f"{self.prefix}keys"

    @property
    def rate_limit_prefix(self) -> str:
        """Prefix of the rate limiter's counters (the limits library appends
        ``:LIMITER/<caller>/<route>/<amount>/<period>`` itself; strings with a TTL)."""
        return f"{self.prefix}ratelimit"

    @property
    def coral_signature_failures(self) -> str:
        """Prefix of the per-address counters of failed X-Coral-Signature checks (the limits
        library appends ``:LIMITER/<address>/<amount>/<period>``; strings with a TTL)."""
        return f"{self.prefix}coral-sigfail"

    def rate_limit_logged(self, caller: str, limit: str) -> str:
        """String (TTL: the rest of the window): a breach of ``limit`` by ``caller`` has
        been logged in this window (one log line per caller, limit and window)."""
        return f"{self.prefix}ratelimit-logged:{caller}:{limit.replace(' ', '-')}"

    # Policy ---------------------------------------------------------------
    @property
    def thresholds(self) -> str:
        """Hash: category -> hold threshold set by an admin (overrides the model's)."""
        return f"{self.prefix}policy:thresholds"

    @property
    def policy_audit(self) -> str:
        """List: JSON audit events of policy changes."""
        return f"{self.prefix}policy:audit"
