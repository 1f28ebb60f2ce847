"""What every intake use case stands on: the pool and clock, one transaction (or one
autocommit statement) over the ticket repository, and finding a ticket the actor may see."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.tickets_repo import AttachmentRow, TicketRepository
from services.intake.domain.errors import InvalidInput, NotFound
from services.intake.domain.knowledge import Suggestion
from services.intake.domain.lifecycle import DEFAULT_APPROVAL_THRESHOLD_CENTS, can_see
from services.intake.domain.model import Actor, Ticket
from services.intake.domain.triage import DEFAULT_MIN_CONFIDENCE, Classifier

__all__ = ["HandlersBase", "TicketView"]


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as callers see it: the ticket, its attachments (and suggested articles)."""

    ticket: Ticket
    attachments: list[AttachmentRow] = field(default_factory=list)
    #: For a new inquiry: the articles that may answer it, best first.
    suggestions: tuple[Suggestion, ...] = ()


@contextmanager
def _data_errors_are_invalid_input() -> Iterator[None]:
    """A value the database cannot hold (a NUL character, say) is the caller's error."""
    try:
        yield
    except psycopg.DataError as exc:
        raise InvalidInput(f"a value in the request cannot be stored: {exc}") from None


class HandlersBase:
    """The pool, the clock, the triage classifier and the settings the use cases share."""

    def __init__(
        self,
        pool: AsyncConnectionPool,
        clock: Callable[[], datetime],
        stream_poll_s: float = 0.1,
        approval_threshold_cents: int = DEFAULT_APPROVAL_THRESHOLD_CENTS,
        *,
        classifier: Classifier | None = None,
        triage_min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._stream_poll_s = stream_poll_s
        self._approval_threshold_cents = approval_threshold_cents
        #: Suggests what requesters leave out; None: the rules alone (`domain/triage.py`).
        self._classifier = classifier
        self._triage_min_confidence = triage_min_confidence
        #: The corrections the classifier was trained with (`handlers/triage.py`).
        self._taught: list[tuple[str, str, str]] = []

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncConnection[Any]]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with _data_errors_are_invalid_input():
            async with self._pool.connection() as conn, conn.transaction():
                yield conn

    @asynccontextmanager
    async def _unit(self) -> AsyncIterator[TicketRepository]:
        """One transaction over the ticket repository."""
        async with self._transaction() as conn:
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
