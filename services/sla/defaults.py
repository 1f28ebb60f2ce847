"""Default policies and calendars, after the field's examples; stored when there are none.

- P1 (emergencies), round the clock: accept within 15 minutes, resolve within 4 hours; not
  accepted in time escalates to the supervisors, not resolved to management.
- P2, round the clock: accept within 2 hours (else remind the supervisors), resolve within
  24 hours (else escalate to management as a major issue).
- P3 and P4 in business hours of the ticket's site (Monday to Friday, 08:30-12:00 and
  13:30-18:00 Beijing time, so a business day is 8 hours): accept within 4 or 8 hours,
  resolve within 3 or 5 business days.
- Planned maintenance (kind `maintenance`, P3 as it opens): accept within a business day,
  done within ten; late work escalates to the supervisors.

Every policy reminds the assigned technician and the dispatchers at 80 % of a target.
The holidays are examples (fixed-date public holidays); load each year's official
schedule through `PUT /v1/sla/calendars/{id}`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from psycopg_pool import AsyncConnectionPool

from services.common.business_time import Calendar, WorkingInterval
from services.sla.adapters.config_repo import ConfigRepository
from services.sla.domain.calendar import validate_calendar
from services.sla.domain.policy import EscalationLevel, Policy, Target, validate_policy

__all__ = ["DEFAULT_CALENDARS", "DEFAULT_POLICIES", "seed_defaults"]

log = logging.getLogger(__name__)

_H = timedelta(hours=1)
_BUSINESS_DAY = 8 * _H
_SHIFTS = ((8 * 60 + 30, 12 * 60), (13 * 60 + 30, 18 * 60))
_HOURS = tuple(WorkingInterval(day, s, e) for day in range(1, 6) for s, e in _SHIFTS)


def _days(year: int, month: int, first: int, last: int) -> list[date]:
    return [date(year, month, d) for d in range(first, last + 1)]


_HOLIDAYS = frozenset(
    d
    for year in (2026, 2027)
    for d in [date(year, 1, 1), *_days(year, 5, 1, 5), *_days(year, 10, 1, 7)]
)

DEFAULT_CALENDARS = (
    Calendar("default", "Asia/Shanghai", _HOURS, _HOLIDAYS, "Office hours (default)"),
    Calendar("demo", "Asia/Shanghai", _HOURS, _HOLIDAYS, "Demo site office hours", "demo"),
)

_REMIND = ("assignee", "role:dispatcher")
_SUPERVISORS = ("role:supervisor",)
_MANAGEMENT = ("role:admin",)


def _level(target: Target, share: float, notify: tuple[str, ...], action: str) -> EscalationLevel:
    return EscalationLevel(target, notify, action, after_share=share)


DEFAULT_POLICIES = (
    Policy("p1-emergency", 15 * timedelta(minutes=1), 4 * _H, "24x7", priority="P1",
           reminder_share=0.8, remind=_REMIND, name="P1 emergencies, round the clock",
           escalations=(_level(Target.RESPOND, 1.0, _SUPERVISORS, "escalate"),
                        _level(Target.RESOLVE, 1.0, _MANAGEMENT, "major_issue"))),
    Policy("p2-urgent", 2 * _H, 24 * _H, "24x7", priority="P2", reminder_share=0.8,
           remind=_REMIND, name="P2 urgent, round the clock",
           escalations=(_level(Target.RESPOND, 1.0, _SUPERVISORS, "remind_supervisor"),
                        _level(Target.RESOLVE, 1.0, _MANAGEMENT, "major_issue"))),
    Policy("p3-normal", 4 * _H, 3 * _BUSINESS_DAY, "site", priority="P3", reminder_share=0.8,
           remind=_REMIND, name="P3 normal, business hours",
           escalations=(_level(Target.RESPOND, 1.0, _SUPERVISORS, "remind_supervisor"),
                        _level(Target.RESOLVE, 1.0, _SUPERVISORS, "escalate"),
                        _level(Target.RESOLVE, 1.5, _MANAGEMENT, "major_issue"))),
    Policy("p4-low", 8 * _H, 5 * _BUSINESS_DAY, "site", priority="P4", reminder_share=0.8,
           remind=_REMIND, name="P4 low, business hours",
           escalations=(_level(Target.RESPOND, 1.0, _SUPERVISORS, "remind_supervisor"),
                        _level(Target.RESOLVE, 1.0, _SUPERVISORS, "escalate"))),
    Policy("maintenance-planned", _BUSINESS_DAY, 10 * _BUSINESS_DAY, "site", kind="maintenance",
           priority="P3", reminder_share=0.8, remind=_REMIND,
           name="Planned maintenance, business hours",
           escalations=(_level(Target.RESOLVE, 1.0, _SUPERVISORS, "escalate"),)),
)  # fmt: skip


async def seed_defaults(pool: AsyncConnectionPool) -> bool:
    """Store the defaults if no policy exists yet; True when it did. Replicas starting at
    once may both try: each row is written once."""
    async with pool.connection() as conn, conn.transaction():
        repo = ConfigRepository(conn)
        if await repo.policies():
            return False
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sla.seed_defaults'))")
        if await repo.policies():
            return False
        present = [c for c, _ in await repo.calendars()]
        taken = {c.id for c in present} | {c.site for c in present if c.site}
        for calendar in DEFAULT_CALENDARS:
            if calendar.id not in taken and calendar.site not in taken:
                await repo.put_calendar(validate_calendar(calendar))
        calendars = [*DEFAULT_CALENDARS, *present]
        for policy in DEFAULT_POLICIES:
            await repo.put_policy(validate_policy(policy, calendars))
    log.info("stored the default SLA policies and calendars")
    return True
