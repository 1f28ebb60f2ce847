"""The predictor's Prometheus metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = ["CYCLES", "HOTSPOTS", "LAST_SYNC", "MODEL_AGE", "PREDICTION_AGE", "TRAIN_SECONDS"]

MODEL_AGE = Gauge(
    "predictor_model_age_seconds", "Age of the newest model, by site, level and horizon",
    ["site", "level", "horizon_days"],
)  # fmt: skip
PREDICTION_AGE = Gauge(
    "predictor_prediction_age_seconds",
    "Time since the as-of day of the newest live ranking began (staleness), by site, level and horizon",
    ["site", "level", "horizon_days"],
)  # fmt: skip
LAST_SYNC = Gauge("predictor_last_sync_timestamp_seconds", "When the read model was last synced")
TRAIN_SECONDS = Histogram(
    "predictor_train_seconds", "Time to train one model", ["level"],
    buckets=(0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320),
)  # fmt: skip
CYCLES = Counter("predictor_cycles_total", "Leader cycles (sync, train, predict), by outcome",
                 ["outcome"])  # fmt: skip
HOTSPOTS = Gauge(
    "predictor_hotspot_probability",
    "Probability of a failure within the horizon for the first keys of the newest live"
    " ranking, by site, level, horizon, rank and key",
    ["site", "level", "horizon_days", "rank", "key"],
)
