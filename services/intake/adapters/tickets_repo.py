"""Tickets, their events, idempotency keys and attachments in PostgreSQL (schema intake)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from services.intake.adapters.event_log import LoggedEvent
from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import (
    Channel,
    Kind,
    Location,
    NewEvent,
    Priority,
    Rating,
    Role,
    Source,
    Status,
    Ticket,
)

__all__ = ["AttachmentRow", "TicketFilter", "TicketRepository"]

_COLUMNS = (
    "id, number, kind, category, status, priority, title, description, site, building,"
    " floor, unit, asset, requester, requester_role, assignee, channel, source, device_id,"
    " contact, attributes, rating_stars, rating_comment, rated_at, version, created_at,"
    " updated_at, status_changed_at, waiting_reason, cost_cents, approval_pending, component"
)


@dataclass(frozen=True, slots=True)
class TicketFilter:
    """Narrowing for ticket lists; empty fields do not narrow."""

    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    site: str = ""
    building: str = ""
    floor: str = ""
    assignee: str = ""
    source: str = ""
    device_id: str = ""
    requester: str = ""
    asset: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    #: Only these ticket ids (UUIDs).
    ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    id: str
    ticket_id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by: str
    created_at: datetime


def _to_ticket(row: dict[str, Any]) -> Ticket:
    rating = None
    if row["rating_stars"] is not None:
        rating = Rating(row["rating_stars"], row["rating_comment"] or "", row["rated_at"])
    return Ticket(
        id=str(row["id"]),
        number=row["number"],
        kind=Kind(row["kind"]),
        category=row["category"],
        status=Status(row["status"]),
        priority=Priority(row["priority"]),
        title=row["title"],
        description=row["description"],
        location=Location(
            row["site"],
            row["building"] or "",
            row["floor"] or "",
            row["unit"] or "",
            row["asset"] or "",
        ),
        requester=row["requester"],
        requester_role=Role(row["requester_role"]),
        assignee=row["assignee"],
        channel=Channel(row["channel"]),
        source=Source(row["source"]),
        device_id=row["device_id"],
        contact=row["contact"],
        attributes=dict(row["attributes"]),
        rating=rating,
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status_changed_at=row["status_changed_at"],
        waiting_reason=row["waiting_reason"],
        cost_cents=row["cost_cents"],
        approval_pending=row["approval_pending"],
        component=row["component"],
    )


_INSERT_WITH_EVENT = (
    "WITH t AS (INSERT INTO intake.tickets (id, number, kind, category, status, priority, title,"
    " description, site, building, floor, unit, asset, requester, requester_role, assignee,"
    " channel, source, device_id, contact, attributes, rating_stars, rating_comment, rated_at,"
    " version, created_at, updated_at, status_changed_at, waiting_reason, cost_cents,"
    " approval_pending, component) SELECT %s, 'T' || to_char(%s::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD')"
    " || '-' || lpad(n::text, greatest(7, length(n::text)), '0'),"
    " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, %s, %s, %s, %s"
    " FROM nextval('intake.ticket_number_seq') AS n RETURNING id, number)"
    " INSERT INTO intake.ticket_events (ticket_id, type, from_status, to_status, actor,"
    " actor_role, channel, note, payload, occurred_at)"
    " SELECT t.id, %s, NULL, %s, %s, %s, %s, %s, %s::jsonb || jsonb_build_object('number', t.number), %s"
    " FROM t RETURNING payload->>'number'"
)


_APPEND_EVENT = (
    "INSERT INTO intake.ticket_events (ticket_id, type, from_status, to_status, actor,"
    " actor_role, channel, note, payload, occurred_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
_LOGGED_COLUMNS = (
    " RETURNING id, tx_id::text AS tx_id, ticket_id, type, from_status, to_status, actor,"
    " actor_role, channel, note, payload, occurred_at"
)


def _event_params(ticket_id: str, e: NewEvent) -> tuple[Any, ...]:
    return (
        ticket_id, e.type, e.from_status.value if e.from_status else None,
        e.to_status.value if e.to_status else None, e.actor, e.actor_role.value,
        e.channel.value, e.note, Jsonb(e.payload), e.occurred_at,
    )  # fmt: skip


def _insert_params(t: Ticket, created: NewEvent) -> tuple[Any, ...]:
    return (
        t.id, t.created_at, t.kind.value, t.category, t.status.value, t.priority.value,
        t.title, t.description, t.location.site, t.location.building or None,
        t.location.floor or None, t.location.unit or None, t.location.asset or None,
        t.requester, t.requester_role.value, t.assignee, t.channel.value, t.source.value,
        t.device_id, t.contact, Jsonb(t.attributes),
        t.rating.stars if t.rating else None, t.rating.comment if t.rating else None,
        t.rating.rated_at if t.rating else None, t.version, t.created_at,
        t.updated_at, t.status_changed_at, t.waiting_reason, t.cost_cents,
        t.approval_pending, t.component,
        created.type, created.to_status.value if created.to_status else None,
        created.actor, created.actor_role.value,
        created.channel.value, created.note, Jsonb(created.payload), created.occurred_at,
    )  # fmt: skip


def _location_problem(constraint: str, loc: Location) -> str:
    if constraint == "tickets_unit_fk":
        return f"no unit {loc.unit!r} on floor {loc.floor!r} of building {loc.building!r}"
    if constraint == "tickets_asset_fk":
        return f"no asset {loc.asset!r} at site {loc.site!r}"
    if constraint == "tickets_site_fk":
        return f"no site {loc.site!r}"
    if constraint == "tickets_building_fk":
        return f"no building {loc.building!r} at site {loc.site!r}"
    return f"no floor {loc.floor!r} in building {loc.building!r} of site {loc.site!r}"


def _page_token(ticket: Ticket) -> str:
    raw = f"{ticket.created_at.isoformat()}|{ticket.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse_page_token(token: str) -> tuple[datetime, UUID]:
    try:
        created, ticket_id = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return datetime.fromisoformat(created), UUID(ticket_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("page_token is not one this service issued") from exc


def _where(flt: TicketFilter) -> tuple[list[sql.Composable], list[Any]]:
    clauses: list[sql.Composable] = []
    params: list[Any] = []
    for column, values in (
        ("status", flt.statuses),
        ("kind", flt.kinds),
        ("category", flt.categories),
        ("priority", flt.priorities),
    ):
        if values:
            clauses.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(column)))
            params.append(list(values))
    for column, value in (
        ("site", flt.site),
        ("building", flt.building),
        ("floor", flt.floor),
        ("assignee", flt.assignee),
        ("source", flt.source),
        ("device_id", flt.device_id),
        ("requester", flt.requester),
        ("asset", flt.asset),
    ):
        if value:
            clauses.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if flt.created_after:
        clauses.append(sql.SQL("created_at >= %s"))
        params.append(flt.created_after)
    if flt.created_before:
        clauses.append(sql.SQL("created_at < %s"))
        params.append(flt.created_before)
    if flt.ids:
        try:
            ids = [UUID(i) for i in flt.ids]
        except ValueError:
            raise InvalidInput("ticket ids must be UUIDs") from None
        clauses.append(sql.SQL("id = ANY(%s)"))
        params.append(ids)
    return clauses, params


class TicketRepository:
    """Reads and writes of schema intake on one connection, inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _one(
        self, query: sql.Composable | str, params: tuple[Any, ...]
    ) -> dict[str, Any] | None:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchone()

    async def _all(
        self, query: sql.Composable | str, params: tuple[Any, ...] | list[Any]
    ) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchall()

    async def claim_idempotency_key(
        self, username: str, key: str, request_hash: str, ticket_id: str
    ) -> tuple[str, str] | None:
        """Record the key for `ticket_id`; if it was taken, return (ticket_id, hash) of the first use."""
        row = await self._one(
            "INSERT INTO intake.idempotency_keys (username, key, request_hash, ticket_id)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING ticket_id",
            (username, key, request_hash, ticket_id),
        )
        if row is not None:
            return None
        prior = await self._one(
            "SELECT ticket_id, request_hash FROM intake.idempotency_keys"
            " WHERE username = %s AND key = %s",
            (username, key),
        )
        assert prior is not None
        return str(prior["ticket_id"]), prior["request_hash"]

    async def insert_with_event(self, t: Ticket, created: NewEvent) -> str:
        """Insert a new ticket and its first event in one statement; returns the ticket number.

        The number is `T<yyyymmdd>-<sequence>`, unique and sortable by time. A location that
        is not in the site tree raises InvalidInput.
        """
        [number] = await self.insert_many_with_events([(t, created)])
        return number

    async def insert_many_with_events(self, items: list[tuple[Ticket, NewEvent]]) -> list[str]:
        """`insert_with_event` for many tickets in one pipelined batch; their numbers."""
        try:
            async with self._conn.cursor() as cur:
                await cur.executemany(
                    _INSERT_WITH_EVENT, [_insert_params(t, e) for t, e in items], returning=True
                )
                numbers: list[str] = []
                for _ in items:
                    row = await cur.fetchone()
                    assert row is not None
                    numbers.append(str(row[0]))
                    cur.nextset()
        except psycopg.errors.ForeignKeyViolation as exc:
            if len(items) == 1:
                location = items[0][0].location
                raise InvalidInput(
                    _location_problem(exc.diag.constraint_name or "", location)
                ) from None
            # In a batch the database's own words name the ticket's place that is missing.
            raise InvalidInput(
                f"a place or asset is not in the site tree: {exc.diag.message_detail}"
            ) from None
        return numbers

    async def existing_ids(self, ticket_ids: list[str]) -> set[str]:
        """Which of these ids are tickets already (ids that are not UUIDs are refused)."""
        try:
            uuids = [UUID(i) for i in ticket_ids]
        except ValueError:
            raise InvalidInput("ticket ids must be UUIDs") from None
        rows = await self._all("SELECT id FROM intake.tickets WHERE id = ANY(%s)", (uuids,))
        return {str(r["id"]) for r in rows}

    async def update(self, t: Ticket) -> None:
        rating = t.rating
        await self._conn.execute(
            "UPDATE intake.tickets SET status = %s, priority = %s, category = %s, assignee = %s,"
            " rating_stars = %s, rating_comment = %s, rated_at = %s, version = %s,"
            " updated_at = %s, status_changed_at = %s, waiting_reason = %s, cost_cents = %s,"
            " approval_pending = %s WHERE id = %s",
            (t.status.value, t.priority.value, t.category, t.assignee,
             rating.stars if rating else None, rating.comment if rating else None,
             rating.rated_at if rating else None, t.version, t.updated_at,
             t.status_changed_at, t.waiting_reason, t.cost_cents, t.approval_pending, t.id),
        )  # fmt: skip

    async def import_fingerprints(self, ticket_ids: list[str]) -> dict[str, str]:
        """Ticket id -> the fingerprint of the work order it was imported from, for those of
        these tickets that exist ('' for a ticket that was not imported)."""
        rows = await self._all(
            "SELECT id, coalesce(attributes->>'import_fingerprint', '') AS fingerprint"
            " FROM intake.tickets WHERE id = ANY(%s)",
            ([UUID(i) for i in ticket_ids],),
        )
        return {str(r["id"]): r["fingerprint"] for r in rows}

    async def replace_imported(self, t: Ticket) -> None:
        """Overwrite an imported ticket with its corrected facts (its number stays)."""
        rating, loc = t.rating, t.location
        try:
            await self._conn.execute(
                "UPDATE intake.tickets SET kind = %s, category = %s, status = %s, priority = %s,"
                " title = %s, description = %s, site = %s, building = %s, floor = %s, unit = %s,"
                " asset = %s, component = %s, assignee = %s, attributes = %s, rating_stars = %s,"
                " rating_comment = %s, rated_at = %s, version = version + 1, created_at = %s,"
                " updated_at = %s, status_changed_at = %s, cost_cents = %s WHERE id = %s",
                (t.kind.value, t.category, t.status.value, t.priority.value, t.title,
                 t.description, loc.site, loc.building or None, loc.floor or None,
                 loc.unit or None, loc.asset or None, t.component, t.assignee,
                 Jsonb(t.attributes), rating.stars if rating else None,
                 rating.comment if rating else None, rating.rated_at if rating else None,
                 t.created_at, t.updated_at, t.status_changed_at, t.cost_cents, t.id),
            )  # fmt: skip
        except psycopg.errors.ForeignKeyViolation as exc:
            raise InvalidInput(_location_problem(exc.diag.constraint_name or "", loc)) from None

    async def get(self, ticket_id: str, *, for_update: bool = False) -> Ticket | None:
        try:
            UUID(ticket_id)
        except ValueError:
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = await self._one(
            f"SELECT {_COLUMNS} FROM intake.tickets WHERE id = %s{lock}",
            (ticket_id,),
        )
        return _to_ticket(row) if row else None

    async def page(
        self, flt: TicketFilter, page_size: int, page_token: str
    ) -> tuple[list[Ticket], str]:
        """One page, newest first, and the token of the next page ('' on the last)."""
        clauses, params = _where(flt)
        if page_token:
            created, ticket_id = _parse_page_token(page_token)
            clauses.append(sql.SQL("(created_at, id) < (%s, %s)"))
            params += [created, ticket_id]
        where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("")
        query = sql.SQL(
            "SELECT {} FROM intake.tickets{} ORDER BY created_at DESC, id DESC LIMIT %s"
        ).format(
            sql.SQL(_COLUMNS),
            where,
        )
        rows = await self._all(query, [*params, page_size + 1])
        tickets = [_to_ticket(r) for r in rows[:page_size]]
        next_token = _page_token(tickets[-1]) if len(rows) > page_size else ""
        return tickets, next_token

    async def append_events(self, ticket_id: str, events: list[NewEvent]) -> None:
        await self.append_many([(ticket_id, e) for e in events])

    async def append_many(self, events: list[tuple[str, NewEvent]]) -> None:
        """Append events of any tickets, in the order given, in one pipelined batch."""
        async with self._conn.cursor() as cur:
            await cur.executemany(_APPEND_EVENT, [_event_params(tid, e) for tid, e in events])

    async def append_event(self, ticket_id: str, event: NewEvent) -> LoggedEvent:
        """Append one event and return it as logged."""
        row = await self._one(_APPEND_EVENT + _LOGGED_COLUMNS, _event_params(ticket_id, event))
        assert row is not None
        return LoggedEvent.from_row(row)

    async def ticket_events(self, ticket_id: str) -> list[LoggedEvent]:
        rows = await self._all(
            "SELECT id, tx_id::text AS tx_id, ticket_id, type, from_status, to_status, actor,"
            " actor_role, channel, note, payload, occurred_at FROM intake.ticket_events"
            " WHERE ticket_id = %s ORDER BY id",
            (ticket_id,),
        )
        return [LoggedEvent.from_row(r) for r in rows]

    async def technician_exists(self, username: str, site: str) -> bool:
        row = await self._one(
            "SELECT 1 AS ok FROM intake.users WHERE username = %s AND role = 'technician'"
            " AND NOT disabled AND (site = %s OR %s = '')",
            (username, site, site),
        )
        return row is not None

    async def expired_awaiting_rating(self, older_than: datetime, limit: int) -> list[str]:
        """Ids of tickets waiting for a rating since before `older_than`, locked for this transaction."""
        rows = await self._all(
            "SELECT id FROM intake.tickets WHERE status = 'awaiting_rating' AND NOT approval_pending"
            " AND status_changed_at < %s ORDER BY status_changed_at LIMIT %s"
            " FOR UPDATE SKIP LOCKED",
            (older_than, limit),
        )
        return [str(r["id"]) for r in rows]

    async def add_attachment(self, row: AttachmentRow, content: bytes) -> None:
        await self._conn.execute(
            "INSERT INTO intake.attachment_blobs (sha256, content) VALUES (%s, %s)"
            " ON CONFLICT DO NOTHING",
            (row.sha256, content),
        )
        await self._conn.execute(
            "INSERT INTO intake.attachments (id, ticket_id, filename, content_type, size_bytes,"
            " sha256, uploaded_by, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (row.id, row.ticket_id, row.filename, row.content_type, row.size_bytes, row.sha256,
             row.uploaded_by, row.created_at),
        )  # fmt: skip

    async def attachments(self, ticket_ids: list[str]) -> dict[str, list[AttachmentRow]]:
        rows = await self._all(
            "SELECT id, ticket_id, filename, content_type, size_bytes, sha256, uploaded_by,"
            " created_at FROM intake.attachments WHERE ticket_id = ANY(%s::uuid[])"
            " ORDER BY created_at, id",
            (ticket_ids,),
        )
        found: dict[str, list[AttachmentRow]] = {}
        for r in rows:
            item = AttachmentRow(**{**r, "id": str(r["id"]), "ticket_id": str(r["ticket_id"])})
            found.setdefault(item.ticket_id, []).append(item)
        return found

    async def attachment_content(
        self, ticket_id: str, attachment_id: str
    ) -> tuple[AttachmentRow, bytes] | None:
        try:
            UUID(attachment_id)
        except ValueError:
            return None
        row = await self._one(
            "SELECT a.id, a.ticket_id, a.filename, a.content_type, a.size_bytes, a.sha256,"
            " a.uploaded_by, a.created_at, b.content FROM intake.attachments a"
            " JOIN intake.attachment_blobs b USING (sha256) WHERE a.id = %s AND a.ticket_id = %s",
            (attachment_id, ticket_id),
        )
        if row is None:
            return None
        content = bytes(row.pop("content"))
        return AttachmentRow(
            **{**row, "id": str(row["id"]), "ticket_id": str(row["ticket_id"])}
        ), content
