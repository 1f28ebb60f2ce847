"""The duty roster (排班): weekly shifts in their time zones plus explicit overrides.

Someone is on duty at an instant when an override covering it says so (the override that
starts last wins where several overlap), or else when one of their shifts covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.windows import WeeklyWindow, parse_days, parse_hhmm, zone

__all__ = ["DutyOverride", "Roster", "Shift", "make_override", "make_roster", "make_shift"]

_MAX_ENTRIES = 5000


@dataclass(frozen=True, slots=True)
class Shift:
    username: str
    window: WeeklyWindow
    timezone: str

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def covers(self, now: datetime) -> bool:
        return self.window.contains(now.astimezone(self.tz))


@dataclass(frozen=True, slots=True)
class DutyOverride:
    """On duty (standby, a swap) or off (leave) from `starts_at` until `ends_at`."""

    username: str
    starts_at: datetime
    ends_at: datetime
    on_duty: bool
    note: str = ""

    def covers(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class Roster:
    site: str
    shifts: tuple[Shift, ...] = ()
    overrides: tuple[DutyOverride, ...] = ()
    _shifts_of: dict[str, list[Shift]] = field(default_factory=dict, compare=False, repr=False)
    _overrides_of: dict[str, list[DutyOverride]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        for shift in self.shifts:
            self._shifts_of.setdefault(shift.username, []).append(shift)
        for item in sorted(self.overrides, key=lambda o: (o.starts_at, not o.on_duty)):
            self._overrides_of.setdefault(item.username, []).append(item)

    def on_duty(self, username: str, now: datetime) -> bool:
        """Whether `username` is on duty at the instant `now` (timezone-aware)."""
        for item in reversed(self._overrides_of.get(username, ())):
            if item.covers(now):
                return item.on_duty
        return any(shift.covers(now) for shift in self._shifts_of.get(username, ()))

    def people(self) -> frozenset[str]:
        """Everyone the roster mentions."""
        return frozenset(self._shifts_of) | frozenset(self._overrides_of)

    def on_duty_now(self, now: datetime) -> list[str]:
        """Everyone on duty at `now`, sorted."""
        return sorted(name for name in self.people() if self.on_duty(name, now))


def _username(value: str, where: str) -> str:
    name = value.strip()
    if not name or len(name) > 64:
        raise InvalidInput(f"{where}: username is missing or longer than 64 characters")
    return name


def make_shift(
    index: int, username: str, days: Iterable[str], start: str, end: str, timezone: str
) -> Shift:
    """A validated shift; errors name the shift (`index` counts from 1) and its person."""
    where = f"shift {index} ({username[:64]})"
    name = _username(username, f"shift {index}")
    try:
        day_set = parse_days(days)
        window = WeeklyWindow(day_set, parse_hhmm(start), parse_hhmm(end))
        zone(timezone)
    except ValueError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    if not day_set:
        raise InvalidInput(f"{where}: name the days it starts on (mon .. sun)")
    return Shift(name, window, timezone)


def make_override(
    index: int, username: str, starts_at: datetime, ends_at: datetime, on_duty: bool, note: str
) -> DutyOverride:
    """A validated override; errors name it (`index` counts from 1) and its person."""
    name = _username(username, f"override {index}")
    where = f"override {index} ({name})"
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput(f"{where}: starts_at and ends_at need a time zone")
    if ends_at <= starts_at:
        raise InvalidInput(f"{where}: ends_at must be after starts_at")
    if len(note) > 500:
        raise InvalidInput(f"{where}: note is longer than 500 characters")
    return DutyOverride(name, starts_at, ends_at, on_duty, note.strip())


def make_roster(
    site: str,
    shifts: Sequence[Shift],
    overrides: Sequence[DutyOverride],
    known_people: frozenset[str] | None = None,
) -> Roster:
    """A roster; with `known_people`, everyone in it must be one of them (a technician or a
    team's supervisor at the site)."""
    if len(shifts) + len(overrides) > _MAX_ENTRIES:
        raise InvalidInput(f"a roster holds at most {_MAX_ENTRIES} shifts and overrides")
    roster = Roster(site, tuple(shifts), tuple(overrides))
    if known_people is not None:
        unknown = sorted(roster.people() - known_people)
        if unknown:
            raise InvalidInput(
                f"the roster names {', '.join(unknown[:10])}, who is neither a technician nor a"
                f" team supervisor at site {site!r}"
            )
    return roster
