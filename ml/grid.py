"""Days of a site and key-by-day matrices: the vectorised core of features and labels.

Day `d` is a local calendar day of the site; "as of day `a`" means at `a` 00:00 site time,
knowing only what happened before. An event counts on the day it happened, and is known
for every as-of day after it. A daily telemetry bucket (a UTC day) is known once it has
ended: from the first local midnight at or after its end.

Matrices are `keys x days`; a cumulative matrix has one column more, column `a` holding
the total of days before `a`, so a window [a - w, a) is `C[:, a] - C[:, a - w]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd

from ml.history import History

__all__ = [
    "MISSING",
    "Days",
    "Ints",
    "Matrix",
    "Vector",
    "cumulative",
    "daily",
    "days_since",
    "rolling",
    "window",
]

Matrix = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Vector = npt.NDArray[np.float64]
#: The day index of a missing time.
MISSING = -(2**40)


@dataclass(frozen=True)
class Days:
    """The local days `first` .. `first + count - 1` of a site in time zone `tz`."""

    tz: ZoneInfo
    first: date
    count: int

    def date_of(self, index: int) -> date:
        return self.first + timedelta(days=int(index))

    def index_of_date(self, day: date) -> int:
        return (day - self.first).days

    def midnight(self, index: int) -> datetime:
        """The start of day `index` (site time), as an aware datetime."""
        d = self.date_of(index)
        return datetime(d.year, d.month, d.day, tzinfo=self.tz)

    def _local_dates(self, times: pd.Series) -> pd.Series:
        local = pd.to_datetime(times, utc=True).dt.tz_convert(self.tz).dt.tz_localize(None)
        return local

    def index_of(self, times: pd.Series) -> Ints:
        """The day each (UTC) time falls on (negative before the first day); NaT gives
        `MISSING`."""
        if times.empty:
            return np.zeros(0, dtype=np.int64)
        local = self._local_dates(times).dt.floor("D")
        first = pd.Timestamp(self.first)
        out = ((local - first) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(np.where(np.isnan(out), MISSING, out), dtype=np.int64)

    def known_from(self, ends: pd.Series) -> Ints:
        """For things that end at `ends` (UTC): the first day whose midnight is at or
        after the end, minus one (the day they "happened", for the matrices)."""
        if ends.empty:
            return np.zeros(0, dtype=np.int64)
        local = self._local_dates(ends)
        first_day = local.dt.ceil("D")
        first = pd.Timestamp(self.first)
        out = ((first_day - first) / pd.Timedelta(days=1)).to_numpy(dtype=np.float64)
        return np.asarray(out - 1, dtype=np.int64)

    @classmethod
    def for_history(cls, history: History, *also: date) -> Days:
        """Days from before anything in `history` happened to after the last of it and
        of the days in `also` (as-of days to come)."""
        tz = history.tz
        span = history.span()
        ends: list[date] = list(also)
        if span is not None:
            ends += [span[0].to_pydatetime().astimezone(tz).date(),
                     span[1].to_pydatetime().astimezone(tz).date()]  # fmt: skip
        if not ends:
            ends = [datetime.now(tz).date()]
        first, last = min(ends) - timedelta(days=2), max(ends) + timedelta(days=2)
        return cls(tz, first, (last - first).days + 1)


def daily(
    rows: Ints, days: Ints, shape: tuple[int, int], weights: npt.NDArray[np.float64] | None = None
) -> Matrix:
    """A `keys x days` matrix of the summed `weights` (or counts) at (row, day); entries
    off the grid are dropped."""
    out = np.zeros(shape, dtype=np.float64)
    ok = (rows >= 0) & (days >= 0) & (days < shape[1])
    values = np.ones(int(ok.sum())) if weights is None else weights[ok]
    np.add.at(out, (rows[ok], days[ok]), values)
    return out


def cumulative(matrix: Matrix) -> Matrix:
    """Column `a` of the result is the sum of `matrix`'s columns before `a`."""
    out = np.zeros((matrix.shape[0], matrix.shape[1] + 1), dtype=np.float64)
    np.cumsum(matrix, axis=1, out=out[:, 1:])
    return out


def window(cum: Matrix, at: Ints, width: int) -> Matrix:
    """Sums over [a - width, a) for each as-of day in `at`: `keys x len(at)`."""
    lo = np.clip(at - width, 0, cum.shape[1] - 1)
    hi = np.clip(at, 0, cum.shape[1] - 1)
    return cum[:, hi] - cum[:, lo]


def days_since(present: npt.NDArray[np.bool_], at: Ints) -> Matrix:
    """Days from the last day with something (before `a`) to `a`; NaN when none."""
    n = present.shape[1]
    idx = np.where(present, np.arange(n, dtype=np.float64)[None, :], -1.0)
    last = np.maximum.accumulate(idx, axis=1) if n else idx
    cols = np.clip(at - 1, -1, n - 1)
    found = np.full((present.shape[0], len(at)), -1.0)
    ok = cols >= 0
    if n:
        found[:, ok] = last[:, cols[ok]]
    return np.where(found >= 0, at[None, :] - found, np.nan)


def rolling(matrix: Matrix, at: Ints, width: int, how: str) -> Matrix:
    """The max or min over [a - width, a) of a `keys x days` matrix with NaN for
    nothing: `keys x len(at)`, NaN where the window holds nothing."""
    frame = pd.DataFrame(matrix.T)
    rolled = frame.rolling(width, min_periods=1)
    values = (rolled.max() if how == "max" else rolled.min()).to_numpy().T
    cols = at - 1
    out = np.full((matrix.shape[0], len(at)), np.nan)
    ok = (cols >= 0) & (cols < matrix.shape[1])
    out[:, ok] = values[:, cols[ok]]
    return out
