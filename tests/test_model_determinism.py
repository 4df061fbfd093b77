"""Scores and spans are a pure function of (model, text)."""

from __future__ import annotations

import numpy as np

from model import artifact

TEXTS = [
    "everyone knows it's Kayleigh Dawson from year 9 at Brinsworth Academy",
    "You absolute m0r0n, I hope you rot",
    "The council meeting is on Thursday at the town hall.",
    "her insta is @jodie_x_99 if anyone wants to see who it is",
    "PC Darren Hulme said the investigation is ongoing.",
    "ѕһіt article, f.u.c.k off",
]


def test_scores_and_spans_are_deterministic(small_scorer):
    first = [s.to_dict() for s in small_scorer.score_batch(TEXTS)]
    second = [s.to_dict() for s in small_scorer.score_batch(TEXTS)]
    one_by_one = [small_scorer.score(t).to_dict() for t in TEXTS]
    reversed_batch = [s.to_dict() for s in small_scorer.score_batch(TEXTS[::-1])][::-1]
    assert first == second == one_by_one == reversed_batch


def test_a_saved_and_loaded_model_scores_identically(small_scorer, tmp_path):
    path = tmp_path / "m.skops"
    artifact.save(small_scorer, path)
    loaded = artifact.load(path)
    assert loaded.version == small_scorer.version
    assert loaded.thresholds == small_scorer.thresholds
    assert [s.to_dict() for s in loaded.score_batch(TEXTS)] == \
        [s.to_dict() for s in small_scorer.score_batch(TEXTS)]
    assert loaded.metrics == small_scorer.metrics


def test_fast_path_equals_the_plain_sklearn_pipelines(small_scorer):
    fast = small_scorer.decision_values(TEXTS)
    for cat, pipe in small_scorer.pipelines.items():
        slow = pipe.decision_function(TEXTS)
        np.testing.assert_allclose(fast[cat], slow, rtol=1e-5, atol=1e-6)
