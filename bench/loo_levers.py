"""The training levers of issue 14, measured in the leave-one-source-out folds.

Every lever is trained on each fold's rows beside the shipped model and the baseline;
prints ROC-AUC / AP per left-out source and on the site's dev comments. Run:
    nice .venv/bin/python bench/loo_levers.py [--max-per-source N] [--levers a,b] [--json PATH]
The vader_* levers need `pip install vaderSentiment` (measured, not kept: not a dependency).
Results and which lever was kept: docs/MODEL.md, "Levers tried" (pass 3: IDF column factors;
pass 4: the domain gate, ``gated_w1_a1e-5_s-1``, shipped as model/domain_gate.py; pass 5: NB
column factors in the gate's generalist, ``regate_nb0.5``, shipped as GENERALIST_NB; pass 6:
the ``r6_*`` generalist levers, ``r6_easy_mix0.5`` shipped as GENERALIST_SHARED; pass 7: the
``r7_*`` levers with all the data -- augmented-fit alpha, NB power, LSA word components, the
gate's shift, temperature and domain alpha -- none kept; pass 8: the ``r8_*`` levers,
WordLlama's pretrained word vectors folded onto the word columns -- none kept, and they need
`pip install wordllama`, which is not a dependency -- and a MiniLM sentence-embedding teacher,
mixed in as a reference and distilled (on the rows and on a perturbed transfer set), which
needs its own environment: tools/minilm_embed.py; pass 9: the ``r9_*`` levers, a one-hidden-layer
generalist (sklearn's MLPClassifier), order-free word pairs, and a word lexicon scored by the
MiniLM teacher (its environment again; ``MINILM_PYTHON`` names its interpreter).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.preprocessing import normalize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from model import train as T  # noqa: E402
from model.corpora import SITE_SOURCE  # noqa: E402
from model.features import WORD_FEATURES  # noqa: E402
from model.leave_one_out import Fold, format_table, leave_one_out  # noqa: E402
from model.teacher_lexicon import columns  # noqa: E402
from tools import encoder  # noqa: E402


def _sgd():
    return clone(T.build_pipelines()["abuse"].named_steps["clf"])


def _site_table(w: float) -> dict:
    return dict(T.SOURCE_WEIGHTS, **{SITE_SOURCE: (w, w), "moderator": (w, w)})


def _fit_weight(fold: Fold, w: float) -> np.ndarray:
    """Decision values on every row of an SGD model with the site's rows at weight ``w``."""
    key = ("site_w", w)
    if key not in fold.cache:
        clf = _sgd().fit(fold.X[fold.train_idx], fold.y_train,
                         sample_weight=T._weights(fold.train, "abuse", _site_table(w)))
        fold.cache[key] = clf.decision_function(fold.X)
    return fold.cache[key]


def site_weight(w: float):
    def fit(fold: Fold):
        d = _fit_weight(fold, w)
        return lambda idx: d[idx]
    return fit


def blend_weight(a: float, w: float = 1.0):
    """a * shipped model + (1 - a) * the same model trained with the site's rows at weight w
    (both linear on the same features: one linear model, no cost when scoring)."""
    def fit(fold: Fold):
        d = a * fold.model_decision + (1 - a) * _fit_weight(fold, w)
        return lambda idx: d[idx]
    return fit


def blend_baseline(a: float):
    """a * shipped model + (1 - a) * the plain baseline (a reference: the baseline's
    vocabulary TF-IDF is not what the service can afford per comment)."""
    def fit(fold: Fold):
        d = a * fold.model_decision + (1 - a) * fold.baseline_decision
        return lambda idx: d[idx]
    return fit


def balanced(fold: Fold):
    train = fold.train
    w = T._weights(train, "abuse")
    src = np.array([e.source for e in train])
    for s in set(src):
        m = src == s
        w[m] *= (len(w) / len(set(src))) / w[m].sum()
    d = _sgd().fit(fold.X[fold.train_idx], fold.y_train, sample_weight=w).decision_function(fold.X)
    return lambda idx: d[idx]


def nb(fold: Fold):
    X, y = fold.X[fold.train_idx], fold.y_train
    w = T._weights(fold.train, "abuse")
    Xb = X.copy()
    Xb.data = np.abs(Xb.data)
    p = 1.0 + np.asarray(Xb[y == 1].T @ w[y == 1]).ravel()
    q = 1.0 + np.asarray(Xb[y == 0].T @ w[y == 0]).ravel()
    D = sp.diags(np.log((p / p.sum()) / (q / q.sum())))
    d = _sgd().fit(X @ D, y, sample_weight=w).decision_function(fold.X @ D)
    return lambda idx: d[idx]


def _blocks(X: sp.csr_matrix) -> tuple[slice, slice, slice]:
    n_char = T.CHAR_FEATURES
    return (slice(0, WORD_FEATURES), slice(WORD_FEATURES, WORD_FEATURES + n_char),
            slice(WORD_FEATURES + n_char, X.shape[1]))


def idf(fold: Fold):
    """Hashed n-grams scaled by their IDF on the fold's training rows, each block re-normalised
    (what TF-IDF adds to the plain hashed counts)."""
    X = fold.X.tocsr()
    Xt = X[fold.train_idx].tocsr()
    Xt.sum_duplicates()
    df = np.bincount(Xt.indices, minlength=X.shape[1])
    n = Xt.shape[0]
    scale = np.log((1 + n) / (1 + df)) + 1.0
    parts = []
    for k, sl in enumerate(_blocks(X)):
        block = X[:, sl]
        if k < 2:
            block = normalize(block @ sp.diags(scale[sl].astype(np.float32)))
        parts.append(block)
    Z = sp.hstack(parts).tocsr()
    d = _sgd().fit(Z[fold.train_idx], fold.y_train,
                   sample_weight=T._weights(fold.train, "abuse")).decision_function(Z)
    return lambda idx: d[idx]


def _idf_fold_scale(fold: Fold) -> np.ndarray:
    """Per-column factor: IDF on the fold's training rows, each block divided by a constant so
    its rows keep unit length on average. Column factors fold into the weights (w * factor), so
    the shipped scorer computes nothing more per comment."""
    if "idf_scale" not in fold.cache:
        X = fold.X.tocsr()
        Xt = X[fold.train_idx].tocsr()
        Xt.sum_duplicates()
        df = np.bincount(Xt.indices, minlength=X.shape[1])
        n = Xt.shape[0]
        scale = (np.log((1 + n) / (1 + df)) + 1.0).astype(np.float64)
        for sl in _blocks(X)[:2]:
            block = Xt[:, sl] @ sp.diags(scale[sl])
            rms = np.sqrt(np.asarray(block.multiply(block).sum(axis=1)).mean())
            scale[sl] /= rms
        scale[_blocks(X)[2]] = 1.0
        fold.cache["idf_scale"] = scale
    return fold.cache["idf_scale"]


def _fit_idf_fold(fold: Fold, w: float) -> np.ndarray:
    key = ("idf_fold", w)
    if key not in fold.cache:
        Z = fold.X @ sp.diags(_idf_fold_scale(fold))
        clf = _sgd().fit(Z[fold.train_idx], fold.y_train,
                         sample_weight=T._weights(fold.train, "abuse", _site_table(w)))
        fold.cache[key] = clf.decision_function(Z)
    return fold.cache[key]


def idf_fold(w: float = 32.0, blend_w1: float | None = None):
    """IDF column factors (foldable); site rows at weight w; optionally blended with the same
    at site weight 1 (a * this + (1 - a) * weight-1)."""
    def fit(fold: Fold):
        d = _fit_idf_fold(fold, w)
        if blend_w1 is not None:
            d = blend_w1 * d + (1 - blend_w1) * _fit_idf_fold(fold, 1.0)
        return lambda idx: d[idx]
    return fit


def word_char(fold: Fold):
    """Separate word and character models (each with the lexicon block), decisions averaged."""
    X = fold.X.tocsr()
    wb, cb, lb = _blocks(X)
    w = T._weights(fold.train, "abuse")
    out = np.zeros(X.shape[0])
    for sl in (wb, cb):
        Z = sp.hstack([X[:, sl], X[:, lb]]).tocsr()
        out += 0.5 * _sgd().fit(Z[fold.train_idx], fold.y_train, sample_weight=w).decision_function(Z)
    return lambda idx: out[idx]


_VADER: dict = {}


def _vader_block(texts) -> sp.csr_matrix:
    """Negative and positive valence sums (vaderSentiment's lexicon) over a text's words, scaled
    by 1/sqrt(words): the lexicon as two features."""
    if not _VADER:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        _VADER["lex"] = SentimentIntensityAnalyzer().lexicon
    lex = _VADER["lex"]
    import re
    tok = re.compile(r"[a-z][a-z']*")
    rows = []
    for t in texts:
        words = tok.findall(t.lower())
        vals = [lex[x] for x in words if x in lex]
        neg = -sum(v for v in vals if v < 0)
        pos = sum(v for v in vals if v > 0)
        s = 1.0 / np.sqrt(max(len(words), 1))
        rows.append((neg * s, pos * s))
    return sp.csr_matrix(np.array(rows, dtype=np.float32))


def vader(scale: float):
    def fit(fold: Fold):
        if "vader" not in fold.cache:
            fold.cache["vader"] = _vader_block(fold.texts)
        Z = sp.hstack([fold.X, scale * fold.cache["vader"]]).tocsr()
        d = _sgd().fit(Z[fold.train_idx], fold.y_train,
                       sample_weight=T._weights(fold.train, "abuse")).decision_function(Z)
        return lambda idx: d[idx]
    return fit


def _vader_columns(n_cols: int) -> sp.csr_matrix:
    """(n_cols x 2): vaderSentiment's negative and positive valences at the columns of the word
    hasher's unigrams, so that X @ V is two lexicon features linear in the hashed words (their
    weights fold into the word weights: nothing more to compute per comment)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from model.features import gram_index
    V = np.zeros((n_cols, 2), dtype=np.float32)
    for word, val in SentimentIntensityAnalyzer().lexicon.items():
        if " " in word or not any(c.isalpha() for c in word):
            continue
        col = gram_index(word.lower(), WORD_FEATURES)
        V[col, 0 if val < 0 else 1] += abs(val)
    return sp.csr_matrix(V)


def vader_hash(scale: float):
    def fit(fold: Fold):
        if "vader_hash" not in fold.cache:
            fold.cache["vader_hash"] = fold.X @ _vader_columns(fold.X.shape[1])
        Z = sp.hstack([fold.X, scale * fold.cache["vader_hash"]]).tocsr()
        d = _sgd().fit(Z[fold.train_idx], fold.y_train,
                       sample_weight=T._weights(fold.train, "abuse")).decision_function(Z)
        return lambda idx: d[idx]
    return fit


def alpha(a: float):
    """The SGD's L2 strength (shipped: ABUSE_ALPHA); stronger regularisation for transfer."""
    def fit(fold: Fold):
        clf = _sgd().set_params(alpha=a).fit(fold.X[fold.train_idx], fold.y_train,
                                             sample_weight=T._weights(fold.train, "abuse"))
        d = clf.decision_function(fold.X)
        return lambda idx: d[idx]
    return fit


LEVERS = {
    "site_w8": site_weight(8.0), "site_w4": site_weight(4.0), "site_w1": site_weight(1.0),
    "source_balanced": balanced, "nb_lr": nb,
    "blend_w1_0.3": blend_weight(0.3), "blend_w1_0.5": blend_weight(0.5),
    "blend_w1_0.7": blend_weight(0.7),
    "blend_base_0.3": blend_baseline(0.3), "blend_base_0.5": blend_baseline(0.5),
    "blend_base_0.7": blend_baseline(0.7),
    "idf": idf, "word_char": word_char, "vader_0.5": vader(0.5), "vader_2": vader(2.0),
    "vader_hash_0.5": vader_hash(0.5), "vader_hash_2": vader_hash(2.0),
    "idf_fold": idf_fold(), "idf_fold_w8": idf_fold(8.0), "idf_fold_w16": idf_fold(16.0),
    "idf_fold_blend_0.5": idf_fold(blend_w1=0.5), "idf_fold_blend_0.7": idf_fold(blend_w1=0.7),
    "alpha_3e-6": alpha(3e-6), "alpha_3e-5": alpha(3e-5), "alpha_1e-4": alpha(1e-4),
}


# ---------------------------------------------------------------- issue 14, pass 4
# Levers on top of the shipped training (IDF column factors): a domain-gated blend of the
# shipped weighting and a low-site-weight generalist, other optimisers, sublinear TF-IDF.

GATE_LOG: list = []  # the gates of every fold, for diagnostics
DOMAIN_SOURCES = frozenset({SITE_SOURCE, "moderator", "victim_data"})


def _scaled(fold: Fold) -> sp.csr_matrix:
    """Every row's features with the shipped IDF column factors of the fold's training rows."""
    if "Z" not in fold.cache:
        from model.idf_columns import idf_factors, scale_columns
        blocks = T.text_blocks(T.build_pipelines()["abuse"])
        fold.cache["Z_factors"] = idf_factors(fold.X[fold.train_idx], blocks)
        fold.cache["Z"] = scale_columns(fold.X, fold.cache["Z_factors"])
    return fold.cache["Z"]


def _uniform_weights(fold: Fold) -> np.ndarray:
    """Every row weight 1, both classes the same total (the baseline's rows, class-balanced)."""
    y = fold.y_train
    w = np.ones(len(y))
    for cls in (0, 1):
        m = y == cls
        w[m] *= (len(y) / 2) / m.sum()
    return w


def _fit_on(fold: Fold, key, weights: np.ndarray | None = None, clf=None) -> np.ndarray:
    """Decision values on every row of ``clf`` (default: the shipped SGD) fitted on the scaled
    training rows."""
    if key not in fold.cache:
        Z = _scaled(fold)
        w = T._weights(fold.train, "abuse") if weights is None else weights
        clf = _sgd() if clf is None else clf
        fold.cache[key] = clf.fit(Z[fold.train_idx], fold.y_train, sample_weight=w).decision_function(Z)
    return fold.cache[key]


def _generalist(fold: Fold, kind: str, gen_alpha: float | None = None) -> np.ndarray:
    # gen_alpha: the generalist arm's own L2 strength (None: the shipped ABUSE_ALPHA); a
    # stronger prior may transfer better to corpora no training row resembles.
    clf = None if gen_alpha is None else _sgd().set_params(alpha=gen_alpha)
    if kind == "uniform":
        return _fit_on(fold, ("gen", kind, gen_alpha), _uniform_weights(fold), clf=clf)
    w = float(kind)
    return _fit_on(fold, ("gen", kind, gen_alpha), T._weights(fold.train, "abuse", _site_table(w)),
                   clf=clf)


def _domain(fold: Fold, alpha_: float = 1e-4) -> np.ndarray:
    """Domain decision (site-like vs the corpora) on every row, fitted on the fold's training
    rows only: the site's comments, moderator decisions and the victim data vs everything
    else, class-balanced."""
    key = ("domain", alpha_)
    if key not in fold.cache:
        dom, w = _domain_rows(fold)
        Z = _scaled(fold)
        clf = _sgd().set_params(alpha=alpha_)
        fold.cache[key] = clf.fit(Z[fold.train_idx], dom, sample_weight=w).decision_function(Z)
    return fold.cache[key]


def _domain_rows(fold: Fold) -> tuple[np.ndarray, np.ndarray]:
    """The domain model's labels (site-like or not) of the training rows and their weights,
    both domains the same total."""
    dom = np.array([e.source in DOMAIN_SOURCES for e in fold.train], dtype=int)
    w = np.ones(len(dom))
    for cls in (0, 1):
        m = dom == cls
        if m.any():
            w[m] *= (len(dom) / 2) / m.sum()
    return dom, w


def gated(gen: str = "1", temp: float = 1.0, shift: float = 0.0, alpha_: float = 1e-4,
          gen_alpha: float | None = None):
    """g = sigmoid((domain decision - shift) / temp); score = g * shipped + (1 - g) * generalist
    (site rows at weight ``gen``, or "uniform"). Three dot products on one feature matrix."""
    def fit(fold: Fold):
        g = 1.0 / (1.0 + np.exp(-np.clip((_domain(fold, alpha_) - shift) / temp, -40, 40)))
        d = g * fold.model_decision + (1 - g) * _generalist(fold, gen, gen_alpha)
        GATE_LOG.append({"lever": (gen, temp, shift, alpha_), "g": g, "train_idx": fold.train_idx,
                         "sources": [e.source for e in fold.rows]})
        return lambda idx: d[idx]
    return fit


def gen_only(gen: str):
    def fit(fold: Fold):
        d = _generalist(fold, gen)
        return lambda idx: d[idx]
    return fit


def sgd_variant(**params):
    """The shipped training (IDF factors, shipped weights) with other SGD settings."""
    def fit(fold: Fold):
        d = _fit_on(fold, ("sgd", tuple(sorted(params.items()))), clf=_sgd().set_params(**params))
        return lambda idx: d[idx]
    return fit


def logreg(C: float, solver: str = "liblinear"):
    """LogisticRegression on the same scaled features and weights (weights sum to n, so C plays
    1 / (alpha * n) of the SGD)."""
    from sklearn.linear_model import LogisticRegression

    def fit(fold: Fold):
        clf = LogisticRegression(C=C, solver=solver, max_iter=200, tol=1e-3)
        d = _fit_on(fold, ("lr", C, solver), clf=clf)
        return lambda idx: d[idx]
    return fit


def _sublinear(fold: Fold) -> sp.csr_matrix:
    """TF-IDF as the baseline computes it, on the hashed blocks: counts summed, 1 + log(tf),
    times IDF on the fold's training rows, each block L2-normalised per row; lexicon as is."""
    if "subl" not in fold.cache:
        X0 = fold.X.tocsr()
        blocks = T.text_blocks(T.build_pipelines()["abuse"])
        parts = []
        for sl in blocks:
            b = X0[:, sl].tocsr()
            # the hashers write one entry 1/sqrt(N) per n-gram occurrence (N per row): N is the
            # row's entry count, and the summed entry times sqrt(N) the n-gram's count
            n_occ = np.repeat(np.diff(b.indptr), np.diff(b.indptr)).astype(np.float64)
            b = sp.csr_matrix((np.rint(b.data * np.sqrt(n_occ)), b.indices, b.indptr), shape=b.shape)
            b.sum_duplicates()
            b.data = (1.0 + np.log(np.maximum(b.data, 1.0))).astype(np.float32)
            bt = b[fold.train_idx]
            df = np.bincount(bt.indices, minlength=b.shape[1])
            idf_ = np.log((1.0 + bt.shape[0]) / (1.0 + df)) + 1.0
            parts.append(normalize(b @ sp.diags(idf_.astype(np.float32))))
        X = X0
        lex_start = blocks[-1].stop
        parts.append(X[:, lex_start:])
        fold.cache["subl"] = sp.hstack(parts).tocsr()
    return fold.cache["subl"]


def sublinear(fold: Fold):
    Z = _sublinear(fold)
    d = _sgd().fit(Z[fold.train_idx], fold.y_train,
                   sample_weight=T._weights(fold.train, "abuse")).decision_function(Z)
    return lambda idx: d[idx]


LEVERS.update({
    "gen_w1": gen_only("1"), "gen_uniform": gen_only("uniform"),
    "gated_w1": gated("1"), "gated_w4": gated("4"), "gated_uniform": gated("uniform"),
    "gated_w1_t2": gated("1", temp=2.0), "gated_w1_t0.5": gated("1", temp=0.5),
    "gated_w1_s2": gated("1", shift=2.0), "gated_w1_s-2": gated("1", shift=-2.0),
    "gated_w1_a1e-5": gated("1", alpha_=1e-5),
    "gated_w1_t0.25": gated("1", temp=0.25), "gated_w1_t0.1": gated("1", temp=0.1),
    "gated_w1_a1e-5_t0.25": gated("1", temp=0.25, alpha_=1e-5),
    "gated_w1_a1e-5_t0.1": gated("1", temp=0.1, alpha_=1e-5),
    "gated_w1_a1e-6_t0.25": gated("1", temp=0.25, alpha_=1e-6),
    "gated_w1_a1e-5_s-1": gated("1", shift=-1.0, alpha_=1e-5, temp=0.25),
    "gated_w1_a1e-5_s-0.5": gated("1", shift=-0.5, alpha_=1e-5, temp=0.25),
    "sgd_avg": sgd_variant(average=True), "sgd_50ep": sgd_variant(max_iter=50),
    "sgd_avg_50ep": sgd_variant(average=True, max_iter=50),
    "lr_C1": logreg(1.0), "lr_C4": logreg(4.0),
    "sublinear": sublinear,
    "gated_w1_a1e-5_t0.25_ga3e-5": gated("1", temp=0.25, alpha_=1e-5, gen_alpha=3e-5),
    "gated_w1_a1e-5_t0.25_ga1e-4": gated("1", temp=0.25, alpha_=1e-5, gen_alpha=1e-4),
    "gated_w1_a1e-5_t0.25_ga3e-6": gated("1", temp=0.25, alpha_=1e-5, gen_alpha=3e-6),
})



# ---------------------------------------------------------------- issue 14, pass 5 (continued)
# The shipped gate (specialist, domain model alpha 1e-5, shift -1, temp 0.25) rebuilt per fold,
# with only its generalist arm changed: what the generalist learns decides the corpora's figures.

_RAW: dict = {}


def _weights_bz(examples, table: dict, bz: float) -> np.ndarray:
    """T._weights with the borderline-0 weight ``bz`` instead of BORDERLINE_ZERO_WEIGHT."""
    is_clean = T.is_clean
    y = np.array([e.labels["abuse"] for e in examples], dtype=int)
    w = np.array([table.get(e.source, T.DEFAULT_WEIGHT)[lbl]
                  * (bz if lbl == 0 and not is_clean(e) else 1.0)
                  for e, lbl in zip(examples, y, strict=True)], dtype=float)
    for cls in (0, 1):
        m = y == cls
        if m.any() and w[m].sum() > 0:
            w[m] *= (len(y) / 2) / w[m].sum()
    return w


def _specialist(fold: Fold) -> np.ndarray:
    return _fit_on(fold, "specialist")  # the shipped weights and SGD: the gate's specialist


def _regate(fold: Fold, gen: np.ndarray, shift: float = -1.0, temp: float = 0.25,
            spec: np.ndarray | None = None, dom_alpha: float = 1e-5,
            dom: np.ndarray | None = None) -> np.ndarray:
    """The shipped gate over ``spec`` (default the specialist) and ``gen``; ``dom``: another
    domain model's decisions instead of the shipped one's (at ``dom_alpha``)."""
    dom = _domain(fold, dom_alpha) if dom is None else dom
    g = 1.0 / (1.0 + np.exp(-np.clip((dom - shift) / temp, -40, 40)))
    return g * (_specialist(fold) if spec is None else spec) + (1 - g) * gen


def _gen_w1_weights(fold: Fold, bz: float = T.BORDERLINE_ZERO_WEIGHT) -> np.ndarray:
    return _weights_bz(fold.train, _site_table(1.0), bz)


def _gen_bz(fold: Fold, bz: float) -> np.ndarray:
    return _fit_on(fold, ("gen_bz", bz), _gen_w1_weights(fold, bz))


def _gen_cols(fold: Fold, keep: str) -> np.ndarray:
    """The generalist (site rows weight 1) on a column subset: "char" = character n-grams and
    the cue features, "word" = word n-grams and the cue features (zeroed columns: foldable)."""
    key = ("gen_cols", keep)
    if key not in fold.cache:
        Z = _scaled(fold)
        wb, cb = T.text_blocks(T.build_pipelines()["abuse"])[:2]
        mask = np.ones(Z.shape[1])
        mask[wb if keep == "char" else cb] = 0.0
        Zm = (Z @ sp.diags(mask)).tocsr()
        clf = _sgd().fit(Zm[fold.train_idx], fold.y_train, sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(Zm)
    return fold.cache[key]


def _gen_nb(fold: Fold, power: float = 1.0, bz: float = T.BORDERLINE_ZERO_WEIGHT,
            spec: bool = False) -> np.ndarray:
    """The generalist (``spec``: the specialist, the shipped weights) on NB-scaled columns
    (``model.idf_columns.nb_factors``: |log-count ratio| ** power of the weighted training
    rows) times the IDF factors (column factors: they fold into the weights)."""
    key = ("gen_nb", power, bz, spec)
    if key not in fold.cache:
        from model.idf_columns import nb_factors
        Z = _scaled(fold)
        y = fold.y_train
        w = T._weights(fold.train, "abuse") if spec else _gen_w1_weights(fold, bz)
        blocks = T.text_blocks(T.build_pipelines()["abuse"])
        r = nb_factors(Z[fold.train_idx], y, w, blocks, power)
        Zn = (Z @ sp.diags(r)).tocsr()
        clf = _sgd().fit(Zn[fold.train_idx], y, sample_weight=w)
        fold.cache[key] = clf.decision_function(Zn)
    return fold.cache[key]


def _noisy_rows(fold: Fold) -> np.ndarray:
    """Training rows whose source says the annotators split: Civil Comments rows with a toxic
    fraction within 0.2 of the 0.5 cut, ConvAbuse rows with votes on both sides."""
    raw = _raw_index()
    from model.corpora import text_key
    out = np.zeros(len(fold.train_idx), dtype=bool)
    for k, e in enumerate(fold.train):
        r = raw.get((e.source, text_key(e.text)))
        if not r:
            continue
        if "n_raters" in r and r.get("n_raters"):
            frac = 1.0 - r.get("n_not_toxic", 0) / r["n_raters"]
            out[k] = abs(frac - 0.5) < 0.2
        elif "votes_abusive" in r:
            out[k] = r["votes_abusive"] > 0 and r.get("votes_not", 0) > 0
    return out


def _raw_index() -> dict:
    """(source, text_key) -> the shared schema's ``raw`` fields, for the corpora that carry a
    label fraction (Civil Comments: raters; ConvAbuse: votes). Texts are keys only."""
    if not _RAW:
        from model.corpora import corpus_files, text_key
        for path in corpus_files(T._resolve_paths(None)[0]):
            if path.suffix != ".jsonl":
                continue
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    row = json.loads(line)
                    raw = row.get("raw")
                    if isinstance(raw, dict) and ("n_raters" in raw or "votes_abusive" in raw) \
                            and isinstance(row.get("text"), str):
                        _RAW[(row.get("source") or path.stem, text_key(row["text"]))] = raw
    return _RAW


def _gen_denoised(fold: Fold, factor: float) -> np.ndarray:
    key = ("gen_noisy", factor)
    if key not in fold.cache:
        w = _gen_w1_weights(fold)
        w[_noisy_rows(fold)] *= factor
        fold.cache[key] = _fit_on(fold, key, w)
    return fold.cache[key]


def regate(kind: str, arg: float | None = None, mix: float | None = None, bz: float | None = None,
           spec_nb: float | None = None, shift: float = -1.0):
    """The shipped gate with generalist ``kind``; ``mix``: the arm is ``mix * new + (1 - mix) *
    shipped generalist`` (a third model behind the same gate)."""
    def fit(fold: Fold):
        if kind == "ref":
            gen = _generalist(fold, "1")
        elif kind == "bz":
            gen = _gen_bz(fold, arg)
        elif kind in ("char", "word"):
            gen = _gen_cols(fold, kind)
        elif kind == "nb":
            gen = _gen_nb(fold, arg, T.BORDERLINE_ZERO_WEIGHT if bz is None else bz)
        elif kind == "denoise":
            gen = _gen_denoised(fold, arg)
        else:
            raise ValueError(kind)
        if mix is not None:
            gen = mix * gen + (1 - mix) * _generalist(fold, "1")
        spec = None if spec_nb is None else _gen_nb(fold, spec_nb, spec=True)
        d = _regate(fold, gen, shift=shift, spec=spec)
        return lambda idx: d[idx]
    return fit


LEVERS.update({
    "regate_ref": regate("ref"),
    "regate_bz1": regate("bz", 1.0), "regate_bz0.6": regate("bz", 0.6), "regate_bz0": regate("bz", 0.0),
    "regate_char": regate("char"), "regate_word": regate("word"),
    "regate_char_mix0.5": regate("char", mix=0.5),
    "regate_nb1": regate("nb", 1.0), "regate_nb0.5": regate("nb", 0.5),
    "regate_nb0.5_mix0.5": regate("nb", 0.5, mix=0.5),
    "regate_denoise0": regate("denoise", 0.0), "regate_denoise0.3": regate("denoise", 0.3),
    "regate_bz1_mix0.5": regate("bz", 1.0, mix=0.5),
    "regate_nb0.25": regate("nb", 0.25), "regate_nb0.75": regate("nb", 0.75),
    "regate_nb1_mix0.5": regate("nb", 1.0, mix=0.5),
    "regate_nb0.5_bz1": regate("nb", 0.5, bz=1.0), "regate_nb1_bz1": regate("nb", 1.0, bz=1.0),
    "regate_nb0.5_bz0.6": regate("nb", 0.5, bz=0.6),
    "regate_nb0.5_specnb0.5": regate("nb", 0.5, spec_nb=0.5),
    "regate_nb0.5_specnb0.25": regate("nb", 0.5, spec_nb=0.25),
    "regate_nb0.75_specnb0.5": regate("nb", 0.75, spec_nb=0.5),
    "regate_nb0.5_s-0.5": regate("nb", 0.5, shift=-0.5),
    "regate_nb0.5_specnb0.5_s-0.5": regate("nb", 0.5, spec_nb=0.5, shift=-0.5),
})


# ---------------------------------------------------------------- issue 14, pass 6
# Still the generalist arm behind the shipped gate (NB 0.5 generalist is the reference now,
# ``regate_nb0.5``): every lever here folds into one weight vector, so scoring is unchanged.

def _nb_scaled(fold: Fold, w: np.ndarray, key, power: float = 0.5,
               lex: float = 1.0) -> sp.csr_matrix:
    """IDF x NB(power) column factors of the training rows under weights ``w``; the lexicon
    and cue columns times ``lex``."""
    if key not in fold.cache:
        from model.idf_columns import nb_factors
        Z = _scaled(fold)
        blocks = T.text_blocks(T.build_pipelines()["abuse"])
        r = nb_factors(Z[fold.train_idx], fold.y_train, w, blocks, power)
        r[_blocks(Z)[2]] *= lex
        fold.cache[key] = (Z @ sp.diags(r)).tocsr()
        fold.cache[(key, "factors")] = fold.cache["Z_factors"] * r  # from fold.X's columns
    return fold.cache[key]


def _source_balanced(fold: Fold, base: np.ndarray, sources: bool = True,
                     classes: bool = False) -> np.ndarray:
    """``base`` weights rescaled so every training source has the same total (``sources``)
    and, within each source, both classes the same share of its total (``classes``: a
    corpus's base rate -- Davidson 83 % abusive, Stormfront 11 % -- then teaches nothing, so
    its style cannot stand in for the label), then both classes the same total."""
    w = base.copy()
    src = np.array([e.source for e in fold.train])
    y = fold.y_train
    names = sorted(set(src))
    for s_ in names:
        m = src == s_
        total = (len(w) / len(names)) if sources else w[m].sum()
        if classes and len(set(y[m])) == 2:
            for cls in (0, 1):
                c = m & (y == cls)
                w[c] *= (total / 2) / w[c].sum()
        else:
            w[m] *= total / w[m].sum()
    for cls in (0, 1):
        m = y == cls
        w[m] *= (len(y) / 2) / w[m].sum()
    return w


def _gen_nb_w(fold: Fold, kind: str, lex: float = 1.0) -> np.ndarray:
    key = ("gen6", kind, lex)
    if key not in fold.cache:
        w = _gen_w1_weights(fold)
        clf = _sgd()
        if kind == "w0":  # no site rows at all in the generalist
            w = _weights_bz(fold.train, _site_table(0.0), T.BORDERLINE_ZERO_WEIGHT)
        elif kind == "bal":
            w = _source_balanced(fold, w)
        elif kind == "cbal":
            w = _source_balanced(fold, w, sources=False, classes=True)
        elif kind == "bal_cbal":
            w = _source_balanced(fold, w, classes=True)
        elif kind == "huber":
            clf.set_params(loss="modified_huber")
        Zn = _nb_scaled(fold, w, ("Zn6", "w1" if kind in ("huber", "bag") else kind, lex), lex=lex)
        if kind == "bag":  # five shuffles of the same SGD, averaged (one linear model)
            fold.cache[key] = np.mean([
                clone(clf).set_params(random_state=seed)
                .fit(Zn[fold.train_idx], fold.y_train, sample_weight=w).decision_function(Zn)
                for seed in range(5)], axis=0)
            return fold.cache[key]
        clf.fit(Zn[fold.train_idx], fold.y_train, sample_weight=w)
        fold.cache[key] = clf.decision_function(Zn)
    return fold.cache[key]


def _gen_subl(fold: Fold) -> np.ndarray:
    """The generalist's rows and weights on sublinear TF-IDF of the hashed blocks (not
    foldable: scoring would need the transform and a second product)."""
    key = "gen_subl"
    if key not in fold.cache:
        Z = _sublinear(fold)
        clf = _sgd().fit(Z[fold.train_idx], fold.y_train, sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(Z)
    return fold.cache[key]


def _zn_key(power: float) -> tuple:
    return ("Zn6", "w1", 1.0) if power == 0.5 else ("Zn7", power)


def _zn(fold: Fold, power: float = 0.5) -> sp.csr_matrix:
    """The generalist's columns: IDF x NB(``power``) factors of its training weights."""
    return _nb_scaled(fold, _gen_w1_weights(fold), _zn_key(power), power)


def _zn_factors(fold: Fold, power: float = 0.5) -> np.ndarray:
    """The column factors that make ``_zn``'s columns from the pipeline's (new rows' too)."""
    _zn(fold, power)
    return fold.cache[(_zn_key(power), "factors")]


def _gen_easyadapt(fold: Fold, lam: float = 1.0, gen_alpha: float | None = None,
                   power: float = 0.5) -> np.ndarray:
    """Daume's "frustratingly easy" domain adaptation for the generalist
    (``model.domain_augment``): every training row has its NB-scaled features twice, in a
    shared block and in its source's own block (times ``lam``), plus a constant in its source's
    block; only the shared weights score (a corpus never seen has no block of its own)."""
    key = ("easy", lam, gen_alpha, power)
    if key not in fold.cache:
        from model.domain_augment import fit_shared
        w = _gen_w1_weights(fold)
        Zn = _zn(fold, power)
        clf = _sgd()
        if gen_alpha is not None:
            clf.set_params(alpha=gen_alpha)
        model = fit_shared(clf, Zn[fold.train_idx], fold.y_train, w,
                           [e.source for e in fold.train], lam)
        fold.cache[key] = model.decision_function(Zn)
    return fold.cache[key]


def _spec_easyadapt(fold: Fold) -> np.ndarray:
    """The specialist (the shipped weights, IDF columns) fitted with the same augmentation,
    scoring with the shared weights plus the site's own block: the site's comments are the
    specialist's domain, so it keeps what is the site's own and borrows the rest."""
    key = "spec_easy"
    if key not in fold.cache:
        from model.domain_augment import augment
        Z = _scaled(fold)
        Za, names = augment(Z[fold.train_idx], [e.source for e in fold.train])
        clf = _sgd().fit(Za, fold.y_train, sample_weight=T._weights(fold.train, "abuse"))
        coef, ncols = clf.coef_.ravel(), Z.shape[1]
        at = ncols + names.index(SITE_SOURCE) * (ncols + 1)
        fold.cache[key] = (Z @ (coef[:ncols] + coef[at:at + ncols])
                           + clf.intercept_[0] + coef[at + ncols])
    return fold.cache[key]


_WB: dict = {}


def _gen_wb(fold: Fold) -> np.ndarray:
    """A reference, not a candidate as it stands: the generalist on scikit-learn's
    HashingVectorizer features -- char_wb 2-5 in 2^20 columns (the baseline's analyser, with
    four times fewer collisions than the shipped 2^19 plain char n-grams) and word 1-2 in 2^18
    -- sublinear TF-IDF per block, plus the lexicon and cue columns. It says whether a
    different character analyser would be worth a feature change."""
    key = "gen_wb"
    if key not in fold.cache:
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

        from model.normalize import normalize as norm_text
        texts_key = (len(fold.texts), fold.texts[0], fold.texts[-1])
        if _WB.get("key") != texts_key:
            clean = [norm_text(t)[0] for t in fold.texts]
            cw = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**20,
                                   alternate_sign=False, norm=None).transform(clean)
            ww = HashingVectorizer(ngram_range=(1, 2), n_features=2**18, alternate_sign=False,
                                   norm=None).transform(clean)
            _WB.clear()
            _WB.update(key=texts_key, blocks=(cw.tocsr(), ww.tocsr()))
        parts = []
        for b in _WB["blocks"]:
            tf = TfidfTransformer(sublinear_tf=True).fit(b[fold.train_idx])
            parts.append(tf.transform(b))
        parts.append(fold.X[:, _blocks(fold.X)[2]])
        Z = sp.hstack(parts).tocsr()
        clf = _sgd().fit(Z[fold.train_idx], fold.y_train, sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(Z)
    return fold.cache[key]


def _experts(fold: Fold) -> np.ndarray:
    """One model per training source on its own rows (class-balanced, the NB-scaled columns of
    the generalist), each decision divided by its spread over the training rows, averaged:
    each corpus's idea of abuse gets one vote. A sum of linear models is one linear model."""
    key = "experts"
    if key not in fold.cache:
        w = _gen_w1_weights(fold)
        Zn = _nb_scaled(fold, w, ("Zn6", "w1", 1.0))
        src = np.array([e.source for e in fold.train])
        y = fold.y_train
        total = np.zeros(Zn.shape[0])
        n = 0
        for s_ in sorted(set(src)):
            m = src == s_
            if len(set(y[m])) < 2 or m.sum() < 50:
                continue
            idx = fold.train_idx[m]
            ws = np.ones(int(m.sum()))
            for cls in (0, 1):
                c = y[m] == cls
                ws[c] *= (len(ws) / 2) / c.sum()
            d = _sgd().fit(Zn[idx], y[m], sample_weight=ws).decision_function(Zn)
            total += d / (np.std(d[fold.train_idx]) or 1.0)
            n += 1
        fold.cache[key] = total / max(n, 1)
    return fold.cache[key]


def _like(d: np.ndarray, ref: np.ndarray, fold: Fold) -> np.ndarray:
    """``d`` rescaled (a constant) to ``ref``'s spread over the training rows."""
    t = fold.train_idx
    return d * (np.std(ref[t]) / (np.std(d[t]) or 1.0))


def regate6(kind: str, mix: float | None = None, k: float = 1.0, lex: float = 1.0,
            shift: float = -1.0, lam: float = 1.0, spec: str | None = None,
            ga: float | None = None):
    """The shipped gate with a pass-6 generalist: ``nb`` (the shipped NB 0.5), ``bal``
    (source-balanced rows), ``experts`` (per-source models averaged); ``mix``: ``mix * new +
    (1 - mix) * shipped NB generalist``; ``k``: the generalist's decision times k (its scale
    against the specialist's where the gate blends them); ``lex``: lexicon columns times lex."""
    def fit(fold: Fold):
        ref = _gen_nb_w(fold, "w1", lex)
        if kind == "nb":
            gen = ref
        elif kind in ("bal", "cbal", "bal_cbal", "huber", "w0", "bag"):
            gen = _like(_gen_nb_w(fold, kind, lex), ref, fold)
        elif kind == "experts":
            gen = _like(_experts(fold), ref, fold)
        elif kind == "base":  # a reference: the baseline's vocabulary TF-IDF as the arm
            gen = _like(fold.baseline_decision, ref, fold)
        elif kind == "easy":
            gen = _like(_gen_easyadapt(fold, lam, ga), ref, fold)
        elif kind == "wb":
            gen = _like(_gen_wb(fold), ref, fold)
        elif kind == "subl":
            gen = _like(_gen_subl(fold), ref, fold)
        else:
            raise ValueError(kind)
        if mix is not None:
            gen = mix * gen + (1 - mix) * ref
        d = _regate(fold, k * gen, shift=shift,
                    spec=_spec_easyadapt(fold) if spec == "easy" else None)
        return lambda idx: d[idx]
    return fit


LEVERS.update({
    "r6_nb": regate6("nb"),
    "r6_easy_mix0.5_spec": regate6("easy", mix=0.5, spec="easy"),
    "r6_easy_mix0.5_ga5e-6": regate6("easy", mix=0.5, ga=5e-6),
    "r6_easy_mix0.5_ga2e-5": regate6("easy", mix=0.5, ga=2e-5),
    "r6_easy_l2_mix0.5": regate6("easy", mix=0.5, lam=2.0),
    "r6_easy_mix0.6": regate6("easy", mix=0.6),
    "r6_bal": regate6("bal"), "r6_bal_mix0.5": regate6("bal", mix=0.5),
    "r6_experts": regate6("experts"), "r6_experts_mix0.5": regate6("experts", mix=0.5),
    "r6_experts_mix0.3": regate6("experts", mix=0.3),
    "r6_k0.7": regate6("nb", k=0.7), "r6_k1.5": regate6("nb", k=1.5),
    "r6_lex2": regate6("nb", lex=2.0), "r6_lex4": regate6("nb", lex=4.0),
    "r6_lex0.5": regate6("nb", lex=0.5),
    "r6_cbal": regate6("cbal"), "r6_bal_cbal": regate6("bal_cbal"),
    "r6_cbal_mix0.5": regate6("cbal", mix=0.5), "r6_huber": regate6("huber"),
    "r6_base_mix0.5": regate6("base", mix=0.5), "r6_subl": regate6("subl"),
    "r6_subl_mix0.5": regate6("subl", mix=0.5),
    "r6_w0": regate6("w0"), "r6_bag5": regate6("bag"),
    "r6_wb": regate6("wb"), "r6_wb_mix0.5": regate6("wb", mix=0.5),
    "r6_easy": regate6("easy"), "r6_easy_l2": regate6("easy", lam=2.0),
    "r6_easy_l0.5": regate6("easy", lam=0.5), "r6_easy_mix0.5": regate6("easy", mix=0.5),
    "r6_easy_mix0.3": regate6("easy", mix=0.3), "r6_easy_mix0.7": regate6("easy", mix=0.7),
    "r6_easy_l0.5_mix0.5": regate6("easy", mix=0.5, lam=0.5),
    "r6_easy_l0.5_mix0.7": regate6("easy", mix=0.7, lam=0.5),
    "r6_k1.5_subl_mix0.5": regate6("subl", mix=0.5, k=1.5),
    # pass 7: the augmented fit's alpha and share together
    "r7_ga2e-5_mix0.6": regate6("easy", mix=0.6, ga=2e-5),
    "r7_ga2e-5_mix0.7": regate6("easy", mix=0.7, ga=2e-5),
    "r7_ga4e-5_mix0.5": regate6("easy", mix=0.5, ga=4e-5),
    "r7_ga4e-5_mix0.7": regate6("easy", mix=0.7, ga=4e-5),
})


def _lsa(fold: Fold, k: int, min_df: int) -> sp.csr_matrix:
    """The word block (IDF-scaled) of every row projected on the top ``k`` right singular
    vectors of the training rows' word block (columns in at least ``min_df`` training rows),
    each component divided by its spread on the training rows. No centring, so a linear model
    on it is a linear model on the word columns (``V @ w``): foldable, scoring unchanged. Words
    that share contexts share weight -- a slur's neighbours learn from it."""
    key = ("lsa", k, min_df)
    if key not in fold.cache:
        from sklearn.utils.extmath import randomized_svd
        Z = _scaled(fold)
        W = Z[:, _blocks(Z)[0]].tocsc()
        Wt = W[fold.train_idx]
        df = np.diff((Wt > 0).tocsc().indptr)
        cols = np.flatnonzero(df >= min_df)
        _, _, Vt = randomized_svd(Wt[:, cols], k, n_iter=4, random_state=0)
        P = np.asarray(W[:, cols] @ Vt.T)
        P /= P[fold.train_idx].std(axis=0) + 1e-12
        fold.cache[key] = P
    return fold.cache[key]


def _gen_lsa(fold: Fold, k: int, gamma: float, min_df: int = 5) -> np.ndarray:
    return _gen_dense(fold, ("gen_lsa", k, gamma, min_df), _lsa(fold, k, min_df), gamma)


def lsa_gen(k: int, gamma: float, mix: float | None = 0.5, min_df: int = 5, ga: float = 2e-5):
    """The shipped gate whose generalist mixes in (``mix``) a generalist with LSA word
    components beside its sparse columns; on top of the augmented share (alpha ``ga``)."""
    def fit(fold: Fold):
        ref = _gen_nb_w(fold, "w1")
        gen = _like(_gen_lsa(fold, k, gamma, min_df), ref, fold)
        gen = mix * gen + (1 - mix) * _gen7(fold, ga=ga)
        d = _regate(fold, gen)
        return lambda idx: d[idx]
    return fit


LEVERS.update({
    "r7_lsa128_g0.5": lsa_gen(128, 0.5), "r7_lsa128_g1": lsa_gen(128, 1.0),
    "r7_lsa256_g1": lsa_gen(256, 1.0), "r7_lsa256_g1_mix1": lsa_gen(256, 1.0, mix=1.0),
    "r7_lsa256_g2": lsa_gen(256, 2.0), "r7_lsa256_g1_mix0.3": lsa_gen(256, 1.0, mix=0.3),
})


def _gen7(fold: Fold, a: float = 1e-5, ga: float = 2e-5, power: float = 0.5,
          mix: float = 0.5) -> np.ndarray:
    """The generalist as ``fit_abuse`` fits it: the NB(``power``) generalist at SGD alpha ``a``
    plus ``mix`` of the augmented shared weights (alpha ``ga``) rescaled to its spread; its own
    scale left as it comes out. At the shipped alpha and power it is ``_gen_nb_w``'s fit."""
    key = ("gen6", "w1", 1.0) if (a, power) == (T.ABUSE_ALPHA, 0.5) else ("gen7", a, power)
    if key not in fold.cache:
        Zn = _zn(fold, power)
        clf = _sgd().set_params(alpha=a)
        fold.cache[key] = clf.fit(Zn[fold.train_idx], fold.y_train,
                                  sample_weight=_gen_w1_weights(fold)).decision_function(Zn)
    ref = fold.cache[key]
    return mix * _like(_gen_easyadapt(fold, 1.0, ga, power), ref, fold) + (1 - mix) * ref


def gen7(a: float = 1e-5, ga: float = 2e-5, power: float = 0.5, mix: float = 0.5,
         shift: float = -1.0, temp: float = 0.25, dom_alpha: float = 1e-5):
    """The shipped gate, with ``_gen7``'s generalist and the gate's ``shift``, ``temp`` and
    domain-model alpha."""
    def fit(fold: Fold):
        d = _regate(fold, _gen7(fold, a, ga, power, mix), shift, temp, dom_alpha=dom_alpha)
        return lambda idx: d[idx]
    return fit


LEVERS.update({
    "r7_a2e-5": gen7(a=2e-5), "r7_a4e-5": gen7(a=4e-5, ga=4e-5),
    "r7_p0.75": gen7(power=0.75), "r7_p0.35": gen7(power=0.35),
    "r7_gs-0.5_p0.75": gen7(power=0.75, shift=-0.5), "r7_gs-0.75": gen7(shift=-0.75),
    "r7_gs-0.75_p0.75": gen7(power=0.75, shift=-0.75),
    "r7_gs-0.5_dom3e-6": gen7(shift=-0.5, dom_alpha=3e-6),
    "r7_gs-0.5_dom3e-5": gen7(shift=-0.5, dom_alpha=3e-5),
    "r7_gs-0.5_p1": gen7(power=1.0, shift=-0.5),
    "r7_p0.75_dom3e-6": gen7(power=0.75, dom_alpha=3e-6),
    "r7_p0.75_dom1e-6": gen7(power=0.75, dom_alpha=1e-6),
    "r7_p0.75_dom3e-6_gs-0.75": gen7(power=0.75, dom_alpha=3e-6, shift=-0.75),
    "r7_p1": gen7(power=1.0), "r7_p0.75_ga3e-5": gen7(power=0.75, ga=3e-5),
    "r7_p0.75_mix0.6": gen7(power=0.75, mix=0.6), "r7_p1_mix0.6": gen7(power=1.0, mix=0.6),
})


LEVERS.update({
    # the gate's lean and sharpness (how much of an unseen corpus the specialist still scores)
    "r7_gate_s-0.5": gen7(shift=-0.5), "r7_gate_s0": gen7(shift=0.0),
    "r7_gate_s-1.5": gen7(shift=-1.5), "r7_gate_t0.5": gen7(temp=0.5),
    "r7_gate_t0.1": gen7(temp=0.1),
})



# ---------------------------------------------------------------- issue 14, pass 8
# Information the corpora's n-grams do not carry: WordLlama's pretrained token embeddings
# (l2_supercat, 256-d; tokenizer and weights ship inside its wheel -- loaded straight from the
# package, since its loader looks for the tokenizer in the wrong folder and then goes to the
# hub). Each word gets the mean of its pieces' embeddings, hashed to its unigram column, so
# the dense block is the word block times a fixed table: a linear model on it folds back
# onto the word columns (scoring unchanged) and words that share meaning share weight.

# Per-process state of the pass-8 levers: the pretrained parts, and what is computed from the
# rows' texts, which are the same in every fold (so it is made once, not once per fold).
_WL: dict = {}


def _per_texts(name: str, fold: Fold, make):
    """``make()``, once per process for the rows' texts."""
    key = (len(fold.texts), fold.texts[0], fold.texts[-1])
    if name not in _WL or _WL[name][0] != key:
        _WL[name] = (key, make())
    return _WL[name][1]


def _lever(decide):
    """A lever from ``decide(fold)``, its decision values on every row."""
    def fit(fold: Fold):
        d = decide(fold)
        return lambda idx: d[idx]
    return fit


def _plain_and_shared(fold: Fold, ref: np.ndarray, easy: float = 0.5,
                      aug: np.ndarray | None = None) -> np.ndarray:
    """A generalist as the shipped one is made: ``ref`` (its plain fit) with ``easy`` of the
    augmented fit (``aug``; default the shipped one) at ``ref``'s spread."""
    aug = _gen_easyadapt(fold) if aug is None else aug
    return easy * _like(aug, ref, fold) + (1 - easy) * ref


def _wl_parts():
    if "tok" not in _WL:
        import re

        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        d = Path(wordllama.__file__).parent
        _WL["tok"] = Tokenizer.from_file(str(d / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        with safe_open(str(d / "weights" / "l2_supercat_256.safetensors"), framework="np") as f:
            _WL["E"] = f.get_tensor("embedding.weight").astype(np.float32)
        _WL["pieces"] = sorted(t[1:] for t in _WL["tok"].get_vocab()
                               if t.startswith("\u2581") and re.fullmatch("[a-z]+", t[1:]))
    return _WL["tok"], _WL["E"]


def _word_vectors(words: list[str]) -> np.ndarray:
    """Mean of each word's WordLlama piece embeddings (cached per word)."""
    tok, E = _wl_parts()
    cache = _WL.setdefault("vec", {})
    new = [w for w in words if w not in cache]
    for w, enc in zip(new, tok.encode_batch(new, add_special_tokens=False), strict=True):
        cache[w] = E[enc.ids].mean(axis=0) if enc.ids else np.zeros(E.shape[1], np.float32)
    return np.array([cache[w] for w in words], dtype=np.float32).reshape(len(words), E.shape[1])


def _row_words(fold: Fold) -> list:
    def make():
        import re

        from model.features import WORD_TOKEN_PATTERN, _word_tokens
        rx = re.compile(WORD_TOKEN_PATTERN)
        return [set(_word_tokens(t.lower(), rx)) for t in fold.texts]
    return _per_texts("rows", fold, make)


def _wl_block(fold: Fold) -> np.ndarray:
    """Every row's IDF-scaled word unigrams times the embedding table of the words of the
    fold's training rows and WordLlama's whole-word pieces; columns standardised on the
    training rows (a constant shift and scale: still foldable)."""
    if "wl" not in fold.cache:
        from model.features import gram_index
        rows = _row_words(fold)
        _wl_parts()
        vocab = sorted(set().union(*(rows[i] for i in fold.train_idx)) | set(_WL["pieces"]))
        V = _word_vectors(vocab)
        cols = np.array([gram_index(w, WORD_FEATURES) for w in vocab])
        table = np.zeros((WORD_FEATURES, V.shape[1]), dtype=np.float32)
        np.add.at(table, cols, V)
        hits = np.bincount(cols, minlength=WORD_FEATURES).astype(np.float32)
        table /= np.maximum(hits, 1)[:, None]
        Z = _scaled(fold)
        P = np.asarray(Z[:, _blocks(Z)[0]] @ table)
        t = fold.train_idx
        fold.cache["wl"] = (P - P[t].mean(axis=0)) / (P[t].std(axis=0) + 1e-12)
    return fold.cache["wl"]


def _dense_cols(fold: Fold, Zs: sp.csr_matrix, P: np.ndarray, gamma: float) -> sp.csr_matrix:
    """``[Zs | P]``, ``P`` scaled to ``gamma`` times the mean length of ``Zs``'s training rows."""
    t = fold.train_idx
    sparse_norm = np.sqrt(np.asarray(Zs[t].multiply(Zs[t]).sum(axis=1)).ravel()).mean()
    dense_norm = np.linalg.norm(P[t], axis=1).mean()
    return sp.hstack([Zs, sp.csr_matrix(P * (gamma * sparse_norm / dense_norm))]).tocsr()


def _gen_dense(fold: Fold, key, P: np.ndarray, gamma: float) -> np.ndarray:
    """The NB generalist (site rows weight 1) with the dense block ``P`` beside its sparse
    columns; ``gamma``: the dense block's share of a row's norm."""
    if key not in fold.cache:
        Zl = _dense_cols(fold, _zn(fold), P, gamma)
        clf = _sgd().fit(Zl[fold.train_idx], fold.y_train, sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(Zl)
    return fold.cache[key]


def _gen_wl(fold: Fold, gamma: float) -> np.ndarray:
    return _gen_dense(fold, ("gen_wl", gamma), _wl_block(fold), gamma)


def _easy_dense(fold: Fold, gamma: float) -> np.ndarray:
    """The augmented generalist fit with the WordLlama block among its columns."""
    key = ("easy_wl", gamma)
    if key not in fold.cache:
        from model.domain_augment import fit_shared
        Zl = _dense_cols(fold, _zn(fold), _wl_block(fold), gamma)
        model = fit_shared(_sgd(), Zl[fold.train_idx], fold.y_train, _gen_w1_weights(fold),
                           [e.source for e in fold.train], 1.0)
        fold.cache[key] = model.decision_function(Zl)
    return fold.cache[key]


def _spec_dense(fold: Fold, gamma: float) -> np.ndarray:
    """The specialist (shipped weights, IDF columns) with the WordLlama block."""
    key = ("spec_wl", gamma)
    if key not in fold.cache:
        Zl = _dense_cols(fold, _scaled(fold), _wl_block(fold), gamma)
        clf = _sgd().fit(Zl[fold.train_idx], fold.y_train,
                         sample_weight=T._weights(fold.train, "abuse"))
        fold.cache[key] = clf.decision_function(Zl)
    return fold.cache[key]


def _domain_dense(fold: Fold, gamma: float, alpha_: float = 1e-5) -> np.ndarray:
    """The domain model (site-like vs corpora) with the WordLlama block among its columns."""
    key = ("domain_wl", gamma, alpha_)
    if key not in fold.cache:
        dom, w = _domain_rows(fold)
        Zl = _dense_cols(fold, _scaled(fold), _wl_block(fold), gamma)
        clf = _sgd().set_params(alpha=alpha_)
        fold.cache[key] = clf.fit(Zl[fold.train_idx], dom, sample_weight=w).decision_function(Zl)
    return fold.cache[key]


def _wl_only(fold: Fold, a: float) -> np.ndarray:
    """A model on the WordLlama block alone (generalist weights, SGD alpha ``a``)."""
    key = ("wl_only", a)
    if key not in fold.cache:
        P = _wl_block(fold)
        clf = _sgd().set_params(alpha=a).fit(P[fold.train_idx], fold.y_train,
                                             sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(P)
    return fold.cache[key]


def wl_gen(gamma: float, easy: float = 0.5, easy_wl: bool = False,
           spec_wl: float | None = None):
    """The shipped gate whose generalist's NB half carries the WordLlama block (``gamma``),
    and ``easy`` of the augmented shared weights (``easy_wl``: with the block too);
    ``spec_wl``: the specialist with the block at that gamma."""
    def decide(fold: Fold) -> np.ndarray:
        aug = _easy_dense(fold, gamma) if easy_wl else None
        spec = None if spec_wl is None else _spec_dense(fold, spec_wl)
        return _regate(fold, _plain_and_shared(fold, _gen_wl(fold, gamma), easy, aug), spec=spec)
    return _lever(decide)


def wl_dom(gamma: float, dom_gamma: float, shift: float = -1.0):
    """``wl_gen(gamma)``'s generalist, gated by a domain model that sees the block too."""
    return _lever(lambda fold: _regate(fold, _plain_and_shared(fold, _gen_wl(fold, gamma)), shift,
                                       dom=_domain_dense(fold, dom_gamma)))


def wl_mix(m: float, a: float = 1e-4, gamma: float = 0.5):
    """``wl_gen(gamma)``'s generalist with ``m`` of the block-only model mixed in."""
    def decide(fold: Fold) -> np.ndarray:
        ref = _gen_wl(fold, gamma)
        gen = (1 - m) * _plain_and_shared(fold, ref) + m * _like(_wl_only(fold, a), ref, fold)
        return _regate(fold, gen)
    return _lever(decide)


LEVERS.update({
    "r8_ref": regate6("easy", mix=0.5),
    "r8_wl_g0.25": wl_gen(0.25), "r8_wl_g0.5": wl_gen(0.5), "r8_wl_g1": wl_gen(1.0),
    "r8_wl_g2": wl_gen(2.0),
    "r8_wl_g1_easy0": wl_gen(1.0, easy=0.0),
    "r8_wl_g0.5_ewl": wl_gen(0.5, easy_wl=True), "r8_wl_g1_ewl": wl_gen(1.0, easy_wl=True),
    "r8_wl_g0.5_ewl_s0.25": wl_gen(0.5, easy_wl=True, spec_wl=0.25),
    "r8_wl_g0.5_s0.5": wl_gen(0.5, spec_wl=0.5),
    "r8_wl_g0.5_dom0.5": wl_dom(0.5, 0.5), "r8_wl_g0.5_dom1": wl_dom(0.5, 1.0),
    "r8_wl_g0.5_dom0.5_s-0.5": wl_dom(0.5, 0.5, shift=-0.5),
    "r8_wlmix0.2": wl_mix(0.2), "r8_wlmix0.35": wl_mix(0.35),
    "r8_wlmix0.2_a1e-3": wl_mix(0.2, 1e-3), "r8_wlmix0.2_a1e-5": wl_mix(0.2, 1e-5),
})


# A contextual encoder as a reference (not servable inside the scorer's budget): all-MiniLM-L6-v2
# sentence embeddings, computed in a separate environment (MINILM_PYTHON, default
# /tmp/tvenv/bin/python; how to make it: tools/minilm_embed.py) and cached in the temp folder by
# the texts' digest, and a logistic regression on them with the generalist's rows and weights.
# How much a contextual teacher would add, and whether distilling it into the n-gram model
# (servable: the student is the same linear model on the same columns) keeps any of that.

def _embed(texts: list[str]) -> np.ndarray:
    return encoder.embed(texts)


def _minilm(fold: Fold) -> np.ndarray:
    return _per_texts("minilm", fold, lambda: _embed(list(fold.texts)))


def _teacher_fit(E: np.ndarray, y: np.ndarray, w: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression(C=C, max_iter=2000).fit(E, y, sample_weight=w)


def _teacher_model(fold: Fold, C: float):
    """The teacher: a logistic regression on the training rows' embeddings (generalist
    weights)."""
    key = ("teacher_model", C)
    if key not in fold.cache:
        fold.cache[key] = _teacher_fit(_minilm(fold)[fold.train_idx], fold.y_train,
                                       _gen_w1_weights(fold), C)
    return fold.cache[key]


def _teacher(fold: Fold, C: float) -> np.ndarray:
    key = ("teacher", C)
    if key not in fold.cache:
        fold.cache[key] = _teacher_model(fold, C).decision_function(_minilm(fold))
    return fold.cache[key]


def _teacher_oof(fold: Fold, C: float = 4.0) -> np.ndarray:
    """The teacher's probability of abuse on every training row, from 5-fold cross-fitting on
    the training rows (a row's own label never sets its own soft target)."""
    key = ("teacher_oof", C)
    if key not in fold.cache:
        from sklearn.model_selection import StratifiedKFold
        E = _minilm(fold)[fold.train_idx]
        y, w = fold.y_train, _gen_w1_weights(fold)
        p = np.zeros(len(y))
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(E, y):
            p[te] = _teacher_fit(E[tr], y[tr], w[tr], C).predict_proba(E[te])[:, 1]
        fold.cache[key] = p
    return fold.cache[key]


def teacher(m: float, C: float = 4.0, where: str = "gen"):
    """``m`` of the MiniLM teacher mixed into the gate's generalist (``gen``), into the whole
    model (``all``), or the teacher alone (``m`` 1, ``all``)."""
    def decide(fold: Fold) -> np.ndarray:
        if where == "gen":
            ref = _gen_nb_w(fold, "w1")
            t = _like(_teacher(fold, C), ref, fold)
            return _regate(fold, (1 - m) * _plain_and_shared(fold, ref) + m * t)
        ref = fold.model_decision
        return (1 - m) * ref + m * _like(_teacher(fold, C), ref, fold)
    return _lever(decide)


def _soft_fit(fold: Fold, X: sp.csr_matrix, q: np.ndarray, w: np.ndarray,
              hard: tuple | None = None) -> np.ndarray:
    """The generalist's SGD on soft targets ``q``: every row of ``X`` twice, abusive with
    weight ``w * q`` and clean with ``w * (1 - q)``, after the ``hard`` rows ``(X, y, w)``
    if given; decision values on the generalist's columns of every row."""
    n = X.shape[0]
    parts = [] if hard is None else [hard]
    parts += [(X, np.ones(n, int), w * q), (X, np.zeros(n, int), w * (1 - q))]
    clf = _sgd().fit(sp.vstack([p[0] for p in parts], format="csr"),
                     np.concatenate([p[1] for p in parts]),
                     sample_weight=np.concatenate([p[2] for p in parts]))
    return clf.decision_function(_zn(fold))


def _gen_distilled(fold: Fold, lam: float) -> np.ndarray:
    """The NB generalist's plain fit on soft targets ``(1 - lam) * y + lam * teacher``."""
    key = ("gen_distilled", lam)
    if key not in fold.cache:
        t = fold.train_idx
        q = (1 - lam) * fold.y_train + lam * _teacher_oof(fold)
        fold.cache[key] = _soft_fit(fold, _zn(fold)[t], q, _gen_w1_weights(fold))
    return fold.cache[key]


def _perturbed(texts: list[str]) -> list[str]:
    """One perturbed copy of each text (Tang et al. 2019's transfer set for distilling a
    contextual teacher into a small student): each word dropped with probability 0.2, and
    with probability 0.3 only a random window of 60 % of the words kept. Seeded."""
    rng = np.random.default_rng(0)
    out = []
    for t in texts:
        words = t.split()
        if len(words) > 4 and rng.random() < 0.3:
            k = max(2, int(0.6 * len(words)))
            start = int(rng.integers(0, len(words) - k + 1))
            words = words[start:start + k]
        kept = [w for w in words if rng.random() >= 0.2]
        out.append(" ".join(kept or words[:1]))
    return out


def _transfer_rows(fold: Fold) -> tuple[sp.csr_matrix, np.ndarray]:
    """A perturbed copy of every row: its features and its teacher embedding."""
    def make():
        aug = _perturbed(list(fold.texts))
        return T._features(T.build_pipelines()["abuse"], aug).tocsr(), _embed(aug)
    return _per_texts("transfer", fold, make)


def _gen_transfer(fold: Fold, beta: float, C: float = 4.0) -> np.ndarray:
    """The NB generalist's plain fit on its rows (hard labels) plus a perturbed copy of each
    training row labelled by the teacher (soft, weight ``beta`` x the row's): the student
    learns the teacher's answers on text no row holds as such."""
    key = ("gen_transfer", beta, C)
    if key not in fold.cache:
        t = fold.train_idx
        y, w = fold.y_train, _gen_w1_weights(fold)
        X_aug, E_aug = _transfer_rows(fold)
        Xa = (X_aug[t] @ sp.diags(_zn_factors(fold))).tocsr()
        q = _teacher_model(fold, C).predict_proba(E_aug[t])[:, 1]
        fold.cache[key] = _soft_fit(fold, Xa, q, beta * w, hard=(_zn(fold)[t], y, w))
    return fold.cache[key]


def distilled(lam: float, easy: float = 0.5):
    """The shipped gate whose generalist's plain half is distilled from the MiniLM teacher."""
    return _lever(lambda fold: _regate(fold, _plain_and_shared(fold, _gen_distilled(fold, lam),
                                                                easy)))


def transfer(beta: float, easy: float = 0.5):
    """The shipped gate whose generalist's plain half is ``_gen_transfer``'s student."""
    return _lever(lambda fold: _regate(fold, _plain_and_shared(fold, _gen_transfer(fold, beta),
                                                                easy)))

LEVERS.update({
    "r8_teacher": teacher(1.0, where="all"), "r8_teacher_gen0.3": teacher(0.3),
    "r8_teacher_gen0.5": teacher(0.5), "r8_teacher_all0.3": teacher(0.3, where="all"),
    "r8_distil0": distilled(0.0), "r8_distil0.3": distilled(0.3), "r8_distil0.5": distilled(0.5),
    "r8_distil0.7": distilled(0.7), "r8_distil0.5_easy0": distilled(0.5, easy=0.0),
    "r8_transfer0.5": transfer(0.5), "r8_transfer1": transfer(1.0),
})


# ---------------------------------------------------------------- issue 14, pass 9
# Three families no pass before tried, each meant to stay near the scorer's speed: a nonlinear
# generalist (one small hidden layer on the generalist's columns: it can weigh words by the
# company they keep), word-pair columns (two words near each other in one comment, at a
# distance bigrams miss: "you ... vermin", "they ... breed"), linear and hashed like the rest,
# and a word lexicon scored by the MiniLM teacher (below). docs/MODEL.md, "Pass 9".

PAIR_FEATURES = 2 ** 18


def _gen_mlp(fold: Fold, hidden: int = 32, alpha: float = 1e-4, min_df: int = 5,
             iters: int = 6) -> np.ndarray:
    """The generalist's rows, weights and columns (those in >= ``min_df`` training rows, each
    row scaled to unit length) through one hidden ReLU layer; the decision is the logit."""
    key = ("mlp", hidden, alpha, min_df, iters)
    if key not in fold.cache:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
        Zn, t = _zn(fold), fold.train_idx
        df = np.asarray((Zn[t] != 0).sum(axis=0)).ravel()
        X = normalize(Zn[:, np.flatnonzero(df >= min_df)].tocsr())
        clf = MLPClassifier((hidden,), alpha=alpha, batch_size=256, max_iter=iters,
                            random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X[t], fold.y_train, sample_weight=_gen_w1_weights(fold))
        p = np.clip(clf.predict_proba(X)[:, 1], 1e-6, 1 - 1e-6)
        fold.cache[key] = np.log(p / (1 - p))
    return fold.cache[key]


def _with_mlp(fold: Fold, gen: np.ndarray, m: float, **kw) -> np.ndarray:
    """``m`` of the hidden-layer generalist (at the plain generalist's spread) mixed into
    ``gen``."""
    return (1 - m) * gen + m * _like(_gen_mlp(fold, **kw), _gen_nb_w(fold, "w1"), fold)


def mlp(m: float, **kw):
    """``m`` of the hidden-layer generalist mixed into the shipped generalist, behind the gate."""
    def decide(fold: Fold) -> np.ndarray:
        return _regate(fold, _with_mlp(fold, _plain_and_shared(fold, _gen_nb_w(fold, "w1")),
                                       m, **kw))
    return _lever(decide)


def _pair_counts(fold: Fold, window: int) -> sp.csr_matrix:
    """Every row's word pairs at distance 2..``window`` (adjacent ones are the bigrams),
    order-free, hashed; 0/1 per row."""
    def make():
        import re
        import zlib

        from model.features import WORD_TOKEN_PATTERN, _word_tokens
        rx = re.compile(WORD_TOKEN_PATTERN)
        indptr, cols = [0], []
        for text in fold.texts:
            toks = _word_tokens(text.lower(), rx)
            # crc32, not hash(): the same columns in every process and every run
            row = {zlib.crc32("\x00".join(sorted((toks[i], toks[j]))).encode()) % PAIR_FEATURES
                   for i in range(len(toks)) for j in range(i + 2, min(i + window + 1, len(toks)))}
            cols.extend(row)
            indptr.append(len(cols))
        data = np.ones(len(cols))
        return sp.csr_matrix((data, np.array(cols, dtype=np.int64), np.array(indptr)),
                             shape=(len(fold.texts), PAIR_FEATURES))
    return _per_texts(("pairs", window), fold, make)


def _gen_pairs(fold: Fold, window: int, gamma: float, min_df: int) -> np.ndarray:
    """The NB generalist with the pair block beside its columns (IDF-weighted on the training
    rows, pairs in >= ``min_df`` of them, unit length per row, times ``gamma`` times the
    mean length of the generalist's rows)."""
    key = ("gen_pairs", window, gamma, min_df)
    if key not in fold.cache:
        P, t = _pair_counts(fold, window), fold.train_idx
        df = np.asarray(P[t].sum(axis=0)).ravel()
        idf = np.where(df >= min_df, np.log((1 + len(t)) / (1 + df)) + 1, 0.0)
        Pn = normalize((P @ sp.diags(idf)).tocsr())
        Zs = _zn(fold)
        scale = gamma * np.sqrt(np.asarray(Zs[t].multiply(Zs[t]).sum(axis=1)).ravel()).mean()
        Zp = sp.hstack([Zs, Pn * scale]).tocsr()
        clf = _sgd().fit(Zp[t], fold.y_train, sample_weight=_gen_w1_weights(fold))
        fold.cache[key] = clf.decision_function(Zp)
    return fold.cache[key]


def pairs(window: int = 4, gamma: float = 0.5, min_df: int = 3, m: float = 1.0):
    """The word-pair generalist (``m`` of it, at the shipped one's spread) behind the gate."""
    def decide(fold: Fold) -> np.ndarray:
        ref = _gen_nb_w(fold, "w1")
        new = _like(_gen_pairs(fold, window, gamma, min_df), ref, fold)
        return _regate(fold, _plain_and_shared(fold, (1 - m) * ref + m * new))
    return _lever(decide)


# A lexicon from the teacher: every word alone through MiniLM and the fold's teacher head, so a
# word the training rows hardly hold but the encoder knows the company of ("vermin",
# "invaders") carries a prior. Servable as a table lookup; a comment's block is the max, the
# mean and the top-two mean of its words' priors (nonlinear in the words, so not foldable).

def _minilm_words() -> frozenset[str]:
    return encoder.vocabulary_words()


def _lex_block(fold: Fold, C: float = 4.0, vocab_only: bool = False) -> np.ndarray:
    """The comment's lexicon columns; ``vocab_only``: only the encoder's own whole words have
    a score (a table with no word taken from the corpora)."""
    key = ("lex", C, vocab_only)
    if key not in fold.cache:
        rows, known = _row_words(fold), _minilm_words()

        def make():
            df = Counter(w for r in rows for w in r)
            words = sorted({w for w, n in df.items() if n >= 2} | known)
            return words, _embed(words)
        words, E = _per_texts("lex_words", fold, make)
        df_train = Counter(w for i in fold.train_idx for w in rows[i])
        s = _teacher_model(fold, C).decision_function(E)
        prior = {w: v for w, v in zip(words, s, strict=True)
                 if w in known or (df_train[w] >= 2 and not vocab_only)}
        P = np.array([columns(r, prior) for r in rows])  # the shipped columns (pass 10)
        t = fold.train_idx
        fold.cache[key] = (P - P[t].mean(axis=0)) / (P[t].std(axis=0) + 1e-12)
    return fold.cache[key]


def _gen_lex(fold: Fold, gamma: float, vocab_only: bool = False) -> np.ndarray:
    """The generalist made as the shipped one is, its plain fit with the lexicon block beside
    its columns at ``gamma``."""
    plain = _like(_gen_dense(fold, ("gen_lex", gamma, vocab_only),
                             _lex_block(fold, vocab_only=vocab_only), gamma),
                  _gen_nb_w(fold, "w1"), fold)
    return _plain_and_shared(fold, plain)


def lexicon(gamma: float, vocab_only: bool = False):
    """The lexicon generalist behind the gate."""
    return _lever(lambda fold: _regate(fold, _gen_lex(fold, gamma, vocab_only)))


def lex_mlp(gamma: float, m: float, **kw):
    """The lexicon generalist with ``m`` of the hidden-layer one mixed in, behind the gate."""
    return _lever(lambda fold: _regate(fold, _with_mlp(fold, _gen_lex(fold, gamma), m, **kw)))


LEVERS.update({
    "r9_lexmlp": lex_mlp(0.1, 0.3, alpha=1e-3),
    "r9_mlp0.3": mlp(0.3), "r9_mlp0.5": mlp(0.5), "r9_mlp1": mlp(1.0),
    "r9_mlp0.3_h64": mlp(0.3, hidden=64), "r9_mlp0.3_a1e-3": mlp(0.3, alpha=1e-3),
    "r9_pairs_g0.5": pairs(), "r9_pairs_g0.25": pairs(gamma=0.25), "r9_pairs_g1": pairs(gamma=1.0),
    "r9_pairs_w6_g0.5": pairs(window=6),
    "r9_lex_g0.05": lexicon(0.05), "r9_lex_g0.1": lexicon(0.1), "r9_lex_g0.15": lexicon(0.15),
    "r9_lexv_g0.1": lexicon(0.1, vocab_only=True),
    "r9_lex_g0.25": lexicon(0.25), "r9_lex_g0.5": lexicon(0.5),
})


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-per-source", type=int)
    ap.add_argument("--data", default=None)
    ap.add_argument("--levers", help="comma-separated names (default: all): " + ", ".join(LEVERS))
    ap.add_argument("--json")
    args = ap.parse_args()
    names = args.levers.split(",") if args.levers else list(LEVERS)
    levers = {n: LEVERS[n] for n in names}
    res = leave_one_out(args.data, max_per_source=args.max_per_source, variants=levers,
                        progress=lambda s, f: print(f"{f:5.1%} {s}", file=sys.stderr, flush=True))
    print(format_table(res))
    print("\n| left out | model | baseline | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 3) + "|")
    for f in res["folds"]:
        cells = [f"{f['variants'][n]['test'][0]:.3f}" for n in names]
        print(f"| {f['source']} | {f['model']['roc_auc']:.3f} | {f['baseline']['roc_auc']:.3f} | "
              + " | ".join(cells) + " |")
    means = [np.mean([f["variants"][n]["test"][0] for f in res["folds"]]) for n in names]
    dev = [np.mean([f["variants"][n]["site_dev"][0] for f in res["folds"]]) for n in names]
    ahead = [sum(f["variants"][n]["test"][0] > f["baseline"]["roc_auc"] for f in res["folds"])
             for n in names]
    s = res["summary"]
    print(f"| mean | {s['model_roc_auc']:.3f} | {s['baseline_roc_auc']:.3f} | "
          + " | ".join(f"{m:.3f}" for m in means) + " |")
    print(f"| site dev | {s['site_dev_model_roc_auc']:.3f} | {s['site_dev_baseline_roc_auc']:.3f} | "
          + " | ".join(f"{m:.3f}" for m in dev) + " |")
    n_folds = len(res["folds"])
    print(f"| ahead of baseline | {n_folds - len(s['sources_behind_baseline'])}/{n_folds} | | "
          + " | ".join(f"{a}/{n_folds}" for a in ahead) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
