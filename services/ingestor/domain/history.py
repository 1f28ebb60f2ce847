"""History imported from other systems: what makes its rows acceptable, and how an import's
problems are reported. Pure: rows and columns in, problems out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.ingestor.domain.model import is_metric_name
from services.ingestor.domain.text import clean_text

__all__ = [
    "EARLIEST",
    "FUTURE_TOLERANCE",
    "MAX_PROBLEMS",
    "DeviceEvent",
    "ImportOutcome",
    "RowProblem",
    "TelemetryColumns",
    "capped",
    "column_problems",
    "event_problems",
    "micros",
]

#: Imported times before this are taken for typing mistakes.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
#: History cannot be in the future; this much is allowed for clocks that differ.
FUTURE_TOLERANCE = timedelta(minutes=5)
#: The most problems one reply lists.
MAX_PROBLEMS = 10_000
_MAX_CODE_CHARS = 64
_MAX_SEVERITY_CHARS = 32
_MAX_MESSAGE_CHARS = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with a line of a file; `column` is "" when the row as a whole is."""

    line: int
    column: str
    reason: str


@dataclass(slots=True)
class ImportOutcome:
    """Rows inserted, updated and left unchanged; with any problem, nothing was written."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def capped(problems: Sequence[RowProblem]) -> list[RowProblem]:
    """The first `MAX_PROBLEMS` problems in line order and, when there were more, one with
    line 0 that says how many were left out."""
    ordered = sorted(problems, key=lambda p: (p.line, p.column))
    if len(ordered) <= MAX_PROBLEMS:
        return ordered
    more = len(ordered) - MAX_PROBLEMS
    return [*ordered[:MAX_PROBLEMS], RowProblem(0, "", f"and {more:,} more problems not listed")]


def micros(when: datetime) -> int:
    """Microseconds since 1970-01-01 UTC."""
    return (when - _EPOCH) // timedelta(microseconds=1)


def _time_problem(when_us: int, bounds: tuple[int, int]) -> str | None:
    if when_us < bounds[0]:
        return f"the time is before {EARLIEST.year}"
    if when_us > bounds[1]:
        return "the time is in the future"
    return None


def _bounds(now: datetime) -> tuple[int, int]:
    """The earliest and latest acceptable time, in microseconds since 1970."""
    return micros(EARLIEST), micros(now + FUTURE_TOLERANCE)


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """An alarm or error code another system recorded for a device or an asset (at least
    one of the two), at a site. History for models: it opens no ticket."""

    time: datetime
    code: str
    device_id: str = ""
    asset_id: str = ""
    severity: str = ""
    message: str = ""
    site: str = ""

    def cleaned(self) -> DeviceEvent:
        """The event with its code and severity stripped and its message made safe to keep."""
        return DeviceEvent(self.time, self.code.strip(), self.device_id, self.asset_id,
                           self.severity.strip().lower(),
                           clean_text(self.message.strip(), _MAX_MESSAGE_CHARS), self.site)  # fmt: skip


def event_problems(event: DeviceEvent, now: datetime) -> list[tuple[str, str]]:
    """Every problem of an event in itself, as (column, reason)."""
    found: list[tuple[str, str]] = []
    if not event.device_id and not event.asset_id:
        found.append(("device_id", "give device_id or asset_id (or both)"))
    if not event.code:
        found.append(("code", "code is empty"))
    elif len(event.code) > _MAX_CODE_CHARS or not event.code.isprintable():
        found.append(("code", f"code must be 1-{_MAX_CODE_CHARS} printable characters"))
    if len(event.severity) > _MAX_SEVERITY_CHARS or not event.severity.isprintable():
        found.append(("severity", f"severity must be at most {_MAX_SEVERITY_CHARS} characters"))
    if (problem := _time_problem(micros(event.time), _bounds(now))) is not None:
        found.append(("time", problem))
    return found


@dataclass(frozen=True, slots=True)
class TelemetryColumns:
    """Readings by column: entry i of each sequence is one reading (from line `lines[i]`)."""

    lines: Sequence[int]
    device_ids: Sequence[str]
    times_us: Sequence[int]
    metrics: Sequence[str]
    values: Sequence[float]

    def __len__(self) -> int:
        return len(self.lines)


def _where(
    positions: Iterable[int], lines: Sequence[int], column: str, reason: str
) -> list[RowProblem]:
    return [RowProblem(lines[i], column, reason) for i in positions]


def column_problems(columns: TelemetryColumns, now: datetime) -> list[RowProblem]:
    """Every problem of the readings in themselves: a metric name that live telemetry would
    not take, a value that is not a finite number, a time before 1900 or in the future.
    Cheap when all is well (whole-column tests first; the lines only when one fails)."""
    c = columns
    sizes = {len(c.device_ids), len(c.times_us), len(c.metrics), len(c.values)}
    if sizes != {len(c.lines)}:
        return [RowProblem(0, "", "the chunk's columns differ in length")]
    found: list[RowProblem] = []
    for name in {*c.metrics}:
        if not is_metric_name(name):
            reason = f"metric {name[:40]!r} is not 1-64 printable characters"
            found += _where(
                (i for i, m in enumerate(c.metrics) if m == name), c.lines, "metric", reason
            )
    if not math.isfinite(sum(c.values)):  # a NaN or an infinity anywhere (or a huge sum)
        found += _where((i for i, v in enumerate(c.values) if not math.isfinite(v)), c.lines,
                        "value", "the value is not a finite number")  # fmt: skip
    bounds = _bounds(now)
    if c.times_us and not bounds[0] <= min(c.times_us) <= max(c.times_us) <= bounds[1]:
        for i, when in enumerate(c.times_us):
            if (problem := _time_problem(when, bounds)) is not None:
                found.append(RowProblem(c.lines[i], "time", problem))
    return found
