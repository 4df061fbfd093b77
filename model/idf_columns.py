"""IDF column factors for the hashed n-gram blocks, folded into a linear model's weights.

The plain baseline of the leave-one-source-out table (docs/MODEL.md) is a TF-IDF model; the
shipped features are hashed n-gram counts scaled per row. Training on ``X * f`` with
``f[j] = idf[j] / c(block)`` -- ``c`` a constant per block that keeps the rows' length at 1 on
average, so the regularisation strength means what it meant before -- and then storing
``w * f`` as the weights gives the same decision values on the unscaled features: the scorer
computes nothing more per comment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp


def idf_factors(X: sp.spmatrix, blocks: Sequence[slice]) -> np.ndarray:
    """One factor per column of ``X`` (training rows): smoothed IDF, ``log((1+n)/(1+df)) + 1``,
    divided per block by the root-mean-square length of the block's IDF-scaled rows. Columns
    outside ``blocks`` (dense evidence features) get 1."""
    Xt = sp.csr_matrix(X, copy=True)
    Xt.sum_duplicates()  # the hashers keep a repeated n-gram as repeated entries
    n = Xt.shape[0]
    df = np.bincount(Xt.indices[Xt.data != 0], minlength=Xt.shape[1])
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    factors = np.ones(Xt.shape[1], dtype=np.float64)
    for sl in blocks:
        block = Xt[:, sl] @ sp.diags(idf[sl])
        sq = np.asarray(block.multiply(block).sum(axis=1)).ravel()
        rms = float(np.sqrt(sq.mean())) if n else 1.0
        factors[sl] = idf[sl] / (rms if rms > 0 else 1.0)
    return factors


def nb_factors(Z: sp.spmatrix, y: np.ndarray, weights: np.ndarray, blocks: Sequence[slice],
               power: float) -> np.ndarray:
    """Naive-Bayes column factors for the n-gram ``blocks`` of training rows ``Z``: ``|log
    r_j| ** power``, ``r_j`` the ratio of column j's weighted share among abusive rows to its
    share among clean rows (add-one smoothed), divided by their root-mean-square over the
    rows' entries so the rows keep about their length (and the L2 strength its meaning).
    Columns outside ``blocks`` get 1. An n-gram that tells the classes apart gets a larger
    scale, so the L2 prior costs less for its weight: what transfers from one corpus to another
    is more the n-grams that separate abuse everywhere than the rare ones one corpus fits."""
    Zt = abs(sp.csr_matrix(Z))
    y = np.asarray(y)
    w = np.asarray(weights, dtype=np.float64)
    p = 1.0 + np.asarray(Zt[y == 1].T @ w[y == 1]).ravel()
    q = 1.0 + np.asarray(Zt[y == 0].T @ w[y == 0]).ravel()
    r = np.abs(np.log((p / p.sum()) / (q / q.sum()))) ** power
    factors = np.ones(Zt.shape[1], dtype=np.float64)
    inside = np.zeros(Zt.shape[1], dtype=bool)
    for sl in blocks:
        factors[sl] = r[sl]
        inside[sl] = True
    entries = Zt.indices[inside[Zt.indices]]
    rms = float(np.sqrt(np.mean(factors[entries] ** 2))) if len(entries) else 1.0
    factors[inside] /= rms if rms > 0 else 1.0
    return factors


def scale_columns(X: sp.spmatrix, factors: np.ndarray) -> sp.csr_matrix:
    """``X`` with column j multiplied by ``factors[j]``."""
    return (sp.csr_matrix(X) @ sp.diags(factors)).tocsr()


def fold_into(clf, factors: np.ndarray):
    """Make ``clf`` (fitted on scaled columns) answer the same on unscaled ones."""
    clf.coef_ = np.asarray(clf.coef_) * factors[np.newaxis, :]
    return clf


__all__ = ["idf_factors", "nb_factors", "scale_columns", "fold_into"]
