"""Rank every key of a level as of a day, with the reasons and the action for each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ml.features import Panel
from ml.metrics import rank_within_days
from ml.model import HotspotModel, predict_frame
from ml.reasons import Action, Reason, action_for, reasons_for

__all__ = ["Hotspot", "rank_keys"]


@dataclass(frozen=True)
class Hotspot:
    key: str
    rank: int
    probability: float
    location: dict[str, str]
    reasons: list[Reason]
    action: Action


def rank_keys(model: HotspotModel, panel: Panel, as_of: date, explain: int | None = None,
              seed: int = 0) -> list[Hotspot]:  # fmt: skip
    """Every key alive on `as_of`, most likely to fail first; the first `explain` (all
    when None) with reasons and an action."""
    day = panel.days.index_of_date(as_of)
    rows, probability, components = predict_frame(model, panel, np.array([day]))
    if rows.empty:
        return []
    ranks = rank_within_days(rows["day"], probability, seed)
    order = np.argsort(ranks)
    names = model.feature_names
    limit = len(order) if explain is None else min(explain, len(order))
    explained = order[:limit]
    x = rows[names].to_numpy(dtype=np.float64)
    credits = model.credits(x[explained]) if limit else np.zeros((0, len(names)))
    found = []
    for n, i in enumerate(order):
        key = str(rows["key"].iat[i])
        comps = {"comp_maint_days": str(components["comp_maint"].iat[i]),
                 "comp_fail_days": str(components["comp_fail"].iat[i])}  # fmt: skip
        reasons: list[Reason] = []
        if n < limit:
            reasons = reasons_for(names, x[i], credits[n], comps)
        row = dict(zip(names, x[i].tolist(), strict=True))
        found.append(Hotspot(key, int(ranks[i]), float(probability[i]),
                             panel.locations.of(key), reasons, action_for(row, comps, reasons)))  # fmt: skip
    return found
