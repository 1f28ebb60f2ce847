"""`/v1/dispatch`: teams, technicians, the duty roster, routing rules and claim offers (抢单).

Staff read the configuration; dispatchers, supervisors and admins change it. Each PUT
replaces the whole collection of the site (the caller's own, or `?site=` for admins), and
the dispatch service validates it against the rest: a bad rule set is a 422 naming the rule.
Technicians see and claim the offers made to them; the first claim wins, a later one is 409.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.dispatch.v1 import dispatch_pb2 as pb
from maintenance.intake.v1 import intake_pb2 as ipb
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.entrypoint.deps import Caller
from services.gateway.entrypoint.schemas import Kind

__all__ = ["router"]

router = APIRouter(prefix="/v1/dispatch", tags=["dispatch"])

_READERS = ("technician", "dispatcher", "supervisor", "planner", "admin")
_WRITERS = ("dispatcher", "supervisor", "admin")
_Code = Field(min_length=1, max_length=64)

Site = Annotated[str, Query(max_length=64, description="The site; default: the caller's")]
TicketId = Annotated[str, Path(min_length=1, max_length=64, description="The ticket's id")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TeamIn(_Strict):
    code: str = _Code
    name: str = Field(default="", max_length=200)
    supervisors: list[str] = Field(default_factory=list, max_length=50)


class TeamsIn(_Strict):
    teams: list[TeamIn] = Field(max_length=2000)


class TechnicianIn(_Strict):
    username: str = _Code
    team: str = _Code
    skills: list[str] = Field(min_length=1, max_length=50, examples=[["plumbing", "hvac"]])
    buildings: list[str] = Field(
        default_factory=list, max_length=200, description="Empty covers every building"
    )
    display_name: str = Field(default="", max_length=200)


class TechniciansIn(_Strict):
    technicians: list[TechnicianIn] = Field(max_length=2000)


class ShiftIn(_Strict):
    username: str = _Code
    days: list[str] = Field(min_length=1, max_length=7, examples=[["mon", "tue", "wed"]])
    start: str = Field(max_length=5, examples=["08:00"])
    end: str = Field(max_length=5, examples=["20:00"], description="At or before start: overnight")
    timezone: str = Field(default="Asia/Shanghai", max_length=64)


class OverrideIn(_Strict):
    username: str = _Code
    starts_at: datetime
    ends_at: datetime
    on_duty: bool = Field(description="true: on duty (standby, swap); false: off (leave)")
    note: str = Field(default="", max_length=500)


class RosterIn(_Strict):
    shifts: list[ShiftIn] = Field(default_factory=list, max_length=5000)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=5000)


class FactsIn(_Strict):
    kind: Kind = "repair"
    category: str = _Code
    priority: Literal["P1", "P2", "P3", "P4"] = "P3"
    source: Literal["tenant", "staff", "sensor"] = "tenant"
    building: str = _Code
    floor: str = Field(default="", max_length=16)


class DecideIn(_Strict):
    """Route an existing ticket, or made-up facts at the caller's site."""

    ticket_id: str | None = Field(default=None, max_length=64)
    facts: FactsIn | None = None
    at: datetime | None = None
    exclude: list[str] = Field(default_factory=list, max_length=50)


class TeamOut(BaseModel):
    site: str
    code: str
    name: str
    supervisors: list[str]


class TechnicianOut(BaseModel):
    username: str
    site: str
    team: str
    skills: list[str]
    buildings: list[str]
    display_name: str


class RosterOut(BaseModel):
    site: str
    shifts: list[ShiftIn]
    overrides: list[OverrideIn]
    on_duty: list[str] = Field(default_factory=list, description="Who is on duty right now")


class RulesOut(BaseModel):
    site: str
    timezone: str
    rules: list[dict[str, Any]]
    version: int
    updated_by: str
    updated_at: datetime


class OfferOut(BaseModel):
    ticket_id: str
    site: str
    team: str
    offered_to: list[str]
    offered_at: datetime
    expires_at: datetime
    state: str
    claimed_by: str | None
    summary: dict[str, str]


class DecisionOut(BaseModel):
    rule: str
    mode: str
    team: str
    assignee: str | None
    offered_to: list[str]
    paged: list[str]
    page_reason: str
    notify: list[str]
    offer_window_s: int
    explanation: str


class TeamList(BaseModel):
    items: list[TeamOut]


class TechnicianList(BaseModel):
    items: list[TechnicianOut]


class OfferList(BaseModel):
    items: list[OfferOut]


def _dt(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


def _who(caller: Caller) -> pb.Caller:
    user = caller.user
    return pb.Caller(username=user.username, role=user.role, site=user.site)


def _team(t: pb.Team) -> TeamOut:
    return TeamOut(site=t.site, code=t.code, name=t.name, supervisors=list(t.supervisors))


def _technician(t: pb.Technician) -> TechnicianOut:
    return TechnicianOut(username=t.username, site=t.site, team=t.team, skills=list(t.skills),
                         buildings=list(t.buildings), display_name=t.display_name)  # fmt: skip


def _roster(r: pb.Roster, on_duty: list[str]) -> RosterOut:
    shifts = [ShiftIn(username=s.username, days=list(s.days), start=s.start, end=s.end,
                      timezone=s.timezone) for s in r.shifts]  # fmt: skip
    overrides = [OverrideIn(username=o.username, starts_at=_dt(o.starts_at),
                            ends_at=_dt(o.ends_at), on_duty=o.on_duty, note=o.note)
                 for o in r.overrides]  # fmt: skip
    return RosterOut(site=r.site, shifts=shifts, overrides=overrides, on_duty=on_duty)


def _rules(r: pb.RuleSet) -> RulesOut:
    doc = json.loads(r.document_json or "{}")
    return RulesOut(site=r.site, timezone=r.timezone, rules=doc.get("rules", []),
                    version=r.version, updated_by=r.updated_by, updated_at=_dt(r.updated_at))  # fmt: skip


def _offer(o: pb.Offer) -> OfferOut:
    return OfferOut(
        ticket_id=o.ticket_id, site=o.site, team=o.team, offered_to=list(o.offered_to),
        offered_at=_dt(o.offered_at), expires_at=_dt(o.expires_at), state=o.state,
        claimed_by=o.claimed_by or None, summary=dict(o.summary),
    )  # fmt: skip


@router.get("/teams", response_model=TeamList, summary="The site's teams")
async def list_teams(caller: Caller, site: Site = "") -> TeamList:
    where = caller.site_for(site, *_READERS)
    reply = await caller.dispatch.ListTeams(pb.ListTeamsRequest(site=where), **caller.opts)
    return TeamList(items=[_team(t) for t in reply.teams])


@router.put("/teams", response_model=TeamList, summary="Replace the site's teams")
async def put_teams(body: TeamsIn, caller: Caller, site: Site = "") -> TeamList:
    """A team still used by technicians or rules cannot be removed (422 says which)."""
    where = caller.site_for(site, *_WRITERS)
    teams = [pb.Team(site=where, code=t.code, name=t.name, supervisors=t.supervisors)
             for t in body.teams]  # fmt: skip
    reply = await caller.dispatch.PutTeams(
        pb.PutTeamsRequest(caller=_who(caller), site=where, teams=teams), **caller.opts
    )
    return TeamList(items=[_team(t) for t in reply.teams])


@router.get("/technicians", response_model=TechnicianList, summary="The site's technicians")
async def list_technicians(
    caller: Caller, site: Site = "", team: Annotated[str, Query(max_length=64)] = ""
) -> TechnicianList:
    where = caller.site_for(site, *_READERS)
    reply = await caller.dispatch.ListTechnicians(
        pb.ListTechniciansRequest(site=where, team=team), **caller.opts
    )
    return TechnicianList(items=[_technician(t) for t in reply.technicians])


@router.put("/technicians", response_model=TechnicianList, summary="Replace the site's technicians")
async def put_technicians(body: TechniciansIn, caller: Caller, site: Site = "") -> TechnicianList:
    """Skills are category codes; buildings are the zones covered (empty: all)."""
    where = caller.site_for(site, *_WRITERS)
    technicians = [
        pb.Technician(username=t.username, site=where, team=t.team, skills=t.skills,
                      buildings=t.buildings, display_name=t.display_name)
        for t in body.technicians
    ]  # fmt: skip
    reply = await caller.dispatch.PutTechnicians(
        pb.PutTechniciansRequest(caller=_who(caller), site=where, technicians=technicians),
        **caller.opts,
    )
    return TechnicianList(items=[_technician(t) for t in reply.technicians])


@router.get("/roster", response_model=RosterOut, summary="The duty roster and who is on duty")
async def get_roster(caller: Caller, site: Site = "") -> RosterOut:
    where = caller.site_for(site, *_READERS)
    reply = await caller.dispatch.GetRoster(pb.GetRosterRequest(site=where), **caller.opts)
    return _roster(reply.roster, list(reply.on_duty))


@router.put("/roster", response_model=RosterOut, summary="Replace the site's duty roster")
async def put_roster(body: RosterIn, caller: Caller, site: Site = "") -> RosterOut:
    """Weekly shifts (days the shift starts on, local start and end, time zone) and
    overrides between two instants; the override that starts last wins."""
    where = caller.site_for(site, *_WRITERS)
    roster = pb.Roster(
        site=where,
        shifts=[pb.Shift(username=s.username, days=s.days, start=s.start, end=s.end,
                         timezone=s.timezone) for s in body.shifts],
        overrides=[pb.DutyOverride(username=o.username, starts_at=_ts(o.starts_at),
                                   ends_at=_ts(o.ends_at), on_duty=o.on_duty, note=o.note)
                   for o in body.overrides],
    )  # fmt: skip
    reply = await caller.dispatch.PutRoster(
        pb.PutRosterRequest(caller=_who(caller), roster=roster), **caller.opts
    )
    return _roster(reply.roster, [])


@router.get("/rules", response_model=RulesOut, summary="The site's routing rules, in order")
async def get_rules(caller: Caller, site: Site = "") -> RulesOut:
    where = caller.site_for(site, *_READERS)
    reply = await caller.dispatch.GetRules(pb.GetRulesRequest(site=where), **caller.opts)
    return _rules(reply.rule_set)


_RULES_EXAMPLE = {
    "timezone": "Asia/Shanghai",
    "rules": [
        {"name": "emergencies", "match": {"priorities": ["P1"]},
         "action": {"mode": "best_technician", "team": "maintenance"}},
        {"name": "small jobs", "match": {"categories": ["doors_windows"], "hours": ["08:00-20:00"]},
         "action": {"mode": "claim_pool", "team": "maintenance", "window_s": 300}},
        {"name": "default", "match": {},
         "action": {"mode": "team", "team": "maintenance", "notify": ["dispatcher1"]}},
    ],
}  # fmt: skip


@router.put("/rules", response_model=RulesOut, summary="Replace the site's routing rules")
async def put_rules(
    body: Annotated[dict[str, Any], Body(examples=[_RULES_EXAMPLE])],
    caller: Caller,
    site: Site = "",
) -> RulesOut:
    """The first matching rule wins. `match` (all optional lists): kinds, categories,
    priorities, sources, buildings, floors, days (mon..sun), hours ("HH:MM-HH:MM", local).
    `action`: mode (team, best_technician, claim_pool), team, notify (usernames), window_s
    (claim pools). The last rule must have an empty match: it is the default. A rule set
    that does not validate is a 422 naming the rule and the problem."""
    where = caller.site_for(site, *_WRITERS)
    reply = await caller.dispatch.PutRules(
        pb.PutRulesRequest(caller=_who(caller), site=where,
                           document_json=json.dumps(body, ensure_ascii=False)),
        **caller.opts,
    )  # fmt: skip
    return _rules(reply.rule_set)


@router.get("/offers", response_model=OfferList, summary="Open offers (抢单)")
async def list_offers(caller: Caller, site: Site = "") -> OfferList:
    """Technicians see the offers made to them; the desk sees every open offer of the site."""
    where = caller.site_for(site, *_READERS)
    mine = caller.user.username if caller.user.role == "technician" else ""
    reply = await caller.dispatch.ListOffers(
        pb.ListOffersRequest(site=where, username=mine), **caller.opts
    )
    return OfferList(items=[_offer(o) for o in reply.offers])


@router.post(
    "/offers/{ticket_id}/claim", response_model=OfferOut, summary="Claim an offered ticket"
)
async def claim_offer(ticket_id: TicketId, caller: Caller) -> OfferOut:
    """The first claim wins and assigns the ticket to the claimer; a later claim, or one
    after the offer expired, is a 409; a ticket not offered to the caller is a 403."""
    caller.require("technician")
    reply = await caller.dispatch.Claim(
        pb.ClaimRequest(caller=_who(caller), ticket_id=ticket_id), **caller.opts
    )
    return _offer(reply.offer)


@router.post("/decide", response_model=DecisionOut, summary="Dry-run routing (changes nothing)")
async def decide(body: DecideIn, caller: Caller, site: Site = "") -> DecisionOut:
    """Which rule, team and technician a ticket (or made-up facts) would get, and why."""
    where = caller.site_for(site, *_READERS)
    if body.ticket_id:  # 404 unless the caller may see the ticket
        await caller.intake.GetTicket(
            ipb.GetTicketRequest(actor=caller.actor(), ticket_id=body.ticket_id), **caller.opts
        )
    request = pb.DecideRequest(ticket_id=body.ticket_id or "", exclude=body.exclude)
    if body.facts is not None:
        f = body.facts
        request.facts.CopyFrom(pb.TicketFacts(kind=f.kind, category=f.category,
                                              priority=f.priority, source=f.source, site=where,
                                              building=f.building, floor=f.floor))  # fmt: skip
    if body.at is not None:
        request.at.CopyFrom(_ts(body.at))
    reply = await caller.dispatch.Decide(request, **caller.opts)
    d = reply.decision
    return DecisionOut(
        rule=d.rule, mode=d.mode, team=d.team, assignee=d.assignee or None,
        offered_to=list(d.offered_to), paged=list(d.paged), page_reason=d.page_reason,
        notify=list(d.notify), offer_window_s=d.offer_window_s, explanation=d.explanation,
    )  # fmt: skip
