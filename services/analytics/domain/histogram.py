"""Durations kept as counts in fixed logarithmic buckets, and percentiles read back from them.

Summaries cannot keep every duration, but counts per bucket add up across tickets, days and
groups, so any cell's percentiles come from its summed counts. Bucket 0 holds [0 s, 1 s);
buckets 1-150 split 1 s to 10^7.5 s (about a year) twenty to a decade, each 12.2 % wider
than the last; bucket 151 holds everything longer. A percentile is interpolated inside its
bucket (geometrically; linearly in bucket 0), so it is off by at most one bucket width
(12.2 %) and usually by far less; means are exact (sums are kept beside the counts).

A histogram is a list of `SLOTS` counts, every measure's buckets one after the other: the
*slot* of bucket b of measure m is `m * BUCKETS + b`, as SQL computes it
(`analytics.hist_slot`, migration 0001, whose arrays hold slot s at index s + 1).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

__all__ = ["BUCKETS", "MEASURES", "PER_DECADE", "SLOTS", "add", "bounds", "quantiles"]

#: The durations kept as histograms, in slot order.
MEASURES = (
    "response",
    "dispatch",
    "handling",
    "resolve",
    "alert_to_ticket",
    "alert_to_assignment",
    "response_bh",
    "dispatch_bh",
    "handling_bh",
    "resolve_bh",
)
PER_DECADE = 20
#: Buckets per measure.
BUCKETS = 152
SLOTS = len(MEASURES) * BUCKETS
_LAST = BUCKETS - 1


def bounds(bucket: int) -> tuple[float, float | None]:
    """The [low, high) seconds of a bucket; high is None for the last one."""
    if not 0 <= bucket < BUCKETS:
        raise ValueError(f"no bucket {bucket}")
    if bucket == 0:
        return 0.0, 1.0
    low = 10 ** ((bucket - 1) / PER_DECADE)
    return low, None if bucket == _LAST else 10 ** (bucket / PER_DECADE)


def add(a: list[int] | None, b: Sequence[int] | None) -> list[int] | None:
    """The sum of two histograms (None is an empty one)."""
    if b is None:
        return a
    if a is None:
        return list(b)
    return [x + y for x, y in zip(a, b, strict=True)]


def quantiles(counts: Sequence[int], qs: tuple[float, ...]) -> list[float | None]:
    """The quantiles `qs` (each 0 < q < 1) of the durations counted per bucket of one
    measure (`counts[b]` in bucket b); None when none were counted."""
    cumulative = list(accumulate(counts))
    total = cumulative[-1] if cumulative else 0
    if total <= 0:
        return [None] * len(qs)
    found: list[float | None] = []
    for q in qs:
        target = q * total
        bucket = min(bisect_left(cumulative, target), len(cumulative) - 1)
        low, high = bounds(bucket)
        if high is None:
            found.append(low)
            continue
        before = cumulative[bucket - 1] if bucket else 0
        share = min(1.0, max(0.0, (target - before) / max(1, counts[bucket])))
        found.append(low + share * (high - low) if bucket == 0 else low * (high / low) ** share)
    return found
