"""`/v1/kb`: the knowledge base. Admins (any site, or all) and supervisors (their site)
write articles; staff read their site's, drafts too; tenants read the published ones of
their site, get suggestions for a question, say an article answered it and whether it
helped. Staff see the deflection figures (docs/knowledge-base.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response, status
from maintenance.intake.v1 import knowledge_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.schemas import (
    SuggestionOut,
    TicketOut,
    stamp_of,
    suggestion_out,
    ticket_out,
    time_of,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/kb", tags=["knowledge base"])

ArticleId = Annotated[
    str,
    Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]+$", examples=["fee-payment"]),
]
Question = Annotated[str, Query(min_length=1, max_length=500, description="The question")]
_TEXT, _BODY = 200, 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArticleIn(_Strict):
    """`title`/`body` (Markdown) are Chinese for `zh-CN` and `both`, English for `en`;
    `title_en`/`body_en` are the English text of a bilingual article (locale `both`, the
    default when they are given). `site` null means every site (admins only)."""

    title: str = Field(min_length=1, max_length=_TEXT, examples=["物业费的缴纳方式"])
    body: str = Field(min_length=1, max_length=_BODY)
    title_en: str = Field(default="", max_length=_TEXT)
    body_en: str = Field(default="", max_length=_BODY)
    category: str = Field(default="", max_length=64, examples=["fees"])
    tags: list[str] = Field(default_factory=list, max_length=20)
    locale: Literal["zh-CN", "en", "both"] | None = None
    site: str | None = Field(default=None, min_length=1, max_length=64)
    published: bool = False


class ArticleOut(BaseModel):
    article_id: str
    title: str
    body: str
    title_en: str
    body_en: str
    category: str
    tags: list[str]
    locale: str
    site: str | None
    published: bool
    updated_by: str
    updated_at: datetime | None
    created_at: datetime | None
    #: Tenants' reads.
    views: int
    helpful_yes: int
    helpful_no: int


class ArticleList(BaseModel):
    items: list[ArticleOut]
    next_cursor: str | None


class SuggestionList(BaseModel):
    items: list[SuggestionOut]


class AnsweredIn(_Strict):
    """`query`: the question the article answered before any ticket; `ticket_id`: the
    tenant's inquiry it answered, which then leaves the queue (cancelled, reason
    `answered_by_article`). One of the two."""

    query: str = Field(default="", max_length=500)
    ticket_id: str = Field(default="", max_length=64)


class AnsweredOut(BaseModel):
    ticket: TicketOut | None


class FeedbackIn(_Strict):
    helpful: bool


class FeedbackOut(BaseModel):
    helpful_yes: int
    helpful_no: int


class GapOut(BaseModel):
    ticket_id: str
    query: str
    suggested: list[str]
    asked_at: datetime


class StatsOut(BaseModel):
    """Tenants' questions over [since, until): answered by an article (before a ticket, or
    after, closing the inquiry) or gone on to a person; deflection rate = answered / all.
    `gaps` are inquiries that became tickets although articles were suggested."""

    since: datetime
    until: datetime
    answered_before_ticket: int
    answered_after_ticket: int
    went_on_to_ticket: int
    deflection_rate: float
    gaps: list[GapOut]


def _out(a: pb.Article) -> ArticleOut:
    return ArticleOut(
        article_id=a.article_id, title=a.title, body=a.body, title_en=a.title_en,
        body_en=a.body_en, category=a.category, tags=list(a.tags), locale=a.locale,
        site=a.site or None, published=a.published, updated_by=a.updated_by,
        updated_at=time_of(a.updated_at) if a.HasField("updated_at") else None,
        created_at=time_of(a.created_at) if a.HasField("created_at") else None,
        views=a.views, helpful_yes=a.helpful_yes, helpful_no=a.helpful_no,
    )  # fmt: skip


@router.put("/articles/{article_id}", response_model=ArticleOut, summary="Write an article")
async def put_article(
    article_id: ArticleId, body: ArticleIn, caller: Caller, response: Response
) -> ArticleOut:
    """201 when the article is new, 200 when it was changed."""
    reply = await caller.knowledge.PutArticle(
        pb.PutArticleRequest(actor=caller.actor(), article=pb.Article(
            article_id=article_id, title=body.title, body=body.body, title_en=body.title_en,
            body_en=body.body_en, category=body.category, tags=body.tags,
            locale=body.locale or "", site=body.site or "", published=body.published,
        )),
        **caller.opts,
    )  # fmt: skip
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    return _out(reply.article)


@router.get("/articles", response_model=ArticleList, summary="List articles")
async def list_articles(
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    order_by: Annotated[Literal["updated", "views", "helpful"], Query()] = "updated",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str, Query(max_length=20)] = "",
) -> ArticleList:
    """Newest change first, or most read (`order_by=views`) or most helpful first."""
    reply = await caller.knowledge.ListArticles(
        pb.ListArticlesRequest(actor=caller.actor(), site=site, category=category,
                               order_by=order_by, page_size=limit, page_token=cursor),
        **caller.opts,
    )  # fmt: skip
    return ArticleList(
        items=[_out(a) for a in reply.articles], next_cursor=reply.next_page_token or None
    )


@router.get("/articles/{article_id}", response_model=ArticleOut, summary="An article")
async def get_article(article_id: ArticleId, caller: Caller) -> ArticleOut:
    """A tenant's read counts as a view."""
    reply = await caller.knowledge.GetArticle(
        pb.GetArticleRequest(actor=caller.actor(), article_id=article_id), **caller.opts
    )
    return _out(reply.article)


@router.get("/suggest", response_model=SuggestionList, summary="Articles answering a question")
async def suggest(
    q: Question,
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=10)] = 5,
) -> SuggestionList:
    """The published articles that best answer `q` (Chinese or English), best first."""
    reply = await caller.knowledge.SuggestArticles(
        pb.SuggestArticlesRequest(actor=caller.actor(), query=q, site=site, limit=limit),
        **caller.opts,
    )
    return SuggestionList(items=[suggestion_out(s) for s in reply.suggestions])


@router.post(
    "/articles/{article_id}/answered",
    response_model=AnsweredOut,
    summary="A tenant says the article answered their question",
)
async def mark_answered(article_id: ArticleId, body: AnsweredIn, caller: Caller) -> AnsweredOut:
    reply = await caller.knowledge.MarkAnswered(
        pb.MarkAnsweredRequest(actor=caller.actor(), article_id=article_id, query=body.query,
                               ticket_id=body.ticket_id),
        **caller.opts,
    )  # fmt: skip
    return AnsweredOut(ticket=ticket_out(reply.ticket) if reply.HasField("ticket") else None)


@router.post(
    "/articles/{article_id}/feedback", response_model=FeedbackOut, summary="Was this helpful?"
)
async def feedback(article_id: ArticleId, body: FeedbackIn, caller: Caller) -> FeedbackOut:
    """One answer per reader: a second one replaces the first."""
    reply = await caller.knowledge.RateArticle(
        pb.RateArticleRequest(actor=caller.actor(), article_id=article_id, helpful=body.helpful),
        **caller.opts,
    )
    return FeedbackOut(helpful_yes=reply.helpful_yes, helpful_no=reply.helpful_no)


@router.get("/stats", response_model=StatsOut, summary="Deflection rate and the gaps")
async def stats(
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[datetime | None, Query(description="Default: 30 days before until")] = None,
    until: Annotated[datetime | None, Query(description="Default: now")] = None,
    gaps: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StatsOut:
    """Admins, supervisors and dispatchers (their site)."""
    request = pb.GetKnowledgeStatsRequest(actor=caller.actor(), site=site, gap_limit=gaps)
    if since is not None:
        request.since.CopyFrom(stamp_of(since))
    if until is not None:
        request.until.CopyFrom(stamp_of(until))
    r = await caller.knowledge.GetKnowledgeStats(request, **caller.opts)
    return StatsOut(
        since=time_of(r.since),
        until=time_of(r.until),
        answered_before_ticket=r.answered_before_ticket,
        answered_after_ticket=r.answered_after_ticket,
        went_on_to_ticket=r.went_on_to_ticket,
        deflection_rate=r.deflection_rate,
        gaps=[GapOut(ticket_id=g.ticket_id, query=g.query, suggested=list(g.suggested),
                     asked_at=time_of(g.asked_at)) for g in r.gaps],
    )  # fmt: skip
