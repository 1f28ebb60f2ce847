"""The device registry in PostgreSQL (schema ingestor)."""

from __future__ import annotations

import base64
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.ingestor.domain.model import Device, DeviceKind, PayloadFormat

__all__ = ["DeviceRecord", "DevicesRepository", "to_device"]

_COLUMNS = (
    "device_id, kind, site, building, floor, unit, asset, format, source_topic,"
    " expected_interval_s, thresholds, last_seen_at, last_values, online, created_at, updated_at,"
    " clock, clock_offset_s"
)


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A device as the registry shows it: registration plus what it last said."""

    device: Device
    last_seen_at: datetime | None
    last_values: dict[str, float]
    online: bool
    created_at: datetime
    updated_at: datetime
    #: ClockState of the latest message that had a time ("" before any), and the offset.
    clock: str = ""
    clock_offset_s: float | None = None


def to_device(row: dict[str, Any]) -> Device:
    return Device(
        device_id=row["device_id"],
        kind=DeviceKind(row["kind"]),
        site=row["site"],
        building=row["building"],
        floor=row["floor"],
        unit=row["unit"],
        asset=row["asset"],
        format=PayloadFormat(row["format"]),
        source_topic=row["source_topic"],
        expected_interval_s=row["expected_interval_s"],
        thresholds={k: float(v) for k, v in row["thresholds"].items()},
    )


def _record(row: dict[str, Any]) -> DeviceRecord:
    return DeviceRecord(
        device=to_device(row),
        last_seen_at=row["last_seen_at"],
        last_values={k: float(v) for k, v in row["last_values"].items()},
        online=row["online"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        clock=row["clock"] or "",
        clock_offset_s=row["clock_offset_s"],
    )


_UPSERT = (
    "INSERT INTO ingestor.devices (device_id, kind, site, building, floor, unit, asset, format,"
    " source_topic, expected_interval_s, thresholds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (device_id) DO UPDATE SET kind = EXCLUDED.kind, site = EXCLUDED.site,"
    " building = EXCLUDED.building, floor = EXCLUDED.floor, unit = EXCLUDED.unit,"
    " asset = EXCLUDED.asset, format = EXCLUDED.format, source_topic = EXCLUDED.source_topic,"
    " expected_interval_s = EXCLUDED.expected_interval_s, thresholds = EXCLUDED.thresholds,"
    " updated_at = now()"
    f" RETURNING (xmax = 0) AS created, {_COLUMNS}"
)


def _params(d: Device) -> tuple[Any, ...]:
    return (d.device_id, d.kind.value, d.site, d.building, d.floor, d.unit, d.asset,
            d.format.value, d.source_topic, d.expected_interval_s, Jsonb(dict(d.thresholds)))  # fmt: skip


class DevicesRepository:
    """Registry reads and writes on one connection, inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def put(self, device: Device) -> tuple[DeviceRecord, bool]:
        """Create or replace a registration; returns it and whether it was new."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(_UPSERT, _params(device))
            row = await cur.fetchone()
        assert row is not None
        return _record(row), bool(row["created"])

    async def get(self, device_id: str) -> DeviceRecord | None:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM ingestor.devices WHERE device_id = %s", (device_id,)
            )
            row = await cur.fetchone()
        return _record(row) if row else None

    async def get_many(self, device_ids: Collection[str]) -> dict[str, Device]:
        """The registrations of those of `device_ids` that exist."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM ingestor.devices WHERE device_id = ANY(%s)",
                (list(device_ids),),
            )
            return {r["device_id"]: to_device(r) for r in await cur.fetchall()}

    async def source_owners(
        self, sources: Collection[tuple[PayloadFormat, str]]
    ) -> dict[tuple[PayloadFormat, str], str]:
        """Which device has each (format, source topic) now."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT d.format, d.source_topic, d.device_id FROM ingestor.devices d"
                " JOIN unnest(%s::text[], %s::text[]) AS s (format, source_topic)"
                " USING (format, source_topic)",
                ([f.value for f, _ in sources], [t for _, t in sources]),
            )
            return {(PayloadFormat(f), t): d for f, t, d in await cur.fetchall()}

    async def page(
        self, site: str, building: str, kind: str, size: int, token: str, asset: str = ""
    ) -> tuple[list[DeviceRecord], str]:
        """Devices in id order, optionally narrowed, one page at a time."""
        after = base64.urlsafe_b64decode(token.encode()).decode() if token else ""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM ingestor.devices WHERE device_id > %s"
                " AND (%s = '' OR site = %s) AND (%s = '' OR building = %s) AND (%s = '' OR kind = %s)"
                " AND (%s = '' OR asset = %s) ORDER BY device_id LIMIT %s",
                (after, site, site, building, building, kind, kind, asset, asset, size + 1),
            )
            rows = await cur.fetchall()
        records = [_record(r) for r in rows[:size]]
        more = len(rows) > size
        next_token = (
            base64.urlsafe_b64encode(records[-1].device.device_id.encode()).decode() if more else ""
        )
        return records, next_token

    async def all_devices(self) -> list[Device]:
        """Every registration, for the ingestor's lookup cache."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(f"SELECT {_COLUMNS} FROM ingestor.devices")
            return [to_device(r) for r in await cur.fetchall()]
