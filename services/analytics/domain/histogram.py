"""Durations kept as counts in fixed logarithmic buckets, and percentiles read back from them.

Summaries cannot keep every duration, but counts per bucket add up across tickets, days and
groups, so any cell's percentiles come from its summed counts. Bucket 0 holds [0 s, 1 s);
buckets 1-150 split 1 s to 10^7.5 s (about a year) twenty to a decade, each 12.2 % wider
than the last; bucket 151 holds everything longer. A percentile is interpolated inside its
bucket (geometrically; linearly in bucket 0), so it is off by at most one bucket width
(12.2 %) and usually by far less; means are exact (sums are kept beside the counts).

A histogram is an array of `SLOTS` counts, every measure's buckets one after the other: the
*slot* of bucket b of measure m is `m * BUCKETS + b`, as SQL computes it
(`analytics.hist_slot`, migration 0001, whose arrays hold slot s at index s + 1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BUCKETS", "MEASURES", "PER_DECADE", "SLOTS", "Histogram", "add", "bounds", "parse",
    "quantile_tables",
]  # fmt: skip

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


#: Counts per slot, SLOTS of them.
Histogram = NDArray[np.int64]


def parse(text: str) -> Histogram:
    """A histogram from PostgreSQL's text form of an integer array (`{0,3,1,...}`)."""
    return np.fromstring(text[1:-1], dtype=np.int64, sep=",")


def add(a: Histogram | None, b: Sequence[int] | Histogram | None) -> Histogram | None:
    """The sum of two histograms (None is an empty one)."""
    if b is None:
        return a
    if a is None:
        return np.array(b, dtype=np.int64)
    return a + np.asarray(b, dtype=np.int64)


_LOW = np.array([bounds(b)[0] for b in range(BUCKETS)])
#: The last bucket has no upper bound: its quantiles are its lower bound.
_HIGH = np.array([bounds(b)[1] or bounds(b)[0] for b in range(BUCKETS)])


def _quantiles(counts: NDArray[np.int64], qs: tuple[float, ...]) -> list[list[float | None]]:
    """The quantiles `qs` (each 0 < q < 1) of each row of `counts` (one measure's buckets
    per row, `counts[r, b]` in bucket b); None for a row that counted nothing."""
    cumulative = counts.cumsum(axis=1)
    totals = cumulative[:, -1]
    targets = totals[:, None] * np.asarray(qs)[None, :]
    # The first bucket whose running total reaches each target (bisect_left on each row).
    bucket = np.minimum((cumulative[:, None, :] < targets[:, :, None]).sum(axis=2),
                        counts.shape[1] - 1)  # fmt: skip
    before = np.where(bucket > 0, np.take_along_axis(cumulative, np.maximum(bucket - 1, 0), 1), 0)
    inside = np.maximum(np.take_along_axis(counts, bucket, 1), 1)
    share = np.clip((targets - before) / inside, 0.0, 1.0)
    low, high = _LOW[bucket], _HIGH[bucket]
    # Linear inside [0 s, 1 s), geometric in every other bucket.
    ratio = high / np.where(low > 0, low, 1.0)
    values: list[list[float | None]] = np.where(
        bucket == 0, low + share * (high - low), low * ratio**share
    ).tolist()
    for row, total in zip(values, totals.tolist(), strict=True):
        if total <= 0:
            row[:] = [None] * len(qs)
    return values


def quantile_tables(
    hists: Sequence[Histogram | None], qs: tuple[float, ...]
) -> list[list[list[float | None]]]:
    """For each histogram, the quantiles `qs` of every measure (MEASURES order; None where
    a measure counted nothing): computed for all of them at once."""
    present = [h for h in hists if h is not None]
    rows = _quantiles(np.stack(present).reshape(-1, BUCKETS), qs) if present else []
    empty: list[list[float | None]] = [[None] * len(qs) for _ in MEASURES]
    tables: list[list[list[float | None]]] = []
    at = 0
    for h in hists:
        if h is None:
            tables.append(empty)
        else:
            tables.append(rows[at : at + len(MEASURES)])
            at += len(MEASURES)
    return tables
