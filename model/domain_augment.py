"""Daumé's "frustratingly easy" feature augmentation, for the gate's generalist.

Every training row carries its features twice: in a shared block and in a block of its own
source (plus a constant there). What one corpus alone means by abuse -- Davidson's profanity,
a corpus's base rate -- can then be fitted by that corpus's own weights, and the shared
weights keep what the sources agree on. Only the shared weights are kept: a comment from a
source never seen has no block of its own. The result is an ordinary linear model on the
original columns, so it folds into the generalist's weights and scoring is unchanged
(docs/MODEL.md, issue 14 pass 6).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone


def augment(Z: sp.spmatrix, sources: Sequence[str], own_scale: float = 1.0
            ) -> tuple[sp.csr_matrix, list[str]]:
    """``[Z | one block per source]``: row i's entries again (times ``own_scale``) in the block
    of ``sources[i]``, followed by a constant column per block. Returns the matrix and the
    sources in block order."""
    Zt = sp.csr_matrix(Z)
    n, ncols = Zt.shape
    names = sorted(set(sources))
    sid = np.searchsorted(names, np.asarray(sources))
    width = ncols + 1
    per_row = np.diff(Zt.indptr)
    rows = np.concatenate([np.repeat(np.arange(n), per_row), np.arange(n)])
    cols = np.concatenate([Zt.indices + np.repeat(sid * width, per_row), sid * width + ncols])
    vals = np.concatenate([Zt.data * own_scale, np.full(n, own_scale)])
    own = sp.csr_matrix((vals, (rows, cols)), shape=(n, width * len(names)))
    return sp.hstack([Zt, own]).tocsr(), names


def fit_shared(clf, Z: sp.spmatrix, y: np.ndarray, weights: np.ndarray, sources: Sequence[str],
               own_scale: float = 1.0):
    """A clone of linear ``clf`` fitted on the augmented rows, cut back to the shared weights:
    it takes ``Z``'s columns."""
    Za, _ = augment(Z, sources, own_scale)
    model = clone(clf).fit(Za, y, sample_weight=weights)
    ncols = Z.shape[1]
    model.coef_ = np.asarray(model.coef_)[:, :ncols].copy()
    model.n_features_in_ = ncols
    return model


def blend(a, b, share: float, Z: sp.spmatrix):
    """``a`` with its weights replaced by ``(1 - share) * a + share * s * b``, where ``s``
    gives ``b``'s decisions the spread of ``a``'s over the rows ``Z`` (so ``share`` means the
    same whatever the two models' scales)."""
    da, db = a.decision_function(Z), b.decision_function(Z)
    s = float(np.std(da) / np.std(db)) if np.std(db) > 0 else 1.0
    a.coef_ = (1 - share) * np.asarray(a.coef_) + share * s * np.asarray(b.coef_)
    a.intercept_ = (1 - share) * np.asarray(a.intercept_) + share * s * np.asarray(b.intercept_)
    return a


__all__ = ["augment", "fit_shared", "blend"]
