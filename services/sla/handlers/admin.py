"""Policies, calendars, recomputation and SLA state queries: one transaction each.

A caller who acts for one site (`acting_site`, set by the gateway for staff) reads that
site's policies and calendars and the defaults, and changes only that site's: a default is
refused (only admins change those) and another site's looks as if it did not exist."""

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
from services.sla.domain.errors import Forbidden, InvalidInput, NotFound
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


def _check_scope(
    what: str, row_id: str, site: str, stored_site: str | None, acting_site: str
) -> None:
    """Whether a caller acting for `acting_site` ('' for any) may store `row_id` at `site`
    over the stored one (of `stored_site`, None when new)."""
    if not acting_site:
        return
    if stored_site is not None and stored_site not in ("", acting_site):
        raise NotFound(f"no {what} {row_id!r}")
    if stored_site == "" or not site:
        raise Forbidden(f"only admins change the default {what}s")
    if site != acting_site:
        raise Forbidden(f"you may change only site {acting_site!r}'s {what}s")


class SlaAdmin:
    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def list_policies(self, site: str = "") -> list[StoredPolicy]:
        """Every policy, or `site`'s and the defaults."""
        async with self._pool.connection() as conn:
            return await ConfigRepository(conn).policies(site or None)

    async def list_calendars(self, site: str = "") -> list[StoredCalendar]:
        """Every calendar, or `site`'s and the defaults."""
        async with self._pool.connection() as conn:
            return await ConfigRepository(conn).calendars(site or None)

    async def put_policy(self, policy: Policy, acting_site: str = "") -> tuple[Any, bool, int]:
        """Validate and store; schedules the open tickets it may apply to (its site's, or
        all for a default) for recomputation. Returns (updated_at, created, scheduled)."""
        async with self._pool.connection() as conn, conn.transaction():
            repo = ConfigRepository(conn)
            stored_site = await repo.site_of("policies", policy.id)
            _check_scope("policy", policy.id, policy.site, stored_site, acting_site)
            validate_policy(policy, [c for c, _ in await repo.calendars()])
            created, updated_at = await repo.put_policy(policy)
            scheduled = await repo.schedule_recompute(site=policy.site or None)
        return updated_at, created, scheduled

    async def put_calendar(
        self, calendar: Calendar, acting_site: str = ""
    ) -> tuple[Any, bool, int]:
        """Validate and store; schedules every open ticket for recomputation."""
        validate_calendar(calendar)
        async with self._pool.connection() as conn, conn.transaction():
            repo = ConfigRepository(conn)
            stored_site = await repo.site_of("calendars", calendar.id)
            _check_scope("calendar", calendar.id, calendar.site, stored_site, acting_site)
            created, updated_at = await repo.put_calendar(calendar)
            scheduled = await repo.schedule_recompute()
        return updated_at, created, scheduled

    async def recompute(self, ticket_ids: list[str], site: str = "") -> int:
        """Schedule the named tickets (all open ones when none are named), of `site` only
        when given."""
        async with self._pool.connection() as conn:
            wanted = _ticket_ids(ticket_ids) if ticket_ids else None
            return await ConfigRepository(conn).schedule_recompute(wanted, site or None)

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
