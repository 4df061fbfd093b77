"""The rules in force for one batch: hold thresholds (a tenant's admin > all tenants'
admin > environment > model), the policies of the batch's articles, the standing
of its authors, its tenants' rules (repeats, links, new commenters, word lists) and
where its decisions go (webhook targets, DSA templates).

A batch reads its authors and the settings version in one pipelined round trip. The
settings themselves are kept by the worker between batches (``PolicyCache``) for as
long as that version stays the same: every writer changes it in the transaction of its
write (storage/settings_version.py), so a change applies to every batch leased after
it, and everything is read again at least every POLICY_CACHE_SECONDS anyway.
Articles and authors are the sites' own ids, so both are looked up per tenant.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from core.config import Settings
from core.tenants import ALL_TENANTS, tenant_of
from model.scoring import Scorer
from storage.article_policy import DEFAULT as DEFAULT_ARTICLE_POLICY
from storage.article_policy import ArticlePolicy
from storage.authors import AuthorState, AuthorStore
from storage.dsa import DsaSettings
from storage.keys import Keys
from storage.tenant_rules import OFF as RULES_OFF
from storage.tenant_rules import TenantRules
from storage.thresholds import kind_threshold_name

_NO_AUTHOR_STATE = AuthorState()


@dataclass
class Policy:
    thresholds: dict[str, float]
    extras: dict[str, Any] = field(default_factory=dict)
    # (tenant, article id) -> policy; (tenant, author id) -> standing
    articles: dict[tuple[str, str], ArticlePolicy] = field(default_factory=dict)
    authors: dict[tuple[str, str], AuthorState] = field(default_factory=dict)
    # tenant -> that tenant's own threshold overrides
    tenant_thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    sensitive_vi_factor: float = 1.0
    # Spot checks: the deployment's rate, tenants' own rates, the near-threshold boost.
    spot_check_default: float = 0.0
    spot_check_rates: dict[str, float] = field(default_factory=dict)
    spot_check_near_band: float = 0.0
    spot_check_near_factor: float = 1.0

    def spot_check_rate(self, comment: dict[str, Any]) -> float:
        """The share of the comment's tenant's approved comments spot-checked far from a
        threshold (its admin's setting, else SPOT_CHECK_RATE)."""
        return self.spot_check_rates.get(tenant_of(comment), self.spot_check_default)
    # tenant -> its rules (repeats, links, new commenters, word lists)
    rules: dict[str, TenantRules] = field(default_factory=dict)
    # What the rule phases learn while deciding a batch, so a comment sees the ones before it
    # in the same batch: (tenant, author) -> comments seen, and -> recent fingerprints (the
    # ones changed are written back in the batch's pipeline, worker/jobs.py).
    seen_in_batch: dict[tuple[str, str], int] = field(default_factory=dict)
    fingerprints: dict[tuple[str, str], list[tuple[float, int]]] = field(default_factory=dict)
    # tenant -> key ids whose webhooks get its decisions (its own keys' and all-tenant keys');
    # tenant -> its DSA settings (statement-of-reasons templates in the events).
    webhook_targets: dict[str, list[str]] = field(default_factory=dict)
    dsa_settings: dict[str, DsaSettings] = field(default_factory=dict)

    def base_threshold(self, category: str, comment: dict[str, Any] | None = None) -> float:
        """The comment's tenant's own threshold if it set one, else the deployment's."""
        if comment is not None:
            own = self.tenant_thresholds.get(tenant_of(comment), {})
            if category in own:
                return own[category]
        return self.thresholds.get(category, 0.5)

    def kind_threshold(self, kind: str, comment: dict[str, Any] | None = None) -> float | None:
        """The hold threshold of one abuse kind (``abuse:threat``): the comment's tenant's own,
        else the all-tenants one, else None (no hold by kind; the abuse threshold decides)."""
        name = kind_threshold_name(kind)
        if comment is not None:
            own = self.tenant_thresholds.get(tenant_of(comment), {})
            if name in own:
                return own[name]
        return self.thresholds.get(name)

    def threshold(self, category: str, comment: dict[str, Any] | None = None) -> float:
        """The hold threshold for ``comment``: lower for victim identification on
        articles marked sensitive (stories about sexual offences or children)."""
        value = self.base_threshold(category, comment)
        if (comment is not None and category == "victim_identification"
                and self.article(comment).sensitive):
            value *= self.sensitive_vi_factor
        return value

    def article(self, comment: dict[str, Any]) -> ArticlePolicy:
        """The policy of the comment's article (in the comment's tenant)."""
        key = (tenant_of(comment), comment.get("article_id") or "")
        return self.articles.get(key, DEFAULT_ARTICLE_POLICY)

    def author(self, comment: dict[str, Any]) -> AuthorState:
        """The standing of the comment's author (in the comment's tenant)."""
        key = (tenant_of(comment), comment.get("author_id") or "")
        return self.authors.get(key, _NO_AUTHOR_STATE)

    def tenant_rules(self, comment: dict[str, Any]) -> TenantRules:
        """The rules of the comment's tenant (every rule off if it set none)."""
        return self.rules.get(tenant_of(comment), RULES_OFF)

    @classmethod
    def load(cls, redis: Redis, keys: Keys, settings: Settings, scorer: Scorer,
             comments: Sequence[dict[str, Any]] = (), cache: PolicyCache | None = None) -> Policy:
        """The policy for a batch of ``comments`` (records with tenant, article_id, author_id).

        ``cache``: the worker's ``PolicyCache``; the batch then reads the settings version
        with its authors (one round trip) and settings only for tenants and articles the
        cache lacks, all of them again when the version changed (a second round trip).
        Without one every setting is read, in the one round trip."""
        cache = cache if cache is not None else PolicyCache(0.0)
        cache.expire()
        tenants = sorted({tenant_of(c) for c in comments})
        articles = sorted({(tenant_of(c), c["article_id"]) for c in comments if c.get("article_id")})
        authors = sorted({(tenant_of(c), c["author_id"]) for c in comments if c.get("author_id")})
        author_store = AuthorStore(redis, keys, settings)
        pipe = redis.pipeline(transaction=False)
        # First: whatever the pipeline reads after it is at least as new as this version.
        pipe.get(keys.settings_version)
        reads = _SettingsReads(keys, cache, tenants, articles)
        reads.queue(pipe)
        for tenant, author_id in authors:
            author_store.queue_state(pipe, tenant, author_id)
        results = pipe.execute(raise_on_error=False)
        reads_n = 1 + reads.count
        reads_per_author = author_store.STATE_READS
        for n, result in enumerate(results):
            if isinstance(result, Exception):
                # An author hash of the wrong type (data from before the encoding) costs that
                # author the rules' counters only, as it costs the batch's writes that one
                # command (worker/jobs.py); any other failed read fails the batch as before.
                if n >= reads_n and (n - reads_n) % reads_per_author == reads_per_author - 1:
                    results[n] = None
                else:
                    raise result
        version = results[0]
        if not cache.holds(version):
            # Changed since the cache was filled (or empty): what was read just now is of
            # this version; what the cache held is read again.
            cache.reset(version)
            reads.store(results[1:reads_n])
            again = _SettingsReads(keys, cache, tenants, articles)
            if again.count:
                second = redis.pipeline(transaction=False)
                again.queue(second)
                again.store(second.execute())
        else:
            reads.store(results[1:reads_n])
        raw_authors = results[reads_n:]
        thresholds = dict(scorer.thresholds)
        env = {
            "abuse": settings.hold_threshold_abuse,
            "victim_identification": settings.hold_threshold_victim_identification,
        }
        thresholds.update({k: v for k, v in env.items() if v >= 0})
        assert cache.shared is not None
        thresholds.update(cache.shared.thresholds)
        own = {t: cache.tenants[t] for t in tenants}
        return cls(
            thresholds=thresholds,
            tenant_thresholds={t: s.thresholds for t, s in own.items() if s.thresholds},
            articles={a: cache.articles[a] for a in articles},
            authors={a: author_store.parse_state(*raw_authors[reads_per_author * n:
                                                               reads_per_author * (n + 1)])
                     for n, a in enumerate(authors)},
            sensitive_vi_factor=settings.sensitive_vi_factor,
            spot_check_default=settings.spot_check_rate,
            spot_check_rates={t: s.spot_check_rate for t, s in own.items()
                              if s.spot_check_rate is not None},
            spot_check_near_band=settings.spot_check_near_band,
            spot_check_near_factor=settings.spot_check_near_factor,
            rules={t: s.rules for t, s in own.items() if s.rules is not None},
            webhook_targets={t: sorted(s.webhooks | cache.shared.webhooks) for t, s in own.items()},
            dsa_settings={t: s.dsa for t, s in own.items()},
        )


@dataclass(frozen=True)
class _Shared:
    """Settings over every tenant: the all-tenants admin's thresholds and the webhooks of
    keys over all tenants."""

    thresholds: dict[str, float]
    webhooks: frozenset[str]


@dataclass(frozen=True)
class _TenantSettings:
    thresholds: dict[str, float]
    rules: TenantRules | None
    spot_check_rate: float | None
    webhooks: frozenset[str]
    dsa: DsaSettings


class PolicyCache:
    """The settings a worker's batches read, kept between batches while the settings
    version (``Keys.settings_version``, changed by every writer in the transaction of its
    write: storage/settings_version.py) stays the same; a batch reads only that version.

    A change made through the API or the stores applies from the next batch. Everything is
    read again at least every ``max_age`` seconds (POLICY_CACHE_SECONDS) whatever the
    version says: that bounds how long a change made around the stores (by hand in Redis)
    goes unseen, and how many articles the cache gathers. One per worker process (the
    worker context's); not shared between threads.
    """

    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age = max_age
        self._clock = clock
        self._filled = False
        self._version: bytes | None = None
        self._since = 0.0
        self.shared: _Shared | None = None
        self.tenants: dict[str, _TenantSettings] = {}
        self.articles: dict[tuple[str, str], ArticlePolicy] = {}
        # Tenants this process added to ``Keys.queue_tenants`` (worker/jobs.py ``_record``):
        # its batches add them no more. Forgotten with the rest, so a set lost in Redis (by
        # hand, a restore) is whole again within ``max_age`` of the tenant's next hold.
        self.queue_tenants: set[str] = set()

    def expire(self) -> None:
        """Forget everything once it is ``max_age`` old (every batch when it is 0)."""
        if self._filled and (self.max_age <= 0 or self._clock() - self._since >= self.max_age):
            self.reset(None)
            self._filled = False

    def holds(self, version: bytes | None) -> bool:
        """Whether what the cache holds is of ``version``."""
        return self._filled and version == self._version

    def reset(self, version: bytes | None) -> None:
        """Empty the cache, to be filled with settings of ``version``."""
        self.shared = None
        self.tenants.clear()
        self.articles.clear()
        self.queue_tenants.clear()
        self._version = version
        self._filled = True
        self._since = self._clock()


class _SettingsReads:
    """The reads of the settings ``cache`` lacks for a batch's tenants and articles, queued
    on a pipeline; ``store`` files their results in the cache."""

    def __init__(self, keys: Keys, cache: PolicyCache, tenants: Sequence[str],
                 articles: Sequence[tuple[str, str]]) -> None:
        self.keys = keys
        self.cache = cache
        self.shared = cache.shared is None
        self.tenants = [t for t in tenants if t not in cache.tenants]
        self.articles = [a for a in articles if a not in cache.articles]
        self.count = (2 if self.shared else 0) + 5 * len(self.tenants) + len(self.articles)

    def queue(self, pipe: Any) -> None:
        keys = self.keys
        if self.shared:
            pipe.hgetall(keys.thresholds)
            pipe.smembers(keys.tenant_webhooks(ALL_TENANTS))
        for tenant in self.tenants:
            own = keys.tenant(tenant)
            pipe.hgetall(own.thresholds)
            pipe.hgetall(own.rules)
            pipe.hget(own.spot_check_policy, "rate")
            pipe.smembers(keys.tenant_webhooks(tenant))
            pipe.hgetall(own.dsa_settings)
        for tenant, article_id in self.articles:
            pipe.hgetall(keys.tenant(tenant).article_policy(article_id))

    def store(self, results: Sequence[Any]) -> None:
        cache = self.cache
        rows = iter(results)
        if self.shared:
            admin, everywhere = next(rows), next(rows)
            cache.shared = _Shared(thresholds=_floats(admin), webhooks=_members(everywhere))
        for tenant in self.tenants:
            thresholds, rules, rate, hooks, dsa = (next(rows) for _ in range(5))
            cache.tenants[tenant] = _TenantSettings(
                thresholds=_floats(thresholds), rules=TenantRules.parse(rules) if rules else None,
                spot_check_rate=float(rate) if rate is not None else None,
                webhooks=_members(hooks), dsa=DsaSettings.from_hash(dsa))
        for article in self.articles:
            cache.articles[article] = ArticlePolicy.parse(next(rows))


def _floats(raw: dict[bytes, bytes]) -> dict[str, float]:
    return {k.decode(): float(v) for k, v in raw.items()}


def _members(raw: set[bytes]) -> frozenset[str]:
    return frozenset(m.decode() if isinstance(m, bytes) else m for m in raw)
