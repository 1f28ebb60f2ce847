"""The hotspot model: gradient-boosted trees with calibrated probabilities.

Training rows are (as-of day, key) pairs whose label is known before the training day.
Failures are rare, so negatives are subsampled (at most `negatives_per_positive` per
positive) and the classes weighted equally; the scores that gives are not probabilities,
so a logistic (Platt) calibration is fitted on the most recent quarter of the training
days, scored by a model trained only on the days before them (a gap of one horizon between
the two keeps labels apart), with every row, as the days really were. The model that
serves is then trained on all the training days and keeps that calibration.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from ml.explain import contributions
from ml.features import FeatureSpec, Panel, features
from ml.grid import Ints
from ml.keys import Level
from ml.labels import labelled_days, labels

__all__ = ["HotspotModel", "TrainParams", "TrainingSet", "train", "training_set"]

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class TrainParams:
    """Sizes of the model and its training set; small values make a smoke test fast."""

    train_days: int = 365
    stride_days: int = 1
    negatives_per_positive: float = 8.0
    max_rows: int = 40_000
    max_iter: int = 100
    learning_rate: float = 0.08
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    calibration_share: float = 0.25
    seed: int = 0
    #: OpenMP threads for training and scoring. One by default: on a shared machine two
    #: threads that wait for each other's cores made a fit 4x slower, not faster.
    threads: int = 1

    def as_json(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class TrainingSet:
    frame: pd.DataFrame  # as_of, key, day, features..., label
    spec: FeatureSpec

    @property
    def x(self) -> Array:
        return self.frame[self.spec.names()].to_numpy(dtype=np.float64)

    @property
    def y(self) -> npt.NDArray[np.int64]:
        return self.frame["label"].to_numpy(dtype=np.int64)


def training_set(panel: Panel, spec: FeatureSpec, as_of: int, horizon_days: int,
                 params: TrainParams) -> TrainingSet:  # fmt: skip
    """Rows of the days before `as_of` whose labels were known by then."""
    days = labelled_days(as_of - params.train_days, as_of, horizon_days, params.stride_days)
    rows = features(panel, spec, days).frame
    y = labels(panel, days, horizon_days)  # keys x days
    key_row = {k: i for i, k in enumerate(panel.keys)}
    day_col = {int(d): j for j, d in enumerate(days)}
    r = rows["key"].map(key_row).to_numpy(dtype=np.int64)
    c = rows["day"].map(day_col).to_numpy(dtype=np.int64)
    return TrainingSet(rows.assign(label=y[r, c].astype(np.int64)), spec)


def _subsample(y: npt.NDArray[np.int64], params: TrainParams, rng: np.random.Generator
               ) -> npt.NDArray[np.int64]:  # fmt: skip
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    keep = int(min(len(neg), max(len(pos) * params.negatives_per_positive, 200),
                   max(params.max_rows - len(pos), 0)))  # fmt: skip
    chosen = rng.choice(neg, size=keep, replace=False) if keep < len(neg) else neg
    return np.sort(np.concatenate([pos, chosen]))


def _fit(
    x: Array, y: npt.NDArray[np.int64], params: TrainParams, seed: int
) -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(seed)
    chosen = _subsample(y, params, rng)
    x = x[chosen]
    # A column with no value at all in these rows cannot be binned: give it one value, which
    # no split can use, so rows with values there later follow the missing-value branch.
    empty = np.isnan(x).all(axis=0)
    if empty.any():
        x = x.copy()
        x[0, empty] = 0.0
    estimator = HistGradientBoostingClassifier(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        class_weight="balanced",
        early_stopping=False,
        random_state=seed,
    )
    with threadpool_limits(params.threads):
        return estimator.fit(x, y[chosen])


@dataclass
class HotspotModel:
    """A trained model with what it needs to predict, explain and be stored."""

    level: Level
    horizon_days: int
    spec: FeatureSpec
    estimator: HistGradientBoostingClassifier | None
    #: Platt calibration on the raw score: p = 1 / (1 + exp(-(a * raw + b))).
    slope: float
    intercept: float
    trained_at: datetime
    train_from: date
    train_to: date
    params: TrainParams
    metrics: dict[str, float] = field(default_factory=dict)
    #: The feature columns the estimator takes: those not empty in all training rows.
    used: list[int] = field(default_factory=list)
    #: The day it was trained as of: it knows only what happened before.
    as_of: date | None = None

    @property
    def feature_names(self) -> list[str]:
        return self.spec.names()

    def raw(self, x: Array) -> Array:
        if self.estimator is None:
            return np.zeros(len(x))
        with threadpool_limits(self.params.threads):
            raw = self.estimator.decision_function(x[:, self.used])
        return np.asarray(raw, dtype=np.float64)

    def probability(self, x: Array) -> Array:
        z = self.slope * self.raw(x) + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def credits(self, x: Array) -> Array:
        """Each feature's share of each row's calibrated log-odds."""
        out = np.zeros_like(x, dtype=np.float64)
        if self.estimator is None:
            return out
        _, credit = contributions(self.estimator, x[:, self.used])
        out[:, self.used] = credit * self.slope
        return out

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        pickle.dump(self, buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getvalue()

    @staticmethod
    def loads(data: bytes, sha256: str | None = None) -> HotspotModel:
        """The model from `dumps()`; refuses bytes whose SHA-256 is not `sha256`. Only
        load artifacts from the predictor's own registry (they are pickles)."""
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
            raise ValueError("model artifact does not match its SHA-256")
        model = pickle.loads(data)  # our own registry, checked above
        if not isinstance(model, HotspotModel):
            raise ValueError("not a hotspot model")
        return model


def _platt(raw: Array, y: npt.NDArray[np.int64]) -> tuple[float, float]:
    if len(np.unique(y)) < 2:
        rate = float(np.clip(y.mean() if len(y) else 0.0, 1e-4, 1 - 1e-4))
        return 0.0, float(np.log(rate / (1 - rate)))
    fit = LogisticRegression(C=1e4, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def train(panel: Panel, as_of: int, horizon_days: int, params: TrainParams,
          spec: FeatureSpec | None = None) -> HotspotModel:  # fmt: skip
    """A model as of day `as_of` from the history before it (the spec too)."""
    began = time.perf_counter()
    cut = panel.days.midnight(as_of)
    spec = spec or FeatureSpec.learn(panel.history, before=cut)
    data = training_set(panel, spec, as_of, horizon_days, params)
    x, y = data.x, data.y
    days = data.frame["day"].to_numpy(dtype=np.int64)
    first = int(days.min()) if len(days) else as_of
    model = HotspotModel(
        level=panel.level, horizon_days=horizon_days, spec=spec, estimator=None, slope=0.0,
        intercept=0.0, trained_at=datetime.now(UTC), train_from=panel.days.date_of(first),
        train_to=panel.days.date_of(int(days.max()) if len(days) else as_of), params=params,
        as_of=panel.days.date_of(as_of),
    )  # fmt: skip
    positives = int(y.sum())
    model.metrics.update(rows=float(len(y)), positives=float(positives))
    if positives < 2 or positives == len(y):
        model.slope, model.intercept = _platt(np.zeros(len(y)), y)
        model.metrics["train_s"] = time.perf_counter() - began
        return model
    model.used = [int(i) for i in np.flatnonzero(~np.isnan(x).all(axis=0))]
    x = x[:, model.used]
    split = int(np.quantile(days, 1 - params.calibration_share))
    early = days <= split - horizon_days
    late = days > split
    calibrated = "holdout"
    if y[early].sum() >= 2 and y[late].sum() >= 2 and (y[early] == 0).any():
        first_model = _fit(x[early], y[early], params, params.seed)
        with threadpool_limits(params.threads):
            raw = np.asarray(first_model.decision_function(x[late]), dtype=np.float64)
        slope, intercept = _platt(raw, y[late])
    else:
        calibrated = "in_sample"
        slope = intercept = 0.0
    model.estimator = _fit(x, y, params, params.seed + 1)
    if calibrated == "in_sample":
        with threadpool_limits(params.threads):
            slope, intercept = _platt(np.asarray(model.estimator.decision_function(x)), y)
    model.slope, model.intercept = slope, intercept
    model.metrics.update(
        train_s=time.perf_counter() - began,
        calibration_holdout=1.0 if calibrated == "holdout" else 0.0,
        prevalence=float(y.mean()),
    )
    return model


def predict_frame(
    model: HotspotModel, panel: Panel, at: Ints
) -> tuple[pd.DataFrame, Array, pd.DataFrame]:
    """(feature rows, probabilities, component names) for every key at the days `at`."""
    found = features(panel, model.spec, at)
    x = found.frame[model.feature_names].to_numpy(dtype=np.float64)
    return found.frame, model.probability(x), found.components


def describe(model: HotspotModel) -> dict[str, Any]:
    """The registry's record of a model (without the artifact)."""
    return {
        "level": model.level.value,
        "horizon_days": model.horizon_days,
        "trained_at": model.trained_at.isoformat(),
        "train_from": model.train_from.isoformat(),
        "train_to": model.train_to.isoformat(),
        "as_of": model.as_of.isoformat() if model.as_of else None,
        "features": model.feature_names,
        "spec": model.spec.as_json(),
        "params": model.params.as_json(),
        "metrics": model.metrics,
        "calibration": {"slope": model.slope, "intercept": model.intercept},
    }
