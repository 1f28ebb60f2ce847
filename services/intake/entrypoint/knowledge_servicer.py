"""KnowledgeService over gRPC: translate, call the knowledge handlers, translate back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.intake.v1 import knowledge_pb2 as pb
from maintenance.intake.v1 import knowledge_pb2_grpc as pb_grpc

from services.intake.domain.knowledge import Article, KnowledgeStats
from services.intake.entrypoint.messages import (
    actor_from_pb,
    from_timestamp,
    suggestions_to_pb,
    ticket_to_pb,
    timestamp,
)
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.knowledge import KnowledgeHandlers

__all__ = ["KnowledgeServicer"]

Context = grpc.aio.ServicerContext[Any, Any]


def _article_from_pb(a: pb.Article) -> Article:
    return Article(
        id=a.article_id, title=a.title, body=a.body, title_en=a.title_en, body_en=a.body_en,
        category=a.category, tags=tuple(a.tags), locale=a.locale, site=a.site,
        published=a.published,
    )  # fmt: skip


def _article_to_pb(a: Article) -> pb.Article:
    message = pb.Article(
        article_id=a.id, title=a.title, body=a.body, title_en=a.title_en, body_en=a.body_en,
        category=a.category, tags=list(a.tags), locale=a.locale, site=a.site,
        published=a.published, updated_by=a.updated_by, views=a.views,
        helpful_yes=a.helpful_yes, helpful_no=a.helpful_no,
    )  # fmt: skip
    if a.updated_at is not None and a.created_at is not None:
        message.updated_at.CopyFrom(timestamp(a.updated_at))
        message.created_at.CopyFrom(timestamp(a.created_at))
    return message


def _stats_to_pb(s: KnowledgeStats) -> pb.GetKnowledgeStatsResponse:
    return pb.GetKnowledgeStatsResponse(
        answered_before_ticket=s.answered_before_ticket,
        answered_after_ticket=s.answered_after_ticket,
        went_on_to_ticket=s.went_on_to_ticket, deflection_rate=s.deflection_rate,
        since=timestamp(s.since), until=timestamp(s.until),
        gaps=[pb.KnowledgeGap(ticket_id=g.ticket_id, query=g.query, suggested=g.suggested,
                              asked_at=timestamp(g.asked_at)) for g in s.gaps],
    )  # fmt: skip


class KnowledgeServicer(pb_grpc.KnowledgeServiceServicer):
    def __init__(self, handlers: KnowledgeHandlers) -> None:
        self._h = handlers

    @rpc
    async def PutArticle(
        self, request: pb.PutArticleRequest, context: Context
    ) -> pb.PutArticleResponse:
        article, created = await self._h.put(
            actor_from_pb(request.actor), _article_from_pb(request.article)
        )
        return pb.PutArticleResponse(article=_article_to_pb(article), created=created)

    @rpc
    async def GetArticle(
        self, request: pb.GetArticleRequest, context: Context
    ) -> pb.GetArticleResponse:
        article = await self._h.get(actor_from_pb(request.actor), request.article_id)
        return pb.GetArticleResponse(article=_article_to_pb(article))

    @rpc
    async def ListArticles(
        self, request: pb.ListArticlesRequest, context: Context
    ) -> pb.ListArticlesResponse:
        found, token = await self._h.page(
            actor_from_pb(request.actor), request.site, request.category, request.order_by,
            request.page_size, request.page_token,
        )  # fmt: skip
        return pb.ListArticlesResponse(
            articles=[_article_to_pb(a) for a in found], next_page_token=token
        )

    @rpc
    async def SuggestArticles(
        self, request: pb.SuggestArticlesRequest, context: Context
    ) -> pb.SuggestArticlesResponse:
        found = await self._h.suggest(
            actor_from_pb(request.actor), request.query, request.site, request.limit
        )
        return pb.SuggestArticlesResponse(suggestions=suggestions_to_pb(found))

    @rpc
    async def MarkAnswered(
        self, request: pb.MarkAnsweredRequest, context: Context
    ) -> pb.MarkAnsweredResponse:
        view = await self._h.mark_answered(
            actor_from_pb(request.actor), request.article_id, request.query, request.ticket_id
        )
        return pb.MarkAnsweredResponse(ticket=ticket_to_pb(view) if view else None)

    @rpc
    async def RateArticle(
        self, request: pb.RateArticleRequest, context: Context
    ) -> pb.RateArticleResponse:
        yes, no = await self._h.rate(
            actor_from_pb(request.actor), request.article_id, request.helpful
        )
        return pb.RateArticleResponse(helpful_yes=yes, helpful_no=no)

    @rpc
    async def GetKnowledgeStats(
        self, request: pb.GetKnowledgeStatsRequest, context: Context
    ) -> pb.GetKnowledgeStatsResponse:
        stats = await self._h.stats(
            actor_from_pb(request.actor), request.site,
            from_timestamp(request.since) if request.HasField("since") else None,
            from_timestamp(request.until) if request.HasField("until") else None,
            request.gap_limit,
        )  # fmt: skip
        return _stats_to_pb(stats)
