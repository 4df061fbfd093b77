"""IDF column factors: trained on scaled columns, folded back into the weights."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from model.idf_columns import fold_into, idf_factors, scale_columns


def _matrix():
    # columns 0-3: an n-gram block; column 4: a dense evidence feature outside the blocks.
    # Column 0 is in every row, column 3 in one; row 1 repeats column 0 (hasher style).
    rows = [[(0, 1.0), (1, 1.0), (4, 0.5)],
            [(0, 1.0), (0, 1.0), (2, 1.0), (4, 0.0)],
            [(0, 1.0), (1, 1.0), (3, 1.0), (4, 2.0)],
            [(0, 1.0), (2, 1.0), (4, 1.0)]]
    data, ind, ptr = [], [], [0]
    for r in rows:
        for c, v in r:
            ind.append(c)
            data.append(v)
        ptr.append(len(ind))
    return sp.csr_matrix((np.array(data), np.array(ind), np.array(ptr)), shape=(4, 5))


def test_rare_columns_weigh_more_than_common_ones_and_dense_columns_are_left_alone():
    X = _matrix()
    f = idf_factors(X, [slice(0, 4)])
    assert f[3] > f[1] > f[0]              # df 1 < df 2 < df 4
    assert f[1] == f[2]
    assert f[4] == 1.0
    # a repeated entry is one document, not two: column 0 has df 4, so its IDF is the floor
    # (log(5/5) + 1 = 1), whatever the block constant
    assert np.isclose(f[3] / f[0], np.log(5 / 2) + 1.0)
    # the block constant keeps the scaled rows at unit length on average
    Z = scale_columns(X, f)[:, :4].toarray()
    assert np.isclose(np.mean((Z ** 2).sum(axis=1)), 1.0)


def test_a_folded_model_answers_on_unscaled_features_as_it_did_on_scaled_ones():
    X = sp.random(200, 30, density=0.2, random_state=1, format="csr")
    signal = np.asarray(X[:, :5].sum(axis=1)).ravel()
    y = (signal > np.median(signal)).astype(int)
    f = idf_factors(X, [slice(0, 20), slice(20, 28)])
    Z = scale_columns(X, f)
    clf = SGDClassifier(loss="log_loss", random_state=0).fit(Z, y)
    on_scaled = clf.decision_function(Z)
    fold_into(clf, f)
    assert np.allclose(clf.decision_function(X), on_scaled)
    assert not np.allclose(clf.decision_function(Z), on_scaled)  # the weights did change
