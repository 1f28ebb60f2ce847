"""The ingestor's Prometheus metrics.

A stall is never silent: `ingestor_seconds_since_last_commit` grows while
`ingestor_messages_unacknowledged` stays above zero when messages wait and nothing commits.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ALERTS",
    "BATCH_SIZE",
    "CLOCK_REPLACED",
    "COMMITS",
    "COMMIT_SECONDS",
    "DEVICES_CLOCK_WRONG",
    "DEVICES_OFFLINE",
    "DROPPED",
    "FIELDS_SKIPPED",
    "INCIDENTS",
    "INGEST_LAG",
    "OUTBOX_DEAD",
    "OUTBOX_FAILURES",
    "QUEUED",
    "RECEIVED",
    "REJECTED",
    "STORED_ROWS",
    "STORE_FAILURES",
    "UNACKNOWLEDGED",
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
    "ingestor_store_failures_total",
    "Attempts to commit (part of) a batch that failed: retried, or split to find a refused message",
)
FIELDS_SKIPPED = Counter(
    "ingestor_fields_skipped_total",
    "Fields of otherwise usable messages that could not be read, by format and reason",
    ["format", "reason"],
)
CLOCK_REPLACED = Counter(
    "ingestor_device_time_replaced_total",
    "Messages whose device time was replaced by the receive time, by format and clock state",
    ["format", "clock"],
)
DEVICES_CLOCK_WRONG = Gauge(
    "ingestor_devices_clock_wrong", "Devices whose latest time was skewed or had no zone"
)
DROPPED = Counter(
    "ingestor_messages_dropped_total",
    "QoS 0 messages dropped on arrival because the in-memory queue was full",
    ["reason"],
)
UNACKNOWLEDGED = Gauge(
    "ingestor_messages_unacknowledged",
    "QoS 1 messages received and not yet acknowledged (waiting, or in a batch being stored)",
)
QUEUED = Gauge("ingestor_messages_queued", "Messages received and not yet taken into a batch")
LAST_COMMIT = Gauge(
    "ingestor_last_commit_timestamp_seconds", "When the ingestor last committed (Unix time)"
)
SINCE_COMMIT = Gauge(
    "ingestor_seconds_since_last_commit",
    "Seconds since the ingestor last committed anything (since its start before the first)",
)


class _CommitClock:
    """When the last commit was, for the two gauges above."""

    def __init__(self) -> None:
        self.at = time.time()

    def committed(self) -> None:
        self.at = time.time()
        LAST_COMMIT.set(self.at)

    def since(self) -> float:
        return time.time() - self.at


COMMITS = _CommitClock()
SINCE_COMMIT.set_function(COMMITS.since)
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
OUTBOX_DEAD = Counter(
    "ingestor_outbox_dead_total",
    "Outbox items given up (intake refused them for good, or they waited too long), by code",
    ["code"],
)
DEVICES_OFFLINE = Gauge("ingestor_devices_offline", "Devices currently offline")
