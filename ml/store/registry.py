"""The model registry and the stored prediction runs, in schema `predictor`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from ml.keys import Level
from ml.model import HotspotModel, describe
from ml.predict import Hotspot

__all__ = [
    "ModelRecord",
    "RunRecord",
    "latest_model",
    "latest_run",
    "load_model",
    "save_backtest",
    "save_model",
    "save_run",
    "top_of_run",
]

Connection = psycopg.Connection[Any]


@dataclass(frozen=True)
class ModelRecord:
    version: str
    site: str
    level: str
    horizon_days: int
    trained_at: datetime
    train_from: date
    train_to: date
    metrics: dict[str, float]
    sha256: str


def save_model(conn: Connection, site: str, model: HotspotModel) -> ModelRecord:
    """Store `model` (artifact, SHA-256, what it was trained on); returns its record."""
    artifact = model.dumps()
    sha = hashlib.sha256(artifact).hexdigest()
    version = (f"{site}-{model.level.value}-h{model.horizon_days}-"
               f"{model.trained_at:%Y%m%d%H%M%S}-{sha[:8]}")  # fmt: skip
    info = describe(model)
    conn.execute(
        "INSERT INTO predictor.models (version, site, level, horizon_days, trained_at,"
        " train_from, train_to, features, params, metrics, artifact, sha256) VALUES"
        " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (version) DO NOTHING",
        (version, site, model.level.value, model.horizon_days, model.trained_at,
         model.train_from, model.train_to, Jsonb({"names": info["features"], "spec": info["spec"]}),
         Jsonb({**info["params"], "calibration": info["calibration"]}), Jsonb(model.metrics),
         artifact, sha),
    )  # fmt: skip
    return ModelRecord(version, site, model.level.value, model.horizon_days, model.trained_at,
                       model.train_from, model.train_to, dict(model.metrics), sha)  # fmt: skip


def _record(row: Sequence[Any]) -> ModelRecord:
    return ModelRecord(str(row[0]), str(row[1]), str(row[2]), int(row[3]), row[4], row[5],
                       row[6], dict(row[7]), str(row[8]))  # fmt: skip


_FIELDS = "version, site, level, horizon_days, trained_at, train_from, train_to, metrics, sha256"


def latest_model(
    conn: Connection, site: str, level: Level, horizon_days: int
) -> ModelRecord | None:
    row = conn.execute(
        f"SELECT {_FIELDS} FROM predictor.models WHERE site = %s AND level = %s"
        " AND horizon_days = %s ORDER BY trained_at DESC LIMIT 1",
        (site, level.value, horizon_days),
    ).fetchone()
    return _record(row) if row else None


def load_model(conn: Connection, version: str) -> HotspotModel:
    """The stored model; raises LookupError when unknown, ValueError when its artifact
    does not match its SHA-256."""
    row = conn.execute("SELECT artifact, sha256 FROM predictor.models WHERE version = %s",
                       (version,)).fetchone()  # fmt: skip
    if row is None:
        raise LookupError(f"no model {version!r}")
    return HotspotModel.loads(bytes(row[0]), str(row[1]))


def _insert_run(conn: Connection, site: str, level: Level, horizon_days: int, as_of: date,
                model_version: str, kind: str) -> int:  # fmt: skip
    row = conn.execute(
        "INSERT INTO predictor.prediction_runs (site, level, horizon_days, as_of, model_version,"
        " kind) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (site, level.value, horizon_days, as_of, model_version, kind),
    ).fetchone()
    assert row is not None
    return int(row[0])


def save_run(conn: Connection, site: str, level: Level, horizon_days: int, as_of: date,
             model_version: str, hotspots: Sequence[Hotspot], kind: str = "live") -> int:  # fmt: skip
    """Store one ranking with its reasons and actions; returns the run's id."""
    run_id = _insert_run(conn, site, level, horizon_days, as_of, model_version, kind)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY predictor.predictions (run_id, key, rank, probability, location, reasons, action)"
            " FROM STDIN"
        ) as copy,
    ):
        for h in hotspots:
            copy.write_row((run_id, h.key, h.rank, h.probability, Jsonb(h.location),
                            Jsonb([r.as_json() for r in h.reasons]), Jsonb(h.action.as_json())))  # fmt: skip
    return run_id


def save_backtest(conn: Connection, site: str, level: Level, horizon_days: int,
                  rows: pd.DataFrame, versions: dict[str, str]) -> int:  # fmt: skip
    """Store a backtest's rankings, one run per as-of day; returns how many runs."""
    runs = 0
    for as_of, day in rows.groupby("as_of", sort=True):
        run_id = _insert_run(conn, site, level, horizon_days, as_of,  # type: ignore[arg-type]
                             versions.get(str(as_of), ""), "backtest")  # fmt: skip
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY predictor.predictions (run_id, key, rank, probability) FROM STDIN"
            ) as copy,
        ):
            for key, rank, p in zip(day["key"], day["rank"], day["probability"], strict=True):
                copy.write_row((run_id, key, int(rank), float(p)))
        runs += 1
    return runs


@dataclass(frozen=True)
class RunRecord:
    id: int
    as_of: date
    model_version: str
    created_at: datetime


def latest_run(conn: Connection, site: str, level: Level, horizon_days: int,
               kind: str = "live") -> RunRecord | None:  # fmt: skip
    row = conn.execute(
        "SELECT id, as_of, model_version, created_at FROM predictor.prediction_runs"
        " WHERE site = %s AND level = %s AND horizon_days = %s AND kind = %s"
        " ORDER BY as_of DESC, id DESC LIMIT 1",
        (site, level.value, horizon_days, kind),
    ).fetchone()
    return RunRecord(int(row[0]), row[1], str(row[2]), row[3]) if row else None


def top_of_run(conn: Connection, run_id: int, limit: int) -> list[tuple[int, str, float]]:
    """The first `limit` keys of a stored ranking: (rank, key, probability), best first."""
    rows = conn.execute(
        "SELECT rank, key, probability FROM predictor.predictions WHERE run_id = %s"
        " ORDER BY rank LIMIT %s",
        (run_id, limit),
    ).fetchall()
    return [(int(rank), str(key), float(p)) for rank, key, p in rows]
