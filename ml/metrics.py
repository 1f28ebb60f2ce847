"""How good a ranking is, per as-of day and over a period.

Each as-of day ranks every key (ties broken at random, seeded, so that a score with many
ties, like a count of recent alarms, is not helped or hurt by the keys' alphabetical
order). Over a period: precision@k is the mean over days of the share of the top k that
failed; recall@k is the share of all failures (key-days) that were in their day's top k;
PR-AUC is the average precision of all key-days pooled; Brier is the mean squared error of
the probabilities (for scores that are probabilities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.metrics import average_precision_score

__all__ = ["Scores", "rank_within_days", "score"]


def rank_within_days(
    days: npt.ArrayLike, scores: npt.ArrayLike, seed: int = 0
) -> npt.NDArray[np.int64]:
    """1-based rank of each row within its day, highest score first, ties at random."""
    frame = pd.DataFrame({"day": np.asarray(days), "score": np.asarray(scores, dtype=np.float64)})
    frame["tie"] = np.random.default_rng(seed).random(len(frame))
    frame["score"] = frame["score"].fillna(-np.inf)
    order = frame.sort_values(["day", "score", "tie"], ascending=[True, False, True])
    ranks = order.groupby("day").cumcount() + 1
    return np.asarray(ranks.reindex(frame.index).to_numpy(), dtype=np.int64)


@dataclass(frozen=True)
class Scores:
    precision_at_k: float
    recall_at_k: float
    pr_auc: float
    brier: float
    days: int
    positives_per_day: float
    base_rate: float


def score(days: npt.ArrayLike, ranks: npt.ArrayLike, labels: npt.ArrayLike, k: int,
          scores: npt.ArrayLike, probabilities: npt.ArrayLike | None = None) -> Scores:  # fmt: skip
    """Scores of a ranking: one row per (day, key) with its rank, label and score."""
    frame = pd.DataFrame({
        "day": np.asarray(days),
        "top": np.asarray(ranks) <= k,
        "y": np.asarray(labels, dtype=bool),
    })  # fmt: skip
    if frame.empty:
        return Scores(0.0, 0.0, 0.0, float("nan"), 0, 0.0, 0.0)
    frame["hit"] = frame["top"] & frame["y"]
    per_day = frame.groupby("day").agg(hits=("hit", "sum"), shown=("top", "sum"), pos=("y", "sum"))
    precision = float((per_day["hits"] / max(k, 1)).mean())
    positives = int(per_day["pos"].sum())
    recall = float(per_day["hits"].sum() / positives) if positives else 0.0
    y = frame["y"].to_numpy()
    s = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-1e12, neginf=-1e12)
    pr_auc = float(average_precision_score(y, s)) if positives else 0.0
    brier = float("nan")
    if probabilities is not None:
        p = np.asarray(probabilities, dtype=np.float64)
        brier = float(np.mean((p - y) ** 2))
    return Scores(precision, recall, pr_auc, brier, len(per_day),
                  positives / len(per_day), float(y.mean()))  # fmt: skip
