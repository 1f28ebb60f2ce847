"""The ingestor's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS",
    "BATCH_SIZE",
    "COMMIT_SECONDS",
    "DEVICES_OFFLINE",
    "INCIDENTS",
    "INGEST_LAG",
    "OUTBOX_FAILURES",
    "RECEIVED",
    "REJECTED",
    "STORED_ROWS",
    "STORE_FAILURES",
]

RECEIVED = Counter("ingestor_messages_received_total", "MQTT messages taken in")
REJECTED = Counter(
    "ingestor_messages_rejected_total", "Messages dead-lettered, by reason", ["reason"]
)
STORED_ROWS = Counter(
    "ingestor_telemetry_rows_stored_total", "Telemetry rows committed (duplicates excluded)"
)
BATCH_SIZE = Histogram(
    "ingestor_batch_messages",
    "Messages per committed batch",
    buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
)
COMMIT_SECONDS = Histogram(
    "ingestor_commit_seconds",
    "Time to write and commit one batch",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
INGEST_LAG = Histogram(
    "ingestor_lag_seconds",
    "From a message's arrival to its batch's commit",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
STORE_FAILURES = Counter(
    "ingestor_store_failures_total", "Batches that failed to commit and were retried"
)
ALERTS = Counter(
    "ingestor_alert_signals_total", "New alert signals, by type and state", ["alert_type", "state"]
)
INCIDENTS = Counter(
    "ingestor_incidents_total",
    "What new alerts did: opened a ticket, or were folded into an open one",
    ["outcome"],
)
OUTBOX_FAILURES = Counter(
    "ingestor_outbox_failures_total", "Calls to intake that failed and will be retried"
)
DEVICES_OFFLINE = Gauge("ingestor_devices_offline", "Devices currently offline")
