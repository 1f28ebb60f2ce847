"""Histograms and percentiles, periods and buckets across time zones, figures from measures,
and drill-down tokens."""

from __future__ import annotations

import base64
import contextlib
import math
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.analytics.domain.cells import (
    Cell,
    Dimension,
    Filters,
    decode_cell,
    encode_cell,
    group_keys,
)
from services.analytics.domain.errors import InvalidInput
from services.analytics.domain.figures import Measures, finalize
from services.analytics.domain.histogram import (
    BUCKETS,
    MEASURES,
    PER_DECADE,
    SLOTS,
    Histogram,
    add,
    bounds,
    parse,
    quantile_tables,
)
from services.analytics.domain.periods import (
    Bucket,
    Bucketing,
    Period,
    buckets,
    local_midnight,
    parse_period,
    time_zone,
)

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")


def bucket_of(seconds: float) -> int:
    """Python's reading of the SQL bucket rule (migration 0001, analytics.hist_slot)."""
    if seconds < 1:
        return 0
    return min(BUCKETS - 1, 1 + math.floor(PER_DECADE * math.log10(seconds)))


def dense(counts: dict[int, int]) -> list[int]:
    """One measure's counts as a list, bucket by bucket."""
    return [counts.get(b, 0) for b in range(BUCKETS)]


def quantiles(counts: list[int], qs: tuple[float, ...]) -> list[float | None]:
    """The quantiles of one measure's counts, put in the last measure of a histogram."""
    hist = np.zeros(SLOTS, dtype=np.int64)
    hist[-BUCKETS:] = counts
    return quantile_tables([hist], qs)[0][-1]


def test_buckets_tile_the_line() -> None:
    assert bounds(0) == (0.0, 1.0)
    for b in range(1, BUCKETS - 1):
        low, high = bounds(b)
        assert high is not None
        assert bounds(b + 1)[0] == pytest.approx(high)
        assert high / low == pytest.approx(10 ** (1 / PER_DECADE))
        assert bucket_of(low * 1.0001) == b
    assert bounds(BUCKETS - 1)[1] is None
    assert bounds(BUCKETS - 1)[0] == pytest.approx(10**7.5)
    with pytest.raises(ValueError):
        bounds(BUCKETS)


@pytest.mark.parametrize("seed", range(6))
def test_percentiles_from_buckets_are_within_one_bucket_width(seed: int) -> None:
    rng = random.Random(seed)
    values = sorted(rng.lognormvariate(math.log(3600), 1.5) for _ in range(rng.randint(1, 3000)))
    counts = dense(Counter(bucket_of(v) for v in values))
    qs = (0.1, 0.5, 0.9, 0.99)
    for q, estimate in zip(qs, quantiles(counts, qs), strict=True):
        exact = values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]
        assert estimate is not None
        assert abs(estimate / exact - 1) <= 10 ** (1 / PER_DECADE) - 1 + 1e-9


def _some(hist: Histogram | None) -> Histogram:
    assert hist is not None
    return hist


def test_percentile_edges() -> None:
    assert quantile_tables([None], (0.5, 0.9))[0] == [[None, None]] * len(MEASURES)
    assert quantiles(dense({}), (0.5, 0.9)) == [None, None]
    assert quantiles(dense({0: 4, 3: 0}), (0.5,)) == [pytest.approx(0.5)]  # linear in [0, 1 s)
    assert quantiles(dense({BUCKETS - 1: 1}), (0.9,)) == [pytest.approx(10**7.5)]
    assert quantiles(dense({1: 1, 21: 1}), (0.5,)) == [pytest.approx(10 ** (1 / 20))]
    assert quantiles(dense({1: 1, 21: 1}), (0.9, 0.75)) == [pytest.approx(10**1.04),
                                                             pytest.approx(10**1.025)]  # fmt: skip
    assert add(None, None) is None
    two = np.array([1, 2], dtype=np.int64)
    assert add(two, None) is two and list(_some(add(None, [1, 2]))) == [1, 2]
    assert list(_some(add(two, [3, -2]))) == [4, 0]
    assert list(parse("{0,3,12}")) == [0, 3, 12]


def test_day_week_month_and_whole_buckets_are_clipped_to_the_period() -> None:
    period = Period(date(2026, 2, 25), date(2026, 4, 3))
    assert buckets(period, Bucketing.NONE) == [Bucket(period.start, period.end)]
    assert buckets(period, Bucketing.MONTH) == [
        Bucket(date(2026, 2, 25), date(2026, 3, 1)),
        Bucket(date(2026, 3, 1), date(2026, 4, 1)),
        Bucket(date(2026, 4, 1), date(2026, 4, 3)),
    ]
    weeks = buckets(period, Bucketing.WEEK)
    assert weeks[0] == Bucket(date(2026, 2, 25), date(2026, 3, 2))  # Wednesday to Monday
    assert all(b.start.weekday() == 0 for b in weeks[1:])
    assert weeks[-1] == Bucket(date(2026, 3, 30), date(2026, 4, 3))
    days = buckets(period, Bucketing.DAY)
    assert len(days) == (period.end - period.start).days
    assert [b.end for b in days[:-1]] == [b.start for b in days[1:]]
    year = Period(date(2025, 12, 29), date(2027, 1, 1))
    assert [b.start for b in buckets(year, Bucketing.WEEK)][:2] == [
        date(2025, 12, 29),
        date(2026, 1, 5),
    ]
    assert Period(date(2026, 1, 1), date(2027, 1, 1)).month_aligned
    assert not period.month_aligned
    with pytest.raises(InvalidInput):
        buckets(Period(date(2020, 1, 1), date(2026, 1, 1)), Bucketing.DAY)


def test_local_days_across_daylight_saving_time() -> None:
    def hours(day: date, zone: ZoneInfo) -> float:
        return (
            local_midnight(day + timedelta(days=1), zone) - local_midnight(day, zone)
        ) / timedelta(hours=1)

    assert hours(date(2026, 3, 29), BERLIN) == 23  # spring forward
    assert hours(date(2026, 10, 25), BERLIN) == 25  # fall back
    assert hours(date(2026, 3, 29), SHANGHAI) == 24
    assert local_midnight(date(2026, 7, 1), BERLIN) == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert local_midnight(date(2026, 1, 1), SHANGHAI) == datetime(2025, 12, 31, 16, tzinfo=UTC)
    santiago = ZoneInfo("America/Santiago")  # midnight itself is skipped in September
    assert local_midnight(date(2026, 9, 6), santiago).astimezone(santiago).hour == 1


def test_periods_from_text() -> None:
    today = date(2026, 5, 17)
    assert parse_period("", "", today) == Period(date(2025, 6, 1), date(2026, 6, 1))
    assert parse_period("2026-01-01", "2026-02-01", today) == Period(
        date(2026, 1, 1), date(2026, 2, 1)
    )
    assert parse_period("", "2026-01-01", today) == Period(date(2025, 1, 1), date(2026, 1, 1))
    for start, end in (("2026-02-01", "2026-01-01"), ("2026-01-01", "2026-01-01"),
                       ("yesterday", ""), ("2000-01-01", "2026-01-01")):  # fmt: skip
        with pytest.raises(InvalidInput):
            parse_period(start, end, today)
    with pytest.raises(InvalidInput):
        time_zone("Mars/Olympus_Mons")


def test_figures_from_measures() -> None:
    m = Measures()
    m.counts.update(raised=10, resolved=4, first_time_fixed=3, reopened_resolved=1,
                    sla_respond_n=8, sla_respond_breached=2, rateable=4, rated=2, stars_sum=9,
                    stars_high=1)  # fmt: skip
    m.n[0], m.sums[0] = 2, 300.0
    m.hist = np.zeros(SLOTS, dtype=np.int64)
    m.hist[bucket_of(100)] = m.hist[bucket_of(200)] = 1
    end = datetime(2026, 4, 1, tzinfo=UTC)
    [f, empty] = finalize([(m, 2, int(2 * (end.timestamp() - 3600)), end), (Measures(), 0, 0, end)])
    assert (f.raised, f.resolved, f.backlog, f.backlog_age_mean_s) == (10, 4, 2, 3600)
    assert (f.response_time.count, f.response_time.mean_s) == (2, 150)
    assert f.response_time.p50_s is not None and 89 < f.response_time.p50_s < 113
    assert (f.sla_respond_met_share, f.sla_resolve_met_share) == (0.75, None)
    assert (f.first_time_fix_share, f.reopen_share) == (0.75, 0.25)
    assert (f.satisfaction_mean, f.satisfaction_high_share, f.rating_share) == (4.5, 0.5, 0.5)
    assert (empty.backlog_age_mean_s, empty.response_time.p50_s, empty.satisfaction_mean) == (
        None,
    ) * 3
    other = Measures()
    other.counts.update(raised=1)
    other.n[0], other.sums[0] = 1, 30.0
    m.add(other)
    assert (m.counts["raised"], m.n[0], m.sums[0]) == (11, 3, 330.0)


@given(st.lists(st.one_of(st.none(), st.dictionaries(st.integers(0, SLOTS - 1),
                                                   st.integers(0, 40), max_size=30)),
                min_size=1, max_size=6))  # fmt: skip
def test_figures_of_many_cells_are_those_of_each_alone(hists: list[dict[int, int] | None]) -> None:
    end = datetime(2026, 4, 1, tzinfo=UTC)
    cells = []
    for spread in hists:
        m = Measures()
        m.n = [1] * len(m.n)
        if spread is not None:
            m.hist = np.zeros(SLOTS, dtype=np.int64)
            for slot, count in spread.items():
                m.hist[slot] = count
        cells.append((m, 0, 0, end))
    assert finalize(cells) == [finalize([cell])[0] for cell in cells]


def test_group_keys() -> None:
    assert group_keys([Dimension.FLOOR]) == ("building", "floor")
    assert group_keys([Dimension.BUILDING, Dimension.UNIT, Dimension.CATEGORY]) == (
        "building", "floor", "unit", "category",
    )  # fmt: skip
    assert group_keys([]) == ()


def test_a_cell_survives_its_token() -> None:
    cell = Cell("园区", date(2026, 3, 1), date(2026, 4, 1), "backlog",
                (("building", "A"), ("floor", "3")), Filters(("repair",), ("plumbing",)))  # fmt: skip
    token = encode_cell(cell)
    assert token.isascii() and "=" not in token
    assert decode_cell(token) == cell


@given(st.text(max_size=300))
def test_anything_else_is_not_a_cell(junk: str) -> None:
    with contextlib.suppress(InvalidInput):
        decode_cell(junk)


@pytest.mark.parametrize(
    "doc",
    ['[2]', '{}', '[1,"demo","2026-01-02","2026-01-01",[],[],[],[],[]]',
     '[1,"demo","2026-01-01","2026-01-02",[["password","x"]],[],[],[],[]]',
     '[1,"demo","2026-01-01","2026-01-02",[],[],[],[],[3]]',
     '[1,"demo","2026-01-01","2026-01-02",[],[],[],[]]'],
)  # fmt: skip
def test_forged_cells_are_refused(doc: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cell("raised." + base64.urlsafe_b64encode(doc.encode()).decode())
    with pytest.raises(InvalidInput):
        decode_cell(
            "drop_table."
            + encode_cell(Cell("demo", date(2026, 1, 1), date(2026, 2, 1), "raised")).partition(
                "."
            )[2]
        )
