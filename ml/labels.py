"""What the models predict: did a key fail in the `horizon` days from an as-of day?

A failure is a corrective ticket (`history.CORRECTIVE_KINDS`: tenants' repair requests and
sensor-raised repairs) on the key: on the asset, or, for history without assets, on the
place. The label of as-of day `a` covers tickets opened in [a, a + horizon) site time, so
it is known only once day `a + horizon` has begun.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ml.features import Panel
from ml.grid import Ints, cumulative, window

__all__ = ["labelled_days", "labels"]


def labels(panel: Panel, at: Ints, horizon_days: int) -> npt.NDArray[np.bool_]:
    """`keys x len(at)`: True where the key had a failure in [a, a + horizon)."""
    failures = cumulative(panel.corrective_daily())
    return window(failures, np.asarray(at, dtype=np.int64) + horizon_days, horizon_days) > 0


def labelled_days(first: int, known_before: int, horizon_days: int, stride: int = 1) -> Ints:
    """The as-of days from `first` whose label is known before day `known_before`."""
    last = known_before - horizon_days
    if last < first:
        return np.zeros(0, dtype=np.int64)
    return np.arange(last, first - 1, -stride, dtype=np.int64)[::-1]
