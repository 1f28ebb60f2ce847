"""The maintenance ticket a hotspot becomes: what it says and where it goes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["WorkOrder", "work_order_for"]

#: Asset type -> ticket category.
_CATEGORY = {
    "riser": "plumbing", "pump": "plumbing", "boiler": "hvac", "chiller": "hvac",
    "fire_pump": "plumbing", "power_panel": "electrical", "transformer": "electrical",
    "lighting_circuit": "electrical", "generator": "electrical", "elevator": "elevator",
    "escalator": "elevator", "ahu": "hvac", "hvac": "hvac",
}  # fmt: skip
_CATEGORIES = ("plumbing", "electrical", "elevator", "hvac", "doors_windows")


@dataclass(frozen=True, slots=True)
class WorkOrder:
    category: str
    title: str
    description: str
    building: str
    floor: str
    unit: str
    asset: str
    component: str


def _category(asset_type: str, reasons: Sequence[Mapping[str, Any]]) -> str:
    if asset_type in _CATEGORY:
        return _CATEGORY[asset_type]
    for r in reasons:  # the category whose failures raised the risk most
        feature = str(r.get("feature", ""))
        for category in _CATEGORIES:
            if feature.startswith(f"cat_{category}_") and r.get("effect") == "raises":
                return category
    return "other"


def work_order_for(key: str, probability: float, horizon_days: int, location: Mapping[str, str],
                   asset_type: str, reasons: Sequence[Mapping[str, Any]], action: Mapping[str, str],
                   first_floor: str, note: str = "") -> WorkOrder:  # fmt: skip
    """A building-level hotspot goes to the building's first floor (a ticket needs one)."""
    floor = location.get("floor", "") or first_floor
    act_zh, act_en = action.get("text_zh", "现场检查"), action.get("text_en", "inspect on site")
    why = "\n".join(f"- {r.get('text_zh', '')} / {r.get('text_en', '')}" for r in reasons)
    description = (
        f"风险热点 {key}：{horizon_days}天内故障概率 {probability:.0%}。\n"
        f"Hotspot {key}: {probability:.0%} chance of a failure within {horizon_days} days.\n"
        f"{why}"
    )
    if note:
        description += f"\n{note}"
    component = action.get("component", "") if location.get("asset") else ""
    return WorkOrder(
        category=_category(asset_type, reasons),
        title=f"预测性维护：{act_zh}（{key}） / Predictive maintenance: {act_en} ({key})"[:200],
        description=description[:4000],
        building=location.get("building", ""),
        floor=floor,
        unit=location.get("unit", "") if location.get("floor") else "",
        asset=location.get("asset", ""),
        component=component,
    )
