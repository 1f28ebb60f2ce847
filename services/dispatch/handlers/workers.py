"""The due-work loop: expire offers, route tickets, deliver intake calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.dispatch.handlers.delivery import Delivery
from services.dispatch.handlers.offers import Offers
from services.dispatch.handlers.routing import Router

__all__ = ["Workers"]

log = logging.getLogger(__name__)


class Workers:
    """The due-work loop: expire offers, route tickets, deliver intake calls; woken by
    notifications, and polling every `every_s` as well."""

    def __init__(self, offers: Offers, router: Router, delivery: Delivery) -> None:
        self.offers = offers
        self.router = router
        self.delivery = delivery
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_once(self) -> int:
        """One pass over everything due; returns how many items were taken."""
        return (
            await self.offers.expire_due()
            + await self.router.route_due()
            + await self.delivery.deliver_due()
        )

    async def run_forever(self, every_s: float) -> None:
        while True:
            self._wake.clear()
            try:
                if await self.run_once():
                    continue  # more may be due already (pages, then the assignment)
            except Exception:
                log.exception("dispatch work failed; will try again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), every_s)
