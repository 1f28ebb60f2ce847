"""The model's own attribution of one prediction to its features.

For a gradient-boosted tree ensemble the raw score (log-odds) of a row is the baseline
plus one leaf value per tree. Following the row's path down each tree, every split moves
the expected value from the node's to the child's (expectations weighted by the training
samples that reached each node); that move is credited to the split's feature. The
credits of all trees plus the expected score add up exactly to the raw score, so each
feature's share says how much, and in which direction, it moved this prediction
(path attribution, Saabas 2014). Vectorised per tree level over all rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["contributions"]

Array = npt.NDArray[np.float64]


def _expectations(nodes: Any) -> Array:
    """Each node's expected leaf value under the training samples that reached it."""
    value = nodes["value"].astype(np.float64).copy()
    count = nodes["count"].astype(np.float64)
    is_leaf = nodes["is_leaf"].astype(bool)
    left, right = nodes["left"], nodes["right"]
    # Nodes are stored parent first (depth first), so children come after their parent.
    for i in range(len(nodes) - 1, -1, -1):
        if not is_leaf[i]:
            cl, cr = count[left[i]], count[right[i]]
            total = cl + cr
            value[i] = (cl * value[left[i]] + cr * value[right[i]]) / total if total else 0.0
    return np.asarray(value, dtype=np.float64)


def contributions(estimator: Any, x: Array) -> tuple[float, Array]:
    """(expected raw score, per-row per-feature credits) of a fitted binary
    `HistGradientBoostingClassifier` without categorical features; for every row,
    expected + credits.sum() equals `estimator.decision_function(row)`."""
    n, f = x.shape
    credit = np.zeros((n, f), dtype=np.float64)
    bias = float(np.ravel(estimator._baseline_prediction)[0])
    rows = np.arange(n)
    for (tree,) in estimator._predictors:
        nodes = tree.nodes
        expected = _expectations(nodes)
        bias += float(expected[0])
        pos = np.zeros(n, dtype=np.int64)
        is_leaf = nodes["is_leaf"].astype(bool)
        feature = nodes["feature_idx"].astype(np.int64)
        threshold = nodes["num_threshold"].astype(np.float64)
        missing_left = nodes["missing_go_to_left"].astype(bool)
        left, right = nodes["left"].astype(np.int64), nodes["right"].astype(np.int64)
        for _ in range(int(nodes["depth"].max()) + 1):
            inner = ~is_leaf[pos]
            if not inner.any():
                break
            feat = feature[pos]
            value = x[rows, feat]
            go_left = np.where(np.isnan(value), missing_left[pos], value <= threshold[pos])
            child = np.where(go_left, left[pos], right[pos])
            step = np.where(inner, expected[child] - expected[pos], 0.0)
            np.add.at(credit, (rows[inner], feat[inner]), step[inner])
            pos = np.where(inner, child, pos)
    return bias, credit
