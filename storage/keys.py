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

Tenants (titles sharing the deployment): comment records, their history,
claims and reports are global (comment ids are random and unique, and each
record names its tenant); what hangs on a site's own ids (external ids,
article listings and policies, authors and bans) lives under the tenant's
``TenantKeys``. The default tenant keeps the names these keys had before
tenants existed (``mod:au:{author}``), so existing data needs no migration;
every other tenant's carry a ``t:{tenant}:`` segment (``mod:t:{tenant}:au:{author}``).
Keys introduced with tenants (the held-queue indexes, per-tenant thresholds,
readers' report counters) carry the segment for every tenant, the default
included, so they never meet a global key's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from core.tenants import ALL_TENANTS, DEFAULT_TENANT

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


class _ScopedKeys:
    """Keys that exist once over every tenant (``Keys``: what "*" keys read) and once per
    tenant (``TenantKeys``), named alike under the scope's base.

    The held queue, its category and kind indexes and its set of categories are kept per
    tenant only since migrations 7 and 8 (storage/migrations.py, which read and delete the
    all-tenants ones named here): an all-tenants key's pages and counts merge its tenants'
    (``Keys.queue_tenants``)."""

    @property
    def _scope(self) -> str:
        raise NotImplementedError

    # Review queue -------------------------------------------------------------
    @property
    def held_queue(self) -> str:
        """Sorted set: the scope's held comments by review priority (ascending = first); all
        tenants' only in stores before migration 8."""
        return f"{self._scope}queue:held"

    def held_category(self, category: str) -> str:
        """Sorted set: the scope's held comments with a reason of ``category``, by priority."""
        return f"{self._scope}queue:held:cat:{encode_id(category)}"

    def held_kind(self, kind: str) -> str:
        """Sorted set: the scope's held comments whose hold reasons name ``kind`` (``abuse:
        threat`` names ``threat``), by priority. The Lua scripts name it from
        ``held_category("")`` ("cat:" becomes "kind:"; storage/comments.py ``kind_prefix``)."""
        return f"{self._scope}queue:held:kind:{encode_id(kind)}"

    @property
    def held_categories(self) -> str:
        """Set: categories outside ``storage.comments.QUEUE_CATEGORIES`` that have a
        ``held_category`` index in the scope (the counts list those and the known ones;
        sets from before may also hold known ones, read alike)."""
        return f"{self._scope}queue:held:cats"

    # Policy -------------------------------------------------------------------
    @property
    def thresholds(self) -> str:
        """Hash: category -> hold threshold (overrides the model's): a tenant's own, set for
        it, come first, then the ones an all-tenants admin set for every tenant. Also abuse
        kinds' thresholds, as ``abuse:<kind>`` (storage/thresholds.py)."""
        return f"{self._scope}policy:thresholds"

    @property
    def policy_audit(self) -> str:
        """List: JSON audit events of changes to the scope's thresholds."""
        return f"{self._scope}policy:audit"


@dataclass(frozen=True)
class Keys(_ScopedKeys):
    prefix: str = "mod:"

    @property
    def _scope(self) -> str:
        return self.prefix

    def tenant(self, tenant: str) -> TenantKeys:
        """The keys of one tenant's data (articles, authors, external ids, its queue)."""
        return TenantKeys(self.prefix, tenant)

    # Comments -------------------------------------------------------------
    def comment(self, comment_id: str) -> str:
        """Hash: the comment record (tenant, text, author, status, scores, reasons..., the
        first two history events ``ev_posted``/``ev_scored``, ``queued`` while queued)."""
        return f"{self.prefix}c:{encode_id(comment_id)}"

    def history(self, comment_id: str) -> str:
        """List: append-only JSON events of one comment after its first two (posted, the
        model's decision), which are fields of the record (``ev_posted``, ``ev_scored``);
        records from before hold all their events here."""
        return f"{self.prefix}c:{encode_id(comment_id)}:h"

    @property
    def sequence(self) -> str:
        """String counter: posting order of every comment (article listings sort by it)."""
        return f"{self.prefix}seq"

    # Scoring pipeline -----------------------------------------------------
    @property
    def pending(self) -> str:
        """Sorted set: comments waiting to be scored, scored by the time they may be
        leased (now for new ones, lease expiry for ones a worker holds; see
        ``storage.comments.lease_score`` for how the two are told apart)."""
        return f"{self.prefix}pending"

    @property
    def attempts(self) -> str:
        """Hash: comment id -> times leased for scoring (poison-comment detection), for
        comments leased again after a lease ran out only: a first lease writes none."""
        return f"{self.prefix}pending:attempts"

    @property
    def retention_lock(self) -> str:
        """String (with TTL): a worker is running, or recently ran, the retention sweep."""
        return f"{self.prefix}retention-lock"

    @property
    def drain_scheduled(self) -> str:
        """String flag (with TTL): a scoring job is queued or running ("busy"; "1" when
        recovery queued it), or running and waiting for posts on ``drain_wake`` ("waiting")."""
        return f"{self.prefix}drain-scheduled"

    @property
    def drain_wake(self) -> str:
        """List: wake-up tokens a post pushes for a scoring job waiting for more comments."""
        return f"{self.prefix}drain-wake"

    @property
    def drain_helper(self) -> str:
        """String flag (with TTL): a second scoring job was queued for a backlog."""
        return f"{self.prefix}drain-helper"

    @property
    def settings_version(self) -> str:
        """String: a new random token each time a setting a scoring batch reads changes
        (thresholds, tenant rules, spot-check rates, article policies, webhooks, DSA
        settings; storage/settings_version.py): workers keep those settings while it stays
        the same (worker/policy.py ``PolicyCache``)."""
        return f"{self.prefix}settings-version"

    @property
    def schema_version(self) -> str:
        """String: the last data migration applied (storage/migrations.py)."""
        return f"{self.prefix}schema-version"

    # Moderation (claims, reports) -----------------------------------------
    def claim(self, comment_id: str) -> str:
        """String with TTL: the moderator (key id and name) who holds a claim on a held comment."""
        return f"{self.prefix}claim:{encode_id(comment_id)}"

    def reports(self, comment_id: str) -> str:
        """Set: ids of readers who reported a comment (one report per reader counts)."""
        return f"{self.prefix}c:{encode_id(comment_id)}:reports"

    @property
    def examples(self) -> str:
        """Hash: comment id -> JSON labelled example (with its tenant) from a moderator's
        latest decision."""
        return f"{self.prefix}examples"

    # DSA: notices (Art. 16) and appeals (Art. 20) ---------------------------
    def notice(self, ref: str) -> str:
        """Hash: one notice of illegal content (tenant, comment, law, explanation, notifier's
        contact, decision); expires RETENTION_DAYS after its last change."""
        return f"{self.prefix}notice:{encode_id(ref)}"

    def comment_notices(self, comment_id: str) -> str:
        """Set: refs of the notices filed against a comment (at most MAX_NOTICES_PER_COMMENT)."""
        return f"{self.prefix}c:{encode_id(comment_id)}:notices"

    def appeal(self, ref: str) -> str:
        """Hash: one appeal (tenant, comment, the decision appealed, the outcome)."""
        return f"{self.prefix}appeal:{encode_id(ref)}"

    def comment_appeal(self, comment_id: str) -> str:
        """String: ref of the comment's open appeal (one at a time)."""
        return f"{self.prefix}c:{encode_id(comment_id)}:appeal"

    def comment_appeals(self, comment_id: str) -> str:
        """Set: refs of every appeal of a comment, open or decided (what erasure reads)."""
        return f"{self.prefix}c:{encode_id(comment_id)}:appeals"

    @property
    def dsa_records(self) -> str:
        """Sorted set: 'notice:<ref>' and 'appeal:<ref>' by their last change (what the
        retention sweep reads instead of scanning)."""
        return f"{self.prefix}dsa:records"

    @property
    def queue_tenants(self) -> str:
        """Set: tenants that have had a comment held, added by the script that holds one
        (storage/comments.py ``enter_indexes``; a scoring worker asks for it once per tenant
        in a while, never per comment): whose category and kind indexes an all-tenants
        key's queue pages and counts merge. Never emptied (a tenant with an empty queue
        costs a few reads of empty indexes)."""
        return f"{self.prefix}queue:tenants"

    @property
    def quality_tenants(self) -> str:
        """Set: tenants with quality counters (what an all-tenants key's figures add up)."""
        return f"{self.prefix}quality:tenants"

    # Webhooks -------------------------------------------------------------
    def webhook(self, key_id: str) -> str:
        """Hash: a site key's callback URL and signing secret."""
        return f"{self.prefix}webhook:{encode_id(key_id)}"

    def tenant_webhooks(self, tenant: str) -> str:
        """Set: ids of the keys of one tenant with a registered webhook (an emitter reads the
        sets of its batch's tenants in one round trip). The default tenant keeps the name
        this set had before tenants (``TenantKeys.webhooks``), so registrations made then need
        no migration. ``ALL_TENANTS`` ("*") is the set of keys over every tenant, which get
        every decision."""
        if tenant == ALL_TENANTS:
            return f"{self.prefix}webhooks:all-tenants"
        return self.tenant(tenant).webhooks

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
        """Hash: an API key's role, tenant, name, creation time (looked up by SHA-256 of the key)."""
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

    def rate_window(self, caller: str, window: str) -> str:
        """String (TTL: the window): requests ``caller`` made in the current fixed ``window``
        (its scope and limit: "post-comments/120 per 1 second"), counted by
        storage/rate_windows.py, all of a request's windows in one round trip."""
        return f"{self.prefix}ratelimit:win:{encode_id(caller)}:{encode_id(window)}"

    def rate_limit_logged(self, caller: str, limit: str) -> str:
        """String (TTL: the rest of the window): a breach of ``limit`` by ``caller`` has
        been logged in this window (one log line per caller, limit and window)."""
        return f"{self.prefix}ratelimit-logged:{caller}:{limit.replace(' ', '-')}"



@dataclass(frozen=True)
class TenantKeys(_ScopedKeys):
    """The keys of one tenant. Methods here take the site's own ids (encoded)."""

    prefix: str
    tenant: str

    @property
    def _base(self) -> str:
        # Data that existed before tenants: the default tenant keeps the plain names.
        if self.tenant == DEFAULT_TENANT:
            return self.prefix
        return self._own

    @property
    def _own(self) -> str:
        # Keys introduced with tenants: always under the tenant's segment.
        return f"{self.prefix}t:{encode_id(self.tenant)}:"

    @property
    def _scope(self) -> str:
        return self._own

    # Comments by the site's ids -------------------------------------------
    def external_id(self, article_id: str, external_id: str) -> str:
        """String: comment id posted under the site's own id (idempotency)."""
        return f"{self._base}ext:{encode_id(article_id)}:{encode_id(external_id)}"

    def article_comments(self, article_id: str, status: str | None = None) -> str:
        """Sorted set: an article's comment ids scored by sequence (its one listing, filtered
        by status on read). With ``status``: the per-status listings stores kept before
        migration 3, which deletes them."""
        return self.article_prefix(article_id) + (status or "all")

    def article_prefix(self, article_id: str) -> str:
        """Prefix of an article's listing keys."""
        return f"{self._base}a:{encode_id(article_id)}:"

    def article_policy(self, article_id: str) -> str:
        """Hash: an article's moderation policy (mode, sensitive, protected terms, allowed names)."""
        return f"{self._base}a:{encode_id(article_id)}:policy"

    def article_policy_audit(self, article_id: str) -> str:
        """List: JSON audit events of an article's policy changes (who, when, mode), oldest first."""
        return f"{self._base}a:{encode_id(article_id)}:policy:audit"

    # Authors (the site's ids: the same id in two tenants is two people) ------
    def author(self, author_id: str) -> str:
        """Hash: an author's counters (posted, held, approved, rejected), name, ban state
        (``banned`` mirrors the banned set), recent moderator outcomes one letter each
        (``outcomes``, mirroring the outcomes list) and the repeat rule's fingerprints."""
        return f"{self._base}au:{encode_id(author_id)}"

    def author_comments(self, author_id: str) -> str:
        """Sorted set: an author's comment ids by posting time, added when a comment is first
        decided (its ``ZADD NX`` is what counts each comment once in the author's counters)."""
        return f"{self._base}au:{encode_id(author_id)}:comments"

    def author_stored(self, author_id: str) -> str:
        """Sorted set: every comment stored under the author, by posting time, written in the
        same script as the record (every path: API, Perspective, Coral; pending ones too), so
        erasure reaches all of them without scanning the store."""
        return f"{self._base}au:{encode_id(author_id)}:stored"

    def author_outcomes(self, author_id: str) -> str:
        """List: an author's recent moderator outcomes as '<approved|rejected>:<comment id>',
        newest first, one entry per comment (a re-decision replaces it)."""
        return f"{self._base}au:{encode_id(author_id)}:outcomes"

    def author_audit(self, author_id: str) -> str:
        """List: JSON ban/unban events of an author (who, when, why), oldest first."""
        return f"{self._base}au:{encode_id(author_id)}:audit"

    @property
    def banned_authors(self) -> str:
        """Set: banned author ids."""
        return f"{self._base}banned"

    # Webhooks -----------------------------------------------------------------
    @property
    def webhooks(self) -> str:
        """Set: ids of the tenant's keys with a registered webhook."""
        return f"{self._base}webhooks"

    # Review queue of the tenant (beside the scope's ones) --------------------
    def held_article(self, article_id: str) -> str:
        """Sorted set: the tenant's held comments under one article, by priority."""
        return f"{self._own}queue:held:a:{encode_id(article_id)}"

    # DSA ----------------------------------------------------------------------
    @property
    def dsa_settings(self) -> str:
        """Hash: the tenant's DSA options (appeals on, redress texts) and its statement-of-
        reasons templates (``template:<category>``)."""
        return f"{self._own}dsa:settings"

    def dsa_day(self, day: str) -> str:
        """Hash: the tenant's transparency counters of one UTC day (YYYY-MM-DD)."""
        return f"{self._own}dsa:day:{encode_id(day)}"

    def dsa_times(self, day: str, kind: str) -> str:
        """List: handling times in seconds of the notices or appeals (``kind``) decided on one
        UTC day (their medians go into the transparency report)."""
        return f"{self._own}dsa:times:{encode_id(day)}:{encode_id(kind)}"

    def notifier(self, digest: str) -> str:
        """Set: refs of the notices one notifier filed (``digest``: SHA-256 of the e-mail
        address), so erasing a notifier's contact needs no scan."""
        return f"{self._own}dsa:notifier:{encode_id(digest)}"

    # Live quality figures -----------------------------------------------------
    def quality_day(self, day: str) -> str:
        """Hash: one UTC day's quality counters of the tenant, fields ``{version}|{counter}``
        (decisions, holds per category, spot checks and their weights, moderators' answers,
        time-to-decision histograms); the day is the model's decision's."""
        return f"{self._own}quality:{encode_id(day)}"

    @property
    def spot_check_policy(self) -> str:
        """Hash: the tenant's spot-check settings set at run time (``rate``)."""
        return f"{self._own}policy:spot-checks"

    @property
    def spot_check_audit(self) -> str:
        """List: JSON audit events of changes to the tenant's spot-check rate, newest first."""
        return f"{self._own}policy:spot-checks:audit"

    # Articles' metadata and threads (introduced after tenants: always the tenant's segment) --
    def article_meta(self, article_id: str) -> str:
        """Hash: an article's title, url and section as the site last sent them (once per
        article, not per comment)."""
        return f"{self._own}a:{encode_id(article_id)}:meta"

    def replies(self, article_id: str, parent_ref: str) -> str:
        """Sorted set: ids of the comments replying to ``parent_ref`` (the parent as the site
        named it: this service's id or its own external id) under an article, by sequence."""
        return f"{self._own}a:{encode_id(article_id)}:replies:{encode_id(parent_ref)}"

    # Per-tenant rules (repeats, links, new commenters, word lists) ----------------------
    @property
    def rules(self) -> str:
        """Hash: the tenant's rule settings (storage/tenant_rules.py)."""
        return f"{self._own}rules"

    @property
    def rules_audit(self) -> str:
        """List: JSON audit events of changes to the tenant's rules (counts, never words)."""
        return f"{self._own}rules:audit"

    # Readers' reports ---------------------------------------------------------
    def reader_reports(self, reader_id: str) -> str:
        """String counter (TTL: one window): reports a reader made in the current window."""
        return f"{self._own}reader:{encode_id(reader_id)}:reports"
