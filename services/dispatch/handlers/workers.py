"""The due-work loop: expire offers, route tickets, deliver intake calls."""

from __future__ import annotations

from services.common.worker import Worker
from services.dispatch.handlers.delivery import Delivery
from services.dispatch.handlers.offers import Offers
from services.dispatch.handlers.routing import Router

__all__ = ["Workers"]


class Workers:
    """The due-work loop: expire offers, route tickets, deliver intake calls; woken by
    notifications, and polling every `every_s` as well."""

    def __init__(self, offers: Offers, router: Router, delivery: Delivery) -> None:
        self.offers = offers
        self.router = router
        self.delivery = delivery
        self._worker = Worker()

    def wake(self) -> None:
        """Work was queued: look now rather than at the next poll."""
        self._worker.wake()

    async def run_once(self) -> int:
        """One pass over everything due; returns how many items were taken."""
        return (
            await self.offers.expire_due()
            + await self.router.route_due()
            + await self.delivery.deliver_due()
        )

    async def run_forever(self, every_s: float) -> None:
        """Work whenever woken and every `every_s`; after a pass that took something, at
        once again (more may be due already: pages, then the assignment)."""
        await self._worker.run_forever(self.run_once, every_s, "dispatch work")
