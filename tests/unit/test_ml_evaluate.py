"""Stored rankings scored against the failures that followed them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ml.evaluate import evaluate
from ml.history import TICKET_COLUMNS, frame
from tests.unit.ml_histories import TZ, ticket


def test_runs_are_scored_once_their_horizon_is_over() -> None:
    runs = pd.DataFrame({"run_id": [1, 2, 3], "level": ["asset", "asset", "floor"],
                         "horizon_days": [7, 7, 7],
                         "as_of": [date(2026, 1, 1), date(2026, 1, 20), date(2026, 1, 1)]})  # fmt: skip
    predictions = pd.DataFrame({
        "id": [10, 11, 12, 20, 21, 30, 31],
        "run_id": [1, 1, 1, 2, 2, 3, 3],
        "key": ["pump-1", "A/1/A-101", "B/2", "pump-1", "B/2", "A/1", "B/2"],
        "rank": [1, 2, 3, 1, 2, 1, 2],
        "probability": [0.8, 0.3, 0.1, 0.5, 0.4, 0.9, 0.2],
    })  # fmt: skip
    tickets = frame(TICKET_COLUMNS, [
        ticket(3, asset="pump-1"),  # in [Jan 1, Jan 8): the pump failed
        ticket(6, hour=23, unit="A-101"),  # Jan 7, 23:00: still inside
        ticket(8, floor="2", building="B"),  # Jan 9: after the horizon
        ticket(4, kind="maintenance", asset="pump-1"),  # not a failure
    ])  # fmt: skip
    work_orders = pd.DataFrame({"prediction_id": [10, 12]})
    rows = evaluate(runs, predictions, tickets, TZ, date(2026, 1, 22), 1, work_orders)
    asset, floor = rows
    assert (asset["level"], asset["runs"], asset["scored_runs"]) == ("asset", 2, 1)
    assert asset["precision_at_k"] == 1.0 and asset["recall_at_k"] == pytest.approx(0.5)
    assert asset["failures"] == 2 and asset["work_orders"] == 2 and asset["work_orders_failed"] == 1
    assert floor["scored_runs"] == 1 and floor["failures"] == 1 and floor["precision_at_k"] == 1.0
    assert evaluate(runs.iloc[:0], predictions, tickets, TZ, date(2026, 1, 22), 1) == []
