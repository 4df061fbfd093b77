"""IDF column factors: trained on scaled columns, folded back into the weights."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import SGDClassifier

from model.idf_columns import fold_into, idf_factors, nb_factors, scale_columns


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


def test_nb_factors_scale_the_columns_that_tell_the_classes_apart_and_leave_dense_ones_alone():
    # column 0 only in abusive rows, column 1 in both alike, column 2 mostly in clean rows;
    # column 3: a dense evidence feature outside the block
    X = sp.csr_matrix(np.array([[1, 1, 0, 5.0],
                                [1, 1, 0, 0.0],
                                [1, 0, 1, 2.0],
                                [0, 1, 1, 1.0],
                                [0, 1, 1, 0.0],
                                [0, 0, 1, 3.0]]))
    y = np.array([1, 1, 1, 0, 0, 0])
    w = np.ones(6)
    f = nb_factors(X, y, w, [slice(0, 3)], power=1.0)
    assert f[0] > f[1] and f[2] > f[1]
    assert f[3] == 1.0
    # the rows keep about their length: root-mean-square 1 over the block's entries
    assert np.isclose(np.sqrt(np.mean(f[X[:, :3].tocoo().col] ** 2)), 1.0)
    # power 0.5 flattens them, weights count as rows: a heavy clean row with column 0 lowers it
    f_half = nb_factors(X, y, w, [slice(0, 3)], power=0.5)
    assert f_half[0] / f_half[1] < f[0] / f[1]
    heavy = nb_factors(sp.vstack([X, sp.csr_matrix([[1, 0, 0, 0.0]])]).tocsr(), np.append(y, 0),
                       np.append(w, 10.0), [slice(0, 3)], power=1.0)
    assert heavy[0] / heavy[1] < f[0] / f[1]
