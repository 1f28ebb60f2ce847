"""Intake use cases: each one a single transaction over the repositories and the domain."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.event_log import LoggedEvent, parse_cursor, read_after
from services.intake.adapters.tickets_repo import AttachmentRow, TicketFilter, TicketRepository
from services.intake.adapters.users_repo import UserRecord, UserRepository
from services.intake.domain.activity import record_activity
from services.intake.domain.assets import check_component
from services.intake.domain.attachments import check_attachment
from services.intake.domain.creation import (
    NewTicket,
    created_event,
    open_ticket,
    request_fingerprint,
)
from services.intake.domain.errors import (
    IdempotencyConflict,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from services.intake.domain.history import HistoricalStep, replay
from services.intake.domain.lifecycle import (
    DEFAULT_APPROVAL_THRESHOLD_CENTS,
    apply_action,
    can_see,
    rate,
    site_scope,
)
from services.intake.domain.model import Action, Actor, NewEvent, Role, Ticket

__all__ = ["ImportedTicket", "IntakeHandlers", "TicketView"]

log = logging.getLogger(__name__)

_SYSTEM = Actor("system", Role.SYSTEM)
_MAX_PAGE = 200
_DEFAULT_PAGE = 50


@dataclass(frozen=True, slots=True)
class ImportedTicket:
    """A historical ticket to import: what was asked, by whom, when, and what happened."""

    ticket_id: str
    request: NewTicket
    requester: Actor
    created_at: datetime
    steps: list[HistoricalStep]


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as callers see it: the ticket and its attachments."""

    ticket: Ticket
    attachments: list[AttachmentRow] = field(default_factory=list)


@contextmanager
def _data_errors_are_invalid_input() -> Iterator[None]:
    """A value the database cannot hold (a NUL character, say) is the caller's error."""
    try:
        yield
    except psycopg.DataError as exc:
        raise InvalidInput(f"a value in the request cannot be stored: {exc}") from None


class IntakeHandlers:
    """The intake service's use cases over a connection pool and a clock."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        clock: Callable[[], datetime],
        stream_poll_s: float = 0.1,
        approval_threshold_cents: int = DEFAULT_APPROVAL_THRESHOLD_CENTS,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._stream_poll_s = stream_poll_s
        self._approval_threshold_cents = approval_threshold_cents

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[TicketRepository]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with _data_errors_are_invalid_input():
            async with self._pool.connection() as conn, conn.transaction():
                yield TicketRepository(conn)

    @asynccontextmanager
    async def _statement(self) -> AsyncIterator[TicketRepository]:
        """A connection in autocommit: each statement is its own transaction."""
        with _data_errors_are_invalid_input():
            async with self._pool.connection() as conn:
                yield TicketRepository(conn)

    async def _visible(
        self, repo: TicketRepository, actor: Actor, ticket_id: str, lock: bool
    ) -> Ticket:
        ticket = await repo.get(ticket_id, for_update=lock)
        if ticket is None or not can_see(actor, ticket):
            raise NotFound(f"no ticket {ticket_id[:64]!r}")
        return ticket

    @staticmethod
    async def _view(repo: TicketRepository, ticket: Ticket) -> TicketView:
        found = await repo.attachments([ticket.id])
        return TicketView(ticket, found.get(ticket.id, []))

    async def create_ticket(
        self, actor: Actor, request: NewTicket, idempotency_key: str = ""
    ) -> tuple[TicketView, bool]:
        """Raise a ticket; returns it and whether this call created it (False on a replay)."""
        if len(idempotency_key) > 200:
            raise InvalidInput("idempotency key is longer than 200 characters")
        now = self._clock()
        ticket = open_ticket(request, actor, str(uuid.uuid4()), now)
        if request.component:
            await self._check_component(request)
        # Without a key the insert is one atomic statement and needs no explicit transaction.
        unit = self._unit() if idempotency_key else self._statement()
        async with unit as repo:
            if idempotency_key:
                fingerprint = request_fingerprint(request)
                prior = await repo.claim_idempotency_key(
                    actor.username, idempotency_key, fingerprint, ticket.id
                )
                if prior is not None:
                    prior_id, prior_hash = prior
                    if prior_hash != fingerprint:
                        raise IdempotencyConflict(
                            "this Idempotency-Key was already used with a different request"
                        )
                    return await self._view(
                        repo, await self._visible(repo, actor, prior_id, False)
                    ), False
            ticket.number = await repo.insert_with_event(ticket, created_event(ticket))
        log.info("ticket %s created by %s", ticket.number, actor.username)
        return TicketView(ticket), True

    async def _check_component(self, request: NewTicket) -> None:
        async with self._pool.connection() as conn:
            asset = await AssetsRepository(conn).get(request.location.asset)
        if asset is None or asset.site != request.location.site:
            raise InvalidInput(
                f"no asset {request.location.asset!r} at site {request.location.site!r}"
            )
        check_component(asset, request.component)

    async def get_ticket(self, actor: Actor, ticket_id: str) -> TicketView:
        # Two reads in autocommit: under READ COMMITTED a transaction would give them no
        # common snapshot either, and it costs two more round trips (the services following
        # the event log call this for nearly every event).
        async with self._statement() as repo:
            return await self._view(repo, await self._visible(repo, actor, ticket_id, False))

    async def list_tickets(
        self, actor: Actor, flt: TicketFilter, page_size: int, page_token: str
    ) -> tuple[list[TicketView], str]:
        """A page of the tickets the actor may see, newest first."""
        if actor.role is Role.TENANT:
            flt = replace(flt, requester=actor.username)
        scope = site_scope(actor)
        if scope:
            if flt.site and flt.site != scope:
                return [], ""
            flt = replace(flt, site=scope)
        size = min(page_size, _MAX_PAGE) if page_size > 0 else _DEFAULT_PAGE
        async with self._unit() as repo:
            tickets, token = await repo.page(flt, size, page_token)
            found = await repo.attachments([t.id for t in tickets]) if tickets else {}
        return [TicketView(t, found.get(t.id, [])) for t in tickets], token

    async def transition(
        self,
        actor: Actor,
        ticket_id: str,
        action: Action,
        assignee: str = "",
        note: str = "",
        *,
        reason: str = "",
        cost_cents: int = 0,
        only_if_unassigned: bool = False,
    ) -> TicketView:
        """Apply one lifecycle action and record its events in the same transaction.

        `only_if_unassigned` makes an assignment fail when the ticket has an assignee: the
        check runs under the ticket's row lock, so it cannot race a dispatcher's choice."""
        if len(note) > 2000 or len(reason) > 500:
            raise InvalidInput("note is longer than 2000 characters or reason than 500")
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            if action is Action.ASSIGN and only_if_unassigned and ticket.assignee:
                raise IllegalTransition(f"ticket {ticket.number} is assigned to {ticket.assignee}")
            if (
                action is Action.ASSIGN
                and assignee
                and not await repo.technician_exists(assignee, ticket.location.site)
            ):
                raise InvalidInput(
                    f"no technician {assignee[:64]!r} at site {ticket.location.site!r}"
                )
            events = apply_action(
                ticket, actor, action, self._clock(), assignee=assignee or None, note=note,
                reason=reason, cost_cents=cost_cents,
                approval_threshold_cents=self._approval_threshold_cents,
            )  # fmt: skip
            await repo.update(ticket)
            await repo.append_events(ticket.id, events)
            return await self._view(repo, ticket)

    async def rate(self, actor: Actor, ticket_id: str, stars: int, comment: str) -> TicketView:
        if len(comment) > 2000:
            raise InvalidInput("comment is longer than 2000 characters")
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            events = rate(ticket, actor, stars, comment.strip(), self._clock())
            await repo.update(ticket)
            await repo.append_events(ticket.id, events)
            return await self._view(repo, ticket)

    async def record_activity(
        self, actor: Actor, ticket_id: str, kind: str, note: str, payload: dict[str, Any]
    ) -> LoggedEvent:
        """Add an event that changes no state (sensor repeat or clear, comment)."""
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            event = record_activity(ticket, actor, kind, note, payload, self._clock())
            await repo.update(ticket)
            return await repo.append_event(ticket.id, event)

    async def import_tickets(
        self, importer: Actor, history: list[ImportedTicket]
    ) -> tuple[list[str], int]:
        """Store historical tickets with their real times, all or none; returns the ids
        imported and how many were skipped because they already exist."""
        async with self._unit() as repo:
            present = await repo.existing_ids([h.ticket_id for h in history])
            imported: list[str] = []
            for item in history:
                if item.ticket_id in present:
                    continue
                ticket, events = replay(
                    importer,
                    item.ticket_id,
                    item.request,
                    item.requester,
                    item.created_at,
                    item.steps,
                )
                ticket.number = await repo.insert_with_event(ticket, events[0])
                await repo.append_events(ticket.id, events[1:])
                imported.append(ticket.id)
                present.add(ticket.id)
        return imported, len(history) - len(imported)

    async def events(self, actor: Actor, ticket_id: str) -> list[LoggedEvent]:
        """The ticket's history, oldest first."""
        async with self._unit() as repo:
            await self._visible(repo, actor, ticket_id, False)
            return await repo.ticket_events(ticket_id)

    async def add_attachment(
        self, actor: Actor, ticket_id: str, filename: str, content_type: str, content: bytes
    ) -> AttachmentRow:
        """Store a photo or video on a ticket the actor can see; checks type and size first."""
        media_type = check_attachment(filename, content_type, content)
        now = self._clock()
        row = AttachmentRow(
            id=str(uuid.uuid4()),
            ticket_id=ticket_id,
            filename=filename,
            content_type=media_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=actor.username,
            created_at=now,
        )
        async with self._unit() as repo:
            ticket = await self._visible(repo, actor, ticket_id, True)
            if actor.role is Role.PLANNER:
                raise NotFound(f"no ticket {ticket_id[:64]!r}")
            await repo.add_attachment(row, content)
            event = NewEvent(
                type="attachment_added", from_status=ticket.status, to_status=ticket.status,
                actor=actor.username, actor_role=actor.role, channel=actor.channel,
                occurred_at=now, payload={"attachment_id": row.id, "filename": filename,
                                          "content_type": media_type, "size_bytes": len(content)},
            )  # fmt: skip
            await repo.append_events(ticket_id, [event])
        return row

    async def get_attachment(
        self, actor: Actor, ticket_id: str, attachment_id: str
    ) -> tuple[AttachmentRow, bytes]:
        async with self._unit() as repo:
            await self._visible(repo, actor, ticket_id, False)
            found = await repo.attachment_content(ticket_id, attachment_id)
        if found is None:
            raise NotFound(f"no attachment {attachment_id[:64]!r} on this ticket")
        return found

    async def verify_credentials(self, username: str, password: str) -> UserRecord:
        async with self._pool.connection() as conn:
            user = await UserRepository(conn).verify(username, password)
        if user is None:
            raise Unauthenticated("unknown user or wrong password")
        return user

    async def close_unrated(self, rating_window: timedelta, batch: int = 100) -> int:
        """Close tickets that waited longer than `rating_window` for a rating; returns how many."""
        closed = 0
        async with self._unit() as repo:
            now = self._clock()
            for ticket_id in await repo.expired_awaiting_rating(now - rating_window, batch):
                ticket = await self._visible(repo, _SYSTEM, ticket_id, False)
                events = apply_action(
                    ticket, _SYSTEM, Action.CLOSE, now, note="closed without a rating"
                )
                await repo.update(ticket)
                await repo.append_events(ticket.id, events)
                closed += 1
        if closed:
            log.info("closed %d ticket(s) that were not rated in time", closed)
        return closed

    async def stream_events(
        self, after_cursor: str, follow: bool, batch: int = 500
    ) -> AsyncIterator[LoggedEvent]:
        """Replay the event log after `after_cursor`; with `follow`, keep waiting for new events."""
        try:
            parse_cursor(after_cursor)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        cursor = after_cursor
        while True:
            async with self._pool.connection() as conn:
                events = await read_after(conn, cursor, batch)
            for event in events:
                yield event
                cursor = event.cursor
            if len(events) < batch:
                if not follow:
                    return
                await asyncio.sleep(self._stream_poll_s)
