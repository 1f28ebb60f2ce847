"""Feeding the analytics follower by hand: ticket events straight into its handler, against
a database of its own, with intake, dispatch and SLA as in-memory doubles."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from services.analytics.domain.ticket import Event, Facts
from services.analytics.handlers.follow import Follower, IncomingEvent
from services.analytics.handlers.hours import BusinessHours
from services.analytics.handlers.reports import Reports, Viewer
from services.analytics.handlers.sites import SiteZones
from services.analytics.testing import FakeIntake, FakeSla, FakeTeams
from tests.integration.conftest import (
    migrated_database,
)

__all__ = ["ADMIN", "Feed", "analytics_database", "z"]

ADMIN = Viewer("admin", "admin")
#: The clock reports take "today" from: after every history the tests make.
NOW = datetime(2031, 6, 1, tzinfo=UTC)


def z(text: str) -> datetime:
    """An instant written in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@contextmanager
def analytics_database() -> Iterator[str]:
    """A new database with only the analytics schema; dropped afterwards."""
    with migrated_database(["analytics"]) as url:
        yield url


class Feed:
    """Raises tickets and records their events through the follower, one transaction each
    (as `follow_ticket_events` does)."""

    def __init__(self, pool: AsyncConnectionPool, zones: dict[str, str]) -> None:
        self.pool = pool
        self.intake = FakeIntake(zones=dict(zones))
        self.teams = FakeTeams()
        self.sites = SiteZones(pool, self.intake)
        self.sla = FakeSla()
        self.hours = BusinessHours(self.sla)
        self.follower = Follower(self.intake, self.sites, self.hours, lambda: NOW)
        self.reports = Reports(pool, self.sites, self.teams, lambda: NOW)
        self._ids = itertools.count(1)

    def make(
        self, ticket_id: str, kind: str, at: datetime, status: str = "", *,
        system: bool = False, imported: bool = False, **payload: Any,
    ) -> IncomingEvent:  # fmt: skip
        """The next event of the log (ids in order)."""
        event = Event(next(self._ids), kind, at, status, system, imported, payload)
        return IncomingEvent(ticket_id, event)

    async def apply(self, batch: list[IncomingEvent]) -> Counter[str]:
        """Apply a batch of events in one transaction; returns what the follower did."""
        async with self.pool.connection() as conn, conn.transaction():
            return await self.follower.handle(conn, batch)

    async def event(
        self, ticket_id: str, kind: str, at: datetime, status: str = "", *,
        system: bool = False, imported: bool = False, **payload: Any,
    ) -> str:  # fmt: skip
        """Apply one event; returns what the follower did."""
        made = self.make(ticket_id, kind, at, status, system=system, imported=imported, **payload)
        return next(iter(await self.apply([made])))

    def register(
        self, *, site: str = "berlin", building: str = "A", floor: str = "1", unit: str = "",
        asset: str = "", kind: str = "repair", category: str = "plumbing", priority: str = "P3",
        source: str = "tenant", alerted_at: datetime | None = None,
    ) -> str:  # fmt: skip
        """A new ticket's facts, known to intake; returns its id."""
        ticket_id = str(uuid.uuid4())
        facts = Facts(f"T{ticket_id[:6]}", site, building, floor, unit, asset, kind, category,
                      priority, source, alerted_at=alerted_at)  # fmt: skip
        self.intake.add(ticket_id, facts)
        return ticket_id

    async def raise_ticket(
        self, at: datetime, *, imported: bool = False, **facts: Any
    ) -> str:  # fmt: skip
        """A new ticket, created at `at` (facts as `register` takes them); returns its id."""
        ticket_id = self.register(**facts)
        outcome = await self.event(ticket_id, "created", at, "submitted", imported=imported)
        assert outcome == "created"
        return ticket_id
