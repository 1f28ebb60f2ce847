"""Knowledge-base use cases: write and read articles, suggest them for a question, record
that one answered it (closing the inquiry it answered), "was this helpful?" and the
deflection figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from services.intake import metrics
from services.intake.adapters.knowledge_repo import ArticleQuery, KnowledgeRepository
from services.intake.adapters.places_repo import PlacesRepository
from services.intake.adapters.tickets_repo import TicketRepository
from services.intake.domain.errors import Forbidden, InvalidInput, NotFound
from services.intake.domain.knowledge import (
    ORDERS,
    Article,
    KnowledgeStats,
    Suggestion,
    answer_inquiry,
    check_article,
    check_may_edit,
    check_query,
    may_read,
    reading_site,
    stats_site,
    title_for,
)
from services.intake.domain.model import Actor, Role
from services.intake.domain.places import PlaceKey
from services.intake.domain.search_text import query_terms
from services.intake.handlers.base import HandlersBase, TicketView

__all__ = ["KnowledgeHandlers", "suggest"]

_MAX_PAGE, _DEFAULT_PAGE = 200, 50
_MAX_SUGGESTIONS, _DEFAULT_SUGGESTIONS = 10, 5
_DEFAULT_PERIOD = timedelta(days=30)


async def suggest(
    repo: KnowledgeRepository, query: str, site: str | None, limit: int
) -> tuple[Suggestion, ...]:
    """The published articles of `site` that best answer `query`, best first."""
    terms = query_terms(query)
    if not terms:
        return ()
    found = await repo.search(terms, site, limit)
    return tuple(Suggestion(a.id, title_for(a, terms), score) for a, score in found)


def _bounded(value: int, most: int, default: int) -> int:
    return min(value, most) if value > 0 else default


class KnowledgeHandlers(HandlersBase):
    """Articles, suggestions and what became of the questions they were offered for."""

    async def put(self, actor: Actor, article: Article) -> tuple[Article, bool]:
        """Create or replace an article; returns it and whether it is new."""
        article = check_article(article)
        check_may_edit(actor, article.site)
        async with self._transaction() as conn:
            repo = KnowledgeRepository(conn)
            before = await repo.get(article.id, for_update=True)
            if before is not None:
                check_may_edit(actor, before.site)
            if article.site and await PlacesRepository(conn).missing_level(PlaceKey(article.site)):
                raise InvalidInput(f"no site {article.site[:64]!r}")
            created = await repo.put(article, actor.username, self._clock())
            saved = await repo.get(article.id)
        assert saved is not None
        return saved, created

    async def get(self, actor: Actor, article_id: str) -> Article:
        """An article the actor may read; a tenant's read counts as a view."""
        async with self._transaction() as conn:
            repo = KnowledgeRepository(conn)
            article = await self._readable(repo, actor, article_id)
            if actor.role is Role.TENANT:
                await repo.count_view(article.id)
                article = replace(article, views=article.views + 1)
        return article

    async def page(
        self, actor: Actor, site: str, category: str, order_by: str, size: int, token: str
    ) -> tuple[list[Article], str]:
        """A page of the articles the actor may read, in `order_by` order."""
        order_by = order_by or "updated"
        if order_by not in ORDERS:
            raise InvalidInput(f"order_by must be one of {', '.join(sorted(ORDERS))}")
        if token and not token.isdigit():
            raise InvalidInput("page_token is not one this list gave")
        offset, size = int(token or 0), _bounded(size, _MAX_PAGE, _DEFAULT_PAGE)
        which = ArticleQuery(reading_site(actor, site), actor.role is Role.TENANT, category)
        async with self._transaction() as conn:
            found = await KnowledgeRepository(conn).page(which, order_by, size + 1, offset)
        return found[:size], str(offset + size) if len(found) > size else ""

    async def suggest(
        self, actor: Actor, query: str, site: str, limit: int
    ) -> tuple[Suggestion, ...]:
        """The published articles that best answer `query`, at the actor's site."""
        query = check_query(query)
        where = reading_site(actor, site)
        async with self._transaction() as conn:
            limit = _bounded(limit, _MAX_SUGGESTIONS, _DEFAULT_SUGGESTIONS)
            return await suggest(KnowledgeRepository(conn), query, where, limit)

    async def mark_answered(
        self, actor: Actor, article_id: str, query: str, ticket_id: str
    ) -> TicketView | None:
        """A tenant says the article answered their question: before any ticket (`query`),
        or their inquiry `ticket_id`, which is then cancelled as answered by the article."""
        if actor.role is not Role.TENANT:
            raise Forbidden("only a tenant says an article answered their question")
        query = check_query(query) if not ticket_id else query
        async with self._transaction() as conn:
            repo = KnowledgeRepository(conn)
            await self._readable(repo, actor, article_id)
            if not ticket_id:
                await repo.record_answered(actor.site, actor.username, query, article_id,
                                           None, self._clock())  # fmt: skip
                view = None
            else:
                view = await self._close_answered(conn, repo, actor, article_id, ticket_id)
        metrics.KB_QUESTIONS.labels(
            "answered_after_ticket" if ticket_id else "answered_before_ticket"
        ).inc()
        return view

    async def _close_answered(
        self, conn: AsyncConnection[Any], repo: KnowledgeRepository, actor: Actor,
        article_id: str, ticket_id: str,
    ) -> TicketView:  # fmt: skip
        tickets = TicketRepository(conn)
        ticket = await self._visible(tickets, actor, ticket_id, True)
        now = self._clock()
        events = answer_inquiry(ticket, actor, article_id, now)
        await tickets.update(ticket)
        await tickets.append_events(ticket.id, events)
        await repo.record_answered(ticket.location.site, actor.username, ticket.title,
                                   article_id, ticket.id, now)  # fmt: skip
        return await self._view(tickets, ticket)

    async def rate(self, actor: Actor, article_id: str, helpful: bool) -> tuple[int, int]:
        """Record the reader's "was this helpful?" (their last answer counts); returns the
        article's (yes, no)."""
        async with self._transaction() as conn:
            repo = KnowledgeRepository(conn)
            await self._readable(repo, actor, article_id)
            await repo.rate(article_id, actor.username, helpful, self._clock())
            article = await repo.get(article_id)
        assert article is not None
        return article.helpful_yes, article.helpful_no

    async def stats(
        self, actor: Actor, site: str, since: datetime | None, until: datetime | None,
        gap_limit: int,
    ) -> KnowledgeStats:  # fmt: skip
        """The deflection figures over [since, until) (the last 30 days by default)."""
        where = stats_site(actor, site)
        until = until or self._clock()
        since = since or until - _DEFAULT_PERIOD
        if since >= until:
            raise InvalidInput("since must be before until")
        async with self._transaction() as conn:
            return await KnowledgeRepository(conn).stats(
                where, since, until, _bounded(gap_limit, _MAX_PAGE, _DEFAULT_PAGE)
            )

    @staticmethod
    async def _readable(repo: KnowledgeRepository, actor: Actor, article_id: str) -> Article:
        article = await repo.get(article_id)
        if article is None or not may_read(actor, article):
            raise NotFound(f"no article {article_id[:64]!r}")
        return article
