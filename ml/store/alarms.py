"""Alarms and error codes as the models read them: when, which device (or asset), which
code.

Two sources, both the ingestor's, named only here:
- `ingestor.alert_signals`: alerts devices raised live (`active` rows; the code is the
  alert type: leak, voltage_out_of_range, door_faults, ...);
- `ingestor.device_events`: alarms and error codes imported from other systems' history
  (the importer's `events` kind; by device and/or asset), read when the table exists.
Neither is a published view yet; when the ingestor publishes one, point `_QUERIES` at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import psycopg

from ml.history import ALARM_COLUMNS, frame

__all__ = ["read_alarms"]

_QUERIES = {
    "ingestor.alert_signals": (
        "SELECT time, device_id, '' AS asset, alert_type AS code FROM ingestor.alert_signals"
        " WHERE active AND device_id = ANY(%(devices)s) AND time >= %(since)s"
        " AND time < %(until)s"
    ),
    "ingestor.device_events": (
        "SELECT time, device_id, asset_id AS asset, code FROM ingestor.device_events"
        " WHERE (device_id = ANY(%(devices)s) OR asset_id = ANY(%(assets)s))"
        " AND time >= %(since)s AND time < %(until)s"
    ),
}


def read_alarms(conn: psycopg.Connection[Any], devices: list[str], assets: list[str],
                since: datetime, until: datetime) -> pd.DataFrame:  # fmt: skip
    """Alarms of `devices` and `assets` in [since, until)."""
    rows: list[dict[str, Any]] = []
    params = {"devices": devices, "assets": assets, "since": since, "until": until}
    for table, query in _QUERIES.items():
        found = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        if not (found and found[0]):
            continue
        with conn.cursor() as cur:
            cur.execute(query, params)
            names = [c.name for c in cur.description or ()]
            rows += [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return frame(ALARM_COLUMNS, rows)
