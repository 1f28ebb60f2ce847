"""Turn ticket events into inbox messages and queued deliveries, in the event's transaction.

`EventFollower` calls `EventNotifier.handle` inside the transaction that also moves
the cursor. Intake is asked about the ticket before anything is written, so no writing
transaction stays open across the call (an open writer would hold back everyone's view of
the event log). Inbox rows and deliveries carry unique keys, so replaying an event adds
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from services.notification import metrics
from services.notification.adapters.apprise_channels import scheme_of
from services.notification.adapters.contacts_repo import ContactRepository
from services.notification.adapters.inbox_repo import InboxRepository
from services.notification.adapters.outbox_repo import OutboxRepository
from services.notification.domain.model import EventFacts, Notice, TicketFacts
from services.notification.domain.planning import channel_id, dedupe_key, is_stale, plan
from services.notification.domain.recipients import HANDLED_TYPES, recipients
from services.notification.handlers.ports import Channels, TicketSource

__all__ = ["EventNotifier"]

log = logging.getLogger(__name__)


class EventNotifier:
    """Decides, renders and stores the messages one event causes."""

    def __init__(
        self,
        tickets: TicketSource,
        channels: Channels,
        clock: Callable[[], datetime],
        default_locale: str,
        max_event_age: timedelta | None,
    ) -> None:
        self._tickets = tickets
        self._channels = channels
        self._clock = clock
        self._default_locale = default_locale
        self._max_event_age = max_event_age

    async def handle(self, conn: AsyncConnection[Any], event: EventFacts) -> int:
        """Store the event's messages; returns how many deliveries it queued."""
        if event.type not in HANDLED_TYPES:
            metrics.EVENTS.labels("ignored").inc()
            return 0
        if is_stale(event, self._clock(), self._max_event_age):
            metrics.EVENTS.labels("stale").inc()
            return 0
        ticket = await self._tickets.get(event.ticket_id)
        if ticket is None:
            log.warning("event %d names ticket %s, which intake does not know", event.id,
                        event.ticket_id[:64])  # fmt: skip
            metrics.EVENTS.labels("no_ticket").inc()
            return 0
        addressed = recipients(event, ticket)
        contacts = await ContactRepository(conn).many([a.username for a in addressed])
        notices = plan(event, ticket, addressed, contacts, self._default_locale)
        if not notices:
            metrics.EVENTS.labels("no_recipient").inc()
            return 0
        queued = 0
        for notice in notices:
            queued += await self._store(conn, event, ticket, notice)
        if queued:
            await OutboxRepository(conn).announce()
        metrics.EVENTS.labels("notified").inc()
        return queued

    async def _store(
        self, conn: AsyncConnection[Any], event: EventFacts, ticket: TicketFacts, notice: Notice
    ) -> int:
        if notice.in_app and await InboxRepository(conn).add(event, ticket, notice):
            metrics.INBOX.inc()
        outbox = OutboxRepository(conn)
        queued = 0
        for url in notice.channels:
            key = dedupe_key(event.id, notice.recipient, channel_id(url))
            scheme = scheme_of(url)
            channel = self._channels.describe(url)
            if await outbox.enqueue(key, event, notice, url, channel, scheme, ticket.site):
                metrics.QUEUED.labels(scheme).inc()
                queued += 1
        return queued
