"""What one ingest batch writes, on one connection inside the caller's transaction."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.ingestor.domain.incidents import Incident, TicketNote
from services.ingestor.domain.model import AlertSignal, AlertType, ClockState
from services.ingestor.domain.text import clean_text

__all__ = ["DeadLetter", "DeviceTouch", "IngestStore"]

_TELEMETRY_TYPES = ["timestamptz", "text", "text", "float8"]
#: Connections whose session has the scratch table `telemetry_in`.
_PREPARED: weakref.WeakSet[AsyncConnection[Any]] = weakref.WeakSet()

_INCIDENT_COLUMNS = (
    "id, rollup_key, alert_type, site, building, floor, devices, priority, opened_at,"
    " last_signal_at, last_note_at, occurrences, cleared_at, ticket_id, readings"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    received_at: datetime
    topic: str
    reason: str
    detail: str
    payload: bytes
    size_bytes: int


@dataclass(frozen=True, slots=True)
class DeviceTouch:
    """A device was heard from: when last, what it last said, whether it says it is online,
    and what its latest time said of its clock (None: it sent no time)."""

    device_id: str
    last_seen_at: datetime
    last_values: dict[str, float]
    online: bool
    clock: ClockState | None = None
    clock_offset_s: float | None = None


def _incident(row: dict[str, Any]) -> Incident:
    return Incident(
        id=str(row["id"]), rollup_key=row["rollup_key"], alert_type=row["alert_type"],
        site=row["site"], building=row["building"], floor=row["floor"],
        devices=list(row["devices"]), priority=row["priority"], opened_at=row["opened_at"],
        last_signal_at=row["last_signal_at"], last_note_at=row["last_note_at"],
        occurrences=row["occurrences"], cleared_at=row["cleared_at"],
        ticket_id=str(row["ticket_id"]) if row["ticket_id"] else None,
        readings=dict(row["readings"]),
    )  # fmt: skip


class IngestStore:
    """Telemetry, device state, alert signals, incidents, the ticket outbox and dead letters."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def prepare_session(self) -> None:
        """Create the session's scratch table for telemetry, once per connection (outside any
        transaction, so that a rollback cannot take it away)."""
        if self._conn in _PREPARED:
            return
        await self._conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS telemetry_in"
            " (time timestamptz, device_id text, metric text, value double precision)"
            " ON COMMIT DELETE ROWS"
        )
        _PREPARED.add(self._conn)

    async def store_readings(
        self, rows: list[tuple[datetime, str, str, float]], touches: Iterable[DeviceTouch]
    ) -> tuple[int, list[str]]:
        """Insert telemetry rows, dropping any already stored (a redelivered message), and
        record each touched device's last seen time, last values and online state. Returns
        how many rows are new and the devices that were offline until now.

        Alerts and status commit apart from telemetry, so touches may come out of order: what
        a device said last (its values, online or not) is taken from whichever is newer.

        The rows go in by binary COPY (the cheapest way for the client) into the session's
        scratch table (`prepare_session`); one statement then moves them and touches the
        devices. Call it inside a transaction: the scratch table empties at each commit."""
        items = list(touches)
        if not rows and not items:
            return 0, []
        if self._conn.info.transaction_status is TransactionStatus.IDLE:
            raise RuntimeError("store_readings needs an open transaction")
        async with self._conn.cursor() as cur:
            if rows:
                async with cur.copy(
                    "COPY telemetry_in (time, device_id, metric, value) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.set_types(_TELEMETRY_TYPES)
                    for row in rows:
                        await copy.write_row(row)
            await cur.execute(
                "WITH stored AS (INSERT INTO ingestor.telemetry (time, device_id, metric, value)"
                " SELECT time, device_id, metric, value FROM telemetry_in ON CONFLICT DO NOTHING"
                " RETURNING 1),"
                " t AS (SELECT * FROM unnest(%s::text[], %s::timestamptz[], %s::jsonb[], %s::bool[],"
                " %s::text[], %s::float8[]) AS t(device_id, seen, vals, online, clock, clock_offset_s)),"
                " old AS (SELECT d.device_id, d.online, (t.seen >= d.last_seen_at) IS NOT FALSE AS newer"
                " FROM ingestor.devices d JOIN t USING (device_id) ORDER BY d.device_id FOR UPDATE OF d),"
                " touched AS (UPDATE ingestor.devices d SET last_seen_at = greatest(d.last_seen_at, t.seen),"
                " last_values = CASE WHEN old.newer THEN d.last_values || t.vals ELSE t.vals || d.last_values END,"
                " online = CASE WHEN old.newer THEN t.online ELSE d.online END,"
                " clock = CASE WHEN t.clock IS NOT NULL AND (old.newer OR d.clock IS NULL) THEN t.clock ELSE d.clock END,"
                " clock_offset_s = CASE WHEN t.clock IS NOT NULL AND (old.newer OR d.clock IS NULL)"
                " THEN t.clock_offset_s ELSE d.clock_offset_s END"
                " FROM t JOIN old USING (device_id) WHERE d.device_id = t.device_id"
                " RETURNING d.device_id, old.online AS was_online, d.online AS now_online)"
                " SELECT (SELECT count(*) FROM stored),"
                " array(SELECT device_id FROM touched WHERE NOT was_online AND now_online)",
                ([i.device_id for i in items], [i.last_seen_at for i in items],
                 [Jsonb(i.last_values) for i in items], [i.online for i in items],
                 [i.clock and i.clock.value for i in items], [i.clock_offset_s for i in items]),
            )  # fmt: skip
            outcome = await cur.fetchone()
        assert outcome is not None
        return int(outcome[0]), list(outcome[1])

    async def mark_offline(self, factor: float, limit: int = 500) -> list[tuple[str, datetime]]:
        """Devices silent for `factor` times their expected interval, now marked offline, with
        when they were last heard from."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE ingestor.devices SET online = false WHERE device_id IN ("
                " SELECT device_id FROM ingestor.devices WHERE online"
                " AND coalesce(last_seen_at, created_at) < now() - make_interval(secs => expected_interval_s * %s)"
                " ORDER BY device_id LIMIT %s FOR UPDATE SKIP LOCKED)"
                " RETURNING device_id, coalesce(last_seen_at, created_at)",
                (factor, limit),
            )
            return [(row[0], row[1]) for row in await cur.fetchall()]

    async def count_troubled(self) -> tuple[int, int]:
        """How many devices are offline, and how many have a wrong clock."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "SELECT count(*) FILTER (WHERE NOT online),"
                " count(*) FILTER (WHERE clock IN ('skewed', 'no_zone')) FROM ingestor.devices"
            )
            row = await cur.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def new_signals(self, signals: list[AlertSignal]) -> list[AlertSignal]:
        """Store signals; returns those not stored before (a redelivered message repeats none).

        Rows go in sorted by key, so concurrent transactions inserting the same signals wait
        for each other in one order instead of deadlocking."""
        if not signals:
            return []
        rows = sorted(signals, key=lambda s: (s.device_id, s.alert_type.value, s.time, s.active))
        async with self._conn.cursor() as cur:
            await cur.execute(
                "INSERT INTO ingestor.alert_signals (time, device_id, alert_type, active, readings, detail)"
                " SELECT * FROM unnest(%s::timestamptz[], %s::text[], %s::text[], %s::bool[], %s::jsonb[], %s::text[])"
                " ON CONFLICT DO NOTHING RETURNING device_id, alert_type, time, active",
                ([s.time for s in rows], [s.device_id for s in rows],
                 [s.alert_type.value for s in rows], [s.active for s in rows],
                 [Jsonb(dict(s.readings)) for s in rows], [s.detail for s in rows]),
            )  # fmt: skip
            fresh = {(r[0], r[1], r[2], r[3]) for r in await cur.fetchall()}
        return [s for s in signals if (s.device_id, s.alert_type.value, s.time, s.active) in fresh]

    async def lock_place(self, site: str, building: str, floor: str, alert_type: AlertType) -> None:
        """Serialise incident decisions for one floor and alert type across replicas."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))",
            (f"{site}/{building}/{floor}/{alert_type.value}",),
        )

    async def _incident_where(self, where: str, params: tuple[Any, ...]) -> Incident | None:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM ingestor.incidents WHERE closed_at IS NULL AND {where}"
                " ORDER BY opened_at DESC LIMIT 1",
                params,
            )
            row = await cur.fetchone()
        return _incident(row) if row else None

    async def incident_by_id(self, incident_id: str) -> Incident | None:
        """An incident, open or not."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_INCIDENT_COLUMNS} FROM ingestor.incidents WHERE id = %s", (incident_id,)
            )
            row = await cur.fetchone()
        return _incident(row) if row else None

    async def incident_of(self, device_id: str, alert_type: AlertType) -> Incident | None:
        """The open incident of this type that lists the device."""
        return await self._incident_where(
            "alert_type = %s AND %s = ANY(devices)", (alert_type.value, device_id)
        )

    async def incident_on_floor(
        self, site: str, building: str, floor: str, alert_type: AlertType
    ) -> Incident | None:
        return await self._incident_where(
            "alert_type = %s AND site = %s AND building = %s AND floor = %s",
            (alert_type.value, site, building, floor),
        )

    async def save_incident(self, incident: Incident, opened: bool) -> None:
        params = (incident.devices, incident.last_signal_at, incident.last_note_at, incident.occurrences,
                  incident.cleared_at, Jsonb(incident.readings), incident.id)  # fmt: skip
        if opened:
            await self._conn.execute(
                "INSERT INTO ingestor.incidents (id, rollup_key, alert_type, site, building, floor,"
                " devices, priority, opened_at, last_signal_at, last_note_at, occurrences, cleared_at,"
                " readings) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (incident.id, incident.rollup_key, incident.alert_type, incident.site, incident.building,
                 incident.floor, incident.devices, incident.priority, incident.opened_at,
                 incident.last_signal_at, incident.last_note_at, incident.occurrences,
                 incident.cleared_at, Jsonb(incident.readings)),
            )  # fmt: skip
            await self._conn.execute(
                "INSERT INTO ingestor.ticket_outbox (incident_id, action) VALUES (%s, 'open')",
                (incident.id,),
            )
            return
        await self._conn.execute(
            "UPDATE ingestor.incidents SET devices = %s, last_signal_at = %s, last_note_at = %s,"
            " occurrences = %s, cleared_at = %s, readings = %s WHERE id = %s",
            params,
        )

    async def enqueue_note(self, incident: Incident, note: TicketNote) -> None:
        await self._conn.execute(
            "INSERT INTO ingestor.ticket_outbox (incident_id, action, activity, payload)"
            " VALUES (%s, 'activity', %s, %s)",
            (incident.id, note.activity, Jsonb({"note": note.note, **note.payload})),
        )

    async def dead_letters(self, letters: list[DeadLetter]) -> None:
        """Store dead letters; their text is cleaned of what PostgreSQL cannot hold (NUL)."""
        if not letters:
            return
        async with self._conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO ingestor.dead_letters (received_at, topic, reason, detail, payload, size_bytes)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (
                        d.received_at,
                        clean_text(d.topic, 512),
                        d.reason,
                        clean_text(d.detail, 500),
                        d.payload,
                        d.size_bytes,
                    )
                    for d in letters
                ],
            )
