"""The knowledge base: articles that answer tenants' common questions, who may write and
read them, and the deflection figure (questions an article answered instead of a person)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from services.intake.domain.creation import check_text
from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.lifecycle import apply_action
from services.intake.domain.model import CATEGORIES, Action, Actor, Kind, NewEvent, Role, Ticket
from services.intake.domain.search_text import Terms, document_terms

__all__ = [
    "ANSWERED_BY_ARTICLE",
    "ARTICLE_LOCALES",
    "ORDERS",
    "Article",
    "KnowledgeGap",
    "KnowledgeStats",
    "Suggestion",
    "answer_inquiry",
    "check_article",
    "check_may_edit",
    "check_query",
    "may_read",
    "reading_site",
    "stats_site",
    "title_for",
]

#: The reason an inquiry ticket is cancelled with when an article answered it.
ANSWERED_BY_ARTICLE = "answered_by_article"
ARTICLE_LOCALES = frozenset({"zh-CN", "en", "both"})
#: How a list of articles may be ordered: newest change, most views, most found helpful.
ORDERS = frozenset({"updated", "views", "helpful"})
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
_TAG = re.compile(r"^[^\s,]{1,40}$")
_TITLE, _BODY, _TAGS, _QUERY = 200, 20_000, 20, 500
_EDITORS = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SYSTEM})
_EVERYWHERE = frozenset({Role.ADMIN, Role.SYSTEM})
_STATS = frozenset({Role.SUPERVISOR, Role.DISPATCHER})


@dataclass(frozen=True, slots=True)
class Article:
    """An answer to a common question. `title`/`body` (Markdown) are Chinese for zh-CN and
    both, English for en; `title_en`/`body_en` are the English text of a bilingual one.
    `site` "" means every site."""

    id: str
    title: str
    body: str
    title_en: str = ""
    body_en: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    locale: str = ""
    site: str = ""
    published: bool = False
    updated_by: str = ""
    updated_at: datetime | None = None
    created_at: datetime | None = None
    views: int = 0
    helpful_yes: int = 0
    helpful_no: int = 0

    def search_fields(self) -> dict[str, Terms]:
        """Search terms by weight: title A, tags B, category C, body D."""
        names = CATEGORIES.get(self.category, ("", "", None))
        return {
            "A": document_terms(f"{self.title}\n{self.title_en}"),
            "B": document_terms(" ".join(self.tags)),
            "C": document_terms(f"{names[0]} {names[1]}"),
            "D": document_terms(f"{self.body}\n{self.body_en}"),
        }


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An article offered for a question, with its search score (higher is better)."""

    article_id: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class KnowledgeGap:
    """An inquiry that became a ticket although articles were suggested for it."""

    ticket_id: str
    query: str
    suggested: tuple[str, ...]
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class KnowledgeStats:
    """What became of tenants' questions over [since, until)."""

    since: datetime
    until: datetime
    answered_before_ticket: int
    answered_after_ticket: int
    went_on_to_ticket: int
    gaps: tuple[KnowledgeGap, ...] = ()

    @property
    def deflection_rate(self) -> float:
        """Answered by an article / all offered (0 when nothing was offered)."""
        answered = self.answered_before_ticket + self.answered_after_ticket
        offered = answered + self.went_on_to_ticket
        return answered / offered if offered else 0.0


def check_article(article: Article) -> Article:
    """The article with its text stripped, its tags tidied and its locale settled;
    InvalidInput names the first problem."""
    if not _ID.match(article.id):
        raise InvalidInput("article_id must be 2-64 lower-case letters, digits or '-'")
    locale = article.locale or ("both" if article.title_en or article.body_en else "zh-CN")
    if locale not in ARTICLE_LOCALES:
        raise InvalidInput(f"locale must be one of {', '.join(sorted(ARTICLE_LOCALES))}")
    bilingual = locale == "both"
    title = check_text("title", article.title, _TITLE, required=True)
    body = check_text("body", article.body, _BODY, required=True)
    title_en = check_text("title_en", article.title_en, _TITLE, required=bilingual)
    body_en = check_text("body_en", article.body_en, _BODY, required=bilingual)
    if not bilingual and (title_en or body_en):
        raise InvalidInput("title_en and body_en go with locale 'both'")
    if article.category and article.category not in CATEGORIES:
        raise InvalidInput(
            f"unknown category {article.category[:40]!r}; known: {', '.join(CATEGORIES)}"
        )
    tags = tuple(dict.fromkeys(t.strip().lower() for t in article.tags if t.strip()))
    if len(tags) > _TAGS or not all(_TAG.match(t) and t.isprintable() for t in tags):
        raise InvalidInput(f"at most {_TAGS} tags of 1-40 characters without spaces or commas")
    return replace(article, title=title, body=body, title_en=title_en, body_en=body_en,
                   tags=tags, locale=locale)  # fmt: skip


def check_may_edit(actor: Actor, site: str) -> None:
    """Admins write articles for any site or all; supervisors for their own site."""
    if actor.role in _EVERYWHERE or (actor.role in _EDITORS and site and site == actor.site):
        return
    where = f"site {site!r}" if site else "all sites"
    raise Forbidden(f"a {actor.role.value} may not change the articles of {where}")


def may_read(actor: Actor, article: Article) -> bool:
    """Admins read everything; staff their site's articles and those for all sites, drafts
    too; tenants only the published ones of those."""
    if actor.role in _EVERYWHERE:
        return True
    if article.site not in ("", actor.site):
        return False
    return article.published or actor.role is not Role.TENANT


def reading_site(actor: Actor, site: str) -> str | None:
    """The site whose articles (with those for all sites) the actor reads when asking for
    `site`; None is every site (admins asking for none). Others read their own site only."""
    if actor.role in _EVERYWHERE:
        return site or None
    if site and site != actor.site:
        raise Forbidden(f"a {actor.role.value} reads the articles of their own site only")
    return actor.site


def stats_site(actor: Actor, site: str) -> str:
    """The site whose questions the actor may count ("" for all, admins only)."""
    if actor.role in _EVERYWHERE:
        return site
    if actor.role not in _STATS:
        raise Forbidden(f"a {actor.role.value} may not read knowledge-base figures")
    if site and site != actor.site:
        raise Forbidden(f"a {actor.role.value} reads the figures of their own site only")
    return actor.site


def check_query(query: str) -> str:
    """A question to search for: not empty, at most 500 characters, no control characters."""
    return check_text("q", query, _QUERY, required=True)


def title_for(article: Article, question: Terms) -> str:
    """The title in the question's language (`query_terms` of it): English for a question
    without Chinese."""
    if article.title_en and not question.characters:
        return article.title_en
    return article.title


def answer_inquiry(ticket: Ticket, actor: Actor, article_id: str, now: datetime) -> list[NewEvent]:
    """The tenant who raised an inquiry says an article answered it: the ticket is
    cancelled with the reason `answered_by_article` (so it leaves the queue), as a tenant
    may cancel a ticket nobody has started on. Returns the events to record."""
    if ticket.kind is not Kind.INQUIRY:
        raise InvalidInput(f"ticket {ticket.number} is a {ticket.kind.value}, not an inquiry")
    if actor.role is not Role.TENANT or ticket.requester != actor.username:
        raise Forbidden("only the tenant who asked may say an article answered it")
    events = apply_action(ticket, actor, Action.CANCEL, now, reason=ANSWERED_BY_ARTICLE,
                          note=f"answered by article {article_id}")  # fmt: skip
    events[0].payload.update(article_id=article_id)
    return events
