"""The analytics service's Prometheus metrics (docs/metrics.md describes each)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERT_TO_TICKET",
    "BACKLOG",
    "EVENTS",
    "FOLLOWER_LAG",
    "RECENT_BY_FLOOR",
    "SATISFACTION",
    "SLA_MET",
    "TICKETS_AT_RISK",
]

EVENTS = Counter(
    "analytics_ticket_events_total", "Ticket events followed, by what was done", ["outcome"]
)
FOLLOWER_LAG = Gauge(
    "analytics_follower_lag_seconds",
    "How old the last live (not imported) ticket event was when it was counted",
)
ALERT_TO_TICKET = Histogram(
    "analytics_alert_to_ticket_seconds",
    "From a sensor alert to its ticket, for live sensor tickets that say when the alert fired",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600),
)
BACKLOG = Gauge("analytics_backlog_tickets", "Open tickets, by site and priority",
                ["site", "priority"])  # fmt: skip
SLA_MET = Gauge(
    "analytics_sla_met_ratio",
    "Share of the SLA clocks decided in the last 24 hours (met or breached) that were met,"
    " by site and target",
    ["site", "target"],
)
TICKETS_AT_RISK = Gauge(
    "analytics_tickets_at_risk",
    "Open tickets whose clock is running past its reminder point (the SLA service's"
    " sla_reminder) and has not breached, by site and target",
    ["site", "target"],
)
SATISFACTION = Gauge(
    "analytics_satisfaction_mean",
    "Mean stars of the ratings given in the last 30 days, by site",
    ["site"],
)
RECENT_BY_FLOOR = Gauge(
    "analytics_recent_tickets",
    "Tickets raised in the last 30 days (imported history too), by site, building and"
    " floor: the heat map of where problems cluster",
    ["site", "building", "floor"],
)
