"""The per-ticket facts and the sites' time zones, in schema analytics.

Writing a ticket's row is all the follower does; the statement trigger on
`analytics.tickets` (migration 0001) moves the summaries in the same statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from services.analytics.domain.business import BusinessDurations
from services.analytics.domain.ticket import Facts, Span, TicketState

__all__ = ["COLUMNS", "SiteRepository", "TicketRepository", "row_of"]

_FACTS = ("number", "site", "building", "floor", "unit", "asset", "kind", "category",
          "priority", "source", "device_id", "alerted_at")  # fmt: skip
_STATE = ("status", "imported", "technician", "created_at", "accepted_at",
          "assigned_at", "resolved_at", "cancelled_at", "first_reopened_at", "rated_at", "stars",
          "reopens", "starts", "parts_waits", "paused", "work_s", "work_since", "work_spans",
          "respond_breached_at", "resolve_breached_at", "respond_escalated", "resolve_escalated",
          "respond_reminded", "resolve_reminded")  # fmt: skip
#: Derived columns, each the TicketState property of the same name.
_DERIVED = ("response_s", "dispatch_s", "handling_s", "resolve_s", "alert_to_ticket_s",
            "alert_to_assignment_s", "sla_respond", "sla_resolve", "first_time_fix")  # fmt: skip
#: Derived columns in business hours, each the BusinessDurations field of the same name.
_BUSINESS = ("response_bh_s", "dispatch_bh_s", "handling_bh_s", "resolve_bh_s")
#: Column names of `analytics.tickets` in the order `row_of` gives them.
COLUMNS = ("ticket_id", *_FACTS, *_STATE, "open_spans", *_DERIVED, *_BUSINESS, "last_at")
#: What a ticket's state is read back from (the derived columns follow from it).
_READ = ", ".join(COLUMNS[: -len(_DERIVED) - len(_BUSINESS) - 1])


def _spans_to_db(spans: tuple[Span, ...]) -> Multirange[datetime]:
    return Multirange([Range(start, end, "[)") for start, end in spans])


def _spans_from_db(value: Multirange[datetime]) -> tuple[Span, ...]:
    return tuple((r.lower, r.upper) for r in value if r.lower is not None)


def _state_value(t: TicketState, name: str) -> Any:
    value = getattr(t, name)
    return _spans_to_db(value) if name == "work_spans" and value is not None else value


def row_of(t: TicketState, business: BusinessDurations) -> tuple[Any, ...]:
    """The ticket and its business-hours durations as a row of `analytics.tickets`,
    columns in `COLUMNS` order."""
    derived = [getattr(t, name) for name in _DERIVED]
    derived = [str(v) if name.startswith("sla_") and v is not None else v
               for name, v in zip(_DERIVED, derived, strict=True)]  # fmt: skip
    return (
        t.ticket_id,
        *(getattr(t.facts, name) for name in _FACTS),
        *(_state_value(t, name) for name in _STATE),
        _spans_to_db(t.spans),
        *derived,
        *(getattr(business, name) for name in _BUSINESS),
        t.last_at or "infinity",
    )


def _state_of(row: dict[str, Any]) -> TicketState:
    facts = Facts(**{name: row[name] for name in _FACTS})
    state = {name: row[name] for name in _STATE}
    if state["work_spans"] is not None:
        state["work_spans"] = _spans_from_db(state["work_spans"])
    return TicketState(ticket_id=str(row["ticket_id"]), facts=facts,
                       spans=_spans_from_db(row["open_spans"]), **state)  # fmt: skip


_UPSERT = (
    f"INSERT INTO analytics.tickets ({', '.join(COLUMNS)}) VALUES {{values}}"
    " ON CONFLICT (ticket_id) DO UPDATE SET"
    f" {', '.join(f'{c} = EXCLUDED.{c}' for c in COLUMNS[1:])}, updated_at = now()"
)
_ROW = f"({', '.join(['%s'] * len(COLUMNS))})"


class TicketRepository:
    """Reads and writes of ticket facts on one connection, in the caller's transaction."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def get(self, ticket_ids: list[str], lock: bool = False) -> dict[str, TicketState]:
        """The tickets' states by id (those known); with `lock`, their rows stay locked
        until the transaction ends."""
        suffix = " ORDER BY ticket_id FOR UPDATE" if lock else ""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_READ} FROM analytics.tickets WHERE ticket_id = ANY(%s::uuid[]){suffix}",
                (ticket_ids,),
            )
            rows = await cur.fetchall()
        return {str(row["ticket_id"]): _state_of(row) for row in rows}

    async def put(self, tickets: list[tuple[TicketState, BusinessDurations]]) -> None:
        """Insert or update the tickets, each with its business-hours durations, in one
        statement (so the summaries move once)."""
        if not tickets:
            return
        query = _UPSERT.format(values=", ".join([_ROW] * len(tickets)))
        await self._conn.execute(query.encode(), [v for t, b in tickets for v in row_of(t, b)])


class SiteRepository:
    """The sites' time zones as analytics last heard them from intake."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def zones(self) -> dict[str, str]:
        """Every stored site's zone."""
        cur = await self._conn.execute("SELECT site, time_zone FROM analytics.sites")
        return {str(site): str(zone) for site, zone in await cur.fetchall()}

    async def put(self, site: str, zone: str) -> bool:
        """Store the site's zone; True when it was known with another zone (its summaries
        must then be counted again: `rebuild`)."""
        cur = await self._conn.execute(
            "WITH old AS (SELECT time_zone FROM analytics.sites WHERE site = %s)"
            " INSERT INTO analytics.sites AS s (site, time_zone) VALUES (%s, %s)"
            " ON CONFLICT (site) DO UPDATE SET time_zone = EXCLUDED.time_zone, updated_at = now()"
            " WHERE s.time_zone <> EXCLUDED.time_zone"
            " RETURNING (SELECT time_zone FROM old)",
            (site, site, zone),
        )
        row = await cur.fetchone()
        return row is not None and row[0] is not None

    async def rebuild(self, site: str) -> int:
        """Count the site's summaries again from its tickets; returns how many tickets."""
        cur = await self._conn.execute("SELECT analytics.rebuild_site(%s)", (site,))
        row = await cur.fetchone()
        return int(row[0]) if row else 0
