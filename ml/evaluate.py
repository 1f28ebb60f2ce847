"""Score stored rankings against what happened after them.

A run made as of day D for horizon H is scored once day D + H has begun: each ranked key
failed or not in [D, D + H) (site time), and the runs of one level and horizon are
scored together as a backtest's days are (`ml.metrics`). Work orders raised from a run's
hotspots are counted, with how many of those keys failed anyway (a work order that
prevents a failure makes its hotspot look wrong: read the two figures together).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ml.history import CORRECTIVE_KINDS
from ml.keys import Level, keys_of
from ml.metrics import score

__all__ = ["evaluate"]


def _midnights(days: pd.Series, tz: ZoneInfo) -> pd.Series:
    return pd.to_datetime([datetime.combine(d, time(), tz) for d in days], utc=True).to_series(
        index=days.index
    )


def evaluate(runs: pd.DataFrame, predictions: pd.DataFrame, tickets: pd.DataFrame, tz: ZoneInfo,
             today: date, k: int, work_orders: pd.DataFrame | None = None) -> list[dict[str, float | int | str]]:  # fmt: skip
    """`runs`: run_id, level, horizon_days, as_of; `predictions`: id, run_id, key, rank,
    probability; `tickets`: as in `ml.history`; `work_orders`: prediction_id. One row of
    figures per level and horizon."""
    out: list[dict[str, float | int | str]] = []
    if runs.empty:
        return out
    runs = runs.assign(start=_midnights(runs["as_of"], tz))
    runs = runs.assign(end=runs["start"] + pd.to_timedelta(runs["horizon_days"], unit="D"))
    scored = runs[[d + timedelta(days=int(h)) <= today
                   for d, h in zip(runs["as_of"], runs["horizon_days"], strict=True)]]  # fmt: skip
    failures = tickets[tickets["kind"].isin(CORRECTIVE_KINDS)]
    ordered = work_orders if work_orders is not None else pd.DataFrame({"prediction_id": []})
    for (level, horizon), group in runs.groupby(["level", "horizon_days"], sort=True):
        done = scored[(scored["level"] == level) & (scored["horizon_days"] == horizon)]
        rows = predictions[predictions["run_id"].isin(done["run_id"])].merge(
            done[["run_id", "start", "end"]], on="run_id")  # fmt: skip
        keyed = failures.assign(key=keys_of(Level(str(level)), failures))[["key", "created_at"]]
        hits = rows.merge(keyed, on="key", how="inner")
        hits = hits[(hits["created_at"] >= hits["start"]) & (hits["created_at"] < hits["end"])]
        failed_ids = set(hits["id"])
        y = rows["id"].isin(failed_ids).to_numpy()
        s = score(rows["run_id"], rows["rank"], y, k, rows["probability"], rows["probability"])
        all_ids = predictions[predictions["run_id"].isin(group["run_id"])]["id"]
        raised = ordered[ordered["prediction_id"].isin(all_ids)]["prediction_id"]
        out.append({
            "level": str(level), "horizon_days": int(str(horizon)), "runs": len(group),
            "scored_runs": len(done), "k": k,
            "precision_at_k": s.precision_at_k, "recall_at_k": s.recall_at_k,
            "pr_auc": s.pr_auc, "brier": 0.0 if np.isnan(s.brier) else s.brier,
            "base_rate": s.base_rate, "failures": int(y.sum()),
            "work_orders": len(raised), "work_orders_failed": int(raised.isin(failed_ids).sum()),
        })  # fmt: skip
    return out
