"""Features of every key as of a day, from what was known before that day only.

All of it is computed on `keys x days` matrices (`ml.grid`): an event on day `d` enters
the features of as-of days after `d`, never of `d` itself or before, so appending any
data stamped at or after an as-of time leaves that day's features unchanged
(`tests/unit/test_ml_features.py` checks it as a property).

Families (the names say the window in days):
- tickets: corrective tickets (failures) over 7/30/90/365 days, by category too; sensor-
  raised failures; complaints; maintenance done; days since the last failure and the last
  maintenance, and per component (the least recently maintained, the most recently failed);
- the place's own history: failures on the key's floor and in its building;
- alarms and error codes over 1/7/30 days, in all and per frequent code;
- telemetry per metric from the store's daily roll-ups: 7-day mean, spread, min and max,
  days over a threshold, the trend against the 30 days before, and silence;
- the asset: type, age, criticality, components; failures of same-type and same-model
  assets elsewhere.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

from ml.grid import (
    MISSING,
    Days,
    Ints,
    Matrix,
    Vector,
    cumulative,
    daily,
    days_since,
    rolling,
    window,
)
from ml.history import CORRECTIVE_KINDS, History
from ml.keys import Level, Locations, join_columns, keys_of, universe

__all__ = [
    "DEFAULT_THRESHOLDS",
    "TICKET_WINDOWS",
    "FeatureSpec",
    "Features",
    "Panel",
]

TICKET_WINDOWS = (7, 30, 90, 365)
ALARM_WINDOWS = (1, 7, 30)
#: Metric -> (low, high) limits; a daily minimum below low or maximum above high makes a
#: day over the threshold. A device's own `<metric>_min` / `<metric>_max` override them.
DEFAULT_THRESHOLDS: Mapping[str, tuple[float | None, float | None]] = {
    "moisture": (None, 60.0),
    "water_leak": (None, 0.5),
    "voltage": (198.0, 242.0),
    "battery": (20.0, None),
    "fault_code": (None, 0.5),
    "entrapment": (None, 0.5),
    "temperature": (None, 45.0),
    "pressure": (None, None),
}
_MAX_CATEGORIES = 8
_MAX_CODES = 8
_MAX_METRICS = 12
_MAX_TYPES = 10
_MAINTENANCE = "maintenance"
_COMPLAINT = "complaint"
_TELEMETRY_STATS = ("mean7", "max7", "min7", "spread7", "trend", "over7", "silent")


def _top(values: Iterable[str], limit: int) -> tuple[str, ...]:
    counts = Counter(v for v in values if v)
    return tuple(sorted(v for v, _ in counts.most_common(limit)))


@dataclass(frozen=True)
class FeatureSpec:
    """Which categories, alarm codes, metrics and asset types get features of their
    own: the most frequent in the history a model was trained on."""

    categories: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    @classmethod
    def learn(cls, history: History, before: datetime | None = None) -> FeatureSpec:
        """The spec from what `history` knew before `before` (everything when None)."""
        known = history.before(before) if before is not None else history
        corrective = known.tickets[known.tickets["kind"].isin(CORRECTIVE_KINDS)]
        return cls(
            categories=_top(corrective["category"], _MAX_CATEGORIES),
            codes=_top(known.alarms["code"], _MAX_CODES),
            metrics=_top(known.telemetry["metric"], _MAX_METRICS),
            types=_top(known.assets["type"], _MAX_TYPES),
        )

    def as_json(self) -> dict[str, list[str]]:
        return {
            "categories": list(self.categories),
            "codes": list(self.codes),
            "metrics": list(self.metrics),
            "types": list(self.types),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Sequence[str]]) -> FeatureSpec:
        return cls(*(tuple(data.get(k, ())) for k in ("categories", "codes", "metrics", "types")))

    def names(self) -> list[str]:
        """Every feature's name, in the model's column order."""
        names = [f"fail_{w}d" for w in TICKET_WINDOWS]
        names += [f"cat_{c}_{w}d" for c in self.categories for w in TICKET_WINDOWS]
        names += ["sensor_fail_7d", "sensor_fail_30d", "complaints_30d", "maint_365d"]
        names += ["days_since_fail", "days_since_maint", "comp_maint_days", "comp_fail_days",
                  "comp_fail_365d"]  # fmt: skip
        names += ["floor_fail_30d", "floor_fail_365d", "building_fail_30d"]
        names += [f"alarms_{w}d" for w in ALARM_WINDOWS] + ["days_since_alarm"]
        names += [f"code_{c}_{w}d" for c in self.codes for w in (7, 30)]
        names += [f"tm_{m}_{s}" for m in self.metrics for s in _TELEMETRY_STATS]
        names += ["is_asset", "age_days", "criticality", "components", "assets_here"]
        names += [f"type_{t}" for t in self.types]
        names += ["type_fail_365d", "model_fail_365d"]
        return names


@dataclass(frozen=True)
class Features:
    """Feature rows for (as-of day, key) pairs, with the component behind each row's
    component features (for the reasons)."""

    frame: pd.DataFrame  # columns: as_of (date), key, then the spec's feature names
    components: pd.DataFrame  # as_of, key, comp_maint (name), comp_fail (name)


def _cat(level: Level, table: pd.DataFrame, index: Mapping[str, int]) -> Ints:
    keys = keys_of(level, table)
    return np.asarray(keys.map(index).fillna(-1).to_numpy(), dtype=np.int64)


@dataclass
class Panel:
    """Everything the features of one level need, laid out on the site's days."""

    history: History
    level: Level
    days: Days
    locations: Locations = field(init=False)
    keys: list[str] = field(init=False)
    index: dict[str, int] = field(init=False)
    #: The first day each key may be ranked (a key named only by tickets: after its
    #: first ticket; an asset: from its installation).
    born: Ints = field(init=False)

    def __post_init__(self) -> None:
        self.locations = universe(self.history, self.level)
        self.keys = list(self.locations.table.index)
        self.index = {k: i for i, k in enumerate(self.keys)}
        born = np.full(len(self.keys), -(10**6), dtype=np.int64)
        registered = set(keys_of(self.level, self.history.places.assign(asset="")))
        if self.level is Level.ASSET:
            assets = self.history.assets
            registered |= set(assets["asset_id"])
            installed = self.days.index_of(assets["installed_on"])
            for asset, day in zip(assets["asset_id"], installed, strict=True):
                if day != MISSING and asset in self.index:
                    born[self.index[asset]] = day
        else:
            at = self.history.assets.assign(asset="", unit="")
            registered |= set(keys_of(self.level, at))
        tickets = self.history.tickets
        if not tickets.empty:
            first = (
                pd.DataFrame({"key": keys_of(self.level, tickets),
                              "day": self.days.index_of(tickets["created_at"])})
                .groupby("key")["day"].min()
            )  # fmt: skip
            for key, day in first.items():
                if key not in registered and key in self.index:
                    born[self.index[str(key)]] = int(day) + 1
        self.born = born

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.keys), self.days.count

    def rows(self, table: pd.DataFrame) -> Ints:
        """The key row of each row of `table` (building, floor, unit, asset columns)."""
        return _cat(self.level, table, self.index)

    def corrective_daily(self) -> Matrix:
        t = self.history.tickets
        t = t[t["kind"].isin(CORRECTIVE_KINDS)]
        return daily(self.rows(t), self.days.index_of(t["created_at"]), self.shape)


def _tickets(panel: Panel, spec: FeatureSpec, at: Ints) -> dict[str, Matrix]:
    t = panel.history.tickets
    rows, days = panel.rows(t), panel.days.index_of(t["created_at"])
    kinds, cats = t["kind"].to_numpy(), t["category"].to_numpy()
    corrective = np.isin(kinds, list(CORRECTIVE_KINDS))
    out: dict[str, Matrix] = {}

    def counts(mask: npt.NDArray[np.bool_]) -> Matrix:
        return daily(rows[mask], days[mask], panel.shape)

    fail = counts(corrective)
    fail_cum = cumulative(fail)
    for w in TICKET_WINDOWS:
        out[f"fail_{w}d"] = window(fail_cum, at, w)
    for c in spec.categories:
        cum = cumulative(counts(corrective & (cats == c)))
        for w in TICKET_WINDOWS:
            out[f"cat_{c}_{w}d"] = window(cum, at, w)
    sensor = cumulative(counts(corrective & (t["source"].to_numpy() == "sensor")))
    out["sensor_fail_7d"] = window(sensor, at, 7)
    out["sensor_fail_30d"] = window(sensor, at, 30)
    out["complaints_30d"] = window(cumulative(counts(kinds == _COMPLAINT)), at, 30)
    done = (kinds == _MAINTENANCE) & t["resolved_at"].notna().to_numpy()
    done_days = panel.days.index_of(t["resolved_at"])
    maint = daily(rows[done], done_days[done], panel.shape)
    out["maint_365d"] = window(cumulative(maint), at, 365)
    out["days_since_fail"] = days_since(fail > 0, at)
    out["days_since_maint"] = days_since(maint > 0, at)
    return out


def _components(panel: Panel, at: Ints) -> tuple[dict[str, Matrix], pd.DataFrame]:
    """Per (asset, component): days since its last maintenance (or, never maintained,
    since the asset's installation) and since its last failure; the worst per key."""
    h = panel.history
    assets = h.assets[h.assets["components"] != ""]
    pairs = (
        assets.assign(component=assets["components"].str.split("|"))
        .explode("component")[["asset_id", "component", "building", "floor", "unit",
                               "installed_on"]]
        .rename(columns={"asset_id": "asset"})
    )  # fmt: skip
    t = h.tickets[(h.tickets["asset"] != "") & (h.tickets["component"] != "")]
    pairs = pd.concat(
        [pairs, t[["asset", "component", "building", "floor", "unit"]]], ignore_index=True
    ).drop_duplicates(["asset", "component"])
    n_keys, n_at = len(panel.keys), len(at)
    empty = {name: np.full((n_keys, n_at), np.nan) for name in ("comp_maint_days",
             "comp_fail_days")}  # fmt: skip
    empty["comp_fail_365d"] = np.zeros((n_keys, n_at))
    names = pd.DataFrame(
        {"comp_maint": [""] * (n_keys * n_at), "comp_fail": [""] * (n_keys * n_at)}
    )
    if pairs.empty:
        return empty, names
    pairs = pairs.reset_index(drop=True)
    shape = (len(pairs), panel.days.count)
    numbered = pairs[["asset", "component"]].assign(row=np.arange(len(pairs)))
    prow = (
        t[["asset", "component"]].merge(numbered, on=["asset", "component"], how="left")["row"]
        .fillna(-1).to_numpy(dtype=np.int64)
    )  # fmt: skip
    kinds = t["kind"].to_numpy()
    fail_mask = np.isin(kinds, list(CORRECTIVE_KINDS))
    done = (kinds == _MAINTENANCE) & t["resolved_at"].notna().to_numpy()
    fail = daily(prow[fail_mask], panel.days.index_of(t["created_at"])[fail_mask], shape)
    maint = daily(prow[done], panel.days.index_of(t["resolved_at"])[done], shape)
    # Never maintained: the days since the asset was installed, when that is known.
    installed = panel.days.index_of(pairs["installed_on"])
    since_install = np.where(
        (installed[:, None] != MISSING) & (at[None, :] > installed[:, None]),
        (at[None, :] - installed[:, None]).astype(np.float64), np.nan,
    )  # fmt: skip
    maint_days = days_since(maint > 0, at)
    maint_days = np.where(np.isnan(maint_days), since_install, maint_days)
    fail_days = days_since(fail > 0, at)
    fail_365 = window(cumulative(fail), at, 365)
    # The pair's key: its asset at the asset level, else the asset's (or ticket's) place.
    owner = panel.rows(pairs.fillna(""))
    ok = owner >= 0
    comp = pairs["component"].to_numpy(dtype=object)
    out = dict(empty)
    own, cols = owner[ok], np.arange(n_at)
    np.fmax.at(out["comp_maint_days"], own, maint_days[ok])
    np.fmin.at(out["comp_fail_days"], own, fail_days[ok])
    np.fmax.at(out["comp_fail_365d"], own, fail_365[ok])
    maint_name = np.full((n_keys, n_at), "", dtype=object)
    fail_name = np.full((n_keys, n_at), "", dtype=object)
    for values, best, names_out in ((maint_days, out["comp_maint_days"], maint_name),
                                    (fail_days, out["comp_fail_days"], fail_name)):  # fmt: skip
        hit_p, hit_c = np.nonzero((values[ok] == best[own]) & ~np.isnan(values[ok]))
        names_out[own[hit_p], cols[hit_c]] = comp[ok][hit_p]
    names = pd.DataFrame({"comp_maint": maint_name.T.ravel(), "comp_fail": fail_name.T.ravel()})
    return out, names


def _parents(panel: Panel, at: Ints) -> dict[str, Matrix]:
    """Failures on each key's floor and in its building."""
    t = panel.history.tickets
    t = t[t["kind"].isin(CORRECTIVE_KINDS)]
    loc = panel.locations.table
    out: dict[str, Matrix] = {}
    for name, cols, widths in (("floor", ("building", "floor"), (30, 365)),
                               ("building", ("building",), (30,))):  # fmt: skip
        parent_of_ticket = join_columns(*(t[c] for c in cols))
        parent_of_key = join_columns(*(loc[c] for c in cols))
        parents = sorted(set(parent_of_key))
        pidx = {p: i for i, p in enumerate(parents)}
        rows = parent_of_ticket.map(pidx).fillna(-1).to_numpy(dtype=np.int64)
        cum = cumulative(daily(rows, panel.days.index_of(t["created_at"]),
                               (len(parents), panel.days.count)))  # fmt: skip
        key_parent = parent_of_key.map(pidx).to_numpy(dtype=np.int64)
        for w in widths:
            win = window(cum, at, w)
            out[f"{name}_fail_{w}d"] = (
                win[key_parent] if len(key_parent) else np.zeros((0, len(at)))
            )
    return out


def _alarm_places(panel: Panel) -> pd.DataFrame:
    """Alarms with the place of their device (or of their asset, when imported so)."""
    h = panel.history
    a = h.alarms
    devices = h.devices.set_index("device_id")
    assets = h.assets.set_index("asset_id")
    placed = a.join(devices[["building", "floor", "unit", "asset"]].rename(
        columns={"asset": "device_asset"}), on="device_id")  # fmt: skip
    placed = placed.join(assets[["building", "floor", "unit"]].add_prefix("asset_"), on="asset")
    asset = placed["asset"].where(placed["asset"] != "", placed["device_asset"]).fillna("")
    use_asset = placed["building"].isna()
    out = pd.DataFrame({
        "building": placed["building"].fillna(placed["asset_building"]).fillna(""),
        "floor": placed["floor"].where(~use_asset, placed["asset_floor"]).fillna(""),
        "unit": placed["unit"].where(~use_asset, placed["asset_unit"]).fillna(""),
        "asset": asset,
        "code": placed["code"],
        "time": placed["time"],
    })  # fmt: skip
    return out


def _alarms(panel: Panel, spec: FeatureSpec, at: Ints) -> dict[str, Matrix]:
    a = _alarm_places(panel)
    rows, days = panel.rows(a), panel.days.index_of(a["time"])
    every = daily(rows, days, panel.shape)
    cum = cumulative(every)
    out = {f"alarms_{w}d": window(cum, at, w) for w in ALARM_WINDOWS}
    out["days_since_alarm"] = days_since(every > 0, at)
    codes = a["code"].to_numpy()
    for c in spec.codes:
        mask = codes == c
        cum_c = cumulative(daily(rows[mask], days[mask], panel.shape))
        for w in (7, 30):
            out[f"code_{c}_{w}d"] = window(cum_c, at, w)
    return out


def _limits(history: History, device_ids: pd.Series, metric: str) -> tuple[Vector, Vector]:
    """Each row's (low, high) limits for `metric`: the device's own, else the default."""
    low, high = DEFAULT_THRESHOLDS.get(metric, (None, None))
    lows = pd.Series(np.nan if low is None else low, index=device_ids.index)
    highs = pd.Series(np.nan if high is None else high, index=device_ids.index)
    own = {
        device: (limits.get(f"{metric}_min"), limits.get(f"{metric}_max"))
        for device, limits in history.thresholds.items()
    }
    if own:
        table = pd.DataFrame.from_dict(own, orient="index", columns=["low", "high"])
        lows = device_ids.map(table["low"]).fillna(lows)
        highs = device_ids.map(table["high"]).fillna(highs)
    return (np.asarray(lows.to_numpy(), dtype=np.float64),
            np.asarray(highs.to_numpy(), dtype=np.float64))  # fmt: skip


def _telemetry(panel: Panel, spec: FeatureSpec, at: Ints) -> dict[str, Matrix]:
    h = panel.history
    tm = h.telemetry
    devices = h.devices.set_index("device_id")
    out: dict[str, Matrix] = {}
    placed = tm.join(devices[["building", "floor", "unit", "asset"]], on="device_id")
    placed = placed[placed["building"].notna()]
    rows = panel.rows(placed)
    days = panel.days.known_from(placed["bucket"] + pd.Timedelta(days=1))
    metrics = placed["metric"].to_numpy()
    shape = panel.shape
    n_at = len(at)
    for m in spec.metrics:
        mask = (metrics == m) & (rows >= 0)
        names = [f"tm_{m}_{s}" for s in _TELEMETRY_STATS]
        if not mask.any():
            for name in names:
                out[name] = np.full((shape[0], n_at), np.nan)
            continue
        part = placed[mask]
        r, d = rows[mask], days[mask]
        n = daily(r, d, shape)
        sums = cumulative(daily(r, d, shape, part["avg"].to_numpy(dtype=np.float64)))
        counts = cumulative(n)
        spread = cumulative(daily(r, d, shape, part["stddev"].fillna(0).to_numpy(dtype=np.float64)))
        lows, highs = _limits(h, part["device_id"], m)
        over = ((part["min"].to_numpy() < lows) | (part["max"].to_numpy() > highs)).astype(
            np.float64
        )
        over_cum = cumulative(daily(r, d, shape, over))
        with np.errstate(invalid="ignore", divide="ignore"):
            n7 = window(counts, at, 7)
            mean7 = window(sums, at, 7) / n7
            n_before = window(counts, at - 7, 30)
            before = window(sums, at - 7, 30) / n_before
            out[f"tm_{m}_mean7"] = mean7
            out[f"tm_{m}_spread7"] = window(spread, at, 7) / n7
            out[f"tm_{m}_trend"] = mean7 - before
        hi = np.full(shape, np.nan)
        lo = np.full(shape, np.nan)
        frame = pd.DataFrame(
            {"r": r, "d": d, "max": part["max"].to_numpy(), "min": part["min"].to_numpy()}
        )
        frame = frame[(frame["d"] >= 0) & (frame["d"] < shape[1])]
        g = frame.groupby(["r", "d"]).agg({"max": "max", "min": "min"}).reset_index()
        hi[g["r"].to_numpy(), g["d"].to_numpy()] = g["max"].to_numpy()
        lo[g["r"].to_numpy(), g["d"].to_numpy()] = g["min"].to_numpy()
        out[f"tm_{m}_max7"] = rolling(hi, at, 7, "max")
        out[f"tm_{m}_min7"] = rolling(lo, at, 7, "min")
        out[f"tm_{m}_over7"] = np.where(n7 > 0, window(over_cum, at, 7), np.nan)
        out[f"tm_{m}_silent"] = days_since(n > 0, at)
    return out


def _assets(panel: Panel, spec: FeatureSpec, at: Ints) -> dict[str, Matrix]:
    h = panel.history
    n_keys, n_at = panel.shape[0], len(at)
    a = h.assets
    out: dict[str, Matrix] = {}
    key_rows = panel.rows(a.rename(columns={"asset_id": "asset"}) if panel.level is Level.ASSET
                          else a.assign(asset="", unit=""))  # fmt: skip
    installed = panel.days.index_of(a["installed_on"])
    ok = key_rows >= 0
    is_asset = np.zeros(n_keys)
    if panel.level is Level.ASSET:
        is_asset[key_rows[ok]] = 1.0
    out["is_asset"] = np.repeat(is_asset[:, None], n_at, axis=1)
    age = np.full((n_keys, n_at), np.nan)
    crit = np.full((n_keys, n_at), np.nan)
    comps = np.zeros((n_keys, n_at))
    here = np.zeros((n_keys, n_at))
    n_comp = (a["components"].str.count(r"\|") + (a["components"] != "")).to_numpy(dtype=np.float64)
    criticality = a["criticality"].replace(0, 3).to_numpy(dtype=np.float64)
    k = key_rows[ok]
    inst = installed[ok]
    known = inst[:, None] != MISSING
    present = np.where(known, at[None, :] >= inst[:, None], True)
    a_age = np.where(present & known, at[None, :] - inst[:, None], np.nan)
    np.fmax.at(age, k, a_age.astype(np.float64))
    np.fmax.at(crit, k, np.where(present, criticality[ok][:, None], np.nan))
    np.add.at(comps, k, np.where(present, n_comp[ok][:, None], 0.0))
    np.add.at(here, k, present.astype(np.float64))
    types = {}
    kinds = a["type"].to_numpy(dtype=object)[ok]
    for t in spec.types:
        m = np.zeros((n_keys, n_at))
        sel = kinds == t
        np.fmax.at(m, k[sel], present[sel].astype(np.float64))
        types[t] = m
    out.update(age_days=age, criticality=crit, components=comps, assets_here=here)
    out.update({f"type_{t}": m for t, m in types.items()})
    # Failures of assets of the same type and model elsewhere, per asset of that group.
    failed = h.tickets[h.tickets["kind"].isin(CORRECTIVE_KINDS) & (h.tickets["asset"] != "")]
    info = a.set_index("asset_id")[["type", "model"]]
    failed = failed.join(info, on="asset")
    for column, name in (("type", "type_fail_365d"), ("model", "model_fail_365d")):
        groups = sorted(g for g in set(a[column]) if g)
        gidx = {g: i for i, g in enumerate(groups)}
        sizes = np.array([max(int((a[column] == g).sum()), 1) for g in groups], dtype=np.float64)
        grows = failed[column].map(gidx).fillna(-1).to_numpy(dtype=np.int64)
        cum = cumulative(daily(grows, panel.days.index_of(failed["created_at"]),
                               (len(groups), panel.days.count)))  # fmt: skip
        win = window(cum, at, 365) / sizes[:, None] if groups else np.zeros((0, n_at))
        value = np.full((n_keys, n_at), np.nan)
        asset_group = a[column].map(gidx).fillna(-1).to_numpy(dtype=np.int64)
        sel = ok & (asset_group >= 0)
        np.fmax.at(value, key_rows[sel], win[asset_group[sel]])
        out[name] = value
    return out


def features(panel: Panel, spec: FeatureSpec, at: Sequence[int] | Ints) -> Features:
    """Feature rows for every key at each as-of day index in `at` (keys not yet born
    are left out), in the spec's column order."""
    at_arr = np.asarray(at, dtype=np.int64)
    parts: dict[str, Matrix] = {}
    parts.update(_tickets(panel, spec, at_arr))
    comp, comp_names = _components(panel, at_arr)
    parts.update(comp)
    parts.update(_parents(panel, at_arr))
    parts.update(_alarms(panel, spec, at_arr))
    parts.update(_telemetry(panel, spec, at_arr))
    parts.update(_assets(panel, spec, at_arr))
    n_keys = len(panel.keys)
    as_of = np.repeat([panel.days.date_of(a) for a in at_arr], n_keys)
    keys = np.tile(np.array(panel.keys, dtype=object), len(at_arr))
    data = {"as_of": as_of, "key": keys, "day": np.repeat(at_arr, n_keys)}
    for name in spec.names():
        data[name] = parts[name].T.ravel() if n_keys else np.zeros(0)
    frame = pd.DataFrame(data)
    alive = np.repeat(at_arr, n_keys) >= np.tile(panel.born, len(at_arr))
    comp_names = comp_names.assign(as_of=as_of, key=keys)
    return Features(frame[alive].reset_index(drop=True), comp_names[alive].reset_index(drop=True))
