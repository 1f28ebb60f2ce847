"""History in PostgreSQL (schema ingestor): imported events, imported telemetry (staged by
binary COPY, then moved in one statement), and a device's telemetry read back."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import chain, repeat
from typing import Any, NamedTuple

from psycopg import AsyncConnection
from psycopg.errors import CardinalityViolation, UniqueViolation

from services.ingestor.domain.history import DeviceEvent, TelemetryColumns, micros

__all__ = ["HistoryRepository", "Point", "TelemetryStage"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: PostgreSQL's binary timestamps count microseconds from 2000-01-01.
_PG_EPOCH_US = 946_684_800_000_000
#: A staged row in COPY's binary format, each field with its length first: the field count,
#: line and time, then device and metric (text, encoded once per name), then the value.
_HEAD = struct.Struct(">hiiiq")
_TAIL = struct.Struct(">id")
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)

_INSERT = (
    "INSERT INTO ingestor.telemetry (time, device_id, metric, value)"
    " SELECT time, device_id, metric, value FROM telemetry_import"
)
_UPSERT = (
    f"WITH written AS ({_INSERT} ON CONFLICT (device_id, metric, time) DO UPDATE"
    " SET value = EXCLUDED.value WHERE telemetry.value IS DISTINCT FROM EXCLUDED.value"
    " RETURNING xmax = 0 AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
)
_OVERLAP = (
    "SELECT EXISTS (SELECT 1 FROM unnest(%(devices)s::text[]) AS d (device_id),"
    " unnest(%(metrics)s::text[]) AS m (metric) WHERE EXISTS (SELECT 1 FROM ingestor.telemetry t"
    " WHERE t.device_id = d.device_id AND t.metric = m.metric"
    " AND t.time BETWEEN %(first)s AND %(last)s))"
)
_DUPLICATES = (
    "SELECT line, first FROM (SELECT line, min(line) OVER w AS first FROM telemetry_import"
    " WINDOW w AS (PARTITION BY device_id, metric, time)) AS x WHERE line <> first ORDER BY line"
)


def _at(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class Point(NamedTuple):
    """One stored reading."""

    time: datetime
    metric: str
    value: float


class TelemetryStage:
    """One import's readings, staged by binary COPY in a scratch table that lives until the
    transaction ends; `store` then moves them all into `ingestor.telemetry`."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn
        self._devices: dict[str, bytes] = {}
        self._metrics: dict[str, bytes] = {}
        self._first = self._last = 0
        self.rows = 0

    async def open(self) -> None:
        await self._conn.execute(
            "CREATE TEMP TABLE telemetry_import (line int4, time timestamptz, device_id text,"
            " metric text, value float8) ON COMMIT DROP"
        )

    @staticmethod
    def _fields(names: Sequence[str], known: dict[str, bytes]) -> Iterator[bytes]:
        """Each name as a COPY field (its length, then UTF-8), encoded once per name."""
        for name in {*names} - known.keys():
            encoded = name.encode()
            known[name] = struct.pack(">i", len(encoded)) + encoded
        return map(known.__getitem__, names)

    async def add(self, columns: TelemetryColumns) -> None:
        """Stage a chunk (checked before: every device exists, every value is acceptable)."""
        if not len(columns):
            return
        times = columns.times_us
        first, last = min(times), max(times)
        self._first = min(first, self._first) if self.rows else first
        self._last = max(last, self._last) if self.rows else last
        pg_times = [t - _PG_EPOCH_US for t in times]
        heads = map(_HEAD.pack, repeat(5), repeat(4), columns.lines, repeat(8), pg_times)
        devices = self._fields(columns.device_ids, self._devices)
        metrics = self._fields(columns.metrics, self._metrics)
        tails = map(_TAIL.pack, repeat(8), columns.values)
        fields = zip(heads, devices, metrics, tails, strict=True)
        async with (
            self._conn.cursor() as cur,
            cur.copy("COPY telemetry_import FROM STDIN (FORMAT BINARY)") as copy,
        ):
            await copy.write(_HEADER + b"".join(chain.from_iterable(fields)) + _TRAILER)
        self.rows += len(columns)

    def _params(self) -> dict[str, Any]:
        return {"devices": list(self._devices), "metrics": list(self._metrics),
                "first": _at(self._first), "last": _at(self._last)}  # fmt: skip

    async def store(self) -> tuple[int, int] | list[tuple[int, int]]:
        """Move the staged readings in: (inserted, updated), the rest being unchanged; or,
        when the file names a device, metric and time twice, nothing and each later line with
        the first (line, first line).

        When no stored reading of the import's devices and metrics falls in its time span
        (new history), a plain INSERT does it; otherwise one INSERT ... ON CONFLICT sorts
        each reading into inserted, updated (another value) or unchanged."""
        if not self.rows:
            return 0, 0
        params = self._params()
        async with self._conn.cursor() as cur:
            await cur.execute(_OVERLAP, params)
            overlap = await cur.fetchone()
            if overlap is not None and not overlap[0]:
                try:
                    async with self._conn.transaction():
                        await cur.execute(_INSERT, params)
                        return cur.rowcount, 0
                except UniqueViolation:
                    pass  # a reading named twice, or one stored meanwhile: sort them out
            try:
                async with self._conn.transaction():
                    await cur.execute(_UPSERT, params)
                    counts = await cur.fetchone()
            except CardinalityViolation:
                await cur.execute(_DUPLICATES)
                return [(int(line), int(first)) for line, first in await cur.fetchall()]
        assert counts is not None
        return int(counts[0]), int(counts[1])


class HistoryRepository:
    """Imported history on one connection, inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def telemetry_stage(self) -> TelemetryStage:
        """A new, empty stage for an import's readings."""
        stage = TelemetryStage(self._conn)
        await stage.open()
        return stage

    async def put_events(self, events: Sequence[DeviceEvent]) -> tuple[int, int]:
        """Store events by their key (device, asset, time, code): (inserted, updated), the
        rest being unchanged. The events must not repeat a key."""
        if not events:
            return 0, 0
        async with self._conn.cursor() as cur:
            await cur.execute(
                "WITH written AS (INSERT INTO ingestor.device_events"
                " (time, device_id, asset_id, code, severity, message, site)"
                " SELECT * FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::text[],"
                " %s::text[], %s::text[], %s::text[])"
                " ON CONFLICT (device_id, asset_id, time, code) DO UPDATE SET severity = EXCLUDED.severity,"
                " message = EXCLUDED.message, site = EXCLUDED.site, imported_at = now()"
                " WHERE (device_events.severity, device_events.message, device_events.site)"
                " IS DISTINCT FROM (EXCLUDED.severity, EXCLUDED.message, EXCLUDED.site)"
                " RETURNING xmax = 0 AS inserted)"
                " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
                " FROM written",
                ([e.time for e in events], [e.device_id for e in events],
                 [e.asset_id for e in events], [e.code for e in events],
                 [e.severity for e in events], [e.message for e in events],
                 [e.site for e in events]),
            )  # fmt: skip
            counts = await cur.fetchone()
        assert counts is not None
        return int(counts[0]), int(counts[1])

    async def telemetry_page(
        self,
        device_id: str,
        metric: str,
        start: datetime | None,
        end: datetime | None,
        size: int,
        token: str,
    ) -> tuple[list[Point], str]:
        """A device's readings in [start, end) by time then metric, one page at a time;
        raises ValueError for a token this method did not issue."""
        after_time, after_metric = datetime.min.replace(tzinfo=UTC), ""
        if token:
            after_us, after_metric = base64.urlsafe_b64decode(token).decode().split("|", 1)
            after_time = _at(int(after_us))
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT time, metric, value FROM ingestor.telemetry WHERE device_id = %s"
                " AND (%s = '' OR metric = %s) AND time >= coalesce(%s::timestamptz, '-infinity')"
                " AND time < coalesce(%s::timestamptz, 'infinity') AND (time, metric) > (%s, %s)"
                " ORDER BY time, metric LIMIT %s",
                (device_id, metric, metric, start, end, after_time, after_metric, size + 1),
            )
            rows = await cur.fetchall()
        points = [Point(*row) for row in rows[:size]]
        if len(rows) <= size:
            return points, ""
        last = points[-1]
        return points, base64.urlsafe_b64encode(
            f"{micros(last.time)}|{last.metric}".encode()
        ).decode()
