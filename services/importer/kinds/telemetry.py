"""Telemetry files, long (`device_id, time, metric, value`: one reading per line) or wide
(`device_id, time` and one column per metric). Readings go to the ingestor in columnar
chunks over one stream; a line costs a few dictionary look-ups, a cached time and a float."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from maintenance.ingestor.v1 import ingestor_pb2 as pb
from maintenance.ingestor.v1 import ingestor_pb2_grpc as pb_grpc

from services.importer.kinds.base import (
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    device_sites,
    outcome_of,
    site_zones,
)
from services.importer.kinds.devices import DEVICE_ID
from services.importer.kinds.events import TIME
from services.importer.reader import Problem, ReadError, Row, parse_time

__all__ = ["CHUNK_READINGS", "TELEMETRY", "Reading", "Readings", "micros", "number", "reading_row"]

#: Readings per streamed chunk (about 2 MB).
CHUNK_READINGS = 50_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FIXED = frozenset({"device_id", "time"})
_FIELDS = tuple(itemgetter(n) for n in range(5))
_LONG = frozenset({"metric", "value"})
#: Words for true and false, read as 1 and 0 (as live telemetry reads them; Excel's TRUE).
_WORDS = {"true": 1.0, "on": 1.0, "yes": 1.0, "false": 0.0, "off": 0.0, "no": 0.0}
_NOT_A_NUMBER = "not a number: {!r} (use digits with a dot, e.g. 229.5, or true/false)"


class Reading(NamedTuple):
    """A long file's line: one reading (`time_us`: microseconds since 1970, UTC)."""

    line: int
    device_id: str
    time_us: int
    metric: str
    value: float


class Readings(NamedTuple):
    """A wide file's line: one reading per metric that has a value."""

    line: int
    device_id: str
    time_us: int
    metrics: tuple[str, ...]
    values: tuple[float, ...]


@lru_cache(maxsize=1 << 16)
def micros(text: str, zone: ZoneInfo) -> int | str:
    """A time as microseconds since 1970 (without a zone, in `zone`), or why it is none.
    Cached: the readings of many devices share their times."""
    try:
        return (parse_time(text, zone) - _EPOCH) // _MICROSECOND
    except ValueError as exc:
        return str(exc)


def number(text: str) -> float | str:
    """A value as a finite float (true/false and on/off as 1/0), or why it is none."""
    try:
        value = float(text)
    except ValueError:
        found = _WORDS.get(text.lower())
        return _NOT_A_NUMBER.format(text[:40]) if found is None else found
    return value if math.isfinite(value) else f"not a finite number: {text[:40]!r}"


async def _prepare(targets: Targets, site: str) -> Context:
    """Each device's site and each site's zone (a time without a zone is in the site's)."""
    zones, devices = await asyncio.gather(site_zones(targets), device_sites(targets))
    return Context(site, zones, devices)


def reading_row(row: Row, context: Context) -> Reading | Readings | Problem:
    """A line's readings, or its first problem: an unknown device, a time or a value that
    cannot be read, an empty metric. Raises ReadError when the header has neither metric and
    value columns nor a column of its own for some metric."""
    v = row.values
    device_id = v["device_id"]
    site = context.devices.get(device_id)
    if site is None:
        return Problem(row.line, "device_id", f"no device {device_id[:64]!r}")
    when = micros(v["time"], context.zone(site))
    if isinstance(when, str):
        return Problem(row.line, "time", when)
    if "metric" in v or "value" in v:
        metric, value = v.get("metric", ""), number(v.get("value", ""))
        if not metric:
            return Problem(row.line, "metric", "the metric is empty")
        if isinstance(value, str):
            return Problem(row.line, "value", value)
        return Reading(row.line, device_id, when, metric, value)
    cells = [(name, text) for name, text in v.items() if name not in _FIXED]
    if not cells:
        raise ReadError(
            "a telemetry file needs 'metric' and 'value' columns (one reading per line) or a"
            " column per metric after 'device_id' and 'time'"
        )
    metrics, values = [], []
    for name, text in cells:
        if not text:  # an empty cell: no reading of that metric
            continue
        found = number(text)
        if isinstance(found, str):
            return Problem(row.line, name, found)
        metrics.append(name)
        values.append(found)
    return Readings(row.line, device_id, when, tuple(metrics), tuple(values))


def _chunk(rows: Sequence[Reading | Readings], long: bool) -> pb.TelemetryChunk:
    """The rows' readings as one chunk of columns."""
    if long:  # transposed in C
        lines, devices, times, metrics, values = (list(map(g, rows)) for g in _FIELDS)
        return pb.TelemetryChunk(line=lines, device_id=devices, time_us=times, metric=metrics,
                                 value=values)  # fmt: skip
    chunk = pb.TelemetryChunk()
    for r in rows:
        assert isinstance(r, Readings)
        chunk.line.extend([r.line] * len(r.metrics))
        chunk.device_id.extend([r.device_id] * len(r.metrics))
        chunk.time_us.extend([r.time_us] * len(r.metrics))
        chunk.metric.extend(r.metrics)
        chunk.value.extend(r.values)
    return chunk


def _cuts(rows: Sequence[Reading | Readings], long: bool) -> list[int]:
    """Where the chunks end: after about `CHUNK_READINGS` readings each."""
    if long:
        return [*range(CHUNK_READINGS, len(rows), CHUNK_READINGS), len(rows)]
    cuts, readings = [], 0
    for end, row in enumerate(rows, start=1):
        readings += len(row.metrics) if isinstance(row, Readings) else 1
        if readings >= CHUNK_READINGS:
            cuts.append(end)
            readings = 0
    return [*cuts, len(rows)] if not cuts or cuts[-1] != len(rows) else cuts


async def _chunks(
    rows: Sequence[Reading | Readings], dry_run: bool, progress: Progress
) -> AsyncIterator[pb.TelemetryChunk]:
    """The rows (all long or all wide, as their file) as chunks of columns; the first says
    `dry_run`. `progress` hears of each chunk's rows once the stream has taken it."""
    long = not rows or type(rows[0]) is Reading
    start = 0
    for end in _cuts(rows, long):
        chunk = _chunk(rows[start:end], long)
        chunk.dry_run = dry_run and start == 0
        yield chunk
        progress(end - start)
        start = end


async def _send(
    targets: Targets, rows: Sequence[Reading | Readings], dry_run: bool, progress: Progress
) -> Outcome:
    async with targets.ingestor_channel() as ch:
        reply = await pb_grpc.HistoryServiceStub(ch).ImportTelemetry(
            _chunks(rows, dry_run, progress), timeout=3600
        )
    return outcome_of(reply)


TELEMETRY = Kind(
    "telemetry",
    {
        "device_id": DEVICE_ID,
        "time": TIME,
        "metric": ("metric", "指标", "测点", "参数"),
        "value": ("value", "数值", "值", "读数"),
    },
    frozenset({"device_id", "time"}),
    reading_row,
    _send,
    _prepare,
    extra_columns=True,
)
