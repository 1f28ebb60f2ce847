"""Durations kept as counts in fixed logarithmic buckets, and percentiles read back from them.

Summaries cannot keep every duration, but counts per bucket add up across tickets, days and
groups, so any cell's percentiles come from its summed counts. Bucket 0 holds [0 s, 1 s);
buckets 1-150 split 1 s to 10^7.5 s (about a year) twenty to a decade, each 12.2 % wider
than the last; bucket 151 holds everything longer. A percentile is interpolated inside its
bucket (geometrically; linearly in bucket 0), so it is off by at most one bucket width
(12.2 %) and usually by far less; means are exact (sums are kept beside the counts).

The same bucket numbers are computed in SQL by `analytics.hist_slot` (migration 0001): a
*slot* is `measure index * BUCKETS + bucket`, so one table holds every measure's counts.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["BUCKETS", "MEASURES", "PER_DECADE", "bounds", "quantiles", "split_slots"]

#: The durations kept as histograms, in slot order.
MEASURES = ("response", "dispatch", "handling", "resolve", "alert_to_ticket", "alert_to_assignment")
PER_DECADE = 20
#: Buckets per measure.
BUCKETS = 152
_LAST = BUCKETS - 1


def bounds(bucket: int) -> tuple[float, float | None]:
    """The [low, high) seconds of a bucket; high is None for the last one."""
    if not 0 <= bucket < BUCKETS:
        raise ValueError(f"no bucket {bucket}")
    if bucket == 0:
        return 0.0, 1.0
    low = 10 ** ((bucket - 1) / PER_DECADE)
    return low, None if bucket == _LAST else 10 ** (bucket / PER_DECADE)


def split_slots(slots: Mapping[int, int]) -> list[dict[int, int]]:
    """Per measure (in MEASURES order), its bucket counts from a slot -> count mapping."""
    found: list[dict[int, int]] = [{} for _ in MEASURES]
    for slot, count in slots.items():
        measure, bucket = divmod(slot, BUCKETS)
        if count and 0 <= measure < len(MEASURES):
            found[measure][bucket] = found[measure].get(bucket, 0) + count
    return found


def quantiles(counts: Mapping[int, int], qs: tuple[float, ...]) -> list[float | None]:
    """The quantiles `qs` (ascending, each 0 < q < 1) of the durations counted per bucket;
    None when none were counted."""
    ordered = sorted((bucket, n) for bucket, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if total <= 0:
        return [None] * len(qs)
    found: list[float | None] = []
    index, seen = 0, 0
    for q in qs:
        target = q * total
        while index < len(ordered) - 1 and seen + ordered[index][1] < target:
            seen += ordered[index][1]
            index += 1
        bucket, n = ordered[index]
        low, high = bounds(bucket)
        if high is None:
            found.append(low)
            continue
        share = min(1.0, max(0.0, (target - seen) / n))
        found.append(low + share * (high - low) if bucket == 0 else low * (high / low) ** share)
    return found
