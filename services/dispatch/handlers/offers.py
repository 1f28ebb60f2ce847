"""Claim mode (抢单): technicians claim offered tickets; unclaimed offers fall back.

A claim first moves the offer from open to claiming in one UPDATE, so of two simultaneous
claims exactly one goes on; that one then claims the ticket in intake as the technician,
where intake's row lock settles any race with a dispatcher or another path. An offer nobody
claims within its window expires and routes the ticket to the team's best technician.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from psycopg_pool import AsyncConnectionPool

from services.dispatch import metrics
from services.dispatch.adapters.intake_client import IntakeClient
from services.dispatch.adapters.offers_repo import OfferRow, OffersRepository
from services.dispatch.adapters.work_repo import WorkRepository
from services.dispatch.domain.errors import Conflict, Forbidden, NotFound
from services.dispatch.domain.model import Caller, Mode

__all__ = ["Offers"]

log = logging.getLogger(__name__)


def _refusal(offer: OfferRow | None, username: str, now: datetime) -> Exception | None:
    """Why `username` cannot claim `offer` (None: it is already theirs)."""
    if offer is None:
        return NotFound("this ticket is not on offer")
    if username not in offer.offered_to:
        return Forbidden("this ticket was not offered to you")
    if offer.state == "claimed" and offer.claimed_by == username:
        return None
    if offer.state == "claiming" and offer.claimant == username:
        return Conflict("your claim is being made; look again in a moment")
    if offer.state in ("claiming", "claimed"):
        return Conflict("someone else claimed this ticket first")
    if offer.state == "expired" or offer.expires_at <= now:
        return Conflict("the offer expired; the ticket is being assigned")
    return Conflict("the offer is closed: the ticket was taken")


class Offers:
    def __init__(
        self,
        pool: AsyncConnectionPool,
        intake: IntakeClient,
        clock: Callable[[], datetime],
        lease_s: float = 30.0,
    ) -> None:
        self._pool = pool
        self._intake = intake
        self._clock = clock
        self._lease_s = lease_s

    async def list_offers(self, site: str, username: str = "") -> list[OfferRow]:
        """Open offers at the site; to `username` only when given."""
        async with self._pool.connection() as conn:
            return await OffersRepository(conn).open_offers(site, username, self._clock())

    async def claim(self, caller: Caller, ticket_id: str) -> OfferRow:
        """Claim an offered ticket; Conflict when someone was first or the offer expired."""
        if caller.role != "technician":
            raise Forbidden("only technicians claim offered tickets")
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            repo = OffersRepository(conn)
            offer = await repo.begin_claim(
                ticket_id, caller.username, now, now + timedelta(seconds=self._lease_s)
            )
            current = offer or await repo.get(ticket_id)
        if offer is None:
            refusal = _refusal(current, caller.username, now)
            if refusal is None and current is not None:
                return current  # claimed by this technician already: a retry
            if isinstance(refusal, Conflict):
                metrics.CLAIM_CONFLICTS.inc()
            metrics.CLAIMS.labels("refused").inc()
            raise refusal or NotFound("this ticket is not on offer")
        try:
            await self._intake.claim(ticket_id, caller)
        except Conflict:
            await self._end(ticket_id, caller.username, won=False, closed=True)
            metrics.CLAIM_CONFLICTS.inc()
            metrics.CLAIMS.labels("conflict").inc()
            raise Conflict("the ticket was taken before your claim") from None
        except Exception:
            await self._end(ticket_id, caller.username, won=False)
            metrics.CLAIMS.labels("failed").inc()
            raise
        await self._end(ticket_id, caller.username, won=True)
        metrics.CLAIMS.labels("won").inc()
        log.info("ticket %s claimed by %s", ticket_id, caller.username)
        async with self._pool.connection() as conn:
            await WorkRepository(conn).mark_assigned(ticket_id, caller.username)
            claimed = await OffersRepository(conn).get(ticket_id)
        assert claimed is not None
        return claimed

    async def _end(self, ticket_id: str, username: str, won: bool, closed: bool = False) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            repo = OffersRepository(conn)
            if closed:
                await repo.settle(ticket_id, None, claimed=False)
            else:
                await repo.end_claim(ticket_id, username, won)

    async def expire_due(self, limit: int = 20) -> int:
        """Offers nobody claimed in time go to the team's best technician instead."""
        now = self._clock()
        async with self._pool.connection() as conn, conn.transaction():
            work = WorkRepository(conn)
            expired = await OffersRepository(conn).expire_due(now, limit)
            for offer in expired:
                await work.add_route_job(
                    offer.ticket_id, "offer_expired",
                    f"offer:{offer.ticket_id}:{offer.offered_at.isoformat()}", now,
                    exclude=await work.declined_by(offer.ticket_id),
                    mode=Mode.BEST_TECHNICIAN.value, team=offer.team,
                )  # fmt: skip
        for offer in expired:
            metrics.FALLBACKS.inc()
            log.info("nobody claimed ticket %s in time: assigning it", offer.ticket_id)
        return len(expired)
