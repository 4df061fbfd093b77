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
    sources in block order.

    Built straight into CSR arrays (row i: its shared entries, its own entries, its constant),
    with 32-bit indices: with all the data ``Z`` holds ~10^8 entries, and a COO build plus an
    ``hstack`` held four copies of them at once (full training peaked at 5.8 GB)."""
    Zt = sp.csr_matrix(Z)
    n, ncols = Zt.shape
    names = sorted(set(sources))
    sid = np.searchsorted(names, np.asarray(sources)).astype(np.int64)
    width = ncols + 1
    total_cols = ncols + width * len(names)
    per_row = np.diff(Zt.indptr).astype(np.int64)
    starts = Zt.indptr[:-1].astype(np.int64)
    # row i's block of 2 * per_row[i] + 1 entries starts at 2 * starts[i] + i
    indptr = 2 * Zt.indptr.astype(np.int64) + np.arange(n + 1)
    itype = np.int32 if max(total_cols, int(indptr[-1])) < 2**31 else np.int64
    nnz = int(Zt.indptr[-1])
    shift = np.repeat(starts + np.arange(n), per_row)  # entry e goes to e + shift[e]
    shared_at = np.arange(nnz, dtype=np.int64) + shift
    own_at = shared_at + np.repeat(per_row, per_row)
    del shift
    const_at = indptr[1:] - 1
    data = np.empty(int(indptr[-1]), dtype=np.float64)
    indices = np.empty(int(indptr[-1]), dtype=itype)
    data[shared_at] = Zt.data
    indices[shared_at] = Zt.indices
    del shared_at
    data[own_at] = Zt.data * own_scale
    indices[own_at] = Zt.indices + np.repeat(ncols + sid * width, per_row)
    del own_at
    data[const_at] = own_scale
    indices[const_at] = ncols + sid * width + ncols
    out = sp.csr_matrix((data, indices, indptr.astype(itype)), shape=(n, total_cols))
    return out, names


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
