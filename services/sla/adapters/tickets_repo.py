"""The tickets the SLA service follows: their facts, their events and their derived state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.sla.domain.state import ClockStatus, EventFact, Pause, TicketFacts
from services.sla.domain.views import ClockView, SlaView

__all__ = ["TicketRepository"]

_FACTS = "SELECT ticket_id::text, kind, category, priority, site, created_at FROM sla.tickets"
_VIEW_COLUMNS = (
    "ticket_id::text, policy_id, calendar_id, open, pauses, respond_state, respond_by,"
    " respond_ended_at, respond_left_s, resolve_state, resolve_by, resolve_ended_at,"
    " resolve_left_s"
)


def _pauses_json(pauses: tuple[Pause, ...]) -> str:
    return json.dumps([
        {"reason": p.reason, "started_at": p.started_at.isoformat(),
         "ended_at": p.ended_at.isoformat() if p.ended_at else None}
        for p in pauses
    ])  # fmt: skip


def _pauses(items: list[dict[str, Any]]) -> tuple[Pause, ...]:
    return tuple(
        Pause(
            str(p["reason"]),
            datetime.fromisoformat(p["started_at"]),
            datetime.fromisoformat(p["ended_at"]) if p.get("ended_at") else None,
        )
        for p in items
    )


def _clock(row: dict[str, Any], prefix: str) -> ClockView:
    left = row[f"{prefix}_left_s"]
    return ClockView(
        ClockStatus(row[f"{prefix}_state"]),
        row[f"{prefix}_by"],
        row[f"{prefix}_ended_at"],
        timedelta(seconds=left) if left is not None else None,
    )


def _view(row: dict[str, Any]) -> SlaView:
    return SlaView(
        ticket_id=row["ticket_id"],
        policy_id=row["policy_id"],
        calendar_id=row["calendar_id"],
        respond=_clock(row, "respond"),
        resolve=_clock(row, "resolve"),
        pauses=_pauses(row["pauses"]),
        open=row["open"],
    )


def _clock_params(clock: ClockView) -> tuple[Any, ...]:
    left = clock.paused_left.total_seconds() if clock.paused_left is not None else None
    return clock.status.value, clock.due_at, clock.ended_at, left


class TicketRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def facts(self, ticket_id: str, lock: bool = False) -> TicketFacts | None:
        """The ticket's facts; with `lock`, its row stays locked until the transaction ends."""
        suffix = " FOR UPDATE" if lock else ""
        rows = await self._rows(f"{_FACTS} WHERE ticket_id = %s{suffix}", (ticket_id,))
        return TicketFacts(**rows[0]) if rows else None

    async def add_facts(self, facts: TicketFacts) -> None:
        await self._conn.execute(
            "INSERT INTO sla.tickets (ticket_id, kind, category, priority, site, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (ticket_id) DO NOTHING",
            (facts.ticket_id, facts.kind, facts.category, facts.priority, facts.site,
             facts.created_at),
        )  # fmt: skip

    async def set_matchers(self, ticket_id: str, category: str, priority: str) -> None:
        """The ticket was re-categorised or re-prioritised."""
        await self._conn.execute(
            "UPDATE sla.tickets SET category = %s, priority = %s WHERE ticket_id = %s",
            (category, priority, ticket_id),
        )

    async def add_event(self, ticket_id: str, e: EventFact) -> None:
        await self._conn.execute(
            "INSERT INTO sla.ticket_events (ticket_id, event_id, type, from_status, to_status,"
            " reason, assignee, by_system, occurred_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (ticket_id, e.id, e.type, e.from_status, e.to_status, e.reason, e.assignee,
             e.by_system, e.occurred_at),
        )  # fmt: skip

    async def events(self, ticket_id: str) -> list[EventFact]:
        rows = await self._rows(
            "SELECT event_id AS id, type, occurred_at, from_status, to_status, reason, assignee,"
            " by_system FROM sla.ticket_events WHERE ticket_id = %s ORDER BY event_id",
            (ticket_id,),
        )
        return [EventFact(**r) for r in rows]

    async def save(
        self,
        ticket_id: str,
        view: SlaView | None,
        risk_at: datetime | None,
        breach_at: datetime | None,
    ) -> None:
        """Store the derived state (None: no policy applies) and clear the recompute mark."""
        if view is None:
            await self._conn.execute(
                "UPDATE sla.tickets SET policy_id = NULL, risk_at = NULL, breach_at = NULL,"
                " needs_recompute = false, updated_at = now() WHERE ticket_id = %s",
                (ticket_id,),
            )
            return
        await self._conn.execute(
            "UPDATE sla.tickets SET policy_id = %s, calendar_id = %s, open = %s, pauses = %s,"
            " respond_state = %s, respond_by = %s, respond_ended_at = %s, respond_left_s = %s,"
            " resolve_state = %s, resolve_by = %s, resolve_ended_at = %s, resolve_left_s = %s,"
            " risk_at = %s, breach_at = %s, needs_recompute = false, updated_at = now()"
            " WHERE ticket_id = %s",
            (view.policy_id, view.calendar_id, view.open, _pauses_json(view.pauses),
             *_clock_params(view.respond), *_clock_params(view.resolve), risk_at, breach_at,
             ticket_id),
        )  # fmt: skip

    async def views(self, ticket_ids: list[str]) -> list[SlaView]:
        """Stored states of the named tickets that have a policy."""
        rows = await self._rows(
            f"SELECT {_VIEW_COLUMNS} FROM sla.tickets WHERE ticket_id = ANY(%s::uuid[])"
            " AND policy_id IS NOT NULL",
            (ticket_ids,),
        )
        return [_view(r) for r in rows]

    async def view(self, ticket_id: str) -> SlaView | None:
        found = await self.views([ticket_id])
        return found[0] if found else None

    async def claim_stale(self, limit: int) -> list[str]:
        """Tickets marked for recomputation, locked (skipping those locked elsewhere)."""
        rows = await self._rows(
            "SELECT ticket_id::text FROM sla.tickets WHERE needs_recompute"
            " ORDER BY ticket_id LIMIT %s FOR UPDATE SKIP LOCKED",
            (limit,),
        )
        return [r["ticket_id"] for r in rows]

    async def risk_counts(self, now: datetime) -> tuple[int, int]:
        """(open tickets at risk but not breached, open tickets breached) with a running
        clock; reads only tickets whose risk point has passed."""
        rows = await self._rows(
            "SELECT count(*) FILTER (WHERE breach_at > %s) AS at_risk,"
            " count(*) FILTER (WHERE breach_at <= %s) AS breached"
            " FROM sla.tickets WHERE risk_at <= %s",
            (now, now, now),
        )
        return int(rows[0]["at_risk"]), int(rows[0]["breached"])
