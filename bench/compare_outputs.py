"""Check that a change to the model code leaves its outputs identical, text by text.

    # outputs of the code in this checkout
    .venv/bin/python bench/compare_outputs.py dump --model M.skops --out after.pickle
    # outputs of another checkout of the code (its model/ and core/ first on the path)
    PYTHONPATH=/path/to/old/checkout ABUSE_DATA=/abs/path .venv/bin/python bench/compare_outputs.py dump \\
        --model M.skops --out before.pickle
    .venv/bin/python bench/compare_outputs.py compare before.pickle after.pickle

For every text of the project's news and victim-identification sets (train and held-out), every
text of the abuse corpora in ABUSE_DATA, hand-made obfuscated texts and the crafted families of
``bench.hostile_texts`` at 100 and 400 characters, it keeps: the normalised text and its offsets,
the victim-identification spans and vector, the lexicon vector, spans and cue matches, and the
model's decision values (bit for bit), scores, spans and evidence. ``compare`` prints how many
texts differ in each, with the first few differing texts' sources (never their text).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

# appended, not inserted: a PYTHONPATH naming another checkout comes first
sys.path.append(str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]

OBFUSCATED = [
    "f u c k you", "f.u.c.k off", "you 1d10t", "sh1t and a$$hole", "ѕһіt head", "Ｆｕｃｋ",
    "id\u200biot", "fuuuuuck off!!!!!", "it’s Kayleigh", "she is 14yo in y9 at s60", "evry1 nos",
    "@kay_99 on insta", "b.i.t.c.h please", "D'arcy street", "o'connor road", "st. mary's school",
    "Kayleigh from year 9 at Brinsworth Academy", "her insta is  kay_99", "under 14  year olds",
    "my son in year 9 at wath comp", "a f u c k i n g idiot", "mother-in-law's house flats",
]


def _texts() -> list[tuple[str, str]]:
    from bench.hostile_texts import families
    from core.config import Settings

    out = []
    for path in sorted((ROOT / "model").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append((path.name, json.loads(line)["text"]))
    for path in sorted(Path(Settings.from_env().abuse_data).glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            out += [(path.name, json.loads(line)["text"]) for line in fh if line.strip()]
    out += [("obfuscated", t) for t in OBFUSCATED]
    for n in (100, 400):
        out += [(f"crafted:{name}:{n}", t) for name, t in families(n)]
    return out


def dump(model_path: str, out_path: str) -> None:
    from model import artifact
    from model.abuse_cues import cue_counts
    from model.features import detect_victim, lexicon_spans, lexicon_vector
    from model.normalize import normalize

    texts = _texts()
    rows = []
    for _, text in texts:
        norm, offsets = normalize(text)
        det = detect_victim(norm)
        found: dict = {}
        lex = lexicon_vector(norm, det.tokens, found)
        rows.append((norm, offsets, det.spans, det.vector, lex, sorted(found.items(), key=repr),
                     lexicon_spans(norm, found), cue_counts(norm)))
    scorer = artifact.load(model_path)
    scored = []
    for i in range(0, len(texts), 64):
        batch = [t for _, t in texts[i:i + 64]]
        values = scorer.decision_values(batch)
        for j, score in enumerate(scorer.score_batch(batch)):
            scored.append((tuple(float(values[c][j]) for c in sorted(values)), score.to_dict()))
    with open(out_path, "wb") as fh:
        pickle.dump({"sources": [s for s, _ in texts], "features": rows, "scores": scored}, fh)
    print(f"{len(texts)} texts -> {out_path}")


def compare(a_path: str, b_path: str) -> int:
    with open(a_path, "rb") as fh:
        a = pickle.load(fh)
    with open(b_path, "rb") as fh:
        b = pickle.load(fh)
    if a["sources"] != b["sources"]:
        print("the two dumps are of different texts")
        return 2
    parts = ("normalised text", "offsets", "victim spans", "victim vector", "lexicon vector",
             "phrase and cue matches", "lexicon spans", "cue counts")
    sources = a["sources"]
    differ = 0
    for k, part in enumerate(parts):
        bad = [i for i, (x, y) in enumerate(zip(a["features"], b["features"], strict=True))
               if x[k] != y[k]]
        differ += len(bad)
        print(f"{part:24s} {len(bad):6d} differ  {sorted({sources[i] for i in bad})[:8]}")
    for k, part in enumerate(("decision values", "scores, spans, evidence")):
        bad = [i for i, (x, y) in enumerate(zip(a["scores"], b["scores"], strict=True)) if x[k] != y[k]]
        differ += len(bad)
        print(f"{part:24s} {len(bad):6d} differ  {sorted({sources[i] for i in bad})[:8]}")
    print(f"{len(sources)} texts compared")
    return 1 if differ else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("--model", required=True)
    d.add_argument("--out", required=True)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        dump(args.model, args.out)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
