"""The fault suite's counting: a missing thing is lost, a thing there too often is
duplicated by the surplus, and an unacknowledged one may be there once or not at all."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.chaos.checks import Tally
from tests.chaos.runner import p99


@given(found=st.integers(0, 5), expected=st.integers(0, 1))
def test_each_count_is_lost_duplicated_or_right(found: int, expected: int) -> None:
    tally = Tally()
    tally.count("ticket k", found, expected)
    assert tally.checked == 1
    assert tally.lost == max(0, expected - found)
    assert tally.duplicated == max(0, found - expected)
    assert len(tally.problems) == (found != expected)


def test_an_unacknowledged_item_may_be_missing_or_there_once() -> None:
    tally = Tally()
    for found in (0, 1):  # how checks.py counts one that was never acknowledged
        tally.count("alert d", found, min(found, 1))
    tally.count("alert e", 2, min(2, 1))
    assert (tally.lost, tally.duplicated, tally.checked) == (0, 1, 3)


@given(st.lists(st.floats(0, 100), min_size=1, max_size=300))
def test_p99_is_a_recovery_time_no_smaller_than_99_percent_of_them(times: list[float]) -> None:
    worst = p99(times)
    assert worst in times
    assert sum(t <= worst for t in times) >= 0.99 * len(times)
    assert p99([]) == 0.0
