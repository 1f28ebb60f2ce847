"""Alarms and error codes as the models read them: when, which device (or asset), which
code.

Two sources, both the ingestor's, named only here:
- `ingestor.alert_signals`: alerts devices raised live (`active` rows; the code is the
  alert type: leak, voltage_out_of_range, door_faults, ...);
- `ingestor.device_events`: alarms and error codes imported from other systems' history
  (the importer's `events` kind; by device and/or asset).
Neither is a published view yet; when the ingestor publishes one, point `_QUERIES` at it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import psycopg

from ml.history import ALARM_COLUMNS, frame
from ml.store.rows import rows

__all__ = ["read_alarms"]

_QUERIES = (
    (
        "SELECT time, device_id, '' AS asset, alert_type AS code FROM ingestor.alert_signals"
        " WHERE active AND device_id = ANY(%(devices)s) AND time >= %(since)s"
        " AND time < %(until)s"
    ),
    (
        "SELECT time, device_id, asset_id AS asset, code FROM ingestor.device_events"
        " WHERE (device_id = ANY(%(devices)s) OR asset_id = ANY(%(assets)s))"
        " AND time >= %(since)s AND time < %(until)s"
    ),
)


def read_alarms(conn: psycopg.Connection[Any], devices: list[str], assets: list[str],
                since: datetime, until: datetime) -> pd.DataFrame:  # fmt: skip
    """Alarms of `devices` and `assets` in [since, until)."""
    params = {"devices": devices, "assets": assets, "since": since, "until": until}
    return frame(ALARM_COLUMNS, [r for query in _QUERIES for r in rows(conn, query, params)])
