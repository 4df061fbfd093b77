"""Helpers for tests that need a trained model (owned by the model package's tests).

``train_small_scorer(abuse_dir)`` trains once per process and per corpus with
``max_per_source=300`` (seconds, not minutes); the session fixture
``small_scorer`` in conftest.py trains the same way, so other tests reuse it.
``write_tiny_corpora(dir)`` writes one small file in each supported format.
"""

from __future__ import annotations

import csv
import json
import os
from functools import lru_cache
from pathlib import Path

SMALL_MAX_PER_SOURCE = 300

ABUSIVE = [
    "You are a pathetic fucking idiot, shut your stupid mouth",
    "go kill yourself you worthless piece of shit",
    "what a moron, absolute scum, nobody wants you here",
    "fuck off you ugly bitch",
    "you stupid cunt I hope you die",
    "this twat should be strung up, dirty scumbag",
    "shut up you braindead loser, you are trash",
    "I will find you and smash your face in",
]
CLEAN = [
    "Thanks for the update, the council should publish the full report.",
    "I disagree with the decision but respect the process.",
    "The bus service on this route has been poor for years.",
    "Good to see the new officers on patrol in the town centre.",
    "Does anyone know when the consultation closes?",
    "The article could have explained the funding figures better.",
    "My neighbour's garden looks lovely this spring.",
    "Interesting piece, I hope they follow it up next month.",
]


# Ten words per copy, none shared between copies: the copies of one sentence are different
# texts (word-trigram Jaccard well under 0.5), so near-duplicate removal keeps them apart.
_FILLER = ("amber basil cedar delta ember fjord garnet harbour indigo juniper kestrel lagoon "
           "meadow nectar orchard pebble quarry russet saffron thistle umber valley willow "
           "yarrow zephyr acorn bramble clover dune estuary fennel glade heather islet jasmine "
           "kelp lichen marsh nettle oak peat quince reed sorrel tarn upland vetch wharf yew "
           "zinnia alder birch copse dell elm fern gorse hazel ivy knoll larch moss nook osier "
           "pine rowan sedge teasel").split()


def _copy(i: int) -> str:
    start = (10 * i) % (len(_FILLER) - 10)
    return " ".join(_FILLER[start:start + 10])


@lru_cache(maxsize=4)
def _train(abuse_dir: str, max_per_source: int):
    from model.train import train

    return train(abuse_dir, max_per_source=max_per_source)


def train_small_scorer(abuse_dir: str | os.PathLike, max_per_source: int = SMALL_MAX_PER_SOURCE):
    """A real model on a few hundred examples per source, cached per process."""
    return _train(os.fspath(abuse_dir), max_per_source)


def write_tiny_corpora(directory: str | os.PathLike, copies: int = 4) -> Path:
    """One JSON-lines file, one Jigsaw train.csv and one Civil Comments CSV."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "shared.jsonl", "w", encoding="utf-8") as fh:
        for i in range(copies):
            for t in ABUSIVE:
                fh.write(json.dumps({"text": f"{t} ({_copy(i)})", "abuse": 1, "source": "tiny_jsonl"}) + "\n")
            for t in CLEAN:
                fh.write(json.dumps({"text": f"{t} ({_copy(i)})", "abuse": 0, "source": "tiny_jsonl"}) + "\n")
    labels = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
    with open(d / "train.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "comment_text", *labels])
        for i in range(copies):
            for j, t in enumerate(ABUSIVE):
                row = [0] * 6
                row[j % 6] = 1
                w.writerow([f"a{i}{j}", f"{t}\nsigned, {_copy(i)}", *row])
            for j, t in enumerate(CLEAN):
                w.writerow([f"c{i}{j}", f"{t} ({_copy(i)}, wiki)", *([0] * 6)])
    with open(d / "civil.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "comment_text", "toxicity", "severe_toxicity"])
        for i in range(copies):
            for t in ABUSIVE:
                w.writerow([i, f"{t} [{_copy(i)}]", "0.8", "0.1"])
            for t in CLEAN:
                w.writerow([i, f"{t} [{_copy(i)}]", "0.0", "0.0"])
    return d
