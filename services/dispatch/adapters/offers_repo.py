"""SQL for offers of the claim mode (抢单).

States: open -> claiming (one claim in flight, leased until `claim_until`) -> claimed, or
back to open when intake could not be reached; open -> expired when nobody claimed in time
(the ticket falls back to assignment); open or claiming -> closed when the ticket was taken
another way. The single-row UPDATE from open to claiming is what makes exactly one of two
simultaneous claims go ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

__all__ = ["OfferRow", "OffersRepository"]

_COLUMNS = (
    "ticket_id, site, team, offered_to, summary, offered_at, expires_at, state, claimant,"
    " claim_until, claimed_by"
)


@dataclass(frozen=True, slots=True)
class OfferRow:
    ticket_id: str
    site: str
    team: str
    offered_to: tuple[str, ...]
    summary: dict[str, str]
    offered_at: datetime
    expires_at: datetime
    state: str
    claimant: str | None
    claim_until: datetime | None
    claimed_by: str | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OfferRow:
        return cls(**{**row, "offered_to": tuple(row["offered_to"])})


class OffersRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: Sequence[Any]) -> list[OfferRow]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return [OfferRow.from_row(r) for r in await cur.fetchall()]

    async def put(
        self,
        ticket_id: str,
        site: str,
        team: str,
        offered_to: Sequence[str],
        summary: dict[str, str],
        offered_at: datetime,
        expires_at: datetime,
    ) -> None:
        """Open an offer; it replaces any earlier offer of the same ticket."""
        await self._conn.execute(
            f"INSERT INTO dispatch.offers ({_COLUMNS}) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, 'open', NULL, NULL, NULL)"
            " ON CONFLICT (ticket_id) DO UPDATE SET site = EXCLUDED.site, team = EXCLUDED.team,"
            " offered_to = EXCLUDED.offered_to, summary = EXCLUDED.summary,"
            " offered_at = EXCLUDED.offered_at, expires_at = EXCLUDED.expires_at, state = 'open',"
            " claimant = NULL, claim_until = NULL, claimed_by = NULL, updated_at = now()",
            (ticket_id, site, team, list(offered_to), Jsonb(summary), offered_at, expires_at),
        )

    async def get(self, ticket_id: str) -> OfferRow | None:
        rows = await self._rows(
            f"SELECT {_COLUMNS} FROM dispatch.offers WHERE ticket_id = %s", (ticket_id,)
        )
        return rows[0] if rows else None

    async def open_offers(self, site: str, username: str, now: datetime) -> list[OfferRow]:
        """Open, unexpired offers at `site` (to `username` only, unless it is empty)."""
        return await self._rows(
            f"SELECT {_COLUMNS} FROM dispatch.offers WHERE state = 'open' AND expires_at > %s"
            " AND (site = %s OR %s = '') AND (%s = ANY(offered_to) OR %s = '')"
            " ORDER BY offered_at, ticket_id LIMIT 500",
            (now, site, site, username, username),
        )

    async def begin_claim(
        self, ticket_id: str, username: str, now: datetime, claim_until: datetime
    ) -> OfferRow | None:
        """Open -> claiming for `username`, if the offer is open, unexpired and theirs."""
        rows = await self._rows(
            "UPDATE dispatch.offers SET state = 'claiming', claimant = %s, claim_until = %s,"
            " updated_at = now() WHERE ticket_id = %s AND state = 'open' AND expires_at > %s"
            f" AND %s = ANY(offered_to) RETURNING {_COLUMNS}",
            (username, claim_until, ticket_id, now, username),
        )
        return rows[0] if rows else None

    async def end_claim(self, ticket_id: str, username: str, won: bool) -> None:
        """The claim went through (claimed) or intake could not be reached (open again)."""
        if won:
            query = (
                "UPDATE dispatch.offers SET state = 'claimed', claimed_by = %s, updated_at = now()"
                " WHERE ticket_id = %s AND state IN ('claiming', 'open', 'claimed')"
            )
            await self._conn.execute(query, (username, ticket_id))
        else:
            await self._conn.execute(
                "UPDATE dispatch.offers SET state = 'open', claimant = NULL, claim_until = NULL,"
                " updated_at = now() WHERE ticket_id = %s AND state = 'claiming'"
                " AND claimant = %s",
                (ticket_id, username),
            )

    async def settle(self, ticket_id: str, assignee: str | None, claimed: bool) -> None:
        """The ticket was claimed by (or assigned to) someone: a live offer ends."""
        if claimed and assignee:
            await self.end_claim(ticket_id, assignee, won=True)
            return
        await self._conn.execute(
            "UPDATE dispatch.offers SET state = 'closed', updated_at = now()"
            " WHERE ticket_id = %s AND state IN ('open', 'claiming')",
            (ticket_id,),
        )

    async def expire_due(self, now: datetime, limit: int) -> list[OfferRow]:
        """Offers nobody claimed in time (and claims whose lease ran out), now expired."""
        return await self._rows(
            "WITH due AS (SELECT ticket_id FROM dispatch.offers WHERE"
            " (state = 'open' AND expires_at <= %s) OR (state = 'claiming' AND claim_until <= %s)"
            " ORDER BY expires_at LIMIT %s FOR UPDATE SKIP LOCKED)"
            " UPDATE dispatch.offers o SET state = 'expired', updated_at = now() FROM due"
            " WHERE o.ticket_id = due.ticket_id"
            " RETURNING " + ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(",")),
            (now, now, limit),
        )
