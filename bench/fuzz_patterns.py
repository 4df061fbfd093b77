"""Time every pattern of the model on generated inputs at two lengths; flag super-linear ones.

    .venv/bin/python bench/fuzz_patterns.py [--n 2000] [--random 200] [--only NAME]

For each compiled pattern of ``model/normalize.py``, ``model/features.py`` and
``model/abuse_cues.py`` (and the case-sensitive twins run on ASCII text), ``findall`` is timed
on inputs of ``n`` and ``2n`` characters (best of three; ``match`` for the patterns the model
only runs anchored or on short slices, ``bench.hostile_texts.ANCHORED``): the inputs ``bench.hostile_texts``
derives from the pattern's own words, the hand-made families, and ``--random`` random mixes of
the pattern's words and separators. A pattern whose time grows more than 3x when the input
doubles is printed with the input (a linear scan grows 2x). Prints the worst ratio per pattern
at the end. Only the pattern is timed here; ``bench/bench_hostile.py`` times whole scoring.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hostile_texts import (  # noqa: E402
    FAMILIES,
    model_patterns,
    pattern_inputs,
    pattern_words,
    runner,
)


def best_time(fn, arg, repeat: int = 3) -> float:
    """Best of ``repeat`` CPU times of this thread (time another process takes does not count)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        fn(arg)
        best = min(best, time.thread_time() - t0)
    return best


def random_inputs(rx, count: int, seed: int):
    rng = random.Random(seed)
    words = pattern_words(rx, 40) or ["ab"]
    seps = [" ", " ", "'", "-", ".", "", "  ", "\n", "1", "!", "$"]
    out = []
    for k in range(count):
        pool = [rng.choice((w, w.title(), w.upper())) + rng.choice(seps) for w in rng.sample(
            words, min(len(words), rng.randint(1, 4)))]
        unit = "".join(rng.sample(pool, len(pool)))

        def make(n, unit=unit):
            return (unit * (n // len(unit) + 1))[:n]
        out.append((f"random#{k} {unit!r}*", make))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="shorter input length (default 2000)")
    ap.add_argument("--random", type=int, default=100, help="random mixes per pattern (default 100)")
    ap.add_argument("--only", default="", help="patterns whose name contains this")
    ap.add_argument("--threshold", type=float, default=3.0, help="flag ratios above (default 3)")
    args = ap.parse_args(argv)
    n = args.n
    worst: dict[str, tuple[float, float, str]] = {}
    flagged = 0
    patterns = {k: v for k, v in model_patterns().items() if args.only in k}
    for name, rx in patterns.items():
        inputs = pattern_inputs(rx) + [(f"family {f}", make) for f, (_, make) in FAMILIES.items()]
        inputs += random_inputs(rx, args.random, seed=hash(name) & 0xFFFF)
        run = runner(name, rx)
        for label, make in inputs:
            short, long_ = make(n), make(2 * n)
            t1 = best_time(run, short, 1)
            if t1 > 0.05:  # already slow: compare with half the length instead of double
                short, long_ = make(n // 2), short
            elif t1 < 2e-5:  # too fast to time a ratio; linear at this length anyway
                continue
            t1, t2 = best_time(run, short), best_time(run, long_)
            ratio = t2 / t1
            if ratio > args.threshold:  # re-time before reporting (noise on a shared machine)
                t1, t2 = best_time(run, short, 5), best_time(run, long_, 5)
                ratio = t2 / t1
            if name not in worst or ratio > worst[name][0]:
                worst[name] = (ratio, t2, label)
            if ratio > args.threshold:
                flagged += 1
                print(f"SUPER-LINEAR {name}: {label} {t1 * 1e3:.2f} ms at {len(short)}, "
                      f"{t2 * 1e3:.2f} ms at {len(long_)} (x{ratio:.1f})", flush=True)
    print(f"\n{len(patterns)} patterns; worst ratio per pattern (time at {2 * n} chars):")
    for name, (ratio, t2, label) in sorted(worst.items(), key=lambda kv: -kv[1][0]):
        print(f"  x{ratio:4.1f} {t2 * 1e3:8.3f} ms  {name}  [{label}]")
    print(f"\n{flagged} super-linear (pattern, input) pairs")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
