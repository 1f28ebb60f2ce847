"""Why a key ranks where it does, in words (Chinese and English), and what to do about it.

The reasons are the three features with the largest share of the prediction's log-odds
(`ml.explain`), each with its value, a sentence and the direction of its effect. The
recommended action follows from them: a component that keeps failing is replaced, an
asset long without maintenance gets it scheduled, anything else is inspected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Action", "Reason", "action_for", "describe", "reasons_for"]

#: Alarm codes and metrics in words: code -> (Chinese, English).
WORDS: dict[str, tuple[str, str]] = {
    "leak": ("漏水", "leak"),
    "moisture_high": ("湿度偏高", "high-moisture"),
    "power_outage": ("停电", "power-outage"),
    "voltage_out_of_range": ("电压异常", "voltage"),
    "elevator_fault": ("电梯故障", "elevator-fault"),
    "door_faults": ("门故障", "door-fault"),
    "entrapment": ("困人", "entrapment"),
    "device_offline": ("设备离线", "device-offline"),
    "low_pressure": ("低压", "low-pressure"),
    "high_temperature": ("高温", "high-temperature"),
    "moisture": ("湿度", "moisture"),
    "water_leak": ("漏水信号", "water-leak signal"),
    "voltage": ("电压", "voltage"),
    "current": ("电流", "current"),
    "power": ("功率", "power"),
    "battery": ("电池电量", "battery"),
    "fault_code": ("故障码", "fault code"),
    "temperature": ("温度", "temperature"),
    "pressure": ("压力", "pressure"),
    "plumbing": ("给排水", "plumbing"),
    "electrical": ("电气", "electrical"),
    "elevator": ("电梯", "elevator"),
    "hvac": ("空调", "HVAC"),
    "doors_windows": ("门窗", "doors and windows"),
    "other": ("其他", "other"),
    "riser": ("立管", "riser"),
    "power_panel": ("配电柜", "power panel"),
    "pump": ("水泵", "pump"),
    "seal": ("密封件", "seal"),
    "motor": ("电机", "motor"),
    "bearing": ("轴承", "bearing"),
    "brake": ("制动器", "brake"),
    "door_operator": ("门机", "door operator"),
    "controller": ("控制器", "controller"),
    "breaker": ("断路器", "breaker"),
    "joint": ("接头", "joint"),
    "valve": ("阀门", "valve"),
}


def _w(code: str) -> tuple[str, str]:
    return WORDS.get(code, (code, code.replace("_", " ")))


def _n(value: float) -> str:
    if math.isnan(value):
        return "?"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def describe(feature: str, value: float, component: str = "") -> tuple[str, str]:
    """(Chinese, English) sentence for a feature's value."""
    v = _n(value)
    part = feature.split("_")
    if feature.startswith("fail_"):
        w = part[1][:-1]
        return f"近{w}天故障{v}次", f"{v} failures in {w} days"
    if feature.startswith("cat_"):
        cat, w = "_".join(part[1:-1]), part[-1][:-1]
        zh, en = _w(cat)
        return f"近{w}天{zh}报修{v}次", f"{v} {en} repairs in {w} days"
    if feature.startswith("code_"):
        code, w = "_".join(part[1:-1]), part[-1][:-1]
        zh, en = _w(code)
        return f"近{w}天{zh}报警{v}次", f"{v} {en} alarms in {w} days"
    if feature.startswith("alarms_"):
        w = part[1][:-1]
        return f"近{w}天报警{v}次", f"{v} alarms in {w} days"
    if feature.startswith("tm_"):
        stat = part[-1]
        zh, en = _w("_".join(part[1:-1]))
        return {
            "mean7": (f"近7天{zh}均值{v}", f"{en} averaged {v} over 7 days"),
            "max7": (f"近7天{zh}最高{v}", f"{en} peaked at {v} in 7 days"),
            "min7": (f"近7天{zh}最低{v}", f"{en} fell to {v} in 7 days"),
            "spread7": (f"近7天{zh}波动{v}", f"{en} varied by {v} (daily spread) in 7 days"),
            "trend": (f"{zh}较前30天变化{v}", f"{en} moved {v} from the 30 days before"),
            "over7": (
                f"近7天{zh}越限{v}天次",
                f"{en} beyond its limits on {v} device-days in 7 days",
            ),
            "silent": (f"{zh}已{v}天无读数", f"no {en} readings for {v} days"),
        }.get(stat, (f"{zh} {stat} {v}", f"{en} {stat} {v}"))
    if component and feature == "comp_maint_days":
        zh, en = _w(component)
        return f"{zh}已{v}天未保养或更换", f"{en} last maintained or replaced {v} days ago"
    if component and feature == "comp_fail_days":
        zh, en = _w(component)
        return f"{zh}{v}天前故障", f"{en} failed {v} days ago"
    if feature.startswith("type_") and feature not in ("type_fail_365d",):
        zh, en = _w(feature[5:])
        return (f"类型为{zh}", f"is a {en}") if value else (f"类型不是{zh}", f"is not a {en}")
    fixed = {
        "sensor_fail_7d": (f"近7天传感器报修{v}次", f"{v} sensor-raised repairs in 7 days"),
        "sensor_fail_30d": (f"近30天传感器报修{v}次", f"{v} sensor-raised repairs in 30 days"),
        "complaints_30d": (f"近30天投诉{v}次", f"{v} complaints in 30 days"),
        "maint_365d": (f"近一年保养{v}次", f"{v} maintenance jobs in 365 days"),
        "days_since_fail": (f"距上次故障{v}天", f"last failure {v} days ago"),
        "days_since_maint": (f"距上次保养{v}天", f"last maintenance {v} days ago"),
        "comp_maint_days": (f"部件最久{v}天未保养", f"a component unmaintained for {v} days"),
        "comp_fail_days": (f"部件{v}天前故障", f"a component failed {v} days ago"),
        "comp_fail_365d": (
            f"同一部件一年内故障{v}次",
            f"one component failed {v} times in 365 days",
        ),
        "floor_fail_30d": (f"所在楼层近30天故障{v}次", f"{v} failures on its floor in 30 days"),
        "floor_fail_365d": (f"所在楼层近一年故障{v}次", f"{v} failures on its floor in 365 days"),
        "building_fail_30d": (
            f"所在楼栋近30天故障{v}次",
            f"{v} failures in its building in 30 days",
        ),
        "days_since_alarm": (f"距上次报警{v}天", f"last alarm {v} days ago"),
        "is_asset": ("是设备资产" if value else "是场所", "is an asset" if value else "is a place"),
        "age_days": (f"已使用{value / 365.25:.1f}年", f"in service for {value / 365.25:.1f} years"),
        "criticality": (f"重要度{v}/5", f"criticality {v} of 5"),
        "components": (f"有{v}个部件", f"{v} components"),
        "assets_here": (f"此处有{v}台设备", f"{v} assets here"),
        "type_fail_365d": (
            f"同类设备一年内平均故障{v}次",
            f"same-type assets failed {v} times each in 365 days",
        ),
        "model_fail_365d": (
            f"同型号设备一年内平均故障{v}次",
            f"same-model assets failed {v} times each in 365 days",
        ),
    }
    return fixed.get(feature, (f"{feature} = {v}", f"{feature} = {v}"))


@dataclass(frozen=True)
class Reason:
    feature: str
    value: float | None
    text_zh: str
    text_en: str
    #: "raises" or "lowers" the risk.
    effect: str
    weight: float

    def as_json(self) -> dict[str, object]:
        return {
            "feature": self.feature,
            "value": self.value,
            "text_zh": self.text_zh,
            "text_en": self.text_en,
            "effect": self.effect,
            "weight": round(self.weight, 4),
        }


def reasons_for(names: list[str], values: npt.NDArray[np.float64], credits: npt.NDArray[np.float64],
                components: Mapping[str, str], top: int = 3) -> list[Reason]:  # fmt: skip
    """The `top` features with the largest share of one prediction, largest first."""
    order = np.argsort(-np.abs(credits), kind="stable")[:top]
    found = []
    for i in order:
        if credits[i] == 0:
            continue
        name, value = names[i], float(values[i])
        component = components.get(name, "")
        zh, en = describe(name, value, component)
        found.append(Reason(name, None if math.isnan(value) else value, zh, en,
                            "raises" if credits[i] > 0 else "lowers", float(credits[i])))  # fmt: skip
    return found


@dataclass(frozen=True)
class Action:
    #: "inspect", "replace_component" or "schedule_maintenance".
    code: str
    component: str
    text_zh: str
    text_en: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "component": self.component, "text_zh": self.text_zh,
                "text_en": self.text_en}  # fmt: skip


def action_for(
    row: Mapping[str, float], components: Mapping[str, str], reasons: list[Reason]
) -> Action:
    """What to do about a hotspot, from its features and the reasons it ranks."""
    raising = {r.feature for r in reasons if r.effect == "raises"}
    failing = components.get("comp_fail_days", "")
    if failing and row.get("comp_fail_365d", 0.0) >= 2:
        zh, en = _w(failing)
        return Action("replace_component", failing, f"更换{zh}", f"replace the {en}")
    unmaintained = components.get("comp_maint_days", "")
    stale = row.get("comp_maint_days", float("nan"))
    if unmaintained and (("comp_maint_days" in raising) or (not math.isnan(stale) and stale > 365)):
        zh, en = _w(unmaintained)
        return Action("schedule_maintenance", unmaintained, f"安排{zh}保养",
                      f"schedule maintenance of the {en}")  # fmt: skip
    since = row.get("days_since_maint", float("nan"))
    if "days_since_maint" in raising or (
        row.get("is_asset", 0) and not math.isnan(since) and since > 365
    ):
        return Action("schedule_maintenance", "", "安排保养", "schedule maintenance")
    return Action("inspect", "", "现场检查", "inspect on site")
