"""Scoring: per-category calibrated probabilities with evidence spans.

``Scorer.score_batch`` is the worker's hot path: texts are normalised once,
the hashed n-gram matrix is computed once and shared by both categories, the
evidence detectors run once per text (their output is both the
victim-identification features and the reported spans), and each category's
linear model scores the whole batch with one sparse product.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher

from model import gazetteer
from model.categories import CATEGORIES
from model.features import (
    FEATURE_VERSION,
    detect_victim,
    lexicon_spans,
    lexicon_vector,
    vectors_to_matrix,
)
from model.normalize import normalize, to_original


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

    def to_dict(self) -> dict:
        return {
            "scores": dict(self.scores),
            "spans": [s.to_dict() for s in self.spans],
            "evidence": {k: list(v) for k, v in self.evidence.items()},
        }


def decide(score: Score, thresholds: dict[str, float]) -> tuple[str, list[str]]:
    """("approve" | "hold", reasons) -- hold when any category reaches its threshold.

    Reasons read like ``victim_identification: name + school`` (or the score
    when no evidence kind was found).
    """
    reasons = []
    for cat in CATEGORIES:
        p = score.scores.get(cat, 0.0)
        t = thresholds.get(cat)
        if t is None or p < t:
            continue
        kinds = score.evidence.get(cat) or []
        reasons.append(f"{cat}: {' + '.join(kinds)}" if kinds else f"{cat}: score {p:.2f}")
    return ("hold" if reasons else "approve"), reasons


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


class Scorer:
    """A trained model: one scikit-learn pipeline per category plus calibration.

    ``pipelines[cat]`` is ``Pipeline([("norm", TextNormalizer), ("features",
    FeatureUnion([("text", ...), (<evidence>, ...)])), ("clf", LogisticRegression)])``;
    ``calibration[cat] = (a, b)`` maps the decision value d to
    ``sigmoid(a * d + b)``.
    """

    def __init__(self, pipelines, calibration, thresholds, *, version, created_at, metrics=None,
                 abuse_span_cutoff: float = 1.0, feature_version: str = FEATURE_VERSION,
                 training: dict | None = None):
        self.pipelines = dict(pipelines)
        self.calibration = {k: (float(a), float(b)) for k, (a, b) in calibration.items()}
        self.thresholds = {k: float(v) for k, v in thresholds.items()}
        self.version = str(version)
        self.created_at = str(created_at)
        self.metrics = metrics or {}
        self.abuse_span_cutoff = float(abuse_span_cutoff)
        self.feature_version = str(feature_version)
        self.training = training or {}
        self._prepare()

    # -- persistence helpers (skops stores __dict__ minus the caches) -------------
    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._prepare()

    def _prepare(self) -> None:
        abuse = self.pipelines["abuse"]
        vi = self.pipelines["victim_identification"]
        self._abuse_text = abuse.named_steps["features"].transformer_list[0][1]
        self._vi_text = vi.named_steps["features"].transformer_list[0][1]
        self._shared_text = repr(self._abuse_text.get_params()) == repr(self._vi_text.get_params())
        self._lex_scale = float(abuse.named_steps["features"].transformer_list[1][1].scale)
        self._vi_scale = float(vi.named_steps["features"].transformer_list[1][1].scale)
        self._abuse_clf = abuse.named_steps["clf"]
        self._vi_clf = vi.named_steps["clf"]
        word = self._abuse_text.transformer_list[0][1]
        self._word_vec = word
        self._word_hasher = FeatureHasher(n_features=word.n_features, input_type="string",
                                          alternate_sign=False)
        self._word_analyzer_re = __import__("re").compile(word.token_pattern)
        coef = np.asarray(self._abuse_clf.coef_).ravel()
        self._word_coef = coef[: word.n_features]

    # -- scoring ---------------------------------------------------------------
    def _calibrated(self, cat: str, d: np.ndarray) -> np.ndarray:
        a, b = self.calibration[cat]
        return _sigmoid(a * d + b)

    def decision_values(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Raw (uncalibrated) linear decision values per category."""
        return self._run(list(texts))[0]

    def _run(self, texts: list[str]):
        normed = [normalize(t) for t in texts]
        ntexts = [n for n, _ in normed]
        x_text = self._abuse_text.transform(ntexts)
        x_text_vi = x_text if self._shared_text else self._vi_text.transform(ntexts)
        lex = np.vstack([lexicon_vector(t) for t in ntexts]) if ntexts else np.zeros((0, 8))
        x_lex = sp.csr_matrix(lex.astype(np.float32) * np.float32(self._lex_scale))
        detections = [detect_victim(t) for t in ntexts]
        x_vi = vectors_to_matrix([d.vector for d in detections], self._vi_scale)
        d_abuse = self._abuse_clf.decision_function(sp.hstack([x_text, x_lex], format="csr"))
        d_vi = self._vi_clf.decision_function(sp.hstack([x_text_vi, x_vi], format="csr"))
        return ({"abuse": np.atleast_1d(d_abuse), "victim_identification": np.atleast_1d(d_vi)},
                normed, detections)

    def predict_proba(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        d, _, _ = self._run(list(texts))
        return {c: self._calibrated(c, d[c]) for c in CATEGORIES}

    def score_batch(self, texts: Sequence[str]) -> list[Score]:
        texts = list(texts)
        if not texts:
            return []
        d, normed, detections = self._run(texts)
        probs = {c: self._calibrated(c, d[c]) for c in CATEGORIES}
        out = []
        span_floor = 0.5 * self.thresholds.get("abuse", 0.5)
        for i, text in enumerate(texts):
            ntext, offsets = normed[i]
            scores = {c: round(float(probs[c][i]), 6) for c in CATEGORIES}
            raw_spans: list[tuple[int, int, str, str]] = [
                (s, e, "victim_identification", k) for s, e, k in detections[i].spans]
            abuse_raw = lexicon_spans(ntext)
            if scores["abuse"] >= span_floor:
                abuse_raw += self._model_abuse_spans(ntext)
            raw_spans += [(s, e, "abuse", k) for s, e, k in abuse_raw]
            out.append(self._make_score(text, scores, raw_spans, offsets))
        return out

    def score(self, text: str) -> Score:
        return self.score_batch([text])[0]

    def _make_score(self, text, scores, raw_spans, offsets) -> Score:
        spans: set[Span] = set()
        for s, e, cat, kind in raw_spans:
            os_, oe = to_original(s, e, offsets)
            if oe > os_:
                spans.add(Span(os_, oe, cat, kind))
        merged = _merge(sorted(spans, key=lambda sp_: (sp_.category, sp_.kind, sp_.start, -sp_.end)))
        merged.sort(key=lambda sp_: (sp_.start, sp_.end, sp_.category, sp_.kind))
        evidence: dict[str, list[str]] = {c: [] for c in CATEGORIES}
        for span in merged:
            if span.kind not in evidence[span.category]:
                evidence[span.category].append(span.kind)
        return Score(scores, merged, evidence)

    def _model_abuse_spans(self, ntext: str) -> list[tuple[int, int, str]]:
        """Word n-grams whose weight in the abuse model is strongly positive."""
        lowered = ntext.lower()
        if len(lowered) != len(ntext):
            return []
        toks = [(m.start(), m.end(), m.group(0)) for m in self._word_analyzer_re.finditer(lowered)]
        if not toks:
            return []
        grams = [(s, e, t) for s, e, t in toks]
        grams += [(toks[j][0], toks[j + 1][1], f"{toks[j][2]} {toks[j + 1][2]}")
                  for j in range(len(toks) - 1)]
        h = self._word_hasher.transform([[gram] for _, _, gram in grams])
        idx = h.indices
        if len(idx) != len(grams):  # should not happen; be safe
            return []
        weights = self._word_coef[idx]
        out = []
        for (s, e, gram), w in zip(grams, weights, strict=True):
            if w >= self.abuse_span_cutoff:
                words = gram.split(" ")
                if all(x in gazetteer.STOPWORDS or len(x) < 3 for x in words):
                    continue
                kind = next((gazetteer.ABUSE_LEXICON[x] for x in words if x in gazetteer.ABUSE_LEXICON),
                            "insult")
                out.append((s, e, kind))
        return out

    def __repr__(self) -> str:
        return f"Scorer(version={self.version!r}, thresholds={self.thresholds!r})"


def _merge(spans: list[Span]) -> list[Span]:
    """Merge overlapping spans of the same category and kind."""
    out: list[Span] = []
    for s in spans:
        if out and out[-1].category == s.category and out[-1].kind == s.kind and s.start < out[-1].end:
            last = out[-1]
            if s.end > last.end:
                out[-1] = Span(last.start, s.end, last.category, last.kind)
            continue
        out.append(s)
    return out


def logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))
