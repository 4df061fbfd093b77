"""The arithmetic of live quality figures: who is spot-checked, and what the checks estimate.

Pure functions shared by the worker (sampling), storage (counters) and the API
(estimates), so each side computes the same numbers.

Sampling. An auto-approved comment is spot-checked with probability ``pi``
that depends on how close its score came to a hold threshold: ``rate`` far
from every threshold, rising linearly to ``rate * near_factor`` at the
threshold itself over ``near_band`` (capped at 1). Whether a comment is drawn
is a deterministic hash of its id, so a retried batch draws the same comments.

Estimate. Each answered spot check ``i`` carries ``y_i`` (1: a moderator says
it should have been held) and weight ``w_i = 1 / pi_i``. The miss rate among
auto-approved comments is the Hajek (ratio Horvitz-Thompson) estimator
``sum(w_i y_i) / sum(w_i)``: unbiased to first order however near-threshold
comments are oversampled. Its 95 % interval is Wilson's score interval taken
on the effective sample size ``n_eff = (sum w_i)^2 / sum(w_i^2)`` (Kish), which
equals the number of checks when every weight is the same.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

Z95 = 1.959963984540054

# Times to decision are kept as counts in log-spaced buckets: 16 per decade, from 1 ms
# (bucket -48) to about 11 days (bucket 95). A median read from them is within ~7.5 %.
_PER_DECADE = 16
_LOWEST, _HIGHEST = -48, 95


def inclusion_probability(distance: float, rate: float, near_band: float, near_factor: float
                          ) -> float:
    """Spot-check probability of an approved comment whose score is ``distance`` below the
    nearest hold threshold (0: at it)."""
    if rate <= 0:
        return 0.0
    boost = 1.0
    if near_band > 0 and near_factor > 1:
        closeness = max(0.0, 1.0 - max(distance, 0.0) / near_band)
        boost = 1.0 + (near_factor - 1.0) * closeness
    return min(1.0, rate * boost)


def draw(comment_id: str) -> float:
    """The comment's fixed uniform draw in [0, 1): sampled when it is below the probability."""
    digest = hashlib.sha256(b"spot-check:" + comment_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def sampled(comment_id: str, probability: float) -> bool:
    return probability > 0 and draw(comment_id) < probability


def wilson(rate: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion observed as ``rate`` over ``n`` (may be
    fractional: an effective sample size). None without observations."""
    if n <= 0:
        return None
    rate = min(max(rate, 0.0), 1.0)
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (rate + z2 / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def miss_rate(weight: float, weight_sq: float, missed_weight: float
              ) -> tuple[float | None, tuple[float, float] | None, float]:
    """(Hajek estimate, Wilson 95 % interval on the effective size, effective size) from the
    sums of weights, squared weights and weights of the misses over answered spot checks."""
    if weight <= 0 or weight_sq <= 0:
        return None, None, 0.0
    estimate = min(max(missed_weight / weight, 0.0), 1.0)
    n_eff = weight * weight / weight_sq
    return estimate, wilson(estimate, n_eff), n_eff


def time_bucket(seconds: float) -> int:
    """The histogram bucket of a time to decision."""
    if seconds <= 0:
        return _LOWEST
    index = math.floor(_PER_DECADE * math.log10(seconds))
    return min(max(index, _LOWEST), _HIGHEST)


def median_seconds(histogram: Mapping[int, float]) -> float | None:
    """The median of a bucket histogram (geometric middle of the median's bucket)."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    running = 0.0
    for bucket in sorted(histogram):
        running += histogram[bucket]
        if running >= total / 2:
            return 10 ** ((bucket + 0.5) / _PER_DECADE)
    return None  # pragma: no cover - the loop always reaches half the total
