"""Which SLA policy a ticket falls under, and which calendar its clocks run on.

The one statement of the rule: the SLA service times tickets by it and analytics measures
business-hours durations by it, so both always agree. It reads only what `Scope` names, so
a matcher added to policies is added here, once. Pure, like `business_time`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

from services.common.business_time import Calendar

__all__ = ["ALWAYS", "SITE_CALENDAR", "PolicyScope", "Scope", "calendar_for", "choose_policy"]

#: Calendar names with a meaning of their own: round the clock, or the calendar of the
#: ticket's site (else the calendar with id "default").
ALWAYS = "24x7"
SITE_CALENDAR = "site"


class Scope(Protocol):
    """What the rule reads of a policy; empty matchers match anything."""

    @property
    def id(self) -> str: ...
    @property
    def site(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def priority(self) -> str: ...
    @property
    def calendar(self) -> str: ...


@dataclass(frozen=True, slots=True)
class PolicyScope:
    """A policy as far as the rule goes (what a service that only measures needs)."""

    id: str
    site: str = ""
    kind: str = ""
    category: str = ""
    priority: str = ""
    calendar: str = ALWAYS


_P = TypeVar("_P", bound=Scope)


def _matchers(p: Scope) -> tuple[str, ...]:
    return p.kind, p.category, p.priority


def choose_policy(
    policies: Iterable[_P], site: str, kind: str, category: str, priority: str
) -> _P | None:
    """The policy for a ticket at `site`: the site's own matching policies go before the
    defaults (site ""), then the most specific one (the most matchers set; ties go to the
    smallest id); None when none matches, and the ticket is not timed."""
    ticket = (kind, category, priority)
    found = [
        p for p in policies
        if p.site in ("", site)
        and all(not wanted or wanted == actual
                for wanted, actual in zip(_matchers(p), ticket, strict=True))
    ]  # fmt: skip
    if not found:
        return None
    return min(found, key=lambda p: (not p.site, -sum(1 for m in _matchers(p) if m), p.id))


def calendar_for(policy: Scope, site: str, calendars: Mapping[str, Calendar]) -> Calendar | None:
    """The policy's calendar for a ticket at `site`; None means 24x7.

    A calendar that cannot be found counts as 24x7, so a ticket is never left without
    deadlines (the SLA service's validation keeps named calendars from going missing).
    """
    if policy.calendar == ALWAYS:
        return None
    if policy.calendar == SITE_CALENDAR:
        by_site = next((c for c in calendars.values() if site and c.site == site), None)
        return by_site or calendars.get("default")
    return calendars.get(policy.calendar)
