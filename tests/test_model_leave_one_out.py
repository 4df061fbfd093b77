"""Leave-one-source-out: the table's shape, and no fold ever trains on the source it leaves out."""

from __future__ import annotations

import json

import pytest

from model.corpora import Example, text_key
from model.leave_one_out import (
    DOC_END,
    DOC_START,
    LeakError,
    check_fold,
    fold_rows,
    format_table,
    write_into_doc,
)
from tests.model_fixtures import ABUSIVE, CLEAN, _copy


def _write_sources(d, names=("alpha_tweets", "beta_forum", "gamma_comments"), copies=5):
    d.mkdir(parents=True, exist_ok=True)
    for k, name in enumerate(names):
        with open(d / f"{name}.jsonl", "w", encoding="utf-8") as fh:
            for i in range(copies):
                for t in ABUSIVE:
                    fh.write(json.dumps({"text": f"{t} {name} {_copy(i + k)}", "abuse": 1}) + "\n")
                for t in CLEAN:
                    fh.write(json.dumps({"text": f"{t} {name} {_copy(i + k)}", "abuse": 0}) + "\n")
    return d


def test_a_fold_that_trains_on_the_left_out_source_or_its_texts_is_refused():
    test = [Example("the left out comment about the parking", {"abuse": 0}, "alpha")]
    check_fold([Example("another text", {"abuse": 0}, "beta")], test, "alpha")
    with pytest.raises(LeakError):
        check_fold([Example("x", {"abuse": 0}, "alpha")], test, "alpha")
    with pytest.raises(LeakError):
        check_fold([Example("The left out comment  about the parking", {"abuse": 0}, "beta")],
                   test, "alpha")


def test_fold_rows_drop_the_source_and_near_copies_of_its_texts():
    held = "the council should publish the whole report on the grooming inquiry now"
    pool = [Example(held + " @someone", {"abuse": 0}, "beta"),       # near-copy elsewhere
            Example("lovely weather for the parade", {"abuse": 0}, "beta"),
            Example("anything at all", {"abuse": 0}, "alpha"),
            Example("🙂🙂 ...", {"abuse": 0}, "beta")]                # no words: no shingles
    test = [Example(held, {"abuse": 0}, "alpha"), Example("🙂🙂  ...", {"abuse": 0}, "alpha")]
    keep, dropped = fold_rows(pool, test, "alpha")
    assert keep == [1] and dropped == 2
    check_fold([pool[i] for i in keep], test, "alpha")


def test_quick_leave_one_out_command_prints_and_writes_the_table_and_never_leaks(tmp_path, capsys):
    from moderation.commands.model import main

    corpus = _write_sources(tmp_path / "corpus")
    # a near-copy of a gamma text planted in alpha: the gamma fold must not train on it
    planted = "@reader " + ABUSIVE[0] + " gamma_comments " + _copy(2 + 1) + " !!"
    with open(corpus / "alpha_tweets.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"text": planted, "abuse": 1}) + "\n")
    doc = tmp_path / "MODEL.md"
    doc.write_text(f"# Model\n\nbefore\n{DOC_START}\nOLD TABLE\n{DOC_END}\nafter\n")
    assert main(["evaluate", "--leave-one-out", "--data", str(corpus), "--max-per-source", "60",
                 "--doc", str(doc), "--json", str(tmp_path / "loo.json")]) == 0
    res = json.loads((tmp_path / "loo.json").read_text())
    folds = {f["source"]: f for f in res["folds"]}
    assert set(folds) == {"alpha_tweets", "beta_forum", "gamma_comments"}
    for name, f in folds.items():
        assert name not in f["train_sources"]
        assert "news_comments" in f["train_sources"]      # the site's own data is trained on
        assert f["n"] > 0 and 0 < f["positives"] < f["n"]
        for who in ("model", "baseline"):
            assert 0.0 <= f[who]["roc_auc"] <= 1.0 and 0.0 <= f[who]["average_precision"] <= 1.0
    assert folds["gamma_comments"]["near_duplicates_dropped"] >= 1
    s = res["summary"]
    assert s["mean_difference_roc_auc"] == pytest.approx(s["model_roc_auc"] - s["baseline_roc_auc"],
                                                         abs=1e-3)
    table = format_table(res)
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 3 + 2          # header, one per source, mean, site's dev comments
    assert "| gamma_comments |" in out
    text = doc.read_text()
    assert "OLD TABLE" not in text and table.splitlines()[2] in text
    assert text.startswith("# Model") and text.rstrip().endswith("after")
    write_into_doc(doc, "NEW")
    assert f"{DOC_START}\nNEW\n{DOC_END}" in doc.read_text()


def test_left_out_texts_are_absent_from_every_fold_by_key(tmp_path):
    from model.train import prepare_data

    corpus = _write_sources(tmp_path / "corpus", names=("alpha_tweets", "beta_forum"))
    data = prepare_data(corpus, max_per_source=60)
    pool = data["abuse_train"]
    rows = pool + data["abuse_calibration"] + data["abuse_heldout"]
    for left_out in ("alpha_tweets", "beta_forum"):
        test = [e for e in rows if e.source == left_out]
        keep, _ = fold_rows(pool, test, left_out)
        keys = {text_key(e.text) for e in test}
        assert keep and not [i for i in keep if text_key(pool[i].text) in keys]


def test_levers_see_the_whole_fold_but_train_only_on_other_sources(tmp_path):
    import numpy as np

    from model.leave_one_out import leave_one_out

    corpus = _write_sources(tmp_path / "corpus", names=("alpha_tweets", "beta_forum", "gamma_comments"))
    seen = []

    def shipped(fold):
        seen.append({fold.rows[i].source for i in fold.train_idx})
        assert len(fold.y_train) == len(fold.train_idx) == len(fold.train)
        assert fold.model_decision.shape == fold.baseline_decision.shape == (len(fold.rows),)
        return lambda idx: fold.model_decision[idx]

    def inverted(fold):
        return lambda idx: -fold.baseline_decision[idx]

    res = leave_one_out(corpus, max_per_source=60, variants={"same": shipped, "inverted": inverted})
    assert len(seen) == 3
    for f, sources in zip(res["folds"], seen, strict=True):
        assert f["source"] not in sources and "news_comments" in sources
        # the lever that returns the shipped model's decisions scores exactly like it
        assert f["variants"]["same"]["test"][0] == f["model"]["roc_auc"]
        assert f["variants"]["inverted"]["test"][0] == pytest.approx(1 - f["baseline"]["roc_auc"],
                                                                     abs=1e-3)
        assert np.isfinite(f["variants"]["same"]["site_dev"][0])
