"""The rules in force for one batch: hold thresholds (a tenant's admin > all tenants'
admin > environment > model), the policies of the batch's articles, the standing
of its authors and its tenants' rules (repeats, links, new commenters, word lists).

Everything is read in one pipelined round trip per batch and kept for that
batch only, so a policy change applies to every comment scored after it.
Articles and authors are the sites' own ids, so both are looked up per tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from core.config import Settings
from core.tenants import tenant_of
from model.scoring import Scorer
from storage.article_policy import DEFAULT as DEFAULT_ARTICLE_POLICY
from storage.article_policy import ArticlePolicy, ArticlePolicyStore
from storage.authors import AuthorState, AuthorStore
from storage.keys import Keys
from storage.tenant_rules import OFF as RULES_OFF
from storage.tenant_rules import RulesStore, TenantRules
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
             comments: Sequence[dict[str, Any]] = ()) -> Policy:
        """The policy for a batch of ``comments`` (records with tenant, article_id, author_id)."""
        thresholds = dict(scorer.thresholds)
        env = {
            "abuse": settings.hold_threshold_abuse,
            "victim_identification": settings.hold_threshold_victim_identification,
        }
        thresholds.update({k: v for k, v in env.items() if v >= 0})
        tenants = sorted({tenant_of(c) for c in comments})
        articles = sorted({(tenant_of(c), c["article_id"]) for c in comments if c.get("article_id")})
        authors = sorted({(tenant_of(c), c["author_id"]) for c in comments if c.get("author_id")})
        article_store = ArticlePolicyStore(redis, keys)
        author_store = AuthorStore(redis, keys, settings)
        pipe = redis.pipeline(transaction=False)
        rules_store = RulesStore(redis, keys)
        pipe.hgetall(keys.thresholds)
        for tenant in tenants:
            pipe.hgetall(keys.tenant(tenant).thresholds)
            rules_store.queue_get(pipe, tenant)
        for tenant in tenants:
            pipe.hget(keys.tenant(tenant).spot_check_policy, "rate")
        for tenant, article_id in articles:
            article_store.queue_get(pipe, tenant, article_id)
        for tenant, author_id in authors:
            author_store.queue_state(pipe, tenant, author_id)
        results = pipe.execute(raise_on_error=False)
        reads = author_store.STATE_READS
        first_author = len(results) - reads * len(authors)
        for n, result in enumerate(results):
            if isinstance(result, Exception):
                # An author hash of the wrong type (data from before the encoding) costs that
                # author the rules' counters only, as it costs the batch's writes that one
                # command (worker/jobs.py); any other failed read fails the batch as before.
                if n >= first_author and (n - first_author) % reads == reads - 1:
                    results[n] = None
                else:
                    raise result
        admin = results[0]
        thresholds.update({k.decode(): float(v) for k, v in admin.items()})
        after_tenants = 1 + 2 * len(tenants)
        raw_tenants = results[1: after_tenants: 2]
        raw_rules = results[2: after_tenants: 2]
        raw_rates = results[after_tenants: after_tenants + len(tenants)]
        after_rates = after_tenants + len(tenants)
        raw_articles = results[after_rates: after_rates + len(articles)]
        raw_authors = results[after_rates + len(articles):]
        return cls(
            thresholds=thresholds,
            tenant_thresholds={t: {k.decode(): float(v) for k, v in raw.items()}
                               for t, raw in zip(tenants, raw_tenants, strict=True) if raw},
            articles={a: ArticlePolicy.parse(raw) for a, raw in zip(articles, raw_articles,
                                                                    strict=True)},
            authors={a: author_store.parse_state(*raw_authors[reads * n: reads * (n + 1)])
                     for n, a in enumerate(authors)},
            sensitive_vi_factor=settings.sensitive_vi_factor,
            spot_check_default=settings.spot_check_rate,
            spot_check_rates={t: float(r) for t, r in zip(tenants, raw_rates, strict=True)
                              if r is not None},
            spot_check_near_band=settings.spot_check_near_band,
            spot_check_near_factor=settings.spot_check_near_factor,
            rules={t: TenantRules.parse(raw) for t, raw in zip(tenants, raw_rules, strict=True)
                   if raw},
        )
