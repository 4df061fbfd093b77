"""The rules in force for one batch: hold thresholds (admin > environment > model),
the policies of the batch's articles and the standing of its authors.

Everything is read in one pipelined round trip per batch and kept for that
batch only, so a policy change applies to every comment scored after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from redis import Redis

from core.config import Settings
from model.scoring import Scorer
from storage.article_policy import DEFAULT as DEFAULT_ARTICLE_POLICY
from storage.article_policy import ArticlePolicy, ArticlePolicyStore
from storage.authors import AuthorState, AuthorStore
from storage.keys import Keys

_NO_AUTHOR_STATE = AuthorState()


@dataclass
class Policy:
    thresholds: dict[str, float]
    extras: dict[str, Any] = field(default_factory=dict)
    articles: dict[str, ArticlePolicy] = field(default_factory=dict)
    authors: dict[str, AuthorState] = field(default_factory=dict)
    sensitive_vi_factor: float = 1.0

    def base_threshold(self, category: str) -> float:
        return self.thresholds.get(category, 0.5)

    def threshold(self, category: str, comment: dict[str, Any] | None = None) -> float:
        """The hold threshold for ``comment``: lower for victim identification on
        articles marked sensitive (stories about sexual offences or children)."""
        value = self.base_threshold(category)
        if (comment is not None and category == "victim_identification"
                and self.article(comment.get("article_id")).sensitive):
            value *= self.sensitive_vi_factor
        return value

    def article(self, article_id: str | None) -> ArticlePolicy:
        return self.articles.get(article_id or "", DEFAULT_ARTICLE_POLICY)

    def author(self, author_id: str | None) -> AuthorState:
        return self.authors.get(author_id or "", _NO_AUTHOR_STATE)

    @classmethod
    def load(cls, redis: Redis, keys: Keys, settings: Settings, scorer: Scorer,
             comments: Sequence[dict[str, Any]] = ()) -> Policy:
        """The policy for a batch of ``comments`` (records with article_id and author_id)."""
        thresholds = dict(scorer.thresholds)
        env = {
            "abuse": settings.hold_threshold_abuse,
            "victim_identification": settings.hold_threshold_victim_identification,
        }
        thresholds.update({k: v for k, v in env.items() if v >= 0})
        article_ids = sorted({c["article_id"] for c in comments if c.get("article_id")})
        author_ids = sorted({c["author_id"] for c in comments if c.get("author_id")})
        article_store = ArticlePolicyStore(redis, keys)
        author_store = AuthorStore(redis, keys, settings)
        pipe = redis.pipeline(transaction=False)
        pipe.hgetall(keys.thresholds)
        for article_id in article_ids:
            article_store.queue_get(pipe, article_id)
        for author_id in author_ids:
            author_store.queue_state(pipe, author_id)
        results = pipe.execute()
        admin = results[0]
        thresholds.update({k.decode(): float(v) for k, v in admin.items()})
        raw_articles = results[1: 1 + len(article_ids)]
        raw_authors = results[1 + len(article_ids):]
        return cls(
            thresholds=thresholds,
            articles={a: ArticlePolicy.parse(raw) for a, raw in zip(article_ids, raw_articles,
                                                                    strict=True)},
            authors={a: author_store.parse_state(raw_authors[2 * n], raw_authors[2 * n + 1])
                     for n, a in enumerate(author_ids)},
            sensitive_vi_factor=settings.sensitive_vi_factor,
        )
