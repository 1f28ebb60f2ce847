"""Rolling-origin backtest: for each as-of day in a period, a model trained only on what
was known before that day (retrained every `retrain_days`) ranks every key, and so do the
baselines; each ranking is scored against the failures of the following `horizon` days.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ml.baselines import BASELINES, baseline_scores
from ml.features import Panel
from ml.grid import Days
from ml.history import History
from ml.keys import Level
from ml.labels import labels
from ml.metrics import Scores, rank_within_days, score
from ml.model import HotspotModel, TrainParams, predict_frame, train

__all__ = ["BacktestOptions", "BacktestResult", "backtest"]


@dataclass(frozen=True)
class BacktestOptions:
    start: date
    end: date
    level: Level = Level.ASSET
    horizon_days: int = 7
    k: int = 10
    step_days: int = 1
    retrain_days: int = 7
    params: TrainParams = field(default_factory=TrainParams)
    seed: int = 0


@dataclass
class BacktestResult:
    options: BacktestOptions
    #: as_of, level, key, probability, rank, label, and per baseline <name>_rank
    rows: pd.DataFrame
    model: Scores
    baselines: dict[str, Scores]
    train_s: float
    predict_ms: float
    models: list[HotspotModel]

    @property
    def models_trained(self) -> int:
        return len(self.models)

    @property
    def best_baseline(self) -> str:
        return max(self.baselines, key=lambda b: self.baselines[b].precision_at_k)

    @property
    def lift(self) -> float:
        best = self.baselines[self.best_baseline].precision_at_k
        return self.model.precision_at_k / best if best > 0 else float("inf")

    def figures(self) -> dict[str, float | int | str]:
        """The key=value figures of the command line's last line."""
        m, o = self.model, self.options
        out: dict[str, float | int | str] = {
            "precision_at_k": round(m.precision_at_k, 4),
            "recall_at_k": round(m.recall_at_k, 4),
            "pr_auc": round(m.pr_auc, 4),
            "brier": round(m.brier, 4),
            "baseline_p_at_k": round(self.baselines[self.best_baseline].precision_at_k, 4),
            "lift": round(self.lift, 3),
            "baseline": self.best_baseline,
        }
        for name, s in self.baselines.items():
            out[f"{name}_p_at_k"] = round(s.precision_at_k, 4)
            out[f"{name}_pr_auc"] = round(s.pr_auc, 4)
        out.update(
            days=m.days, keys=int(self.rows.groupby("as_of").size().max()) if len(self.rows) else 0,
            positives_per_day=round(m.positives_per_day, 3), base_rate=round(m.base_rate, 4),
            k=o.k, horizon_days=o.horizon_days, level=o.level.value, models=self.models_trained,
            train_s=round(self.train_s, 2), predict_ms=round(self.predict_ms, 1),
        )  # fmt: skip
        return out


def backtest(history: History, options: BacktestOptions) -> BacktestResult:
    """Run the backtest; as-of days whose horizon reaches past the history are scored
    only when every day of their horizon is known (the data's last day has ended)."""
    o = options
    days = Days.for_history(history, o.start, o.end + timedelta(days=o.horizon_days))
    panel = Panel(history, o.level, days)
    span = history.span()
    known_before = (
        days.index_of_date(span[1].to_pydatetime().astimezone(days.tz).date()) if span else 0
    )
    as_of = np.arange(days.index_of_date(o.start), days.index_of_date(o.end) + 1, o.step_days)
    as_of = as_of[as_of + o.horizon_days <= known_before]
    parts: list[pd.DataFrame] = []
    models: list[HotspotModel] = []
    train_s = predict_s = 0.0
    y_all = (
        labels(panel, as_of, o.horizon_days) if len(as_of) else np.zeros((len(panel.keys), 0), bool)
    )
    key_row = {k: i for i, k in enumerate(panel.keys)}
    column = {int(d): j for j, d in enumerate(as_of)}
    blocks: list[list[int]] = []
    for day in as_of:
        if not blocks or day - blocks[-1][0] >= o.retrain_days:
            blocks.append([int(day)])
        else:
            blocks[-1].append(int(day))
    for block in blocks:
        tick = time.perf_counter()
        model = train(panel, block[0], o.horizon_days, o.params)
        train_s += time.perf_counter() - tick
        models.append(model)
        tick = time.perf_counter()
        rows, probability, _ = predict_frame(model, panel, np.array(block))
        predict_s += time.perf_counter() - tick
        r = rows["key"].map(key_row).to_numpy(dtype=np.int64)
        c = rows["day"].map(column).to_numpy(dtype=np.int64)
        part = pd.DataFrame({
            "as_of": rows["as_of"], "day": rows["day"], "level": o.level.value, "key": rows["key"],
            "probability": probability, "label": y_all[r, c],
            "prevalence": model.metrics.get("prevalence", 0.0),
        })  # fmt: skip
        for name, s in baseline_scores(rows, o.seed + block[0]).items():
            part[f"{name}_score"] = s
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["as_of", "day", "level", "key", "probability", "label", "prevalence"]
        + [f"{b}_score" for b in BASELINES]
    )  # fmt: skip
    rows["rank"] = rank_within_days(rows["day"], rows["probability"], o.seed)
    model_scores = score(rows["day"], rows["rank"], rows["label"], o.k, rows["probability"],
                         rows["probability"])  # fmt: skip
    baselines: dict[str, Scores] = {}
    for name in BASELINES:
        rows[f"{name}_rank"] = rank_within_days(rows["day"], rows[f"{name}_score"], o.seed + 1)
        prob = None
        if name == "random":  # the training base rate: climatology, for the Brier score
            prob = rows["prevalence"].to_numpy(dtype=np.float64)
        baselines[name] = score(rows["day"], rows[f"{name}_rank"], rows["label"], o.k,
                                rows[f"{name}_score"], prob)  # fmt: skip
    n_days = max(len(as_of), 1)
    return BacktestResult(o, rows, model_scores, baselines, train_s,
                          1000.0 * predict_s / n_days, models)  # fmt: skip
