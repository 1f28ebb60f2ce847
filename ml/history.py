"""A site's history as the models read it: plain pandas frames with fixed columns.

Everything the hotspot models learn from arrives as one `History`, however it was read
(the predictor's read model and the ingestor's public views in PostgreSQL, or frames a
test makes by hand). Times are UTC (`datetime64[ns, UTC]`); the site's time zone says
where its days begin. Texts are plain `str`; an empty string means "none".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

__all__ = [
    "ALARM_COLUMNS",
    "ASSET_COLUMNS",
    "CORRECTIVE_KINDS",
    "DEVICE_COLUMNS",
    "PLACE_COLUMNS",
    "TELEMETRY_COLUMNS",
    "TICKET_COLUMNS",
    "History",
    "frame",
]

#: Ticket kinds that count as a failure: corrective work (tenants' repair requests and
#: the tickets sensors raise, which are repairs too).
CORRECTIVE_KINDS = frozenset({"repair"})

#: A floor row has unit ''; names may be empty.
PLACE_COLUMNS: dict[str, str] = {
    "building": "str",
    "floor": "str",
    "unit": "str",
    "name": "str",
    "name_en": "str",
    "floor_order": "int64",
}
ASSET_COLUMNS: dict[str, str] = {
    "asset_id": "str",
    "type": "str",
    "name": "str",
    "model": "str",
    "building": "str",
    "floor": "str",
    "unit": "str",
    "installed_on": "datetime64[ns, UTC]",
    "criticality": "int64",
    #: The asset's named components, separated by '|'.
    "components": "str",
}
DEVICE_COLUMNS: dict[str, str] = {
    "device_id": "str",
    "kind": "str",
    "building": "str",
    "floor": "str",
    "unit": "str",
    "asset": "str",
}
TICKET_COLUMNS: dict[str, str] = {
    "ticket_id": "str",
    "created_at": "datetime64[ns, UTC]",
    #: When the work was resolved (NaT while open).
    "resolved_at": "datetime64[ns, UTC]",
    "kind": "str",
    "category": "str",
    "source": "str",
    "building": "str",
    "floor": "str",
    "unit": "str",
    "asset": "str",
    "component": "str",
}
#: An alarm or error code a device (or, imported, an asset) reported.
ALARM_COLUMNS: dict[str, str] = {
    "time": "datetime64[ns, UTC]",
    "device_id": "str",
    "asset": "str",
    "code": "str",
}
#: Daily roll-ups per device and metric, bucketed in UTC days by the time-series store.
TELEMETRY_COLUMNS: dict[str, str] = {
    "bucket": "datetime64[ns, UTC]",
    "device_id": "str",
    "metric": "str",
    "samples": "int64",
    "avg": "float64",
    "min": "float64",
    "max": "float64",
    "stddev": "float64",
}


def frame(columns: Mapping[str, str], rows: Sequence[Mapping[Any, Any]] = ()) -> pd.DataFrame:
    """A frame with exactly `columns` in their dtypes; missing texts are '' and missing
    numbers NaN (NaT for times, 0 for integers)."""
    data = pd.DataFrame(list(rows), columns=list(columns))
    for name, dtype in columns.items():
        column = data[name]
        if dtype == "str":
            text = column.astype(object)
            data[name] = text.where(text.notna(), "").astype(str).astype(object)
        elif dtype.startswith("datetime64"):
            data[name] = pd.to_datetime(column, utc=True, format="mixed")
        elif dtype == "int64":
            data[name] = pd.to_numeric(column).fillna(0).astype("int64")
        else:
            data[name] = pd.to_numeric(column).astype("float64")
    return data.reset_index(drop=True)


@dataclass(frozen=True)
class History:
    """One site's places, assets, devices, tickets, alarms and telemetry."""

    site: str
    timezone: str = "UTC"
    places: pd.DataFrame = field(default_factory=lambda: frame(PLACE_COLUMNS))
    assets: pd.DataFrame = field(default_factory=lambda: frame(ASSET_COLUMNS))
    devices: pd.DataFrame = field(default_factory=lambda: frame(DEVICE_COLUMNS))
    tickets: pd.DataFrame = field(default_factory=lambda: frame(TICKET_COLUMNS))
    alarms: pd.DataFrame = field(default_factory=lambda: frame(ALARM_COLUMNS))
    telemetry: pd.DataFrame = field(default_factory=lambda: frame(TELEMETRY_COLUMNS))
    #: Per device, overrides of the metric thresholds ("voltage_min": 200, ...).
    thresholds: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def before(self, when: datetime) -> History:
        """What was known before `when`: tickets, alarms and telemetry buckets that end
        after it are left out, and a ticket resolved after it is still open."""
        cut = pd.Timestamp(when).tz_convert("UTC")
        tickets = self.tickets[self.tickets["created_at"] < cut].copy()
        late = tickets["resolved_at"] >= cut
        tickets.loc[late, "resolved_at"] = pd.NaT
        bucket_end = self.telemetry["bucket"] + pd.Timedelta(days=1)
        return replace(
            self,
            tickets=tickets.reset_index(drop=True),
            alarms=self.alarms[self.alarms["time"] < cut].reset_index(drop=True),
            telemetry=self.telemetry[bucket_end <= cut].reset_index(drop=True),
        )

    def span(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The first and last time anything happened (tickets, alarms, telemetry)."""
        times = [
            self.tickets["created_at"],
            self.alarms["time"],
            self.telemetry["bucket"],
        ]
        found = (
            pd.concat([t.dropna() for t in times if len(t)], ignore_index=True)
            if any(len(t) for t in times)
            else pd.Series([], dtype="datetime64[ns, UTC]")
        )
        if found.empty:
            return None
        return pd.Timestamp(found.min()), pd.Timestamp(found.max())
