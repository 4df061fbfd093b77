#!/usr/bin/env python3
"""Build model/news_comments/train.jsonl: in-domain training data for the abuse classifier.

Deterministic and stdlib-only.  Running

    python3 model/news_comments/build.py            # writes train.jsonl
    python3 model/news_comments/build.py --stats    # also prints counts

regenerates train.jsonl byte-for-byte.

Every row comes from the handwritten_train*.txt files (hand-written reader comments by
several authors: the seed story, other policing stories, comment threads; see the header of
handwritten_train.txt for the format).  There is no generator.  The script
validates the file (known case and register codes, "abu" only under abuse=1,
"low" rows free of capitals, no duplicate texts compared case-insensitively
ignoring punctuation and whitespace), shuffles with a fixed seed and writes one
JSON object per line:

    {"text", "abuse", "victim_identification", "case", "register"}

victim_identification is always 0: no comment here identifies a victim.

This script never reads heldout* files (the held-out set is written
independently by another author and must stay unseen by training).

The abuse definition and case codes are in docs/LABELLING_GUIDELINE.md, section 11.
"""
import glob
import json
import os
import random
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
HANDWRITTEN = sorted(glob.glob(os.path.join(HERE, "handwritten_train*.txt")))
OUT = os.path.join(HERE, "train.jsonl")
SEED = 20231123

ABUSE_CASES = [
    "insult_commenter", "insult_police", "insult_public", "threat", "hate_group",
    "victim_blaming", "sexual_harassment", "obfuscated", "profane_attack",
]
CLEAN_CASES = [
    "angry_criticism", "condemn_offenders", "undirected_profanity", "ethnicity_discussion",
    "quoted_abuse", "disagreement", "dark_topic", "support", "ordinary", "sarcasm_civil",
]
# abuse=0 cases that share vocabulary or tone with abuse (everything except the easy ones)
HARD_NEGATIVE_CASES = [c for c in CLEAN_CASES if c not in ("support", "ordinary")]

REGISTERS = {
    "sym": "sympathetic", "gos": "gossipy", "ang": "angry", "abu": "abusive",
    "for": "formal", "mis": "misspelt", "low": "lowercase", "sar": "sarcastic",
    "que": "question", "cal": "calm", "lng": "long",
}

HEADER_RE = re.compile(r"^##\s+abuse=([01])\s+case=([a-z_]+)\s*$")


def norm(text):
    """Duplicate key: lower case, punctuation, emoji and whitespace removed."""
    return re.sub(r"[\W_]+", "", text.lower())


def fail(path, lineno, msg):
    sys.exit(f"{os.path.relpath(path)}:{lineno}: {msg}")


def load(paths=HANDWRITTEN):
    rows, seen = [], {}
    for path in paths:
        rows += load_file(path, seen)
    return rows


def load_file(path, seen):
    """Rows of one hand-written file; ``seen`` (text key -> where) spans all files."""
    rows = []
    abuse = case = None
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, 1):
            line = raw.rstrip("\n")
            if line.startswith("##"):
                m = HEADER_RE.match(line)
                if not m:
                    fail(path, lineno, "bad header, expected '## abuse=0|1 case=<code>'")
                abuse, case = int(m.group(1)), m.group(2)
                if case not in (ABUSE_CASES if abuse else CLEAN_CASES):
                    fail(path, lineno, f"case {case!r} is not valid for abuse={abuse}")
                continue
            if not line.strip() or line.startswith("#"):
                continue
            if abuse is None:
                fail(path, lineno, "comment line before any '## abuse=.. case=..' header")
            code, sep, text = line.partition("|")
            text = text.strip()
            if not sep or not text:
                fail(path, lineno, "expected 'REG|text'")
            if code not in REGISTERS:
                fail(path, lineno, f"unknown register code {code!r}")
            if code == "abu" and not abuse:
                fail(path, lineno, "register 'abu' under an abuse=0 header")
            if code == "low" and text != text.lower():
                fail(path, lineno, "'low' row contains capitals")
            key = norm(text)
            if not key:
                fail(path, lineno, "text has no letters or digits")
            if key in seen:
                fail(path, lineno, f"duplicate of {seen[key]}: {text[:60]!r}")
            seen[key] = f"{os.path.basename(path)}:{lineno}"
            rows.append({
                "text": text,
                "abuse": abuse,
                "victim_identification": 0,
                "case": case,
                "register": REGISTERS[code],
            })
    return rows


def build():
    rows = load()
    random.Random(SEED).shuffle(rows)
    with open(OUT, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def stats(rows):
    n = len(rows)
    pos = sum(r["abuse"] for r in rows)
    hard = sum(r["case"] in HARD_NEGATIVE_CASES for r in rows)
    print(f"rows {n}  abuse=1 {pos} ({pos / n:.1%})  abuse=0 {n - pos} ({(n - pos) / n:.1%})  "
          f"hard negatives {hard} ({hard / max(n - pos, 1):.1%} of abuse=0)")
    cases = Counter(r["case"] for r in rows)
    print("\ncase:")
    for label, codes in ((1, ABUSE_CASES), (0, CLEAN_CASES)):
        for c in codes:
            print(f"  abuse={label} {c:<22} {cases[c]}")
    regs = Counter((r["register"], r["abuse"]) for r in rows)
    print("\nregister:           abuse=1  abuse=0")
    for reg in REGISTERS.values():
        print(f"  {reg:<18} {regs[(reg, 1)]:>7}  {regs[(reg, 0)]:>7}")
    words = sorted(len(r["text"].split()) for r in rows)
    short = sum(w <= 3 for w in words)
    print(f"\nwords per comment: min {words[0]}  median {words[n // 2]}  max {words[-1]}  "
          f"(<=3 words: {short})")


if __name__ == "__main__":
    all_rows = build()
    if "--stats" in sys.argv[1:]:
        stats(all_rows)
    else:
        print(f"wrote {len(all_rows)} rows to {os.path.relpath(OUT)}")
