"""Straight into the ingestor's tables: devices, telemetry (by COPY) and alert signals.

Devices and alert signals are inserted with ON CONFLICT DO NOTHING on the tables' unique
keys, so a rerun over the same window adds nothing. Telemetry goes by binary COPY: straight
into `ingestor.telemetry` when the chunk's window holds none of the fleet's rows yet (twice
as fast), otherwise into a temporary staging table and over with INSERT ... SELECT ... ON
CONFLICT DO NOTHING.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from sensors_sim.fleet import Device
from sensors_sim.world import Alert

__all__ = ["Connection", "TelemetryRow", "copy_telemetry", "insert_alerts", "register_devices"]

Connection = psycopg.Connection[tuple[object, ...]]
#: (time, device id, metric, value)
TelemetryRow = tuple[datetime, str, str, float]

_STAGE = "sensors_sim_telemetry"


def register_devices(conn: Connection, fleet: Sequence[Device]) -> int:
    """Add the fleet's devices that are not registered yet; returns how many were added."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ingestor.devices (device_id, kind, site, building, floor, unit, asset,"
            " format, expected_interval_s) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [
                (d.device_id, d.kind, d.location.site, d.location.building, d.location.floor,
                 d.location.unit, d.location.asset, d.format, d.expected_interval_s)
                for d in fleet
            ],
        )  # fmt: skip
        return max(cur.rowcount, 0)


def _copy(conn: Connection, table: str, rows: Iterable[TelemetryRow]) -> int:
    copied = 0
    statement = f"COPY {table} (time, device_id, metric, value) FROM STDIN (FORMAT BINARY)"
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(["timestamptz", "text", "text", "float8"])
        for row in rows:
            copy.write_row(row)
            copied += 1
    return copied


def copy_telemetry(
    conn: Connection,
    rows: Callable[[], Iterable[TelemetryRow]],
    series: Sequence[tuple[str, str]],
    start: datetime,
    end: datetime,
) -> tuple[int, int]:
    """Write the rows `rows()` makes for `series` (device id, metric) in [start, end);
    returns (rows written, rows new). A window with none of their rows yet is copied
    straight in; otherwise, or when a row appears meanwhile, through staging so that
    existing rows are skipped."""
    found = conn.execute(  # one probe of the unique index per series
        "SELECT EXISTS (SELECT 1 FROM unnest(%s::text[], %s::text[]) AS s (device_id, metric)"
        " WHERE EXISTS (SELECT 1 FROM ingestor.telemetry t WHERE t.device_id = s.device_id"
        " AND t.metric = s.metric AND t.time >= %s AND t.time < %s))",
        ([d for d, _ in series], [m for _, m in series], start, end),
    ).fetchone()
    if found is not None and not found[0]:
        try:
            with conn.transaction():
                copied = _copy(conn, "ingestor.telemetry", rows())
            return copied, copied
        except psycopg.errors.UniqueViolation:
            pass  # another writer got there first: take the safe path
    conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (time timestamptz, device_id text,"
        " metric text, value double precision)"
    )
    copied = _copy(conn, _STAGE, rows())
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ingestor.telemetry (time, device_id, metric, value)"
            f" SELECT time, device_id, metric, value FROM {_STAGE} ON CONFLICT DO NOTHING"
        )
        added = max(cur.rowcount, 0)
        cur.execute(f"TRUNCATE {_STAGE}")
    return copied, added


def insert_alerts(conn: Connection, alerts: Sequence[Alert]) -> int:
    """Record alert signals; returns how many were new."""
    if not alerts:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ingestor.alert_signals (time, device_id, alert_type, active, readings,"
            " detail) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [(a.time, a.device_id, a.type, a.active, Jsonb(a.readings), a.detail) for a in alerts],
        )
        return max(cur.rowcount, 0)
