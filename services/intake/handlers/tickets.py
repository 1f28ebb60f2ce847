"""Raise, read and list tickets, and read a ticket's history."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace

from services.intake import metrics
from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.event_log import LoggedEvent
from services.intake.adapters.knowledge_repo import KnowledgeRepository
from services.intake.adapters.tickets_repo import TicketFilter
from services.intake.domain.assets import check_component
from services.intake.domain.creation import (
    NewTicket,
    as_asked_by,
    created_event,
    needs_triage,
    open_ticket,
    request_fingerprint,
)
from services.intake.domain.errors import IdempotencyConflict, InvalidInput
from services.intake.domain.knowledge import Suggestion
from services.intake.domain.lifecycle import site_scope
from services.intake.domain.model import Actor, Kind, Role, Ticket
from services.intake.domain.tenant_view import for_tenant
from services.intake.domain.triage import TriageSuggestion
from services.intake.handlers.base import HandlersBase, TicketView
from services.intake.handlers.knowledge import suggest

__all__ = ["TicketHandlers"]

log = logging.getLogger(__name__)

_MAX_PAGE = 200
_MAX_IDS = 1000
_DEFAULT_PAGE = 50
#: Articles offered with a new inquiry.
_OFFERED = 3


class TicketHandlers(HandlersBase):
    """Raises tickets and reads them as the actor may see them."""

    async def create_ticket(
        self, actor: Actor, request: NewTicket, idempotency_key: str = ""
    ) -> tuple[TicketView, bool]:
        """Raise a ticket; returns it and whether this call created it (False on a replay).
        An inquiry comes with the knowledge-base articles that may answer it."""
        view, created = await self._create(actor, request, idempotency_key)
        if view.ticket.kind is Kind.INQUIRY:
            view = replace(view, suggestions=await self._offer(view.ticket, created))
        return view, created

    async def _offer(self, ticket: Ticket, created: bool) -> tuple[Suggestion, ...]:
        """The articles offered for an inquiry; a tenant's new one is counted as a question."""
        record = created and ticket.requester_role is Role.TENANT
        async with self._transaction() as conn:
            repo = KnowledgeRepository(conn)
            found = await suggest(repo, f"{ticket.title}\n{ticket.description}",
                                  ticket.location.site, _OFFERED)  # fmt: skip
            if record:
                await repo.record_inquiry(ticket.location.site, ticket.requester, ticket.title,
                                          ticket.id, found, ticket.created_at)  # fmt: skip
        if record:
            metrics.KB_QUESTIONS.labels("ticket").inc()
        return found

    async def _create(
        self, actor: Actor, request: NewTicket, idempotency_key: str
    ) -> tuple[TicketView, bool]:
        if len(idempotency_key) > 200:
            raise InvalidInput("idempotency key is longer than 200 characters")
        now = self._clock()
        asked = as_asked_by(request, actor)
        ticket = open_ticket(asked, actor, str(uuid.uuid4()), now, self._suggest(asked),
                             self._triage_min_confidence)  # fmt: skip
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

    def _suggest(self, request: NewTicket) -> TriageSuggestion | None:
        """The classifier's suggestion when the requester left the category or priority out."""
        if self._classifier is None or not needs_triage(request):
            return None
        metrics.TRIAGE.labels("suggested").inc()
        return self._classifier.suggest(f"{request.title}\n{request.description}")

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
        if len(flt.ids) > _MAX_IDS:
            raise InvalidInput(f"at most {_MAX_IDS} ticket ids at once")
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

    async def events(self, actor: Actor, ticket_id: str) -> list[LoggedEvent]:
        """The ticket's history, oldest first; its tenant sees it without the desk's inner
        workings (`domain/tenant_view.py`)."""
        async with self._unit() as repo:
            await self._visible(repo, actor, ticket_id, False)
            events = await repo.ticket_events(ticket_id)
        if actor.role is not Role.TENANT:
            return events
        seen = []
        for event in events:
            shown = for_tenant(event.type, event.actor, event.actor_role, event.note,
                               event.payload)  # fmt: skip
            if shown is not None:
                seen.append(replace(event, actor=shown.actor, note=shown.note,
                                    payload=shown.payload))  # fmt: skip
        return seen
