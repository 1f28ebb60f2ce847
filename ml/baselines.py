"""Rankings a planner could make without a model, scored like the model: at random, by
the most alarms recently, by the most recent failure, and by the longest since the last
maintenance (the wear-out rule of thumb)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["BASELINES", "baseline_scores"]

BASELINES = ("random", "alarms", "recency", "overdue")


def baseline_scores(rows: pd.DataFrame, seed: int = 0) -> dict[str, npt.NDArray[np.float64]]:
    """Scores per baseline for feature rows (they need `alarms_*d`, `days_since_fail` and
    `days_since_maint`): higher ranks first; ties are broken at random when ranked. A key
    never failed (never maintained) ranks last by recency (by overdue)."""
    rng = np.random.default_rng(seed)
    alarms = (
        rows["alarms_7d"].to_numpy(dtype=np.float64)
        + rows["alarms_30d"].to_numpy(dtype=np.float64) / 1000.0
    )
    since = rows["days_since_fail"].to_numpy(dtype=np.float64)
    unmaintained = rows["days_since_maint"].to_numpy(dtype=np.float64)
    return {
        "random": rng.random(len(rows)),
        "alarms": alarms,
        "recency": np.where(np.isnan(since), -np.inf, -since),
        "overdue": np.where(np.isnan(unmaintained), -np.inf, unmaintained),
    }
