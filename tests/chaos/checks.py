"""What must hold after the faults, read from the database and the webhook receiver:
every acknowledged ticket and alert became exactly one ticket; every ticket was assigned
once; every P1 ticket (a leak: the alerts, and the tenants' leaking pipes, which triage
makes P1), which nobody answers in time, paged the supervisor once, breached once and
escalated once; every message the notification service meant to send reached
the webhook exactly once (a repeat of a delivery id the receiver has seen is dropped by
the receiver, as the id is there for, and counted as `redelivered`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import psycopg

from tests.chaos.load import Sent, ticket_title
from tests.chaos.world import World

__all__ = ["Tally", "check", "escalations_due"]

#: Events each ticket has exactly once; P1 tickets have the page and the SLA's too.
_ONCE = ("assigned",)
_ONCE_P1 = ("assigned", "dispatch_paged", "sla_breached", "sla_escalated")
#: (recipient, message kind) each P1 ticket sends besides the assignee's own.
_TOLD_P1 = (("supervisor1", "dispatch_paged"), ("supervisor1", "sla_escalated"))


@dataclass
class Tally:
    """Of the things `checked`, how many are missing (`lost`) or there more than once
    (`duplicated`), with a line for each."""

    lost: int = 0
    duplicated: int = 0
    checked: int = 0
    #: Webhook posts that repeated a delivery id already received (at-least-once delivery
    #: after a crash between a send and its record), which the receiver dropped.
    redelivered: int = 0
    problems: list[str] = field(default_factory=list)

    def count(self, what: str, found: int, expected: int = 1) -> None:
        self.checked += 1
        if found < expected:
            self.lost += expected - found
            self.problems.append(f"lost: {what} (found {found}, expected {expected})")
        elif found > expected:
            self.duplicated += found - expected
            self.problems.append(f"duplicated: {what} (found {found}, expected {expected})")


@dataclass(frozen=True)
class _Ticket:
    id: str
    number: str
    assignee: str
    p1: bool


def _tickets(conn: psycopg.Connection, tally: Tally, tickets: Sent,
             alerts: Sent) -> list[_Ticket]:  # fmt: skip
    """The run's tickets, counting each acknowledged one (an unacknowledged one may be
    there once, or not at all)."""
    rows = conn.execute(
        "SELECT title, device_id, id::text, number, coalesce(assignee, ''), priority = 'P1',"
        " source = 'sensor'"
        " FROM intake.tickets WHERE title LIKE 'chaos %%' OR device_id LIKE 'chaos-leak-%%'"
    ).fetchall()
    by_key = Counter(str(r[1]) if r[6] else str(r[0]) for r in rows)
    for key in tickets.tried:
        found = by_key[ticket_title(key)]
        tally.count(f"ticket {key}", found, 1 if key in tickets.acked else min(found, 1))
    for device_id in alerts.tried:
        found = by_key[device_id]
        tally.count(f"alert ticket {device_id}", found,
                    1 if device_id in alerts.acked else min(found, 1))  # fmt: skip
    return [_Ticket(str(r[2]), str(r[3]), str(r[4]), bool(r[5])) for r in rows]


def _events(conn: psycopg.Connection, tally: Tally, tickets: list[_Ticket]) -> None:
    counts = Counter(
        (str(r[0]), str(r[1]))
        for r in conn.execute(
            "SELECT ticket_id::text, type FROM intake.ticket_events WHERE type = ANY(%s)",
            (list(_ONCE_P1),),
        )
    )
    for ticket in tickets:
        for kind in _ONCE_P1 if ticket.p1 else _ONCE:
            tally.count(f"{kind} of {ticket.number}", counts[(ticket.id, kind)])


def _messages(conn: psycopg.Connection, tally: Tally, world: World,
              tickets: list[_Ticket]) -> None:  # fmt: skip
    rows = conn.execute(
        "SELECT ticket_id, recipient, kind, title, state, attempts, last_error"
        " FROM notification.deliveries"
    ).fetchall()
    meant = Counter((str(r[0]), str(r[1]), str(r[2])) for r in rows)
    for ticket in tickets:
        told = [(ticket.assignee, "assigned_to_you")]
        for recipient, kind in told + list(_TOLD_P1 if ticket.p1 else ()):
            tally.count(f"{kind} to {recipient} of {ticket.number}",
                        meant[(ticket.id, recipient, kind)])  # fmt: skip
    hits, tally.redelivered = world.webhook.delivered()
    for ticket_id, recipient, kind, title, state, attempts, error in rows:
        what = f"{kind} to {recipient} of ticket {ticket_id} ({state}, {attempts} attempt(s)"
        what += f": {error[:120]})" if error else ")"
        tally.count(what, hits[(f"/{recipient}", title)] if state == "sent" else 0)


def check(world: World, tickets: Sent, alerts: Sent) -> Tally:
    """Count what is lost and duplicated right now."""
    tally = Tally()
    with psycopg.connect(world.system.database_url) as conn:
        found = _tickets(conn, tally, tickets, alerts)
        _events(conn, tally, found)
        _messages(conn, tally, world, found)
    return tally


def escalations_due(world: World, start: datetime, end: datetime) -> int:
    """How many escalations recorded were due between `start` and `end` (a fault and its
    recovery): the timers that came due while the system was broken."""
    with psycopg.connect(world.system.database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM intake.ticket_events WHERE type = 'sla_escalated'"
            " AND (payload->>'due_at')::timestamptz BETWEEN %s AND %s",
            (start, end),
        ).fetchone()
    return int(row[0]) if row else 0
