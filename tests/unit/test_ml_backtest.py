"""The backtest on a small simulator history (planted failures), and its command line's
CSV: every as-of day ranks every key, trained only on what came before."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from ml.backtest import BacktestOptions, BacktestResult, backtest
from ml.cli import table, write_rankings
from ml.keys import Level
from ml.model import TrainParams
from tests.support.sim_history import sim_history


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    history = sim_history(days=110, interval_s=3 * 3600)
    options = BacktestOptions(
        start=date(2026, 5, 10), end=date(2026, 5, 24), level=Level.FLOOR, horizon_days=7, k=5,
        retrain_days=7, params=TrainParams(train_days=80, max_iter=30),
    )  # fmt: skip
    return backtest(history, options)


def test_every_day_ranks_every_key_with_models_trained_before(result: BacktestResult) -> None:
    rows = result.rows
    per_day = rows.groupby("as_of")["key"].nunique()
    assert (per_day == 20).all()  # two buildings, ten floors each
    assert sorted(rows.groupby("as_of")["rank"].max().unique()) == [20]
    # The last as-of day whose 7 days end before the history does (2026-06-01).
    assert rows["as_of"].min() == date(2026, 5, 10) and rows["as_of"].max() == date(2026, 5, 24)
    assert result.models_trained == 3
    for model in result.models:
        assert model.as_of is not None and model.train_to <= model.as_of
    assert result.model.days == 15


def test_the_model_beats_chance_and_reports_every_figure(result: BacktestResult) -> None:
    figures = result.figures()
    for name in ("precision_at_k", "recall_at_k", "pr_auc", "brier", "baseline_p_at_k", "lift"):
        assert name in figures
    assert result.model.pr_auc > result.baselines["random"].pr_auc
    assert 0 <= result.model.brier < 0.25
    assert "| model |" in table(result) and "| recency |" in table(result)


def test_rankings_csv(result: BacktestResult, tmp_path: Path) -> None:
    out = tmp_path / "rankings.csv"
    write_rankings(result, out)
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["as_of", "level", "key", "probability", "rank"]
    assert len(rows) == 15 * 20
    assert (
        rows[0]["as_of"] == "2026-05-10" and rows[0]["rank"] == "1" and rows[0]["level"] == "floor"
    )
