"""What a sensor ticket says, in Chinese and English."""

from __future__ import annotations

import json
from dataclasses import dataclass

from services.ingestor.domain.incidents import Incident
from services.ingestor.domain.model import AlertType, Device

__all__ = ["SensorTicket", "sensor_ticket"]

#: alert type -> (category, Chinese title, English title)
_TEXT: dict[AlertType, tuple[str, str, str]] = {
    AlertType.LEAK: ("plumbing", "漏水告警", "Water leak"),
    AlertType.MOISTURE_HIGH: ("plumbing", "湿度过高", "High moisture"),
    AlertType.POWER_OUTAGE: ("electrical", "停电", "Power outage"),
    AlertType.VOLTAGE_OUT_OF_RANGE: ("electrical", "电压异常", "Voltage out of range"),
    AlertType.ELEVATOR_FAULT: ("elevator", "电梯故障", "Elevator fault"),
    AlertType.DOOR_FAULTS: ("elevator", "电梯门故障频繁", "Repeated elevator door faults"),
    AlertType.ENTRAPMENT: ("elevator", "电梯困人", "Elevator entrapment"),
    AlertType.DEVICE_OFFLINE: ("other", "设备离线", "Device offline"),
}


@dataclass(frozen=True, slots=True)
class SensorTicket:
    category: str
    title: str
    description: str
    attributes: dict[str, str]


def sensor_ticket(incident: Incident, device: Device) -> SensorTicket:
    """The ticket an incident opens; `device` is the one that raised it first."""
    alert = AlertType(incident.alert_type)
    category, zh, en = _TEXT[alert]
    place = (
        f"{device.building}栋 {device.floor}层 / building {device.building}, floor {device.floor}"
    )
    spot = device.asset or device.unit
    where = f"{place}, {spot}" if spot else place
    readings = ", ".join(f"{k}={v:g}" for k, v in sorted(incident.readings.items())) or "-"
    description = (
        f"{zh} / {en}\n位置 / Location: {where}\n设备 / Device: {device.device_id} ({device.kind.value})\n"
        f"读数 / Readings: {readings}\n时间 / Since: {incident.opened_at.isoformat()}"
    )
    attributes = {
        "alert_type": alert.value,
        "incident_id": incident.id,
        "devices": ",".join(incident.devices),
        "readings": json.dumps(incident.readings, sort_keys=True),
        # When the alert fired (the message's time): analytics' alert-to-ticket latency.
        "alerted_at": incident.opened_at.isoformat(),
    }
    if device.asset:
        attributes["asset"] = device.asset
    if device.unit:
        attributes["unit"] = device.unit
    return SensorTicket(
        category, f"{zh} {en}: {device.device_id} ({spot or place})"[:200], description, attributes
    )
