"""Translation between dispatch's protobuf messages and its domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.dispatch.v1 import dispatch_pb2 as pb

from services.dispatch.adapters.config_repo import StoredRules
from services.dispatch.adapters.offers_repo import OfferRow
from services.dispatch.domain.errors import InvalidInput
from services.dispatch.domain.model import Caller, Decision, Team, Technician, TicketFacts
from services.dispatch.domain.roster import DutyOverride, Roster, Shift, make_override, make_shift
from services.dispatch.domain.windows import DAY_CODES

__all__ = [
    "caller_from_pb",
    "decision_to_pb",
    "document_from_json",
    "facts_from_pb",
    "facts_to_pb",
    "from_ts",
    "offer_to_pb",
    "overrides_from_pb",
    "roster_to_pb",
    "rules_to_pb",
    "shifts_from_pb",
    "team_from_pb",
    "team_to_pb",
    "technician_from_pb",
    "technician_to_pb",
    "ts",
]


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def from_ts(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def caller_from_pb(c: pb.Caller) -> Caller:
    return Caller(c.username, c.role, c.site)


def team_from_pb(t: pb.Team) -> Team:
    return Team(t.site, t.code, t.name, tuple(t.supervisors))


def team_to_pb(t: Team) -> pb.Team:
    return pb.Team(site=t.site, code=t.code, name=t.name, supervisors=list(t.supervisors))


def technician_from_pb(t: pb.Technician) -> Technician:
    return Technician(t.username, t.site, t.team, frozenset(t.skills), frozenset(t.buildings),
                      t.display_name)  # fmt: skip


def technician_to_pb(t: Technician) -> pb.Technician:
    return pb.Technician(
        username=t.username, site=t.site, team=t.team, skills=sorted(t.skills),
        buildings=sorted(t.buildings), display_name=t.display_name,
    )  # fmt: skip


def shifts_from_pb(shifts: Any) -> list[Shift]:
    return [
        make_shift(i, s.username, list(s.days), s.start, s.end, s.timezone)
        for i, s in enumerate(shifts, start=1)
    ]


def overrides_from_pb(overrides: Any) -> list[DutyOverride]:
    found: list[DutyOverride] = []
    for i, o in enumerate(overrides, start=1):
        if not (o.HasField("starts_at") and o.HasField("ends_at")):
            raise InvalidInput(f"override {i} ({o.username[:64]}): starts_at and ends_at needed")
        found.append(
            make_override(
                i, o.username, from_ts(o.starts_at), from_ts(o.ends_at), o.on_duty, o.note
            )
        )
    return found


def roster_to_pb(r: Roster) -> pb.Roster:
    return pb.Roster(
        site=r.site,
        shifts=[
            pb.Shift(
                username=s.username,
                days=[DAY_CODES[d] for d in sorted(s.window.days)],
                start=f"{s.window.start:%H:%M}",
                end=f"{s.window.end:%H:%M}",
                timezone=s.timezone,
            )
            for s in r.shifts
        ],
        overrides=[
            pb.DutyOverride(
                username=o.username,
                starts_at=ts(o.starts_at),
                ends_at=ts(o.ends_at),
                on_duty=o.on_duty,
                note=o.note,
            )
            for o in r.overrides
        ],
    )


def document_from_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"the rule set is not valid JSON: {exc}") from None


def rules_to_pb(r: StoredRules) -> pb.RuleSet:
    return pb.RuleSet(
        site=r.site, timezone=r.timezone,
        document_json=json.dumps(r.document, ensure_ascii=False), version=r.version,
        rule_count=len(r.document.get("rules", [])), updated_by=r.updated_by,
        updated_at=ts(r.updated_at),
    )  # fmt: skip


def offer_to_pb(o: OfferRow) -> pb.Offer:
    return pb.Offer(
        ticket_id=o.ticket_id, site=o.site, team=o.team, offered_to=list(o.offered_to),
        offered_at=ts(o.offered_at), expires_at=ts(o.expires_at), state=o.state,
        claimed_by=o.claimed_by or "", summary={k: str(v) for k, v in o.summary.items()},
    )  # fmt: skip


def facts_from_pb(f: pb.TicketFacts) -> TicketFacts:
    return TicketFacts(f.kind, f.category, f.priority, f.source, f.site, f.building, f.floor)


def facts_to_pb(f: TicketFacts) -> pb.TicketFacts:
    return pb.TicketFacts(kind=f.kind, category=f.category, priority=f.priority,
                          source=f.source, site=f.site, building=f.building, floor=f.floor)  # fmt: skip


def decision_to_pb(d: Decision) -> pb.Decision:
    return pb.Decision(
        rule=d.rule, mode=d.mode.value, team=d.team, assignee=d.assignee or "",
        offered_to=list(d.offered_to), paged=list(d.paged), notify=list(d.notify),
        offer_window_s=d.offer_window_s, explanation=d.explanation, page_reason=d.page_reason,
    )  # fmt: skip
