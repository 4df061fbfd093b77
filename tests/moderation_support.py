"""Helpers for the moderation tests: a table-driven stub scorer, and scoring through
the real jobs, phases, policy and Redis (only the model is stubbed).

The fixtures live in tests/moderation_fixtures.py (loaded with ``pytest_plugins``).
"""

from __future__ import annotations

from model.scoring import Score, Span

CLEAN = {"abuse": 0.05, "victim_identification": 0.05}


class TableScorer:
    """Scores each text from a table set by the test (unknown texts are clean)."""

    version = "stub-moderation"
    thresholds = {"abuse": 0.5, "victim_identification": 0.5}
    metrics: dict = {}
    created_at = "2026-01-01T00:00:00Z"

    def __init__(self) -> None:
        self.table: dict[str, Score] = {}

    def set(self, text: str, *, abuse: float = 0.05, vi: float = 0.05,
            spans: list[Span] | None = None, kinds: dict[str, float] | None = None) -> str:
        """``kinds``: abuse kind scores (a model with kind heads); present from 0.5."""
        spans = spans or []
        evidence: dict[str, list[str]] = {"abuse": [], "victim_identification": []}
        for span in spans:
            if span.kind not in evidence[span.category]:
                evidence[span.category].append(span.kind)
        kinds = dict(kinds or {})
        present = [k for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]) if v >= 0.5]
        self.table[text] = Score({"abuse": abuse, "victim_identification": vi}, spans, evidence,
                                 kinds, present)
        return text

    def score_batch(self, texts):
        out = []
        for text in texts:
            known = self.table.get(text)
            # A fresh copy each time: phases may add spans to the score they are given.
            out.append(Score(dict(known.scores), list(known.spans), dict(known.evidence),
                             dict(known.kinds), list(known.present_kinds))
                       if known else Score(dict(CLEAN), [], {"abuse": [], "victim_identification": []}))
        return out


class StubActive:
    def __init__(self, scorer: TableScorer) -> None:
        self.scorer = scorer
        self.version = scorer.version

    def get(self) -> TableScorer:
        return self.scorer


def name_span(text: str, name: str) -> Span:
    start = text.index(name)
    return Span(start, start + len(name), "victim_identification", "name")


def score_pending() -> dict[str, int]:
    """Run the real drain job in-process (the stub model scores)."""
    from worker import jobs

    return jobs.drain_pending()


def post(client, headers, text: str, *, article: str = "story-1", author: str = "reader-1") -> str:
    response = client.post("/v1/comments", json={"article_id": article, "text": text,
                                                 "author": {"id": author}}, headers=headers)
    if response.status_code != 202:
        raise AssertionError(f"post failed: {response.status_code} {response.get_data(as_text=True)}")
    return response.get_json()["id"]


def assert_error(response, status: int, code: str) -> dict:
    body = response.get_json()
    if response.status_code != status or not body or body.get("code") != code:
        raise AssertionError(f"expected {status} {code}, got {response.status_code} {body}")
    if not body["message"] or not isinstance(body["details"], dict):
        raise AssertionError(f"malformed error body: {body}")
    return body
