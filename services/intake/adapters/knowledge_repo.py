"""Knowledge-base articles, their search index, feedback and the questions they were
offered for (schema intake; docs/knowledge-base.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.intake.domain.knowledge import Article, KnowledgeGap, KnowledgeStats, Suggestion
from services.intake.domain.search_text import Terms

__all__ = ["ArticleQuery", "KnowledgeRepository"]

#: Every article with its "was this helpful?" counts (h.helpful_yes, h.helpful_no).
_FROM = (
    "intake.kb_articles a CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE f.helpful)"
    " AS helpful_yes, count(*) FILTER (WHERE NOT f.helpful) AS helpful_no"
    " FROM intake.kb_feedback f WHERE f.article_id = a.id) h"
)
_COLUMNS = (
    "a.id, a.title, a.body, a.title_en, a.body_en, a.category, a.tags, a.locale,"
    " coalesce(a.site, '') AS site, a.published, a.updated_by, a.updated_at, a.created_at,"
    " a.views, h.helpful_yes, h.helpful_no"
)
_ORDERS = {
    "updated": "a.updated_at DESC, a.id",
    "views": "a.views DESC, a.id",
    "helpful": "h.helpful_yes - h.helpful_no DESC, h.helpful_yes DESC, a.id",
}
#: ts_rank's weights for D (body), C (category), B (tags) and A (title).
_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"
#: A question's single characters count this much beside its words and character pairs.
_CHARACTER_WEIGHT = 0.1
# The OR of every lexeme of a text: 'english' stems words and drops stop words.
_OR_QUERY = (
    "(SELECT string_agg(quote_literal(lexeme), ' | ')::tsquery"
    " FROM unnest(to_tsvector('english', %s) || to_tsvector('simple', %s)))"
)


def _vector_part(weight: str) -> str:
    return (
        f"setweight(to_tsvector('english', %({weight}w)s)"
        f" || to_tsvector('simple', %({weight}c)s), '{weight}')"
    )


_VECTOR = " || ".join(_vector_part(w) for w in "ABCD")


def _article(row: dict[str, Any]) -> Article:
    return Article(**{**row, "tags": tuple(row["tags"])})


@dataclass(frozen=True, slots=True)
class ArticleQuery:
    """Which articles a list holds: `site`'s and those for all sites (None: every site),
    drafts too unless `published_only`, of one category or all ("")."""

    site: str | None
    published_only: bool
    category: str = ""


class KnowledgeRepository:
    """Reads and writes of the knowledge base on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def get(self, article_id: str, *, for_update: bool = False) -> Article | None:
        lock = " FOR UPDATE OF a" if for_update else ""
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE a.id = %(id)s{lock}",
            {"id": article_id},
        )
        return _article(rows[0]) if rows else None

    async def put(self, article: Article, by: str, now: datetime) -> bool:
        """Insert or replace the article and its search terms; True when it is new."""
        params: dict[str, Any] = {
            "id": article.id, "title": article.title, "body": article.body,
            "title_en": article.title_en, "body_en": article.body_en,
            "category": article.category, "tags": list(article.tags), "locale": article.locale,
            "site": article.site or None, "published": article.published, "by": by, "now": now,
        }  # fmt: skip
        for weight, terms in article.search_fields().items():
            params[f"{weight}w"] = " ".join(terms.words)
            params[f"{weight}c"] = " ".join(terms.chinese)
        rows = await self._rows(
            "INSERT INTO intake.kb_articles (id, title, body, title_en, body_en, category, tags,"
            " locale, site, published, search, created_at, updated_at, updated_by)"
            " VALUES (%(id)s, %(title)s, %(body)s, %(title_en)s, %(body_en)s, %(category)s,"
            f" %(tags)s, %(locale)s, %(site)s, %(published)s, {_VECTOR}, %(now)s, %(now)s, %(by)s)"
            " ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body,"
            " title_en = EXCLUDED.title_en, body_en = EXCLUDED.body_en,"
            " category = EXCLUDED.category, tags = EXCLUDED.tags, locale = EXCLUDED.locale,"
            " site = EXCLUDED.site, published = EXCLUDED.published, search = EXCLUDED.search,"
            " updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by"
            " RETURNING (xmax = 0) AS created",
            params,
        )
        return bool(rows[0]["created"])

    async def count_view(self, article_id: str) -> None:
        await self._conn.execute(
            "UPDATE intake.kb_articles SET views = views + 1 WHERE id = %s", (article_id,)
        )

    async def page(
        self, which: ArticleQuery, order_by: str, limit: int, offset: int
    ) -> list[Article]:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM {_FROM}"
            " WHERE (%(site)s::text IS NULL OR a.site IS NULL OR a.site = %(site)s)"
            " AND (a.published OR NOT %(published_only)s)"
            " AND (%(category)s = '' OR a.category = %(category)s)"
            f" ORDER BY {_ORDERS[order_by]} LIMIT %(limit)s OFFSET %(offset)s",
            {"site": which.site, "published_only": which.published_only,
             "category": which.category, "limit": limit, "offset": offset},
        )  # fmt: skip
        return [_article(r) for r in rows]

    async def search(
        self, terms: Terms, site: str | None, limit: int
    ) -> list[tuple[Article, float]]:
        """The published articles of `site` (and of all sites; None: of every site) matching any of `terms`,
        best first, with their ts_rank (length-normalised, weighted by field)."""
        terms_q = _OR_QUERY % ("%(words)s", "%(chinese)s")
        characters_q = _OR_QUERY % ("''", "%(characters)s")
        rows = await self._rows(
            f"SELECT {_COLUMNS}, coalesce(ts_rank(%(weights)s, a.search, q.terms, 1), 0)"
            f" + %(cw)s * coalesce(ts_rank(%(weights)s, a.search, q.characters, 1), 0) AS score"
            f" FROM {_FROM}, (SELECT {terms_q} AS terms, {characters_q} AS characters) q"
            " WHERE a.published AND (%(site)s::text IS NULL OR a.site IS NULL OR a.site = %(site)s)"
            " AND (a.search @@ q.terms OR a.search @@ q.characters)"
            " ORDER BY score DESC, a.id LIMIT %(limit)s",
            {"weights": _WEIGHTS, "words": " ".join(terms.words),
             "chinese": " ".join(terms.chinese), "characters": " ".join(terms.characters),
             "cw": _CHARACTER_WEIGHT, "site": site, "limit": limit},
        )  # fmt: skip
        return [(_article({k: v for k, v in r.items() if k != "score"}), r["score"]) for r in rows]

    async def rate(self, article_id: str, username: str, helpful: bool, now: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO intake.kb_feedback (article_id, username, helpful, at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (article_id, username)"
            " DO UPDATE SET helpful = EXCLUDED.helpful, at = EXCLUDED.at",
            (article_id, username, helpful, now),
        )

    async def record_inquiry(
        self, site: str, username: str, query: str, ticket_id: str,
        suggested: Sequence[Suggestion], now: datetime,
    ) -> None:  # fmt: skip
        """A tenant's inquiry ticket, with the articles it was offered."""
        await self._conn.execute(
            "INSERT INTO intake.kb_inquiries (site, username, query, ticket_id, suggested,"
            " outcome, asked_at) VALUES (%s, %s, %s, %s, %s, 'ticket', %s)"
            " ON CONFLICT (ticket_id) DO NOTHING",
            (site, username, query, ticket_id, [s.article_id for s in suggested], now),
        )

    async def record_answered(
        self, site: str, username: str, query: str, article_id: str, ticket_id: str | None,
        now: datetime,
    ) -> None:  # fmt: skip
        """An article answered a question (before any ticket, or the inquiry `ticket_id`)."""
        await self._conn.execute(
            "INSERT INTO intake.kb_inquiries (site, username, query, ticket_id, outcome,"
            " article_id, asked_at, answered_at) VALUES (%s, %s, %s, %s, 'answered', %s, %s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET outcome = 'answered',"
            " article_id = EXCLUDED.article_id, answered_at = EXCLUDED.answered_at",
            (site, username, query, ticket_id, article_id, now, now),
        )

    async def stats(
        self, site: str, since: datetime, until: datetime, gap_limit: int
    ) -> KnowledgeStats:
        """What became of the questions asked in [since, until) at `site` ("" for all)."""
        where = (
            " FROM intake.kb_inquiries WHERE (%(site)s = '' OR site = %(site)s)"
            " AND asked_at >= %(since)s AND asked_at < %(until)s"
        )
        params = {"site": site, "since": since, "until": until, "limit": gap_limit}
        counts = await self._rows(
            "SELECT count(*) FILTER (WHERE outcome = 'answered' AND ticket_id IS NULL) AS b,"
            " count(*) FILTER (WHERE outcome = 'answered' AND ticket_id IS NOT NULL) AS a,"
            f" count(*) FILTER (WHERE outcome = 'ticket') AS t{where}",
            params,
        )
        gaps = await self._rows(
            f"SELECT ticket_id::text, query, suggested, asked_at{where}"
            " AND outcome = 'ticket' AND cardinality(suggested) > 0"
            " ORDER BY asked_at DESC, id DESC LIMIT %(limit)s",
            params,
        )
        c = counts[0]
        return KnowledgeStats(
            since, until, c["b"], c["a"], c["t"],
            tuple(KnowledgeGap(g["ticket_id"], g["query"], tuple(g["suggested"]), g["asked_at"])
                  for g in gaps),
        )  # fmt: skip
