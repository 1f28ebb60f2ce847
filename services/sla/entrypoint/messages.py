"""Translation between the SLA protobuf messages and the SLA domain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.sla.v1 import sla_pb2 as pb

from services.common.business_time import Calendar, WorkingInterval
from services.common.protoenum import code_of, number_of
from services.sla.domain.calendar import format_hhmm, parse_hhmm
from services.sla.domain.errors import InvalidInput
from services.sla.domain.policy import EscalationLevel, Policy, Target
from services.sla.domain.state import Pause
from services.sla.domain.views import ClockView
from services.sla.handlers.admin import ClockReport, StateReport

__all__ = [
    "calendar_from_pb",
    "calendar_to_pb",
    "policy_from_pb",
    "policy_to_pb",
    "report_to_pb",
    "ts",
]


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def _target(number: int, where: str) -> Target:
    code = code_of(pb.SlaTarget, "SLA_TARGET_", number)
    if not code:
        raise InvalidInput(f"{where}: target must be respond or resolve")
    return Target(code)


def _level_from_pb(number: int, lv: pb.EscalationLevel) -> EscalationLevel:
    return EscalationLevel(
        target=_target(lv.target, f"escalations[{number}]"),
        notify=tuple(lv.notify),
        action=lv.action,
        after_share=lv.after_share or None,
        after=timedelta(seconds=lv.after_s) if lv.after_s else None,
    )


def policy_from_pb(p: pb.Policy) -> Policy:
    return Policy(
        id=p.id, name=p.name, kind=p.kind, category=p.category, priority=p.priority,
        respond=timedelta(seconds=p.respond_target_s),
        resolve=timedelta(seconds=p.resolve_target_s), calendar=p.calendar or "24x7",
        reminder_share=p.reminder_share, remind=tuple(p.remind),
        escalations=tuple(_level_from_pb(n, lv) for n, lv in enumerate(p.escalations)),
        site=p.site,
    )  # fmt: skip


def _seconds(value: timedelta) -> int:
    return round(value.total_seconds())


def policy_to_pb(p: Policy, updated_at: datetime | None = None) -> pb.Policy:
    levels = [
        pb.EscalationLevel(
            target=number_of(pb.SlaTarget, "SLA_TARGET_", lv.target.value),  # type: ignore[arg-type]
            after_share=lv.after_share or 0.0,
            after_s=_seconds(lv.after) if lv.after is not None else 0,
            notify=list(lv.notify),
            action=lv.action,
        )
        for lv in p.escalations
    ]
    return pb.Policy(
        id=p.id, name=p.name, kind=p.kind, category=p.category, priority=p.priority,
        respond_target_s=_seconds(p.respond), resolve_target_s=_seconds(p.resolve),
        calendar=p.calendar, reminder_share=p.reminder_share, remind=list(p.remind),
        escalations=levels, updated_at=ts(updated_at), site=p.site,
    )  # fmt: skip


def _holiday(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"holiday {text[:20]!r} is not a date as YYYY-MM-DD") from None


def calendar_from_pb(c: pb.Calendar) -> Calendar:
    hours = tuple(
        WorkingInterval(iv.weekday, parse_hhmm(iv.start), parse_hhmm(iv.end)) for iv in c.hours
    )
    holidays = frozenset(_holiday(h) for h in c.holidays)
    return Calendar(c.id, c.time_zone, hours, holidays, c.name, c.site)


def calendar_to_pb(c: Calendar, updated_at: datetime | None = None) -> pb.Calendar:
    hours = [
        pb.WorkingInterval(weekday=iv.weekday, start=format_hhmm(iv.start_min),
                           end=format_hhmm(iv.end_min))
        for iv in sorted(c.hours, key=lambda iv: (iv.weekday, iv.start_min))
    ]  # fmt: skip
    return pb.Calendar(
        id=c.id, name=c.name, site=c.site, time_zone=c.time_zone, hours=hours,
        holidays=[d.isoformat() for d in sorted(c.holidays)], updated_at=ts(updated_at),
    )  # fmt: skip


def _clock_to_pb(view: ClockView, report: ClockReport) -> pb.ClockState:
    return pb.ClockState(
        due_at=ts(view.due_at),
        ended_at=ts(view.ended_at),
        state=view.status.value,
        breached=report.breached,
        remaining_s=_seconds(report.remaining),
    )


def _pause_to_pb(p: Pause) -> pb.Pause:
    return pb.Pause(reason=p.reason, started_at=ts(p.started_at), ended_at=ts(p.ended_at))


def report_to_pb(r: StateReport) -> pb.TicketSla:
    v = r.view
    fields: dict[str, Any] = {
        "ticket_id": v.ticket_id, "policy_id": v.policy_id, "calendar_id": v.calendar_id,
        "respond": _clock_to_pb(v.respond, r.respond), "resolve": _clock_to_pb(v.resolve, r.resolve),
        "breached": r.breached, "paused": v.paused, "open": v.open,
        "pauses": [_pause_to_pb(p) for p in v.pauses],
    }  # fmt: skip
    return pb.TicketSla(**fields)
