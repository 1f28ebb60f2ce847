"""The notification service's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["DEAD", "EVENTS", "FAILED", "INBOX", "OUTBOX_DEPTH", "QUEUED", "SEND_SECONDS", "SENT"]

EVENTS = Counter(
    "notification_events_total",
    "Ticket events looked at, by outcome (notified, ignored, stale, no_ticket, no_recipient)",
    ["outcome"],
)
INBOX = Counter("notification_inbox_messages_total", "In-app messages stored")
QUEUED = Counter(
    "notification_deliveries_queued_total", "Deliveries queued, by channel scheme", ["scheme"]
)
SENT = Counter(
    "notification_deliveries_sent_total", "Deliveries sent, by channel scheme", ["scheme"]
)
FAILED = Counter(
    "notification_delivery_failures_total",
    "Failed delivery attempts (each retry counts), by channel scheme",
    ["scheme"],
)
DEAD = Counter(
    "notification_deliveries_dead_total",
    "Deliveries given up after their last attempt, by channel scheme",
    ["scheme"],
)
OUTBOX_DEPTH = Gauge(
    "notification_outbox_depth",
    "Deliveries not sent: pending (all), due (pending and due now), dead",
    ["state"],
)
SEND_SECONDS = Histogram(
    "notification_send_seconds",
    "Time of one delivery attempt",
    ["scheme"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
