"""The sites' time zones: asked of intake once per site, kept in `analytics.sites` and in
memory, and compared with intake's now and then. A site whose zone changed has its
summaries counted again, since every figure sits on a local date."""

from __future__ import annotations

import logging
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from services.analytics.adapters.intake_client import IntakePort
from services.analytics.adapters.tickets_repo import SiteRepository
from services.analytics.domain.errors import NotFound

__all__ = ["SiteZones"]

log = logging.getLogger(__name__)

_FALLBACK = "UTC"


class SiteZones:
    """Each site's time zone, as intake has it."""

    def __init__(self, pool: AsyncConnectionPool, intake: IntakePort) -> None:
        self._pool = pool
        self._intake = intake
        self._known: dict[str, str] = {}

    async def ensure(self, conn: AsyncConnection[Any], sites: set[str]) -> None:
        """Make sure each site has a stored zone, inside the caller's transaction: intake is
        asked (for sites not cached) before anything is written, so no write waits on it.
        Every site is stored again (a no-op when unchanged): the cache may hold a site whose
        row a rolled-back transaction never kept."""
        zones = {}
        for site in sorted(sites):
            zone = self._known.get(site) or await self._intake.time_zone(site)
            if zone is None:
                log.warning("intake knows no site %r; counting its tickets in %s", site, _FALLBACK)
            zones[site] = zone or _FALLBACK
        await self._store(conn, zones)

    async def _store(self, conn: AsyncConnection[Any], zones: dict[str, str]) -> None:
        repo = SiteRepository(conn)
        for site, zone in zones.items():
            await repo.put(site, zone)
        self._known.update(zones)

    async def zone(self, site: str) -> str:
        """The site's zone; NotFound when neither this service nor intake knows the site."""
        if site in self._known:
            return self._known[site]
        async with self._pool.connection() as conn:
            self._known.update(await SiteRepository(conn).zones())
        if site not in self._known:
            zone = await self._intake.time_zone(site)
            if zone is None:
                raise NotFound(f"no site {site[:64]!r}")
            async with self._pool.connection() as conn, conn.transaction():
                await self._store(conn, {site: zone})
        return self._known[site]

    async def refresh(self) -> int:
        """Take every site's zone from intake; recount the summaries of each site whose zone
        changed. Returns how many sites were recounted."""
        zones = await self._intake.time_zones()
        recounted = 0
        for site, zone in zones.items():
            async with self._pool.connection() as conn, conn.transaction():
                repo = SiteRepository(conn)
                if await repo.put(site, zone):
                    tickets = await repo.rebuild(site)
                    log.info("site %s is now in %s: recounted %d ticket(s)", site, zone, tickets)
                    recounted += 1
            self._known[site] = zone
        return recounted
