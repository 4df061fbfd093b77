"""Daumé's feature augmentation for the gate's generalist (model/domain_augment.py)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from model.domain_augment import augment, blend, fit_shared


def test_each_row_is_copied_into_its_sources_block_with_a_constant():
    Z = sp.csr_matrix(np.array([[1.0, 2.0], [0.0, 3.0], [4.0, 0.0]]))
    Za, names = augment(Z, ["b", "a", "b"], own_scale=2.0)
    assert names == ["a", "b"]
    # shared columns 0-1; source a: 2-3 and its constant 4; source b: 5-6 and its constant 7
    assert Za.toarray().tolist() == [
        [1, 2, 0, 0, 0, 2, 4, 2],
        [0, 3, 0, 6, 2, 0, 0, 0],
        [4, 0, 0, 0, 0, 8, 0, 2],
    ]


def _sgd():
    return SGDClassifier(loss="log_loss", alpha=1e-3, max_iter=30, tol=None, random_state=0)


def test_a_sources_style_does_not_stand_in_for_the_label_in_the_shared_weights():
    """Column 0 marks abuse in both sources; column 1 is source A's style (present in A's rows
    only), and A is 85 % abusive, B 15 %. Pooled training takes the style for abuse; in the
    augmented model A's own constant and weights carry the base rate, so the shared weights
    lean on the style much less."""
    rng = np.random.default_rng(0)
    n = 4000
    src = np.where(np.arange(n) < n // 2, "A", "B")
    y = (rng.random(n) < np.where(src == "A", 0.85, 0.15)).astype(int)
    common = y + rng.normal(0, 1.0, n)
    style = (src == "A") + rng.normal(0, 0.1, n)
    Z = sp.csr_matrix(np.column_stack([common, style]))
    w = np.ones(n)
    pooled = _sgd().fit(Z, y, sample_weight=w).coef_.ravel()
    shared = fit_shared(_sgd(), Z, y, w, list(src)).coef_.ravel()
    assert shared.shape == pooled.shape == (2,)
    assert pooled[1] > 0.5 * pooled[0] > 0  # the confound is there to be learnt
    assert shared[1] / shared[0] < 0.6 * (pooled[1] / pooled[0])


def test_blend_mixes_weights_at_the_first_models_scale():
    Z = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]))
    a, b = _sgd(), _sgd()
    for m, coef, icpt in ((a, [2.0, 0.0], 0.5), (b, [0.0, 20.0], -1.0)):
        m.classes_, m.coef_, m.intercept_ = np.array([0, 1]), np.array([coef]), np.array([icpt])
    da, db = a.decision_function(Z), b.decision_function(Z)
    s = np.std(da) / np.std(db)
    want = 0.7 * da + 0.3 * s * db
    assert np.allclose(blend(a, b, 0.3, Z).decision_function(Z), want)
