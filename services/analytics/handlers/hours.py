"""Which business hours each ticket is measured in: the SLA service's policies and
calendars, asked for now and then and kept in memory, and the rule the SLA service times
tickets by (`services.common.policy_choice`). While the SLA service has never answered,
no ticket has business hours (its business-hours durations stay absent, not wrong); after
that the last answer is kept until a newer one comes.
"""

from __future__ import annotations

import logging
import time

from services.analytics.adapters.sla_client import SlaConfig, SlaConfigPort
from services.analytics.domain.business import Clock
from services.analytics.domain.errors import Unavailable
from services.analytics.domain.ticket import Facts
from services.common.policy_choice import calendar_for, choose_policy

__all__ = ["BusinessHours"]

log = logging.getLogger(__name__)


class BusinessHours:
    """The SLA service's configuration as last heard, and each ticket's clock by it."""

    def __init__(self, sla: SlaConfigPort, retry_s: float = 60.0) -> None:
        self._sla = sla
        self._retry_s = retry_s
        self._config: SlaConfig | None = None
        self._next_try = 0.0

    async def refresh(self) -> None:
        """Ask the SLA service again; keep what was known when it does not answer."""
        self._next_try = time.monotonic() + self._retry_s
        try:
            self._config = await self._sla.config()
        except Unavailable as exc:
            known = "keeping the last calendars" if self._config else "no business hours yet"
            log.warning("%s; %s", exc, known)

    async def ensure(self) -> None:
        """Refresh when nothing is known yet and the last try is a while ago (the follower
        calls this before each batch, so the first tickets after a start are not left
        without business hours)."""
        if self._config is None and time.monotonic() >= self._next_try:
            await self.refresh()

    def clock_for(self, facts: Facts) -> Clock | None:
        """The clock the SLA service times a ticket with these facts by; None when no
        policy applies or the SLA service has not answered yet."""
        if self._config is None:
            return None
        policy = choose_policy(self._config.policies, facts.kind, facts.category,
                               facts.priority)  # fmt: skip
        if policy is None:
            return None
        return Clock(calendar_for(policy, facts.site, self._config.calendars))
