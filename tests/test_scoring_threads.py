"""One loaded model scores for several threads at once (the Coral endpoint scores on the
request thread, gunicorn's threads share the model): a batch's intermediate results must not
live on the Scorer, where another thread's batch overwrites them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

TEXTS = [
    "You are a pathetic idiot and everyone at this paper is scum.",
    "The report is damning; the chief constable should answer for it.",
    "The girl was Kayleigh from Year 9 at St Anne's, lives on Marsh Lane.",
]


def test_two_threads_in_one_model_get_their_own_results(small_scorer, monkeypatch):
    """Both threads are held at the same point of score_batch (after the pass over the batch,
    before its spans and kinds are read), so a result parked on the Scorer is overwritten by
    the other thread every time rather than now and then."""
    want = {t: small_scorer.score(t).to_dict() for t in TEXTS}
    barrier = threading.Barrier(2, timeout=10)
    calibrated = small_scorer._calibrated

    def meet_then_calibrate(cat, d):
        barrier.wait()
        return calibrated(cat, d)

    monkeypatch.setattr(small_scorer, "_calibrated", meet_then_calibrate)
    batches = [TEXTS[:1], TEXTS[1:]]  # different sizes: a borrowed matrix has the wrong rows
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(small_scorer.score_batch, batches))
    monkeypatch.undo()
    for batch, scores in zip(batches, got, strict=True):
        assert [s.to_dict() for s in scores] == [want[t] for t in batch]


def test_many_threads_scoring_at_once_agree_with_one(small_scorer):
    texts = TEXTS * 20
    want = [s.to_dict() for s in small_scorer.score_batch(texts)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda t: small_scorer.score(t).to_dict(), texts))
    assert got == want
