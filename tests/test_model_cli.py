"""`moderation train | score | evaluate` (the model's commands)."""

from __future__ import annotations

import argparse
import io
import json

import pytest

from model import artifact
from moderation.commands import model as model_cmd
from tests.model_fixtures import write_tiny_corpora


def run(argv, monkeypatch, stdin: str = "") -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="moderation")
    model_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    monkeypatch.setattr("sys.stdout", out)
    try:
        code = args.func(args)
    except SystemExit as exc:  # how the command stops on a model it refuses
        code = exc.code
    return code, out.getvalue()


@pytest.fixture
def model_file(small_scorer, tmp_path):
    path = tmp_path / "m.skops"
    artifact.save(small_scorer, path)
    return path


def test_score_writes_one_line_per_input_in_order(model_file, monkeypatch, small_scorer):
    texts = ["everyone knows it's Kayleigh Dawson from year 9 at Brinsworth Academy",
             "Thanks for the clear reporting.",
             "You are a pathetic fucking idiot, shut your stupid mouth you worthless scumbag."]
    stdin = "".join(json.dumps({"text": t, "id": i}) + "\n" for i, t in enumerate(texts))
    code, out = run(["score", "--model", str(model_file)], monkeypatch, stdin)
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert set(row) >= {"abuse", "victim_identification", "decision", "reasons", "spans"}
        assert 0 <= row["abuse"] <= 1 and 0 <= row["victim_identification"] <= 1
    assert rows[0]["decision"] == "hold"
    assert rows[0]["reasons"][0].startswith("victim_identification: name + school")
    assert rows[1]["decision"] == "approve" and rows[1]["reasons"] == []
    assert rows[2]["decision"] == "hold" and rows[2]["reasons"][0].startswith("abuse")
    assert rows[0]["spans"][0].keys() == {"start", "end", "category", "kind"}


def test_score_reports_bad_lines_without_losing_order(model_file, monkeypatch):
    code, out = run(["score", "--model", str(model_file)], monkeypatch,
                    '{"text": "fine"}\nnot json\n{"no_text": 1}\n{"text": "also fine"}\n')
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and len(rows) == 4
    assert "decision" in rows[0] and "error" in rows[1] and "error" in rows[2]
    assert "decision" in rows[3]


def test_score_refuses_a_tampered_model(model_file, monkeypatch, capsys):
    model_file.write_bytes(model_file.read_bytes()[:-10])
    code, out = run(["score", "--model", str(model_file)], monkeypatch, '{"text": "x"}\n')
    assert code == 2 and out == ""


def test_evaluate_prints_metrics_json(model_file, monkeypatch, tmp_path):
    data = tmp_path / "eval.jsonl"
    rows = [{"text": "everyone knows it's Kayleigh Dawson from year 9 at Brinsworth Academy",
             "abuse": 0, "victim_identification": 1},
            {"text": "PC Darren Hulme said the investigation continues.", "abuse": 0,
             "victim_identification": 0},
            {"text": "fuck off you worthless idiot", "abuse": 1, "victim_identification": 0},
            {"text": "Lovely weather for the gala today.", "abuse": 0, "victim_identification": 0}]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, out = run(["evaluate", "--model", str(model_file), "--data", str(data)], monkeypatch)
    assert code == 0
    metrics = json.loads(out)
    for cat in ("abuse", "victim_identification"):
        assert {"roc_auc", "average_precision", "precision", "recall", "clean_held"} <= set(metrics[cat])
    assert metrics["victim_identification"]["roc_auc"] == 1.0


def test_train_writes_the_model_manifest_and_card(monkeypatch, tmp_path, capsys):
    corpus = write_tiny_corpora(tmp_path / "corpus")
    monkeypatch.setenv("ABUSE_DATA", str(corpus))
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "models"))
    out_path = tmp_path / "out" / "model.skops"
    code, out = run(["train", "--max-per-source", "40", "--out", str(out_path)], monkeypatch)
    assert code == 0
    summary = json.loads(out)
    assert summary["metrics"]["abuse"]["roc_auc"] is not None
    assert artifact.load(out_path).version == summary["version"]
    assert (tmp_path / "out" / "model.skops.json").exists()
    card = (tmp_path / "out" / "model.skops.card.md").read_text()
    assert "precision-recall" in card and "Known limits" in card
    assert (tmp_path / "out" / "model.skops.pr_abuse.png").read_bytes()[:4] == b"\x89PNG"
    assert list((tmp_path / "models").glob("*.skops"))
    err = capsys.readouterr().err
    assert "%" in err  # progress shown on stderr


def test_score_into_a_closed_pipe_ends_quietly(model_file, tmp_path):
    # `moderation score < comments.jsonl | head -1`: the reader leaves early; no traceback
    import subprocess
    import sys

    comments = tmp_path / "comments.jsonl"
    comments.write_text("".join(json.dumps({"text": f"comment number {i}"}) + "\n"
                                for i in range(5000)))
    with open(comments, "rb") as stdin:
        proc = subprocess.Popen([sys.executable, "-m", "moderation.cli", "score", "--model",
                                 str(model_file)], stdin=stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does
        stderr = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 0, stderr
    assert json.loads(first)["decision"] in ("approve", "hold")
    assert "Traceback" not in stderr, stderr
