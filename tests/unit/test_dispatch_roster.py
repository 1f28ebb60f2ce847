"""Dispatch's roster: weekly windows, shifts in time zones, overrides, and their validation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.dispatch.domain.config import validate_teams, validate_technicians
from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import Team, Technician
from services.dispatch.domain.roster import make_override, make_roster, make_shift
from services.dispatch.domain.windows import WeeklyWindow, parse_days, parse_hhmm, parse_range, zone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, tz: ZoneInfo = SHANGHAI) -> datetime:
    """January 2031, the 6th is a Monday."""
    return datetime(2031, 1, day, hour, minute, tzinfo=tz)


# --- windows --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "8", "8:0", "08-00", "24:00", "12:60", "ab:cd", "123:00"])
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)


def test_times_days_and_ranges_parse() -> None:
    assert parse_hhmm("8:05") == time(8, 5) and parse_hhmm("23:59") == time(23, 59)
    assert parse_range(" 18:00 - 08:00 ") == (time(18), time(8))
    assert parse_days(["Mon", "sunday", " wed "]) == frozenset({0, 6, 2})
    assert parse_days([]) == frozenset()
    with pytest.raises(ValueError, match="'mo' is not a day"):
        parse_days(["mo"])


def test_zones_are_checked() -> None:
    assert zone("Asia/Shanghai") == SHANGHAI
    for bad in ("", "Asia/Nowhere", "../etc/passwd", "x" * 65):
        with pytest.raises(ValueError, match="not a time zone"):
            zone(bad)


def test_a_day_window_is_half_open() -> None:
    w = WeeklyWindow(frozenset({0}), time(8), time(20))
    assert w.contains(local(6, 8)) and w.contains(local(6, 19, 59))
    assert not w.contains(local(6, 20)) and not w.contains(local(6, 7, 59))
    assert not w.contains(local(7, 12))  # Tuesday
    assert w.describe() == "mon 08:00-20:00"


def test_an_overnight_window_belongs_to_the_day_it_starts() -> None:
    w = WeeklyWindow(frozenset({6}), time(22), time(6))  # Sunday night
    assert w.contains(local(12, 22)) and w.contains(local(13, 5, 59))  # into Monday
    assert not w.contains(local(13, 22))  # Monday night is not covered
    assert not w.contains(local(12, 5))  # Sunday morning belongs to Saturday's window


def test_equal_start_and_end_is_a_whole_day() -> None:
    w = WeeklyWindow(frozenset({2}), time(0), time(0))  # Wednesday
    assert w.contains(local(8, 0)) and w.contains(local(8, 23, 59))
    assert not w.contains(local(9, 0)) and not w.contains(local(7, 23, 59))


# --- shifts and overrides -------------------------------------------------------------------


def test_a_shift_is_read_in_its_own_time_zone() -> None:
    berlin = make_shift(1, "tech1", ["mon"], "09:00", "17:00", "Europe/Berlin")
    at = datetime(2031, 1, 6, 9, 30, tzinfo=UTC)  # 10:30 in Berlin, 17:30 in Shanghai
    assert berlin.covers(at)
    assert not make_shift(1, "tech1", ["mon"], "09:00", "17:00", "Asia/Shanghai").covers(at)


def test_a_shift_across_daylight_saving_keeps_local_times() -> None:
    shift = make_shift(1, "tech1", ["sun"], "01:00", "05:00", "Europe/Berlin")
    # 30 March 2031 is the Sunday clocks go forward in Europe: 02:00 -> 03:00.
    assert shift.covers(datetime(2031, 3, 30, 4, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    assert not shift.covers(datetime(2031, 3, 30, 5, 0, tzinfo=ZoneInfo("Europe/Berlin")))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("", ["mon"], "08:00", "20:00", "Asia/Shanghai"), "shift 1: username is missing"),
        (("tech1", [], "08:00", "20:00", "Asia/Shanghai"), "shift 1 (tech1): name the days"),
        (("tech1", ["xyz"], "08:00", "20:00", "Asia/Shanghai"), "shift 1 (tech1): 'xyz' is not"),
        (("tech1", ["mon"], "8am", "20:00", "Asia/Shanghai"), "shift 1 (tech1): '8am' is not"),
        (("tech1", ["mon"], "08:00", "20:00", "Mars"), "shift 1 (tech1): 'Mars' is not a time"),
    ],
)
def test_bad_shifts_name_themselves(
    args: tuple[str, list[str], str, str, str], expected: str
) -> None:
    with pytest.raises(InvalidInput, match=expected.replace("(", r"\(").replace(")", r"\)")):
        make_shift(1, *args)


def test_bad_overrides_name_themselves() -> None:
    start = datetime(2031, 1, 6, tzinfo=UTC)
    with pytest.raises(InvalidInput, match=r"override 2 \(tech1\): ends_at must be after"):
        make_override(2, "tech1", start, start, True, "")
    with pytest.raises(InvalidInput, match="need a time zone"):
        make_override(2, "tech1", start.replace(tzinfo=None), start + timedelta(hours=1), True, "")
    with pytest.raises(InvalidInput, match="note is longer"):
        make_override(2, "tech1", start, start + timedelta(hours=1), True, "x" * 501)


def test_overrides_win_over_shifts_and_the_latest_override_wins() -> None:
    day = make_shift(1, "tech1", ["mon"], "08:00", "20:00", "Asia/Shanghai")
    leave = make_override(1, "tech1", local(6, 10), local(6, 14), False, "dentist")
    standby = make_override(2, "tech1", local(6, 12), local(6, 13), True, "covering")
    night = make_override(3, "tech2", local(6, 22), local(7, 6), True, "night call")
    roster = make_roster("demo", [day], [leave, standby, night])
    assert roster.on_duty("tech1", local(6, 9))
    assert not roster.on_duty("tech1", local(6, 11))  # on leave
    assert roster.on_duty("tech1", local(6, 12, 30))  # called in during the leave
    assert not roster.on_duty("tech1", local(6, 13, 30))
    assert roster.on_duty("tech1", local(6, 15))  # leave over: the shift again
    assert roster.on_duty("tech2", local(7, 2)) and not roster.on_duty("tech2", local(7, 7))
    assert not roster.on_duty("nobody", local(6, 12))
    assert roster.on_duty_now(local(6, 12, 30)) == ["tech1"]
    assert roster.people() == frozenset({"tech1", "tech2"})


def test_equal_overrides_starting_together_leave_the_person_off() -> None:
    on = make_override(1, "tech1", local(6, 10), local(6, 12), True, "")
    off = make_override(2, "tech1", local(6, 10), local(6, 12), False, "")
    assert not make_roster("demo", [], [on, off]).on_duty("tech1", local(6, 11))
    assert not make_roster("demo", [], [off, on]).on_duty("tech1", local(6, 11))


def test_a_roster_names_only_known_people() -> None:
    shift = make_shift(1, "stranger", ["mon"], "08:00", "20:00", "Asia/Shanghai")
    with pytest.raises(InvalidInput, match="names stranger, who is neither"):
        make_roster("demo", [shift], [], frozenset({"tech1"}))
    assert make_roster("demo", [shift], [], frozenset({"stranger"})).shifts == (shift,)


# --- teams and technicians ------------------------------------------------------------------


def test_teams_are_cleaned_and_checked() -> None:
    teams = validate_teams("demo", [Team("x", " maintenance ", " M ", ("s1", "s1", "s2"))])
    assert teams == [Team("demo", "maintenance", "M", ("s1", "s2"))]
    with pytest.raises(InvalidInput, match=r"team 2 \(a\): another team has that code"):
        validate_teams("demo", [Team("demo", "a"), Team("demo", "a")])
    with pytest.raises(InvalidInput, match="team 1: code '' must be"):
        validate_teams("demo", [Team("demo", "")])
    with pytest.raises(InvalidInput, match=r"team 1 \(a\): supervisor"):
        validate_teams("demo", [Team("demo", "a", "", ("bad\x00name",))])
    with pytest.raises(InvalidInput, match="site '' must be"):
        validate_teams("", [])


def tech(
    name: str = "tech1", team: str = "maintenance", skills: set[str] | None = None
) -> Technician:
    return Technician(name, "demo", team, frozenset(skills or {"plumbing"}), frozenset({"A"}))


def test_technicians_are_checked_against_teams_and_categories() -> None:
    assert validate_technicians("demo", [tech()], ["maintenance"])[0].skills == {"plumbing"}
    with pytest.raises(InvalidInput, match=r"technician 1 \(tech1\): team 'ghosts' does not exist"):
        validate_technicians("demo", [tech(team="ghosts")], ["maintenance"])
    with pytest.raises(InvalidInput, match="skill 'plumbng' is not a category"):
        validate_technicians("demo", [tech(skills={"plumbng"})], ["maintenance"])
    with pytest.raises(InvalidInput, match=r"technician 2 \(tech1\): listed twice"):
        validate_technicians("demo", [tech(), tech()], ["maintenance"])
    with pytest.raises(InvalidInput, match="needs at least one skill"):
        validate_technicians(
            "demo", [Technician("t", "demo", "maintenance", frozenset())], ["maintenance"]
        )
