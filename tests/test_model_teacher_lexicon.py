"""The teacher lexicon: the word table, its three columns, and their place in the abuse
generalist (the generalist's alone, standardised and folded back into raw-column weights)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from model import artifact
from model import train as T
from model.card import card_markdown
from model.domain_gate import GatedLinear
from model.leave_one_out import leave_one_out
from model.teacher_lexicon import (
    TABLE,
    TeacherLexiconFeatures,
    columns,
    read_table,
    table_for,
    write_table,
)
from tests.model_fixtures import ABUSIVE, CLEAN
from tests.test_model_domain_gate import _examples


def test_a_table_round_trips_sorted_with_its_provenance(tmp_path):
    path = tmp_path / "t.tsv.gz"
    write_table(path, ["vermin", "apple", "idiot"], [2.5, -1.25, 3.0], ["encoder: x", "rows: 3"])
    words, scores, header = read_table(path)
    assert words == ["apple", "idiot", "vermin"]
    assert scores.tolist() == [-1.25, 3.0, 2.5]
    assert header == ["encoder: x", "rows: 3"]
    # one table, one file: no clock in the gzip header
    write_table(tmp_path / "u.tsv.gz", ["vermin", "apple", "idiot"], [2.5, -1.25, 3.0],
                ["encoder: x", "rows: 3"])
    assert path.read_bytes() == (tmp_path / "u.tsv.gz").read_bytes()


def test_the_setting_names_the_shipped_table_another_one_or_none(tmp_path):
    assert table_for("") == TABLE and TABLE.is_file()
    assert table_for(" OFF ") is None
    with pytest.raises(FileNotFoundError, match="TEACHER_LEXICON="):
        table_for(str(tmp_path / "x.tsv.gz"))
    write_table(tmp_path / "x.tsv.gz", ["a"], [1.0])
    assert table_for(str(tmp_path / "x.tsv.gz")) == tmp_path / "x.tsv.gz"
    words, scores, header = read_table(TABLE)
    assert len(words) > 10_000 and len(words) == len(scores) == len(set(words))
    assert any(h.startswith("encoder:") for h in header)


def test_a_comment_gets_the_highest_the_mean_and_the_top_two_mean_of_its_words():
    prior = {"vermin": 3.0, "scum": 2.0, "the": -1.0}
    assert columns({"vermin", "scum", "the", "unknown"}, prior) == (3.0, 4.0 / 3, 2.5)
    assert columns({"scum"}, prior) == (2.0, 2.0, 2.0)
    assert columns({"unknown"}, prior) == (0.0, 0.0, 0.0)
    feats = TeacherLexiconFeatures("scum\nthe\nvermin", np.array([2.0, -1.0, 3.0], np.float32))
    # repeated words count once; tokens are lower-cased as the table's are
    rows = feats.rows(["Vermin vermin THE", "nothing here"])
    assert rows.tolist() == [[3.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    assert np.allclose(feats.transform(["Vermin vermin THE"]).toarray(), rows[:1])


def _fit(X, examples, y, table):
    pipe = T.build_pipelines(2**12, 2**13, teacher_lexicon=table)["abuse"]
    return T.fit_abuse(pipe, X, examples, y, gate=True)


def test_the_columns_are_the_generalists_alone_and_fold_back_exactly(tmp_path):
    examples = _examples()
    y = np.array([e.labels["abuse"] for e in examples])
    table = tmp_path / "t.tsv.gz"
    rng = np.random.default_rng(0)
    vocab = sorted({w.lower() for e in examples for w in e.text.split() if w.isalpha()})
    write_table(table, vocab, rng.normal(size=len(vocab)))
    pipe = T.build_pipelines(2**12, 2**13, teacher_lexicon=table)["abuse"]
    X = T._features(pipe, [e.text for e in examples]).tocsr()
    assert T.teacher_columns(pipe, X.shape[1]) == slice(X.shape[1] - 3, X.shape[1])
    clf = _fit(X, examples, y, table)
    assert isinstance(clf, GatedLinear)
    # the specialist and the domain model never see the teacher columns ...
    assert not clf.coef_.ravel()[-3:].any() and not clf.dom_coef_.ravel()[-3:].any()
    assert clf.gen_coef_.ravel()[-3:].any()
    # ... and are the models trained without them
    no_teacher = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], X[:, :-3], examples, y,
                             gate=True)
    assert np.allclose(clf.coef_.ravel()[:-3], no_teacher.coef_.ravel())
    assert np.allclose(clf.dom_coef_.ravel()[:-3], no_teacher.dom_coef_.ravel())
    assert not np.allclose(clf.gen_coef_.ravel()[:-3], no_teacher.gen_coef_.ravel())
    # the columns are standardised before training, so shifting and scaling the raw columns
    # changes nothing once the standardisation is folded back into the weights and intercept
    cols = X[:, -3:].toarray()
    moved = sp.hstack([X[:, :-3], sp.csr_matrix(cols * 3.0 + 5.0)]).tocsr()
    clf_moved = _fit(moved, examples, y, table)
    assert np.allclose(clf_moved.decision_function(moved), clf.decision_function(X), atol=1e-6)
    # a constant column (no comment has a word of the table) gets weight 0, not a huge factor
    flat = sp.hstack([X[:, :-3], sp.csr_matrix(np.c_[cols[:, :2], np.full(len(cols), 2.0)])]).tocsr()
    clf_flat = _fit(flat, examples, y, table)
    assert clf_flat.gen_coef_.ravel()[-1] == 0.0 and np.isfinite(clf_flat.gen_intercept_).all()


def test_the_trained_model_scores_with_its_teacher_columns_as_its_pipeline_does(small_scorer):
    pipe = small_scorer.pipelines["abuse"]
    assert "teacher" in pipe.named_steps["features"].named_transformers
    assert small_scorer.training["teacher_lexicon"].startswith("teacher_lexicon.tsv.gz@")
    assert small_scorer.training["teacher_gamma"] == T.TEACHER_GAMMA
    assert f"Teacher lexicon `{small_scorer.training['teacher_lexicon']}`" in card_markdown(
        small_scorer, {})
    texts = ABUSIVE[:5] + CLEAN[:5] + ["they are vermin, invaders the lot of them"]
    loaded = artifact.loads(artifact.dumps(small_scorer))
    teacher = loaded.pipelines["abuse"].named_steps["features"].named_transformers["teacher"]
    # the lookup dict is built at load, not by the first of several concurrent requests
    assert teacher.__dict__.get("_prior")
    fast = loaded.decision_values(texts)["abuse"]
    assert np.allclose(fast, pipe.decision_function(texts), atol=1e-6)
    # the columns count: without them the decisions differ
    clf = pipe.named_steps["clf"]
    n = clf.gen_coef_.shape[1]
    X = pipe.named_steps["features"].transform(pipe.named_steps["norm"].transform(texts))
    assert not np.allclose(X[:, n - 3:] @ clf.gen_coef_.ravel()[n - 3:], 0.0)


def test_off_trains_a_model_without_teacher_columns(tiny_abuse_corpus, monkeypatch):
    monkeypatch.setenv("TEACHER_LEXICON", "off")
    scorer = T.train(tiny_abuse_corpus, max_per_source=60)
    assert "teacher" not in scorer.pipelines["abuse"].named_steps["features"].named_transformers
    assert scorer.training["teacher_lexicon"] is None
    # a model saved before the columns existed is such a model: it loads and scores as before
    # (FEATURE_VERSION unchanged), its fast path equal to its pipeline
    texts = ABUSIVE[:3] + CLEAN[:3]
    loaded = artifact.loads(artifact.dumps(scorer))
    assert np.allclose(loaded.decision_values(texts)["abuse"],
                       scorer.pipelines["abuse"].decision_function(texts), atol=1e-6)


def test_leave_one_out_scores_each_fold_with_its_own_table_and_refuses_a_missing_one(
        tiny_abuse_corpus, tmp_path):
    words, scores, _ = read_table(TABLE)
    folds = tmp_path / "folds"
    folds.mkdir()
    base = leave_one_out(tiny_abuse_corpus, max_per_source=60, sources=["davidson_tweets"])
    assert base["teacher_lexicon"] == "off"
    with pytest.raises(FileNotFoundError, match="without davidson_tweets"):
        leave_one_out(tiny_abuse_corpus, max_per_source=60, sources=["davidson_tweets"],
                      teacher_folds=folds)
    write_table(folds / "without-davidson_tweets.tsv.gz", words, scores)
    res = leave_one_out(tiny_abuse_corpus, max_per_source=60, sources=["davidson_tweets"],
                        teacher_folds=folds)
    assert res["teacher_lexicon"] == "per-fold tables"
    assert res["folds"][0]["model"]["roc_auc"] != base["folds"][0]["model"]["roc_auc"]
