"""Telemetry as the models read it: daily roll-ups per device and metric, from the
time-series store's own bucketing.

The ingestor publishes them as the versioned public view `ingestor.telemetry_daily_v1`
(`bucket` = the UTC day, `device_id`, `metric`, `samples`, `avg`, `min`, `max`, `stddev`,
`first`, `last`; a continuous aggregate under TimescaleDB, a `date_bin` view on plain
PostgreSQL; its migration creates it on every install). This module is the one place that
names it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import psycopg

from ml.history import TELEMETRY_COLUMNS, frame
from ml.store.rows import rows

__all__ = ["DAILY_VIEW", "read_daily"]

DAILY_VIEW = "ingestor.telemetry_daily_v1"
_VIEW = (
    f"SELECT bucket, device_id, metric, samples, avg, min, max, stddev FROM {DAILY_VIEW}"
    " WHERE device_id = ANY(%(devices)s) AND bucket >= %(since)s AND bucket < %(until)s"
)


def read_daily(conn: psycopg.Connection[Any], devices: list[str], since: datetime,
               until: datetime) -> pd.DataFrame:  # fmt: skip
    """Daily roll-ups of `devices` with buckets in [since, until)."""
    if not devices:
        return frame(TELEMETRY_COLUMNS)
    return frame(TELEMETRY_COLUMNS, rows(conn, _VIEW, {"devices": devices, "since": since,
                                                       "until": until}))  # fmt: skip
