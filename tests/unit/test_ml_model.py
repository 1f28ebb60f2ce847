"""Labels, metrics, baselines, the model's attribution and the reasons, on hand-made data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.baselines import baseline_scores
from ml.explain import contributions
from ml.features import FeatureSpec, Panel, features
from ml.grid import Days
from ml.keys import Level
from ml.labels import labelled_days, labels
from ml.metrics import rank_within_days, score
from ml.model import HotspotModel, TrainParams, train
from ml.predict import rank_keys
from ml.reasons import action_for, describe, reasons_for
from tests.unit.ml_histories import history, ticket


def test_labels_cover_the_horizon_from_the_as_of_day() -> None:
    h = history([ticket(10, asset="pump-1"), ticket(10, hour=23.5, unit="A-101")])
    days = Days.for_history(h, date(2026, 1, 1), date(2026, 2, 1))
    panel = Panel(h, Level.ASSET, days)
    day0 = days.index_of_date(date(2026, 1, 1))
    at = np.array([day0 + d for d in (3, 4, 10, 11)])
    y = labels(panel, at, 7)
    pump, unit = panel.keys.index("pump-1"), panel.keys.index("A/1/A-101")
    assert y[pump].tolist() == [False, True, True, False]  # [4, 11) holds day 10; [11, 18) not
    assert y[unit].tolist() == [False, True, True, False]
    assert not y[panel.keys.index("B/2")].any()
    assert labelled_days(0, 20, 7, 1).tolist() == list(range(0, 14))
    assert labelled_days(0, 20, 7, 5).tolist() == [3, 8, 13]
    assert labelled_days(10, 15, 7).size == 0


def test_metrics_on_a_hand_ranking() -> None:
    days = [1] * 4 + [2] * 4
    labels_ = [1, 0, 1, 0, 0, 0, 0, 1]
    scores = [0.9, 0.8, 0.1, 0.0, 0.9, 0.8, 0.7, 0.6]
    ranks = rank_within_days(days, scores)
    assert ranks.tolist() == [1, 2, 3, 4, 1, 2, 3, 4]
    s = score(days, ranks, labels_, 2, scores, scores)
    assert s.precision_at_k == pytest.approx((0.5 + 0.0) / 2)
    assert s.recall_at_k == pytest.approx(1 / 3)
    assert s.days == 2 and s.positives_per_day == 1.5
    assert s.brier == pytest.approx(np.mean((np.array(scores) - np.array(labels_)) ** 2))
    assert 0 < s.pr_auc < 1


def test_ties_are_broken_at_random_not_by_order() -> None:
    ranks = rank_within_days([1] * 1000, [0.0] * 1000, seed=3)
    assert sorted(ranks.tolist()) == list(range(1, 1001))
    assert ranks[:10].tolist() != list(range(1, 11))


def test_baselines_rank_by_alarms_by_recent_failure_and_by_overdue_maintenance() -> None:
    rows = pd.DataFrame({"alarms_7d": [0, 5, 1], "alarms_30d": [9, 5, 1],
                         "days_since_fail": [3.0, np.nan, 40.0],
                         "days_since_maint": [200.0, 30.0, np.nan]})  # fmt: skip
    found = baseline_scores(rows)
    assert np.argsort(-found["alarms"]).tolist() == [1, 2, 0]
    assert np.argsort(-found["recency"]).tolist() == [0, 2, 1]
    assert np.argsort(-found["overdue"]).tolist() == [0, 1, 2]


def test_attribution_adds_up_to_the_raw_score() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 5))
    x[rng.random(x.shape) < 0.1] = np.nan
    y = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 2]) > 0.8).astype(int)
    model = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(x, y)
    bias, credit = contributions(model, x[:50])
    np.testing.assert_allclose(
        bias + credit.sum(axis=1), model.decision_function(x[:50]), atol=1e-8
    )
    # The features the label depends on carry the credit.
    assert np.abs(credit[:, [0, 2]]).sum() > 5 * np.abs(credit[:, [1, 3, 4]]).sum()


def test_reasons_and_actions_in_words() -> None:
    zh, en = describe("code_low_pressure_7d", 14, "")
    assert en == "14 low-pressure alarms in 7 days" and "低压" in zh
    zh, en = describe("comp_maint_days", 410, "seal")
    assert en == "seal last maintained or replaced 410 days ago" and "密封件" in zh
    names = ["fail_30d", "comp_maint_days", "comp_fail_365d", "tm_moisture_trend"]
    values = np.array([3.0, 410.0, 2.0, 12.5])
    reasons = reasons_for(names, values, np.array([0.1, 0.9, -0.3, 0.05]),
                          {"comp_maint_days": "seal"})  # fmt: skip
    assert [r.feature for r in reasons] == ["comp_maint_days", "comp_fail_365d", "fail_30d"]
    assert [r.effect for r in reasons] == ["raises", "lowers", "raises"]
    row = dict(zip(names, values.tolist(), strict=True))
    action = action_for(row, {"comp_maint_days": "seal", "comp_fail_days": "motor"}, reasons)
    assert (action.code, action.component) == ("replace_component", "motor")
    row["comp_fail_365d"] = 0
    action = action_for(row, {"comp_maint_days": "seal"}, reasons)
    assert (action.code, action.component) == ("schedule_maintenance", "seal")
    assert action_for({}, {}, []).code == "inspect"


def test_a_model_learns_a_planted_pattern_and_round_trips() -> None:
    # Every 10 days the pump raises low-pressure alarms, and two days later it fails.
    tickets, alarms = [], []
    for start in range(0, 200, 10):
        alarms += [{"time": pd.Timestamp("2026-01-01T00:00+08:00") + pd.Timedelta(days=start + d),
                    "device_id": "p1", "code": "low_pressure"} for d in (0, 1)]  # fmt: skip
        tickets.append(ticket(start + 2, asset="pump-1", component="seal"))
        tickets.append(ticket(start + 5, unit="B-201", category="electrical"))
    h = history(tickets, alarms)
    days = Days.for_history(h, date(2026, 8, 1))
    panel = Panel(h, Level.ASSET, days)
    params = TrainParams(max_iter=20, min_samples_leaf=5)
    as_of = days.index_of_date(date(2026, 6, 1))
    model = train(panel, as_of, 2, params)
    assert model.estimator is not None and model.metrics["positives"] > 10
    spec = model.spec
    assert "low_pressure" in spec.codes
    again = HotspotModel.loads(model.dumps())
    x = features(panel, spec, [as_of]).frame[spec.names()].to_numpy(dtype=np.float64)
    np.testing.assert_allclose(again.probability(x), model.probability(x))
    with pytest.raises(ValueError, match="SHA-256"):
        HotspotModel.loads(model.dumps(), sha256="0" * 64)
    # The day after an alarm the pump ranks first, and the alarms are among the reasons.
    ranked = rank_keys(model, panel, date(2026, 6, 2), explain=3)
    top = ranked[0]
    assert top.key == "pump-1" and top.rank == 1 and 0 < top.probability <= 1
    assert top.location["building"] == "A"
    features_ = [r.feature for r in top.reasons]
    assert any(f.startswith(("alarms", "code_", "days_since_")) for f in features_), features_
    assert ranked[5].reasons == []


def test_feature_spec_round_trips() -> None:
    spec = FeatureSpec(("plumbing",), ("E1",), ("voltage",), ("pump",))
    assert FeatureSpec.from_json(spec.as_json()) == spec
    assert "tm_voltage_trend" in spec.names() and "code_E1_30d" in spec.names()
