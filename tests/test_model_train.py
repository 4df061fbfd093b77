"""Training end to end: a small real model, its metrics, and clear cases."""

from __future__ import annotations

import pytest

from model.categories import CATEGORIES
from model.corpora import Example
from model.scoring import Score, Scorer, decide
from tests.model_fixtures import write_tiny_corpora

ABUSIVE = "You are a pathetic fucking idiot, shut your stupid mouth you worthless scumbag."
IDENTIFYING = "everyone knows it's Kayleigh Dawson from year 9 at Brinsworth Academy"
CIVIL = ("Chief Constable Richard Ashworth has questions to answer about this report; "
         "the force let these girls down and he should consider his position.")


def test_small_model_trains_end_to_end_with_metrics(small_scorer):
    s = small_scorer
    assert isinstance(s, Scorer) and s.version and s.created_at
    assert set(s.thresholds) == set(CATEGORIES)
    assert all(0.0 < t < 1.0 for t in s.thresholds.values())
    for cat in CATEGORIES:
        m = s.metrics[cat]
        for key in ("roc_auc", "average_precision", "precision", "recall", "clean_held",
                    "threshold", "pr_curve"):
            assert key in m, (cat, key)
        assert m["roc_auc"] is not None and m["roc_auc"] > 0.7, (cat, m["roc_auc"])
    ab = s.metrics["abuse"]
    assert ab["by_source"] and ab["stream_1pct"]["clean_held"] is not None
    vi = s.metrics["victim_identification"]
    assert vi["hard_negative_held"] is not None and vi["background_clean_held"] is not None
    counts = s.metrics["training_counts"]
    assert counts["abuse"]["train"] and counts["victim_identification"]["train"]


def test_clear_cases_score_as_a_moderator_expects(small_scorer):
    s = small_scorer
    abusive, identifying, civil = s.score_batch([ABUSIVE, IDENTIFYING, CIVIL])
    assert abusive.scores["abuse"] >= s.thresholds["abuse"]
    assert abusive.scores["abuse"] > 0.8
    assert identifying.scores["victim_identification"] >= s.thresholds["victim_identification"]
    assert identifying.scores["victim_identification"] > 0.8
    assert {"name", "school"} <= set(identifying.evidence["victim_identification"])
    assert civil.scores["abuse"] < s.thresholds["abuse"]
    assert civil.scores["victim_identification"] < s.thresholds["victim_identification"]
    assert decide(civil, s.thresholds) == ("approve", [])
    decision, reasons = decide(identifying, s.thresholds)
    assert decision == "hold"
    assert reasons[0].startswith("victim_identification: name + school")
    # the officer's name is not reported as identifying evidence
    assert not [sp for sp in civil.spans if sp.category == "victim_identification"]


def test_spans_point_at_the_identifying_details_in_the_original_text(small_scorer):
    score = small_scorer.score(IDENTIFYING)
    found = {(IDENTIFYING[sp.start:sp.end], sp.kind) for sp in score.spans
             if sp.category == "victim_identification"}
    assert ("Kayleigh Dawson", "name") in found
    assert ("Brinsworth Academy", "school") in found
    assert ("year 9", "school") in found


def test_obfuscated_abuse_is_scored_and_spans_map_back_to_the_original(small_scorer):
    text = "you are a f u c k i n g 1d10t"
    score = small_scorer.score(text)
    plain = small_scorer.score("you are a fucking idiot")
    assert abs(score.scores["abuse"] - plain.scores["abuse"]) < 0.2
    pieces = {text[sp.start:sp.end] for sp in score.spans if sp.category == "abuse"}
    assert "f u c k i n g" in pieces and "1d10t" in pieces


def test_training_reads_all_three_formats_and_uses_moderator_decisions(tmp_path):
    from model.train import train

    corpus = write_tiny_corpora(tmp_path / "corpus")
    extra = [Example("moderator says this phrase is abusive: zorblat wibbly", {"abuse": 1,
                     "victim_identification": None}, "moderator"),
             Example("a perfectly civil moderator-approved remark", {"abuse": 0,
                     "victim_identification": 0}, "moderator"),
             Example("labels unknown", {"abuse": None, "victim_identification": None}, "moderator")]
    stages = []
    scorer = train(corpus, max_per_source=50, extra=extra,
                   progress=lambda stage, f: stages.append((stage, f)))
    counts = scorer.metrics["training_counts"]["abuse"]["train"]
    assert {"tiny_jsonl", "jigsaw_toxic_wikipedia", "civil_comments", "moderator"} <= set(counts)
    assert counts["moderator"]["n"] == 2
    assert scorer.metrics["training_counts"]["victim_identification"]["train"]["moderator"]["n"] == 1
    fractions = [f for _, f in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert isinstance(scorer.score("hello"), Score)


@pytest.mark.parametrize("text", ["", " ", "\u200b", "🙂" * 50, "a" * 20000])
def test_odd_inputs_score_without_error(small_scorer, text):
    score = small_scorer.score(text)
    assert all(0.0 <= v <= 1.0 for v in score.scores.values())
    assert all(0 <= sp.start < sp.end <= len(text) for sp in score.spans)


def test_the_abuse_classifier_trains_on_idf_columns_and_answers_on_unscaled_ones(tmp_path):
    import numpy as np

    from model import train as T
    from model.idf_columns import idf_factors, scale_columns
    from tests.model_fixtures import ABUSIVE, CLEAN, _copy

    examples = [Example(f"{t} {_copy(i)}", {"abuse": lbl}, "news_comments")
                for i in range(4) for lbl, ts in ((1, ABUSIVE), (0, CLEAN)) for t in ts]
    y = np.array([e.labels["abuse"] for e in examples])
    pipe = T.build_pipelines(2**12, 2**13)["abuse"]
    X = T._features(pipe, [e.text for e in examples]).tocsr()
    with_idf = T.fit_abuse(pipe, X, examples, y, idf=True)
    f = idf_factors(X, T.text_blocks(pipe))
    ref = T.build_pipelines(2**12, 2**13)["abuse"].named_steps["clf"]
    ref.fit(scale_columns(X, f), y, sample_weight=T._weights(examples, "abuse"))
    # same decisions on the raw features as the reference on the scaled ones
    assert np.allclose(with_idf.decision_function(X), ref.decision_function(scale_columns(X, f)))
    plain = T.fit_abuse(T.build_pipelines(2**12, 2**13)["abuse"], X, examples, y, idf=False)
    assert not np.allclose(plain.coef_, with_idf.coef_)
    assert [b.stop - b.start for b in T.text_blocks(pipe)] == [2**12, 2**13]
