"""Scoring: per-category calibrated probabilities with evidence spans.

``Scorer.score_batch`` is the worker's hot path: texts are normalised once,
the hashed n-gram matrix is computed once and shared by both categories, the
evidence detectors run once per text (their output is both the
victim-identification features and the reported spans), and each category's
linear model scores the whole batch with one sparse product.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import numpy as np

from model import attributes, gazetteer
from model.categories import CATEGORIES
from model.features import (
    FEATURE_VERSION,
    detect_victim,
    lexicon_spans,
    lexicon_vector,
    word_token_spans,
)
from model.normalize import normalize, to_original


class _Pass(NamedTuple):
    """One scoring pass over a batch. Returned, never kept on the Scorer: one loaded model
    serves concurrent requests (the Coral endpoint scores on the request thread), so state
    left on ``self`` between ``_run`` and its reader would be another batch's."""

    decisions: dict[str, np.ndarray]
    normed: list
    detections: list
    word_matrix: Any  # the hashed word n-gram rows (scipy CSR), for the abuse spans
    found: list[dict]  # the lexicon's phrase and cue matches per text
    kinds: np.ndarray | None  # kind-head probabilities, when asked for and the model has heads


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    category: str
    kind: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Score:
    scores: dict[str, float]
    spans: list[Span] = field(default_factory=list)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    # abuse kind -> calibrated probability (model/attributes.py); empty for a model without
    # kind heads. Kept apart from ``scores`` (one number per category, which the queue's
    # priority and score filters read).
    kinds: dict[str, float] = field(default_factory=dict)
    # the kinds at or above their "present" threshold, most likely first
    present_kinds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        out = {
            "scores": dict(self.scores),
            "spans": [s.to_dict() for s in self.spans],
            "evidence": {k: list(v) for k, v in self.evidence.items()},
        }
        if self.kinds:
            out["abuse_kinds"] = dict(self.kinds)
        return out


def decide(score: Score, thresholds: dict[str, float]) -> tuple[str, list[str]]:
    """("approve" | "hold", reasons) -- hold when any category reaches its threshold.

    Reasons read like ``victim_identification: name + school`` (or the score
    when no evidence kind was found).
    """
    reasons = []
    for cat in CATEGORIES:
        t = thresholds.get(cat)
        if t is None or score.scores.get(cat, 0.0) < t:
            continue
        reasons.append(hold_reason(score, cat))
    return ("hold" if reasons else "approve"), reasons


def hold_reason(score: Score, category: str, extra_kinds: Sequence[str] = ()) -> str:
    """The reason a moderator reads for a hold in ``category``: its kinds (for abuse, the
    kind heads' present kinds and ``extra_kinds`` first, then the evidence spans' kinds), or
    the score when the model found no specific kind. The service and the CLI share it."""
    kinds = list(score.evidence.get(category) or [])
    if category == "abuse":
        kinds = list(dict.fromkeys([*extra_kinds, *score.present_kinds, *kinds]))
    if kinds:
        return f"{category}: {' + '.join(kinds)}"
    return f"{category}: score {score.scores.get(category, 0.0):.2f}"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


def _linear(mats, dense: np.ndarray, coef: np.ndarray, intercept) -> np.ndarray:
    """A linear model's decisions on column blocks ``mats`` followed by the dense columns
    (``coef`` a vector, or a matrix with one model per column and ``intercept`` per model)."""
    d = np.zeros((dense.shape[0],) + coef.shape[1:]) + intercept
    off = 0
    for m in mats:
        d += m @ coef[off:off + m.shape[1]]
        off += m.shape[1]
    return d + dense @ coef[off:]


class Scorer:
    """A trained model: one scikit-learn pipeline per category plus calibration.

    ``pipelines[cat]`` is ``Pipeline([("norm", TextNormalizer), ("features",
    FeatureUnion([("text", ...), (<evidence>, ...)])), ("clf", LogisticRegression)])``;
    ``calibration[cat] = (a, b)`` maps the decision value d to
    ``sigmoid(a * d + b)``.
    """

    def __init__(self, pipelines, calibration, thresholds, *, version, created_at, metrics=None,
                 abuse_span_cutoff: float = 1.0, feature_version: str = FEATURE_VERSION,
                 training: dict | None = None, heads: dict | None = None):
        self.pipelines = dict(pipelines)
        self.calibration = {k: (float(a), float(b)) for k, (a, b) in calibration.items()}
        self.thresholds = {k: float(v) for k, v in thresholds.items()}
        self.version = str(version)
        self.created_at = str(created_at)
        self.metrics = metrics or {}
        self.abuse_span_cutoff = float(abuse_span_cutoff)
        self.feature_version = str(feature_version)
        self.training = training or {}
        # abuse kind heads (model/attributes.py), or None: a model without kinds
        self.heads = heads
        self._prepare()

    # -- persistence helpers (skops stores __dict__ minus the caches) -------------
    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        state.setdefault("heads", None)  # saved before kind heads existed
        self.__dict__.update(state)
        self._prepare()

    @property
    def kinds(self) -> tuple[str, ...]:
        """The abuse kinds this model scores (Perspective's attributes, lower case)."""
        return tuple(self.heads["kinds"]) if self.heads else ()

    def _prepare(self) -> None:
        abuse = self.pipelines["abuse"]
        vi = self.pipelines["victim_identification"]
        self._abuse_text = abuse.named_steps["features"].transformer_list[0][1]
        self._vi_text = vi.named_steps["features"].transformer_list[0][1]
        self._shared_text = repr(self._abuse_text.get_params()) == repr(self._vi_text.get_params())
        abuse_parts = dict(abuse.named_steps["features"].transformer_list)
        self._lex_scale = float(abuse_parts["lex"].scale)
        # the teacher lexicon's columns (model/teacher_lexicon.py), after the lexicon's; None in
        # a model trained without them
        self._teacher = abuse_parts.get("teacher")
        if self._teacher is not None:
            # its lookup dict built here, at load (~7 ms), not by whichever request comes first:
            # no lazily written state on an object that concurrent requests share
            self._teacher.prior  # noqa: B018
        self._vi_scale = float(vi.named_steps["features"].transformer_list[1][1].scale)
        self._abuse_clf = abuse.named_steps["clf"]
        self._vi_clf = vi.named_steps["clf"]
        self._parts = [est for _, est in self._abuse_text.transformer_list]
        self._vi_parts = [est for _, est in self._vi_text.transformer_list]
        self._coef = {
            "abuse": (np.asarray(self._abuse_clf.coef_, dtype=np.float64).ravel(),
                      float(np.ravel(self._abuse_clf.intercept_)[0])),
            "victim_identification": (np.asarray(self._vi_clf.coef_, dtype=np.float64).ravel(),
                                      float(np.ravel(self._vi_clf.intercept_)[0])),
        }
        # a domain-gated abuse classifier (model/domain_gate.py): the generalist's and the
        # domain model's weights on the same features, blended after the dot products
        # (one pass over the sparse rows for all three: their weights as the columns of a matrix)
        gated = callable(getattr(self._abuse_clf, "combine", None))
        self._abuse_gated = None
        if gated:
            parts = self._abuse_clf.parts()
            self._abuse_gated = (np.column_stack([c for c, _ in parts]),
                                 np.array([b for _, b in parts]))
        word = self._abuse_text.transformer_list[0][1]
        self._word_vec = word
        self._word_token_re = re.compile(word.token_pattern)
        coef = np.asarray(self._abuse_clf.coef_).ravel()
        self._word_coef = coef[: word.n_features]

    # -- scoring ---------------------------------------------------------------
    def _calibrated(self, cat: str, d: np.ndarray) -> np.ndarray:
        a, b = self.calibration[cat]
        return _sigmoid(a * d + b)

    def decision_values(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw (uncalibrated) linear decision values per category."""
        return self._run(list(texts)).decisions

    def _run(self, texts: list[str], kinds: bool = False) -> _Pass:
        # Same computation as the pipelines' decision_function, without FeatureUnion/joblib and
        # input-validation overhead (a test checks they agree).
        normed = [normalize(t) for t in texts]
        ntexts = [n for n, _ in normed]
        blocks = [est.transform(ntexts) for est in self._parts]
        blocks_vi = blocks if self._shared_text else [est.transform(ntexts) for est in self._vi_parts]
        detections = [detect_victim(t) for t in ntexts]
        # the lexicon's phrase and cue matches, kept for the spans of the comments that are held
        found: list[dict] = [{} for _ in ntexts]
        lex = np.asarray([lexicon_vector(t, d.tokens, f)
                          for t, d, f in zip(ntexts, detections, found, strict=True)],
                         dtype=np.float64).reshape(len(ntexts), -1)
        vi_dense = np.asarray([d.vector for d in detections], dtype=np.float64) * self._vi_scale
        abuse_dense = lex * self._lex_scale
        if self._teacher is not None:
            abuse_dense = np.hstack([abuse_dense, self._teacher.rows(ntexts)])
        out = {}
        for cat, mats, dense in (("abuse", blocks, abuse_dense),
                                 ("victim_identification", blocks_vi, vi_dense)):
            dense = dense.astype(np.float32).astype(np.float64)
            if cat == "abuse" and self._abuse_gated is not None:
                spec, gen, dom = _linear(mats, dense, *self._abuse_gated).T
                out[cat] = self._abuse_clf.combine(spec, gen, dom)
            else:
                out[cat] = _linear(mats, dense, *self._coef[cat])
        kind_probs = None
        if kinds and self.heads:
            lex_scaled = (lex * self._lex_scale).astype(np.float32).astype(np.float64)
            kind_probs = attributes.apply_heads(self.heads, blocks[0], lex_scaled, out["abuse"])
        return _Pass(out, normed, detections, blocks[0], found, kind_probs)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        d = self._run(list(texts)).decisions
        return {c: self._calibrated(c, d[c]) for c in CATEGORIES}

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        texts = list(texts)
        if not texts:
            return []
        run = self._run(texts, kinds=True)
        probs = {c: self._calibrated(c, run.decisions[c]) for c in CATEGORIES}
        normed, detections = run.normed, run.detections
        xw, found, kind_probs = run.word_matrix, run.found, run.kinds
        kind_rows: list[dict[str, float]] | None = None
        present_rows: list[list[str]] = []
        if kind_probs is not None:
            names = self.heads["kinds"]
            present_at = self.heads["present"]
            kind_rows = [dict(zip(names, row, strict=True))
                         for row in np.round(kind_probs, 6).tolist()]
            # most likely first: the order hold reasons name them in
            present_rows = [[k for k, v in sorted(row.items(), key=lambda kv: -kv[1])
                             if v >= present_at.get(k, 0.5)] for row in kind_rows]
        # word n-grams strong enough to be reported as abusive wording, found for the whole batch
        # at once: per row, the positions (in the hasher's entry order) of those above the cut-off
        strong = self._word_coef[xw.indices] >= self.abuse_span_cutoff
        cum = np.concatenate(([0], np.cumsum(strong)))
        n_strong = (cum[xw.indptr[1:]] - cum[xw.indptr[:-1]]).tolist()
        out = []
        span_floor = self.thresholds.get("abuse", 0.5)  # explain holds, not every comment
        rounded = zip(*(np.round(probs[c], 6).tolist() for c in CATEGORIES), strict=True)
        indptr = xw.indptr.tolist()
        for i, (text, row) in enumerate(zip(texts, rounded, strict=True)):
            ntext, offsets = normed[i]
            scores = dict(zip(CATEGORIES, row, strict=True))
            raw_spans: list[tuple[int, int, str, str]] = [
                (s, e, "victim_identification", k) for s, e, k in detections[i].spans]
            if scores["abuse"] >= span_floor:
                lo, hi = indptr[i], indptr[i + 1]
                abuse_raw = lexicon_spans(ntext, found[i])
                if n_strong[i]:
                    ks = np.flatnonzero(strong[lo:hi]).tolist()
                    abuse_raw += self._model_abuse_spans(ntext, hi - lo, ks)
                raw_spans += [(s, e, "abuse", k) for s, e, k in abuse_raw]
            score = self._make_score(text, scores, raw_spans, offsets)
            if kind_rows is not None:
                score.kinds, score.present_kinds = kind_rows[i], present_rows[i]
            out.append(score)
        return out

    def score(self, text: str) -> Score:
        return self.score_batch([text])[0]

    def _make_score(self, text, scores, raw_spans, offsets) -> Score:
        if not raw_spans:
            return Score(scores, [], {c: [] for c in CATEGORIES})
        # plain tuples until the end (Span is a frozen dataclass, slow to build): deduplicated,
        # ordered as (category, kind, start, -end) for merging, then by position
        if offsets is None:  # the normalised text is the original (the common case)
            keyed = {(cat, kind, s, -e) for s, e, cat, kind in raw_spans if e > s}
        else:
            keyed = set()
            for s, e, cat, kind in raw_spans:
                os_, oe = to_original(s, e, offsets)
                if oe > os_:
                    keyed.add((cat, kind, os_, -oe))
        merged: list[list] = []
        for cat, kind, s, neg_e in sorted(keyed):
            last = merged[-1] if merged else None
            if last and last[2] == cat and last[3] == kind and s < last[1]:
                last[1] = max(last[1], -neg_e)
            else:
                merged.append([s, -neg_e, cat, kind])
        merged.sort()
        spans = [Span(s, e, cat, kind) for s, e, cat, kind in merged]
        evidence: dict[str, list[str]] = {c: [] for c in CATEGORIES}
        for _, _, cat, kind in merged:
            if kind not in evidence[cat]:
                evidence[cat].append(kind)
        return Score(scores, spans, evidence)

    def _model_abuse_spans(self, ntext: str, n_entries: int, strong: list[int]
                           ) -> list[tuple[int, int, str]]:
        """Word n-grams whose weight in the abuse model is strongly positive.

        ``strong`` are the positions, among this text's ``n_entries`` word-hasher entries, of
        the n-grams weighing at least the cut-off; entries are in the hasher's order: unigram 0,
        bigram 0-1, unigram 1, bigram 1-2, ..., last unigram.
        """
        lowered = ntext.lower()
        if len(lowered) != len(ntext):
            return []
        # the tokens only as far as the last strong n-gram's last word: the word hasher
        # tokenised this very string the same way, into (n_entries + 1) / 2 tokens
        j, bigram = divmod(strong[-1], 2)
        needed = j + bigram + 1
        toks = word_token_spans(lowered, self._word_token_re, needed)
        if len(toks) < needed or n_entries < 2 * needed - 1:
            return []
        out = []
        stop, lex = gazetteer.STOPWORDS, gazetteer.ABUSE_LEXICON
        for k in strong:
            j, bigram = divmod(k, 2)
            (s, _, w1), (_, e, w2) = toks[j], toks[j + bigram]
            # not shown: an n-gram of stopwords and short words only
            if (w1 in stop or len(w1) < 3) and (not bigram or w2 in stop or len(w2) < 3):
                continue
            # the kind of its first listed word, else an insult
            kind = lex.get(w1) or (lex.get(w2) if bigram else None) or "insult"
            out.append((s, e, kind))
        return out

    def __repr__(self) -> str:
        return f"Scorer(version={self.version!r}, thresholds={self.thresholds!r})"


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
