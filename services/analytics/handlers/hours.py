"""Which business hours each ticket is measured in: the SLA service's policies and
calendars, asked for now and then and kept in memory, and the rule the SLA service times
tickets by (`services.common.policy_choice`). While the SLA service has never answered,
no ticket has business hours (its business-hours durations stay absent, not wrong); after
that the last answer is kept until a newer one comes.
"""

from __future__ import annotations

import asyncio
import logging

from services.analytics.adapters.sla_client import SlaConfig, SlaConfigPort
from services.analytics.domain.business import Clock
from services.analytics.domain.errors import Unavailable
from services.analytics.domain.ticket import Facts
from services.common.policy_choice import calendar_for, choose_policy

__all__ = ["BusinessHours"]

log = logging.getLogger(__name__)


class BusinessHours:
    """The SLA service's configuration as last heard, and each ticket's clock by it."""

    def __init__(self, sla: SlaConfigPort) -> None:
        self._sla = sla
        self._config: SlaConfig | None = None

    async def refresh(self) -> None:
        """Ask the SLA service again; keep what was known when it does not answer."""
        try:
            self._config = await self._sla.config()
        except Unavailable as exc:
            known = "keeping the last calendars" if self._config else "no business hours yet"
            log.warning("%s; %s", exc, known)

    async def run(self, every_s: float, retry_s: float = 5.0) -> None:
        """Refresh forever: every `every_s`, or every `retry_s` while nothing is known yet
        (so a start before the SLA service's leaves few tickets without business hours).
        The follower never waits for the SLA service."""
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("reading the SLA calendars failed; will try again")
            await asyncio.sleep(every_s if self._config is not None else retry_s)

    def clock_for(self, facts: Facts) -> Clock | None:
        """The clock the SLA service times a ticket with these facts by; None when no
        policy applies or the SLA service has not answered yet."""
        if self._config is None:
            return None
        policy = choose_policy(self._config.policies, facts.site, facts.kind,
                               facts.category, facts.priority)  # fmt: skip
        if policy is None:
            return None
        return Clock(calendar_for(policy, facts.site, self._config.calendars))
