"""Near-duplicate removal: planted near-copies of held-out texts never reach training."""

from __future__ import annotations

import json

from model.corpora import Example, text_key
from model.dedup import NearDuplicateIndex, dedup_normal_form, jaccard, shingles
from tests.model_fixtures import write_tiny_corpora

HELD = ("The chief constable should resign over the way the force handled the grooming "
        "inquiry in Rotherham last year")


def test_normal_form_drops_mentions_urls_punctuation_and_spaced_letters():
    a = dedup_normal_form("@bazza99 You are a F.U.C.K.I.N.G idiot!!! https://t.co/xyz")
    b = dedup_normal_form("you are a f u c k i n g idiot")
    assert a == b == ["you", "are", "a", "fucking", "idiot"]


def test_planted_near_duplicates_are_found_and_different_texts_are_not():
    index = NearDuplicateIndex([HELD, "Lovely weather for the parade on Sunday"])
    planted = [
        HELD.upper(),
        "@someone " + HELD + " http://example.com/story",
        HELD.replace("chief constable", "c.h.i.e.f constable") + "!!!",
        HELD + " and the council leader too, frankly",          # a few words added
        HELD.replace("last year", "in 2014"),                   # a few words changed
    ]
    for text in planted:
        assert jaccard(shingles(text), shingles(HELD)) >= 0.5, text
        assert index.matches(text), text
    different = [
        "The chief constable should explain the budget to the panel next week",
        "Lovely weather today",
        "Rotherham council published its grooming inquiry report in full",
    ]
    for text in different:
        assert not index.matches(text), text


def test_the_index_agrees_with_brute_force_jaccard():
    base = [f"w{i} w{i + 1} w{i + 2} w{i + 3} w{i + 4} w{i + 5} w{i + 6} w{i + 7}" for i in range(40)]
    queries = [" ".join(t.split()[k:]) + " extra words here" for t in base for k in (0, 2, 4)]
    index = NearDuplicateIndex(base)
    for q in queries:
        brute = max(jaccard(shingles(q), shingles(b)) for b in base) >= 0.5
        assert index.matches(q) == brute, q


def test_prepare_data_removes_near_duplicates_of_every_held_out_file(tmp_path):
    from model.corpora import NEWS_COMMENTS_DIR, VICTIM_DATA_DIR
    from model.train import prepare_data

    victim = tmp_path / "victim"
    news = tmp_path / "news"
    for src, dst in ((VICTIM_DATA_DIR, victim), (NEWS_COMMENTS_DIR, news)):
        dst.mkdir()
        for f in src.glob("*.jsonl"):
            (dst / f.name).write_bytes(f.read_bytes())
    fresh = "Everyone on the Herringthorpe estate knows the lad who went to the boxing club"
    (victim / "heldout_fresh9.jsonl").write_text(json.dumps(
        {"text": fresh, "abuse": 0, "victim_identification": 1}) + "\n")
    vi_held = [json.loads(line)["text"] for line in open(victim / "heldout.jsonl")][:3]
    news_held = [json.loads(line)["text"] for line in open(news / "heldout.jsonl")
                 if len(json.loads(line)["text"].split()) >= 8][:3]
    corpus = write_tiny_corpora(tmp_path / "corpus", copies=6)
    near = ["@reader " + fresh.lower() + " !!", *(t + " http://x.co/1" for t in vi_held),
            *("RT " + t.upper() for t in news_held)]
    with open(corpus / "shared.jsonl", "a", encoding="utf-8") as fh:
        for text in near:
            fh.write(json.dumps({"text": text, "abuse": 1, "source": "tiny_jsonl"}) + "\n")
    extra = [Example(t, {"abuse": 1, "victim_identification": 1}, "moderator") for t in near]
    data = prepare_data(corpus, victim_data=victim, news_data=news, extra=extra)
    trained = data["abuse_train"] + data["vi_labelled"] + data["vi_background"]
    trained_keys = {text_key(e.text) for e in trained}
    assert trained
    for text in near:
        assert text_key(text) not in trained_keys, text
    index = NearDuplicateIndex([fresh, *vi_held, *news_held])
    assert not [e for e in trained if index.matches(e.text)]
    # (a planted copy that landed in the corpora's calibration split is removed as an exact copy)
    assert data["near_duplicates_removed"].get("moderator", 0) >= 1
