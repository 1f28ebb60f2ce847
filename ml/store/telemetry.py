"""Telemetry as the models read it: daily roll-ups per device and metric, from the
time-series store's own bucketing.

The ingestor publishes them as the versioned public view `ingestor.telemetry_daily_v1`
(`bucket` = the UTC day, `device_id`, `metric`, `samples`, `avg`, `min`, `max`, `stddev`,
`first`, `last`; a continuous aggregate under TimescaleDB). This module is the one place
that names it. Until that view exists in a database (it lands with the ingestor's
roll-ups), the same roll-up is computed here from `ingestor.telemetry` with the same
definition (`date_bin` of one day from 2000-01-01 UTC), so the numbers do not change when
the view arrives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import psycopg

from ml.history import TELEMETRY_COLUMNS, frame

__all__ = ["DAILY_VIEW", "read_daily"]

DAILY_VIEW = "ingestor.telemetry_daily_v1"
_FALLBACK = (
    "SELECT date_bin(interval '1 day', time, timestamptz '2000-01-01 00:00:00+00') AS bucket,"
    " device_id, metric, count(*) AS samples, avg(value) AS avg, min(value) AS min,"
    " max(value) AS max, stddev_samp(value) AS stddev FROM ingestor.telemetry"
    " WHERE device_id = ANY(%(devices)s) AND time >= %(since)s AND time < %(until)s"
    " GROUP BY 1, 2, 3"
)
_VIEW = (
    f"SELECT bucket, device_id, metric, samples, avg, min, max, stddev FROM {DAILY_VIEW}"
    " WHERE device_id = ANY(%(devices)s) AND bucket >= %(since)s AND bucket < %(until)s"
)


def _exists(conn: psycopg.Connection[Any], name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def read_daily(conn: psycopg.Connection[Any], devices: list[str], since: datetime,
               until: datetime) -> pd.DataFrame:  # fmt: skip
    """Daily roll-ups of `devices` with buckets in [since, until)."""
    if not devices:
        return frame(TELEMETRY_COLUMNS)
    if _exists(conn, DAILY_VIEW):
        query = _VIEW
    elif _exists(conn, "ingestor.telemetry"):
        query = _FALLBACK
    else:
        return frame(TELEMETRY_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(query, {"devices": devices, "since": since, "until": until})
        rows = cur.fetchall()
        names = [c.name for c in cur.description or ()]
    data = pd.DataFrame(rows, columns=names)
    return frame(TELEMETRY_COLUMNS, data.to_dict("records"))
