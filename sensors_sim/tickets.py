"""Historical tickets for the backfill: those sensor alerts raised and those tenants raised.

Every ticket's id is a UUID 5 of the seed and what caused it, so a rerun finds it already
imported. Each carries its lifecycle as steps that follow intake's rules: the dispatcher
accepts and assigns (plumbing and comfort to tech1, electrical and lifts to tech2), the
technician starts and resolves; tenants then rate, or the desk closes unrated tickets after
the rating window; sensor tickets are closed by the dispatcher. Steps after `end` are
left out, so recent tickets are still open. Tenants raise more HVAC tickets in summer and
more plumbing tickets in winter.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as pb

from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import BUILDINGS, Device, Location
from sensors_sim.noise import poisson
from sensors_sim.texts import RATING_COMMENTS, SENSOR_TEXTS, TENANT_TEXTS, TenantText
from sensors_sim.wear import Visit
from sensors_sim.world import Alert

__all__ = [
    "ALERT_CATEGORY",
    "TENANTS",
    "WARNINGS",
    "maintenance_ticket",
    "sensor_ticket",
    "sensor_tickets",
    "tenant_tickets",
    "unit_tickets",
]

_NAMESPACE = uuid.UUID("0f6b3c8e-2d1a-5e7f-9b4c-6a8d0e2f4b61")

#: Alert type -> (ticket category, priority).
ALERT_CATEGORY: dict[str, tuple[str, pb.Priority.ValueType]] = {
    "leak": ("plumbing", pb.PRIORITY_P1),
    "moisture_high": ("plumbing", pb.PRIORITY_P2),
    "power_outage": ("electrical", pb.PRIORITY_P1),
    "voltage_out_of_range": ("electrical", pb.PRIORITY_P2),
    "elevator_fault": ("elevator", pb.PRIORITY_P2),
    "door_faults": ("elevator", pb.PRIORITY_P3),
    "entrapment": ("elevator", pb.PRIORITY_P1),
}
#: Alerts that warn of a failure rather than report one: inspected, not repaired.
WARNINGS = frozenset({"moisture_high", "voltage_out_of_range", "door_faults"})
_TECH2 = frozenset({"electrical", "elevator", "security", "parking", "fees"})

#: Demo tenant -> (building, floor, unit, language).
TENANTS: dict[str, tuple[str, str, str, str]] = {
    "tenant1": ("A", "3", "A-301", "zh"),
    "tenant2": ("B", "5", "B-502", "en"),
}
_KINDS = {
    pb.TICKET_KIND_REPAIR: ("plumbing", "electrical", "hvac", "doors_windows", "elevator"),
    pb.TICKET_KIND_COMPLAINT: ("noise", "cleaning", "parking", "security"),
    pb.TICKET_KIND_INQUIRY: ("fees", "parking", "other"),
}
_KIND_WEIGHTS = (0.65, 0.22, 0.13)
_COMMON_AREAS = frozenset({"cleaning", "parking", "security"})
_CHANNELS = (pb.CHANNEL_APP, pb.CHANNEL_WECHAT, pb.CHANNEL_WEB)
#: When tenants write, by local hour.
_HOURS = (1, 1, 0, 0, 0, 1, 2, 5, 8, 9, 8, 7, 6, 7, 7, 6, 6, 7, 9, 10, 10, 8, 5, 2)
_MINUTE = 60.0
_HOUR = 3600.0


def _ts(when: datetime) -> Timestamp:
    return Timestamp(seconds=int(when.timestamp()))


def _tech(category: str) -> str:
    return "tech2" if category in _TECH2 else "tech1"


def _step(action: pb.Action.ValueType, actor: str, role: pb.Role.ValueType, at: datetime,
          assignee: str = "", note: str = "") -> pb.HistoricalStep:  # fmt: skip
    return pb.HistoricalStep(
        action=action, actor=actor, actor_role=role, at=_ts(at), assignee=assignee, note=note
    )


def _work(created: datetime, tech: str, delays_s: tuple[float, ...], resolve_at: datetime | None,
          note: str) -> list[pb.HistoricalStep]:  # fmt: skip
    """Accept, assign, start after `delays_s`, then resolve at `resolve_at` (if known);
    the delays shrink to fit before the resolution."""
    if resolve_at is not None:
        room = 0.8 * (resolve_at - created).total_seconds()
        if sum(delays_s) > room:
            delays_s = tuple(d * room / sum(delays_s) for d in delays_s)
    at = [created + timedelta(seconds=sum(delays_s[: i + 1])) for i in range(3)]
    steps = [
        _step(pb.ACTION_ACCEPT, "dispatcher1", pb.ROLE_DISPATCHER, at[0]),
        _step(pb.ACTION_ASSIGN, "dispatcher1", pb.ROLE_DISPATCHER, at[1], assignee=tech),
        _step(pb.ACTION_START, tech, pb.ROLE_TECHNICIAN, at[2]),
    ]
    if resolve_at is not None:
        steps.append(_step(pb.ACTION_RESOLVE, tech, pb.ROLE_TECHNICIAN, resolve_at, note=note))
    return steps


def _until(steps: list[pb.HistoricalStep], end: datetime) -> list[pb.HistoricalStep]:
    return [s for s in steps if s.at.seconds < end.timestamp()]


def sensor_ticket(
    seed: int, alert: Alert, device: Device, cleared: datetime | None, end: datetime
) -> pb.HistoricalTicket:
    """The ticket a raised alert opened, resolved when inspected (a warning) or repaired
    (at `cleared`, when known)."""
    rng = random.Random(f"sensor-ticket:{seed}:{alert.device_id}:{alert.type}:{alert.time}")
    category, priority = ALERT_CATEGORY[alert.type]
    loc = device.location
    en, zh = SENSOR_TEXTS[alert.type]
    place = loc.asset or loc.unit
    title = f"{en.format(where=f'{place}, floor {loc.floor}')} / " + zh.format(
        where=f"{loc.building}栋{loc.floor}层 {place}"
    )
    readings = ", ".join(f"{name} {value:g}" for name, value in alert.readings.items())
    urgent = priority == pb.PRIORITY_P1
    if alert.type in WARNINGS:
        resolve_at: datetime | None = alert.time + timedelta(hours=rng.uniform(2.0, 24.0))
        note = "Inspected on site; keeping an eye on it. 已现场检查，持续观察。"
    else:
        resolve_at, note = cleared, "Repaired; readings back to normal. 已修复，读数恢复正常。"
    delays = (
        rng.uniform(2, 10 if urgent else 60) * _MINUTE,
        rng.uniform(1, 5) * _MINUTE,
        rng.uniform(5, 30) * _MINUTE if urgent else rng.uniform(0.5, 4) * _HOUR,
    )
    steps = _work(alert.time, _tech(category), delays, resolve_at, note)
    if resolve_at is not None:
        closed = resolve_at + timedelta(hours=rng.uniform(1.0, 24.0))
        steps.append(_step(pb.ACTION_CLOSE, "dispatcher1", pb.ROLE_DISPATCHER, closed))
    return pb.HistoricalTicket(
        id=str(uuid.uuid5(_NAMESPACE, f"{seed}:sensor:{alert.device_id}:{alert.type}:{alert.time}")),
        kind=pb.TICKET_KIND_REPAIR,
        category=category,
        title=title,
        description=f"{alert.detail}. Readings 读数: {readings}. Device 设备: {device.device_id}.",
        location=_location(loc),
        priority=priority,
        requester="ingestor",
        requester_role=pb.ROLE_SYSTEM,
        channel=pb.CHANNEL_SENSOR,
        device_id=device.device_id,
        attributes={"alert_type": alert.type, "alerted_at": alert.time.isoformat()},
        created_at=_ts(alert.time),
        steps=_until(steps, end),
    )  # fmt: skip


def sensor_tickets(
    seed: int, fleet: Sequence[Device], alerts: Sequence[Alert], end: datetime
) -> list[pb.HistoricalTicket]:
    """One ticket per raised alert in `alerts` (in time order); a failure's ticket is
    resolved at the alert's next clear, when that is in `alerts`."""
    devices = {d.device_id: d for d in fleet}
    found = []
    for i, alert in enumerate(alerts):
        if alert.active:
            cleared = next(
                (c.time for c in alerts[i + 1 :]
                 if not c.active and (c.device_id, c.type) == (alert.device_id, alert.type)),
                None,
            )  # fmt: skip
            found.append(sensor_ticket(seed, alert, devices[alert.device_id], cleared, end))
    return found


def _category(rng: random.Random, kind: pb.TicketKind.ValueType, month: int) -> str:
    choices = _KINDS[kind]
    if kind != pb.TICKET_KIND_REPAIR:
        return rng.choice(choices)
    summer = {6: 1.0, 7: 1.0, 8: 1.0, 5: 0.5, 9: 0.5}.get(month, 0.0)
    winter = {12: 1.0, 1: 1.0, 2: 1.0, 11: 0.5, 3: 0.5}.get(month, 0.0)
    weights = (1.0 + 2.0 * winter, 0.8, 0.6 + 3.0 * summer + 0.8 * winter, 0.5, 0.4)
    return rng.choices(choices, weights)[0]


def _tenant_steps(rng: random.Random, tenant: str, created: datetime, tech: str,
                  zh: bool) -> list[pb.HistoricalStep]:  # fmt: skip
    if rng.random() < 0.04:
        at = created + timedelta(minutes=rng.uniform(10, 120))
        note = "已自行解决" if zh else "Sorted it out myself"
        return [_step(pb.ACTION_CANCEL, tenant, pb.ROLE_TENANT, at, note=note)]
    wait = rng.uniform(10, 180) * _MINUTE
    if not 7 <= created.hour < 22:  # the desk answers in the morning
        morning = datetime.combine(created.date(), time(8), SITE_TZ)
        morning += timedelta(days=1) if created.hour >= 22 else timedelta(0)
        wait = (morning - created).total_seconds() + rng.uniform(0, 60) * _MINUTE
    delays = (wait, rng.uniform(2, 30) * _MINUTE, rng.uniform(0.5, 30) * _HOUR)
    resolved = created + timedelta(seconds=sum(delays) + rng.uniform(0.3, 3) * _HOUR)
    steps = _work(created, tech, delays, resolved, "已处理" if zh else "Done")
    if rng.random() < 0.85:
        hours = (resolved - created).total_seconds() / _HOUR
        stars = 5 if hours < 8 else 4 if hours < 24 else 3 if hours < 72 else 2
        stars = min(5, max(1, stars + rng.choice((-1, 0, 0, 0, 1))))
        comment = RATING_COMMENTS[stars][1 if zh else 0] if rng.random() < 0.6 else ""
        at = resolved + timedelta(hours=rng.uniform(0.5, 72))
        steps.append(pb.HistoricalStep(actor=tenant, actor_role=pb.ROLE_TENANT, stars=stars,
                                       note=comment, at=_ts(at)))  # fmt: skip
    else:
        at = resolved + timedelta(days=7)
        steps.append(_step(pb.ACTION_CLOSE, "system", pb.ROLE_SYSTEM, at,
                           note="No rating within 7 days"))  # fmt: skip
    return steps


def tenant_tickets(seed: int, site: str, day: date, end: datetime) -> list[pb.HistoricalTicket]:
    """What the demo tenants raised on `day` (site local time) before `end`."""
    rng = random.Random(f"tenant-tickets:{seed}:{site}:{day.isoformat()}")
    mean = 1.5 * (1.2 if day.weekday() == 0 else 0.8 if day.weekday() >= 5 else 1.0)
    tickets = []
    for index in range(poisson(mean, rng.random())):
        tenant = rng.choice(sorted(TENANTS))
        building, floor, unit, language = TENANTS[tenant]
        kind = rng.choices(tuple(_KINDS), _KIND_WEIGHTS)[0]
        category = _category(rng, kind, day.month)
        texts = rng.choice(TENANT_TEXTS[category])
        zh = (language == "zh") != (rng.random() < 0.15)
        hour = rng.choices(range(24), _HOURS)[0]
        created = datetime.combine(day, time(hour), SITE_TZ)
        created += timedelta(seconds=rng.randrange(3600))
        location = pb.Location(site=site, building=building, floor=floor, unit=unit)
        if category == "elevator":
            location = pb.Location(site=site, building=building, floor="1",
                                   asset=BUILDINGS[building][2])  # fmt: skip
        elif category in _COMMON_AREAS:
            location = pb.Location(site=site, building=building, floor="1")
        steps = _tenant_steps(rng, tenant, created, _tech(category), zh)
        if created >= end:
            continue
        tickets.append(_tenant_ticket(
            f"{seed}:tenant:{site}:{day}:{index}", kind, category, texts, zh, location, tenant,
            rng.choice(_CHANNELS), created, _until(steps, end),
        ))  # fmt: skip
    return sorted(tickets, key=lambda t: t.created_at.seconds)


def _tenant_ticket(cause: str, kind: pb.TicketKind.ValueType, category: str,
                   texts: TenantText, zh: bool, location: pb.Location,
                   tenant: str, channel: pb.Channel.ValueType, created: datetime,
                   steps: list[pb.HistoricalStep]) -> pb.HistoricalTicket:  # fmt: skip
    """A ticket a tenant raised, in their language; its id a UUID 5 of the seeded `cause`."""
    en_title, en_text, zh_title, zh_text = texts
    return pb.HistoricalTicket(
        id=str(uuid.uuid5(_NAMESPACE, cause)),
        kind=kind,
        category=category,
        title=zh_title if zh else en_title,
        description=zh_text if zh else en_text,
        location=location,
        requester=tenant,
        requester_role=pb.ROLE_TENANT,
        channel=channel,
        created_at=_ts(created),
        steps=steps,
    )


#: Device kind -> the category of its maintenance.
_MAINTAINED = {"leak": "plumbing", "power": "electrical", "elevator": "elevator"}
#: A park unit's tenants ask for a repair about once in three years.
_UNIT_REPAIRS_PER_DAY = 1.0 / 1095.0
_UNIT_CATEGORIES = ("plumbing", "electrical", "hvac", "doors_windows")


def _location(loc: Location) -> pb.Location:
    return pb.Location(site=loc.site, building=loc.building, floor=loc.floor, unit=loc.unit,
                       asset=loc.asset)  # fmt: skip


def maintenance_ticket(seed: int, visit: Visit, end: datetime) -> pb.HistoricalTicket:
    """The planned maintenance ticket of a visit: raised the day before, resolved at it."""
    device, loc = visit.device, visit.device.location
    rng = random.Random(f"maintenance:{seed}:{device.device_id}:{visit.time}")
    category = _MAINTAINED[device.kind]
    created = visit.time - timedelta(hours=rng.uniform(12.0, 36.0))
    delays = (rng.uniform(0.5, 2) * _HOUR, rng.uniform(1, 10) * _MINUTE, rng.uniform(6, 20) * _HOUR)
    steps = _work(created, _tech(category), delays, visit.time, "Serviced 已保养")
    steps.append(_step(pb.ACTION_CLOSE, "dispatcher1", pb.ROLE_DISPATCHER,
                       visit.time + timedelta(hours=rng.uniform(1.0, 12.0))))  # fmt: skip
    return pb.HistoricalTicket(
        id=str(uuid.uuid5(_NAMESPACE, f"{seed}:maintenance:{device.device_id}:{visit.time}")),
        kind=pb.TICKET_KIND_MAINTENANCE,
        category=category,
        title=f"Preventive maintenance of {loc.asset} / {loc.asset} 预防性保养",
        description=f"Scheduled service of {loc.asset}, floor {loc.floor}. 定期保养。",
        location=_location(loc),
        priority=pb.PRIORITY_P4,
        requester="supervisor1",
        requester_role=pb.ROLE_SUPERVISOR,
        channel=pb.CHANNEL_WEB,
        created_at=_ts(created),
        steps=_until(steps, end),
    )


def unit_tickets(
    seed: int, units: Sequence[Location], day: date, end: datetime
) -> list[pb.HistoricalTicket]:
    """The repairs the park's tenants asked for on `day` (site local time) before `end`:
    random, about one a unit every three years, whatever the equipment does."""
    rng = random.Random(f"unit-tickets:{seed}:{day.isoformat()}")
    tickets = []
    for index in range(poisson(len(units) * _UNIT_REPAIRS_PER_DAY, rng.random())):
        loc = rng.choice(units)
        category = rng.choice(_UNIT_CATEGORIES)
        texts = rng.choice(TENANT_TEXTS[category])
        zh = rng.random() < 0.7
        created = datetime.combine(day, time(rng.choices(range(24), _HOURS)[0]), SITE_TZ)
        created += timedelta(seconds=rng.randrange(3600))
        tenant = f"tenant-{loc.unit}"
        steps = _tenant_steps(rng, tenant, created, _tech(category), zh)
        if created >= end:
            continue
        tickets.append(_tenant_ticket(
            f"{seed}:unit:{loc.site}:{day}:{index}", pb.TICKET_KIND_REPAIR, category, texts, zh,
            _location(loc), tenant, rng.choice(_CHANNELS), created, _until(steps, end),
        ))  # fmt: skip
    return sorted(tickets, key=lambda t: t.created_at.seconds)
