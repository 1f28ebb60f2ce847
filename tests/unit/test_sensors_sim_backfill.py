"""The backfill's month cutting (the rest runs against real stores in integration tests)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sensors_sim.backfill import months
from sensors_sim.failures import SITE_TZ


def test_months_cut_at_the_first_of_each_month_in_site_time() -> None:
    start = datetime(2025, 11, 20, 17, 0, tzinfo=UTC)  # 2025-11-21 01:00 in Shanghai
    end = datetime(2026, 2, 3, tzinfo=SITE_TZ)
    cuts = list(months(start, end))
    assert [lo.strftime("%Y-%m-%d %H:%M") for lo, _ in cuts] == [
        "2025-11-21 01:00", "2025-12-01 00:00", "2026-01-01 00:00", "2026-02-01 00:00",
    ]  # fmt: skip
    assert cuts[-1][1] == end
    assert all(hi == following for (_, hi), (following, _) in itertools.pairwise(cuts))
    assert all(lo.utcoffset() == timedelta(hours=8) for lo, _ in cuts)


def test_a_window_inside_one_month_is_one_piece() -> None:
    start = datetime(2026, 6, 10, tzinfo=SITE_TZ)
    assert list(months(start, start + timedelta(days=2))) == [(start, start + timedelta(days=2))]
