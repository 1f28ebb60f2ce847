"""What a hotspot is about at each level: an asset (or, for history without assets, the
place itself), a floor (`building/floor`) or a building.

Every ticket, device, alarm and asset maps to one key per level; the keys a level ranks
are every asset and place the site has, plus any key its history names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from ml.history import History

__all__ = ["KEY_COLUMNS", "Level", "Locations", "join_columns", "keys_of", "universe"]


class Level(StrEnum):
    ASSET = "asset"
    FLOOR = "floor"
    BUILDING = "building"


def join_columns(*parts: pd.Series) -> pd.Series:
    """Texts of the columns joined by '/', row by row (vectorised)."""
    out = parts[0].astype(str)
    for part in parts[1:]:
        out = out + "/" + part.astype(str)
    return out


def keys_of(level: Level, places: pd.DataFrame) -> pd.Series:
    """The key at `level` of each row of `places` (columns building, floor, unit, asset);
    '' where the row names too little (a floor key needs a floor)."""
    building = places["building"].astype(str)
    floor = places["floor"].astype(str)
    if level is Level.BUILDING:
        return building
    at_floor = pd.Series(
        np.where(floor != "", join_columns(building, floor), ""), index=places.index
    )
    if level is Level.FLOOR:
        return at_floor.where(building != "", "")
    unit = places["unit"].astype(str)
    asset = places["asset"].astype(str) if "asset" in places else pd.Series("", index=places.index)
    at_place = np.where(
        (unit != "") & (floor != ""),
        join_columns(building, floor, unit),
        np.where(floor != "", at_floor, building),
    )
    return pd.Series(np.where(asset != "", asset, at_place), index=places.index)


#: The columns that place a key: its building, floor, unit and asset.
KEY_COLUMNS = ["building", "floor", "unit", "asset"]


@dataclass(frozen=True)
class Locations:
    """Where each key is: building, floor, unit, asset, asset type and names."""

    table: pd.DataFrame  # indexed by key

    def of(self, key: str) -> dict[str, str]:
        if key not in self.table.index:
            return {"building": "", "floor": "", "unit": "", "asset": ""}
        row = self.table.loc[key]
        return {name: str(row[name]) for name in KEY_COLUMNS}


def universe(history: History, level: Level) -> Locations:
    """Every key `level` ranks for the site, sorted, with its location."""
    places = history.places.assign(asset="")
    rows = [places[KEY_COLUMNS]]
    if level is Level.ASSET:
        assets = history.assets.rename(columns={"asset_id": "asset"})
        rows.append(assets[KEY_COLUMNS])
    else:
        rows.append(history.assets[["building", "floor", "unit"]].assign(asset=""))
    tickets = history.tickets[KEY_COLUMNS]
    rows.append(tickets)
    table = pd.concat(rows, ignore_index=True)
    if level is not Level.ASSET:
        table = table.assign(asset="", unit="")
        if level is Level.BUILDING:
            table = table.assign(floor="")
    table = table.assign(key=keys_of(level, table))
    table = table[table["key"] != ""]
    # A key's location is its first appearance: the registry before the tickets.
    table = table.drop_duplicates("key").set_index("key").sort_index()
    return Locations(table)
