"""The SLA service's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BREACHED_OPEN",
    "BREACHES",
    "ESCALATIONS",
    "EVENTS",
    "REMINDERS",
    "TICKETS_AT_RISK",
    "TIMER_FAILURES",
    "TIMER_LATENESS",
    "TIME_TO_BREACH",
]

BREACHES = Counter("sla_breaches_total", "Breaches recorded on tickets, by clock", ["target"])
ESCALATIONS = Counter(
    "sla_escalations_total", "Escalations recorded on tickets, by clock and level",
    ["target", "level"],
)  # fmt: skip
REMINDERS = Counter("sla_reminders_total", "Reminders recorded on tickets, by clock", ["target"])
TICKETS_AT_RISK = Gauge(
    "sla_tickets_at_risk", "Open tickets past their reminder point but not yet breached"
)
BREACHED_OPEN = Gauge(
    "sla_tickets_breached_open", "Open tickets with a running clock past its deadline"
)
TIME_TO_BREACH = Histogram(
    "sla_time_to_breach_seconds",
    "Wall-clock time a clock still had before its deadline when it was met (met late: 0)",
    ["target"],
    buckets=(0, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800),
)
TIMER_LATENESS = Histogram(
    "sla_timer_lateness_seconds",
    "How long after its deadline a timer was recorded on its ticket, by kind",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
TIMER_FAILURES = Counter(
    "sla_timer_failures_total", "Timer deliveries intake refused or missed, by outcome",
    ["outcome"],
)  # fmt: skip
EVENTS = Counter("sla_ticket_events_total", "Ticket events followed, by what was done", ["outcome"])
