"""Read one site's `History` from the predictor's read model and the ingestor's data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import psycopg

from ml.history import ASSET_COLUMNS, DEVICE_COLUMNS, PLACE_COLUMNS, TICKET_COLUMNS, History, frame
from ml.store.alarms import read_alarms
from ml.store.rows import rows
from ml.store.telemetry import read_daily

__all__ = ["load_history", "site_facts", "sites"]

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def sites(conn: psycopg.Connection[Any]) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT site FROM predictor.sites ORDER BY site")]


def site_facts(conn: psycopg.Connection[Any], site: str) -> tuple[str, int]:
    """(time zone, tickets that count) of a site, cheaply: enough to tell whether a model
    or a ranking is due without reading the history."""
    found = rows(
        conn,
        "SELECT s.timezone, (SELECT count(*) FROM predictor.tickets t WHERE t.site = s.site"
        " AND t.status <> 'cancelled') AS tickets FROM predictor.sites s WHERE s.site = %s",
        (site,),
    )
    if not found:
        raise LookupError(f"no site {site!r} in the predictor's read model")
    return str(found[0]["timezone"]), int(found[0]["tickets"])


def load_history(conn: psycopg.Connection[Any], site: str, until: datetime | None = None,
                 since: datetime | None = None) -> History:  # fmt: skip
    """Everything known of `site` (tickets, alarms and telemetry from `since`, before
    `until`); raises LookupError for a site the read model does not know."""
    found = rows(conn, "SELECT timezone FROM predictor.sites WHERE site = %s", (site,))
    if not found:
        raise LookupError(f"no site {site!r} in the predictor's read model")
    until = until or datetime.now(UTC)
    since = since or _EPOCH
    places = rows(conn, "SELECT building, floor, unit, name, name_en, floor_order"
                          " FROM predictor.places WHERE site = %s", (site,))  # fmt: skip
    assets = rows(conn, "SELECT asset_id, type, name, model, building, floor, unit,"
                          " installed_on, criticality, array_to_string(components, '|')"
                          " AS components FROM predictor.assets WHERE site = %s", (site,))  # fmt: skip
    devices = rows(conn, "SELECT device_id, kind, building, floor, unit, asset, thresholds"
                           " FROM predictor.devices WHERE site = %s", (site,))  # fmt: skip
    tickets = rows(
        conn,
        "SELECT ticket_id, created_at, resolved_at, kind, category, source, building, floor,"
        " unit, asset, component FROM predictor.tickets WHERE site = %s AND created_at >= %s"
        " AND created_at < %s AND status <> 'cancelled'",
        (site, since, until),
    )
    for a in assets:
        a["installed_on"] = pd.Timestamp(a["installed_on"], tz="UTC") if a["installed_on"] else None
    device_ids = [str(d["device_id"]) for d in devices]
    asset_ids = [str(a["asset_id"]) for a in assets]
    return History(
        site=site,
        timezone=str(found[0]["timezone"]),
        places=frame(PLACE_COLUMNS, places),
        assets=frame(ASSET_COLUMNS, assets),
        devices=frame(DEVICE_COLUMNS, devices),
        tickets=frame(TICKET_COLUMNS, tickets),
        alarms=read_alarms(conn, device_ids, asset_ids, since, until),
        telemetry=read_daily(conn, device_ids, since, until),
        thresholds={str(d["device_id"]): dict(d["thresholds"]) for d in devices if d["thresholds"]},
    )
