"""Policies, calendars, recomputation and SLA state queries: one transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from psycopg_pool import AsyncConnectionPool

from services.common.business_time import Calendar
from services.sla.adapters.config_repo import ConfigRepository, StoredCalendar, StoredPolicy
from services.sla.adapters.tickets_repo import TicketRepository
from services.sla.domain.calendar import validate_calendar
from services.sla.domain.errors import InvalidInput
from services.sla.domain.policy import Policy, validate_policy
from services.sla.domain.views import SlaView

__all__ = ["MAX_STATES", "ClockReport", "SlaAdmin", "StateReport"]

#: At most this many tickets per state query.
MAX_STATES = 500


@dataclass(frozen=True, slots=True)
class ClockReport:
    breached: bool
    remaining: timedelta


@dataclass(frozen=True, slots=True)
class StateReport:
    """A ticket's stored SLA state and what it means at the time of the query."""

    view: SlaView
    respond: ClockReport
    resolve: ClockReport

    @property
    def breached(self) -> bool:
        return self.respond.breached or self.resolve.breached


def _ticket_ids(ticket_ids: list[str]) -> list[str]:
    if len(ticket_ids) > MAX_STATES:
        raise InvalidInput(f"at most {MAX_STATES} ticket ids per call")
    valid: list[str] = []
    for ticket_id in ticket_ids:
        try:
            valid.append(str(uuid.UUID(ticket_id)))
        except ValueError:
            continue  # no such ticket can be known
    return valid


class SlaAdmin:
    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def list_policies(self) -> list[StoredPolicy]:
        async with self._pool.connection() as conn:
            return await ConfigRepository(conn).policies()

    async def list_calendars(self) -> list[StoredCalendar]:
        async with self._pool.connection() as conn:
            return await ConfigRepository(conn).calendars()

    async def put_policy(self, policy: Policy) -> tuple[Any, bool, int]:
        """Validate and store; schedules every open ticket for recomputation. Returns
        (updated_at, created, tickets scheduled)."""
        async with self._pool.connection() as conn, conn.transaction():
            repo = ConfigRepository(conn)
            validate_policy(policy, [c.id for c, _ in await repo.calendars()])
            created, updated_at = await repo.put_policy(policy)
            scheduled = await repo.schedule_recompute()
        return updated_at, created, scheduled

    async def put_calendar(self, calendar: Calendar) -> tuple[Any, bool, int]:
        """Validate and store; schedules every open ticket for recomputation."""
        validate_calendar(calendar)
        async with self._pool.connection() as conn, conn.transaction():
            repo = ConfigRepository(conn)
            created, updated_at = await repo.put_calendar(calendar)
            scheduled = await repo.schedule_recompute()
        return updated_at, created, scheduled

    async def recompute(self, ticket_ids: list[str]) -> int:
        """Schedule the named tickets (all open ones when none are named)."""
        async with self._pool.connection() as conn:
            repo = ConfigRepository(conn)
            if not ticket_ids:
                return await repo.schedule_recompute()
            return await repo.schedule_recompute(_ticket_ids(ticket_ids))

    async def states(self, ticket_ids: list[str]) -> tuple[list[StateReport], datetime]:
        """The stored states of the tickets that have one, as of now; and now."""
        wanted = _ticket_ids(ticket_ids)
        now = self._clock()
        if not wanted:
            return [], now
        async with self._pool.connection() as conn:
            views = await TicketRepository(conn).views(wanted)
            calendars = {c.id: c for c, _ in await ConfigRepository(conn).calendars()} if any(
                v.calendar_id for v in views
            ) else {}  # fmt: skip
        reports: list[StateReport] = []
        for view in views:
            calendar = calendars.get(view.calendar_id)
            clocks = [
                ClockReport(c.breached(now), c.remaining(calendar, now))
                for c in (view.respond, view.resolve)
            ]
            reports.append(StateReport(view, clocks[0], clocks[1]))
        return reports, now
