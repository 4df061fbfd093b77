"""Corpus loaders (three formats) and the held-out split."""

from __future__ import annotations

import csv
import json

import pytest

from model import corpora
from model.corpora import (
    CorpusFormatError,
    Example,
    detect_format,
    load_corpus,
    load_victim_identification,
    split_of,
    text_key,
)
from tests.model_fixtures import write_tiny_corpora


def test_the_three_formats_are_detected_and_loaded(tmp_path):
    d = write_tiny_corpora(tmp_path, copies=1)
    assert detect_format(d / "shared.jsonl") == "jsonl"
    assert detect_format(d / "train.csv") == "jigsaw_csv"
    assert detect_format(d / "civil.csv") == "civil_csv"
    by_source: dict[str, list[Example]] = {}
    for ex in load_corpus(d):
        by_source.setdefault(ex.source, []).append(ex)
    assert set(by_source) == {"tiny_jsonl", "jigsaw_toxic_wikipedia", "civil_comments"}
    for exs in by_source.values():
        assert len(exs) == 16 and sum(e.labels["abuse"] for e in exs) == 8
        assert all(e.labels["victim_identification"] is None for e in exs)
    # Jigsaw's multi-line quoted comments survive
    assert any("\n" in e.text for e in by_source["jigsaw_toxic_wikipedia"])


def test_jigsaw_any_label_is_abuse_and_civil_threshold_is_half(tmp_path):
    jig = tmp_path / "train.csv"
    with open(jig, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "comment_text", "toxic", "severe_toxic", "obscene", "threat", "insult",
                    "identity_hate"])
        w.writerow(["1", "clean", 0, 0, 0, 0, 0, 0])
        w.writerow(["2", "only identity hate", 0, 0, 0, 0, 0, 1])
        w.writerow(["3", "only threat", 0, 0, 0, 1, 0, 0])
    assert [e.labels["abuse"] for e in load_corpus(jig)] == [0, 1, 1]
    civ = tmp_path / "civil.csv"
    with open(civ, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "toxicity"])  # the `text` column variant
        for i, tox in enumerate(["0.0", "0.49", "0.5", "0.9", ""]):
            w.writerow([i, f"comment {i}", tox])
    assert [e.labels["abuse"] for e in load_corpus(civ)] == [0, 0, 1, 1]


def test_unknown_csv_is_rejected_and_bad_json_names_the_line(tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(CorpusFormatError):
        list(load_corpus(other))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "abuse": 0}\n{not json\n')
    with pytest.raises(CorpusFormatError, match=":2:"):
        list(load_corpus(bad))


def test_shared_schema_keeps_both_categories_and_marks_borderline_zeros(tmp_path):
    f = tmp_path / "x.jsonl"
    rows = [{"text": "a", "abuse": 0, "victim_identification": 1, "source": "s"},
            {"text": "b", "abuse": 0, "source": "civil_comments_toxic_spans",
             "raw": {"preselected_toxic": True}},
            {"text": "c", "abuse": 0, "source": "trac", "raw": {"aggression": "CAG"}},
            {"text": "d", "abuse": 0, "source": "trac", "raw": {"aggression": "NAG"}}]
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    exs = list(load_corpus(f))
    assert exs[0].labels == {"abuse": 0, "victim_identification": 1}
    assert [e.case for e in exs] == [None, "borderline", "borderline", None]


def test_split_is_a_pure_function_of_the_normalised_text():
    texts = [f"comment number {i}" for i in range(2000)]
    splits = [split_of(t) for t in texts]
    assert splits == [split_of(t) for t in texts]
    assert split_of("Hello   World") == split_of("hello world")
    share = splits.count("heldout") / len(splits)
    assert 0.10 < share < 0.20
    assert 0.05 < splits.count("calibration") / len(splits) < 0.15


def test_held_out_texts_never_reach_training(tmp_path):
    from model.train import prepare_data

    corpus = write_tiny_corpora(tmp_path / "corpus", copies=6)
    vi_heldout = load_victim_identification("heldout")
    assert vi_heldout, "victim-identification held-out data is missing"
    leaked = vi_heldout[0]
    news_heldout = corpora.load_news_comments("heldout")
    assert news_heldout, "the site's abuse held-out data is missing"
    leaked_news = news_heldout[0]
    # plant held-out texts (victim and site comments) among the moderator decisions and in a
    # corpus file
    with open(corpus / "shared.jsonl", "a", encoding="utf-8") as fh:
        for text in (leaked.text, leaked_news.text):
            fh.write(json.dumps({"text": text, "abuse": 0, "source": "tiny_jsonl"}) + "\n")
    extra = [Example(leaked.text, {"abuse": 0, "victim_identification": 1}, "moderator"),
             Example(leaked_news.text, {"abuse": 1, "victim_identification": 0}, "moderator")]
    data = prepare_data(corpus, extra=extra)
    unseen = {text_key(e.text) for e in data["abuse_heldout"] + data["vi_heldout"]
              + data["news_heldout"] + data["abuse_calibration"]}
    trained = data["abuse_train"] + data["vi_labelled"] + data["vi_background"]
    assert trained and unseen
    assert any(e.source == "news_comments" for e in data["abuse_train"])
    assert not [e for e in trained if text_key(e.text) in unseen]
    assert text_key(leaked.text) not in {text_key(e.text) for e in trained}
    assert text_key(leaked_news.text) not in {text_key(e.text) for e in trained}
    # the corpora's held-out split is exactly the hash split
    assert all(split_of(e.text) == "heldout" for e in data["abuse_heldout"])
    assert all(split_of(e.text) == "train" for e in data["abuse_corpora_train"])


def test_victim_data_falls_back_to_the_seed_split(tmp_path):
    seed = corpora.VICTIM_DATA_DIR / "seed.jsonl"
    (tmp_path / "seed.jsonl").write_bytes(seed.read_bytes())
    train = load_victim_identification("train", tmp_path)
    held = load_victim_identification("heldout", tmp_path)
    assert train and held
    assert not {text_key(e.text) for e in train} & {text_key(e.text) for e in held}
    assert all(e.labels["victim_identification"] in (0, 1) for e in train + held)


def test_a_retired_fresh_set_is_trained_on_and_only_heldout_files_are_held_out(tmp_path):
    import importlib.util

    d = corpora.VICTIM_DATA_DIR
    retired = sorted(d.glob("train_*.jsonl"))
    assert retired, "fresh set #1 (train_fresh1.jsonl) is missing"
    assert not set(retired) & set(corpora.heldout_files(d))
    assert all(f.name.startswith("heldout") for f in corpora.heldout_files(d))
    # a later fresh set is held out as soon as it lands
    (tmp_path / "heldout_fresh9.jsonl").write_text(json.dumps({"text": "x", "abuse": 0}) + "\n")
    (tmp_path / "train_fresh8.jsonl").write_text(json.dumps({"text": "y", "abuse": 0}) + "\n")
    assert [f.name for f in corpora.heldout_files(tmp_path)] == ["heldout_fresh9.jsonl"]
    # every retired row reaches training through train.jsonl, marked with its origin
    rows = [json.loads(line) for line in open(d / "train.jsonl", encoding="utf-8")]
    by_key = {text_key(r["text"]): r for r in rows}
    trained = {text_key(e.text) for e in load_victim_identification("train")}
    for f in retired:
        origin = f.stem[len("train_"):]
        for line in open(f, encoding="utf-8"):
            r = json.loads(line)
            key = text_key(r["text"])
            assert key in trained
            assert by_key[key]["victim_identification"] == r["victim_identification"]
            assert by_key[key]["case"] == r["case"]
            assert by_key[key].get("origin") in (origin, None)  # None: we had the text already
    # the build validates another author's rows like our own
    spec = importlib.util.spec_from_file_location("build_train", d / "build_train.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    (tmp_path / "train_bad.jsonl").write_text(json.dumps(
        {"text": "Her name is Zelda Quorn", "victim_identification": 1, "abuse": 0,
         "case": "officer", "register": "calm"}) + "\n")
    with pytest.raises(SystemExit, match="not valid for vi=1"):
        build.load_other_authors(tmp_path)


def test_hard_negatives_weigh_more_in_victim_training_and_the_case_lists_agree():
    import importlib.util

    import numpy as np

    from model import train

    spec = importlib.util.spec_from_file_location(
        "build_train", corpora.VICTIM_DATA_DIR / "build_train.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert set(build.HARD_NEGATIVE_CASES) == train.VI_HARD_NEGATIVE_CASES
    rows = [Example("a", {"victim_identification": 1}, "victim_data", "name"),
            Example("b", {"victim_identification": 0}, "victim_data", "journalist"),
            Example("c", {"victim_identification": 0}, "victim_data", "critical"),
            Example("d", {"victim_identification": 0}, "moderator", None)]
    w = train.vi_weights(rows, 2)
    assert len(w) == 6
    assert w[1] == pytest.approx(train.VI_HARD_NEGATIVE_WEIGHT * w[2])
    assert w[2] == pytest.approx(w[3])
    assert np.all(w[4:] == train.VI_BACKGROUND_WEIGHT)
