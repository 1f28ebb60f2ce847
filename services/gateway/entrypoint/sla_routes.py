"""`/v1/sla/...` and `/v1/tickets/{id}/sla`: SLA policies, business-hours calendars and a
ticket's SLA clocks. Staff read their site's policies and calendars and the defaults (of
no site); supervisors change their site's, admins every one (open tickets are then
recomputed in the background)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.intake.v1 import intake_pb2 as intake_pb
from maintenance.sla.v1 import sla_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.common.protoenum import code_of, number_of
from services.gateway.entrypoint.audit import about_site
from services.gateway.entrypoint.deps import Call, Caller
from services.gateway.entrypoint.schemas import Kind

__all__ = ["router"]

router = APIRouter(tags=["sla"])

_READERS = ("technician", "dispatcher", "supervisor", "planner", "admin")
_WRITERS = ("supervisor", "admin")
_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
_HHMM = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"

ConfigId = Annotated[str, Path(pattern=_ID, examples=["p2-urgent"])]
TicketId = Annotated[str, Path(min_length=1, max_length=64, description="The ticket's id")]
Target = Literal["respond", "resolve"]
Site = Annotated[str | None, Query(pattern=_ID, description="Only this site's and the defaults")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EscalationIO(_Strict):
    """Fires when the clock reaches `after_share` of the target (1.0 = the deadline) or
    `after_s` seconds of clock time; give exactly one."""

    target: Target
    after_share: float | None = Field(default=None, gt=0, le=10, examples=[1.0])
    after_s: int | None = Field(default=None, gt=0, le=365 * 86400)
    notify: list[str] = Field(min_length=1, max_length=20, examples=[["role:supervisor"]])
    action: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", examples=["remind_supervisor"])

    @model_validator(mode="after")
    def _one_threshold(self) -> EscalationIO:
        if (self.after_share is None) == (self.after_s is None):
            raise ValueError("give exactly one of after_share and after_s")
        return self


class PolicyIn(_Strict):
    """Targets for the tickets it matches (empty matchers match anything; the most
    specific policy applies). Recipients are usernames, `role:<role>` or `assignee`."""

    name: str = Field(default="", max_length=200)
    #: The site whose tickets it applies to; a supervisor's own when left out, none (a
    #: default for every site) for an admin.
    site: str | None = Field(default=None, pattern=_ID)
    kind: Kind | None = None
    category: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,39}$")
    priority: Literal["P1", "P2", "P3", "P4"] | None = None
    respond_target_s: int = Field(gt=0, le=365 * 86400, examples=[7200])
    resolve_target_s: int = Field(gt=0, le=365 * 86400, examples=[86400])
    calendar: str = Field(default="24x7", max_length=64, examples=["24x7", "site", "demo"])
    reminder_share: float = Field(default=0.0, ge=0, lt=1, examples=[0.8])
    remind: list[str] = Field(default_factory=list, max_length=20)
    escalations: list[EscalationIO] = Field(default_factory=list, max_length=10)


class PolicyOut(PolicyIn):
    id: str
    updated_at: datetime | None


class PolicySaved(PolicyOut):
    #: Open tickets whose clocks will be recomputed under the new policy.
    recompute_scheduled: int


class WorkingIntervalIO(_Strict):
    weekday: int = Field(ge=1, le=7, description="1 is Monday, 7 is Sunday")
    start: str = Field(pattern=_HHMM, examples=["08:30"])
    end: str = Field(pattern=_HHMM, examples=["12:00"])


class CalendarIn(_Strict):
    """Working intervals per weekday (several a day make split shifts) in `time_zone`."""

    name: str = Field(default="", max_length=200)
    #: The site whose tickets use it; a supervisor's own when left out, none (a default)
    #: for an admin.
    site: str | None = Field(default=None, pattern=_ID)
    time_zone: str = Field(min_length=1, max_length=64, examples=["Asia/Shanghai"])
    hours: list[WorkingIntervalIO] = Field(min_length=1, max_length=70)
    holidays: list[date] = Field(default_factory=list, max_length=2000)


class CalendarOut(CalendarIn):
    id: str
    updated_at: datetime | None


class CalendarSaved(CalendarOut):
    recompute_scheduled: int


class PolicyList(BaseModel):
    items: list[PolicyOut]


class CalendarList(BaseModel):
    items: list[CalendarOut]


class RecomputeIn(_Strict):
    ticket_ids: list[str] = Field(default_factory=list, max_length=500)


class RecomputeOut(BaseModel):
    recompute_scheduled: int


class ClockOut(BaseModel):
    due_at: datetime | None
    ended_at: datetime | None
    state: Literal["running", "paused", "met", "cancelled"]
    breached: bool
    remaining_s: int


class PauseOut(BaseModel):
    reason: str
    started_at: datetime
    ended_at: datetime | None


class TicketSlaOut(BaseModel):
    ticket_id: str
    policy_id: str
    calendar_id: str | None
    respond_by: datetime | None
    resolve_by: datetime | None
    breached: bool
    paused: bool
    respond: ClockOut
    resolve: ClockOut
    pauses: list[PauseOut]
    open: bool
    as_of: datetime


def _time(stamp: Timestamp, present: bool = True) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


def _policy_out(p: pb.Policy) -> PolicyOut:
    levels = [
        EscalationIO(
            target=code_of(pb.SlaTarget, "SLA_TARGET_", lv.target),  # type: ignore[arg-type]
            after_share=lv.after_share or None, after_s=lv.after_s or None,
            notify=list(lv.notify), action=lv.action,
        )
        for lv in p.escalations
    ]  # fmt: skip
    return PolicyOut(
        id=p.id, name=p.name, site=p.site or None, kind=p.kind or None,  # type: ignore[arg-type]
        category=p.category or None,
        priority=p.priority or None, respond_target_s=p.respond_target_s,  # type: ignore[arg-type]
        resolve_target_s=p.resolve_target_s, calendar=p.calendar,
        reminder_share=p.reminder_share, remind=list(p.remind), escalations=levels,
        updated_at=_time(p.updated_at, p.HasField("updated_at")),
    )  # fmt: skip


def _policy_pb(policy_id: str, body: PolicyIn, site: str) -> pb.Policy:
    levels = [
        pb.EscalationLevel(
            target=number_of(pb.SlaTarget, "SLA_TARGET_", lv.target),  # type: ignore[arg-type]
            after_share=lv.after_share or 0.0, after_s=lv.after_s or 0,
            notify=lv.notify, action=lv.action,
        )
        for lv in body.escalations
    ]  # fmt: skip
    return pb.Policy(
        id=policy_id, name=body.name, kind=body.kind or "", category=body.category or "",
        priority=body.priority or "", respond_target_s=body.respond_target_s,
        resolve_target_s=body.resolve_target_s, calendar=body.calendar,
        reminder_share=body.reminder_share, remind=body.remind, escalations=levels, site=site,
    )  # fmt: skip


def _calendar_out(c: pb.Calendar) -> CalendarOut:
    return CalendarOut(
        id=c.id, name=c.name, site=c.site or None, time_zone=c.time_zone,
        hours=[WorkingIntervalIO(weekday=h.weekday, start=h.start, end=h.end) for h in c.hours],
        holidays=[date.fromisoformat(d) for d in c.holidays],
        updated_at=_time(c.updated_at, c.HasField("updated_at")),
    )  # fmt: skip


def _calendar_pb(calendar_id: str, body: CalendarIn, site: str) -> pb.Calendar:
    return pb.Calendar(
        id=calendar_id, name=body.name, site=site, time_zone=body.time_zone,
        hours=[pb.WorkingInterval(weekday=h.weekday, start=h.start, end=h.end)
               for h in body.hours],
        holidays=[d.isoformat() for d in body.holidays],
    )  # fmt: skip


def _clock_out(c: pb.ClockState) -> ClockOut:
    return ClockOut(
        due_at=_time(c.due_at, c.HasField("due_at")),
        ended_at=_time(c.ended_at, c.HasField("ended_at")),
        state=c.state,  # type: ignore[arg-type]
        breached=c.breached,
        remaining_s=c.remaining_s,
    )


def _sla_out(s: pb.TicketSla, as_of: Timestamp) -> TicketSlaOut:
    respond, resolve = _clock_out(s.respond), _clock_out(s.resolve)
    pauses = [PauseOut(reason=p.reason, started_at=p.started_at.ToDatetime(tzinfo=UTC),
                       ended_at=_time(p.ended_at, p.HasField("ended_at"))) for p in s.pauses]  # fmt: skip
    return TicketSlaOut(
        ticket_id=s.ticket_id, policy_id=s.policy_id, calendar_id=s.calendar_id or None,
        respond_by=respond.due_at, resolve_by=resolve.due_at, breached=s.breached,
        paused=s.paused, respond=respond, resolve=resolve, pauses=pauses, open=s.open,
        as_of=as_of.ToDatetime(tzinfo=UTC),
    )  # fmt: skip


def _writing(caller: Call, asked: str | None) -> tuple[str, str]:
    """(the site of what is stored, the site the caller acts for ('' for an admin)): an
    admin stores at the site named (none: a default); a supervisor at their own."""
    caller.require(*_WRITERS)
    acting = "" if caller.user.role == "admin" else caller.site_filter(asked)
    return asked or acting, acting


@router.get("/v1/sla/policies", response_model=PolicyList, summary="SLA policies")
async def list_policies(caller: Caller, site: Site = None) -> PolicyList:
    """The caller's site's policies and the defaults (admins: every one, or `site`'s)."""
    caller.require(*_READERS)
    reply = await caller.sla.ListPolicies(
        pb.ListPoliciesRequest(site=caller.site_filter(site)), **caller.opts
    )
    return PolicyList(items=[_policy_out(p) for p in reply.policies])


@router.put("/v1/sla/policies/{policy_id}", response_model=PolicySaved, summary="Create or replace")
async def put_policy(
    policy_id: ConfigId, body: PolicyIn, caller: Caller, request: Request, response: Response
) -> PolicySaved:
    """201 when new, 200 when replaced. Open tickets are recomputed in the background. A
    supervisor may not change a default (403) nor see another site's (404)."""
    site, acting = _writing(caller, body.site)
    about_site(request, site)
    reply = await caller.sla.PutPolicy(
        pb.PutPolicyRequest(policy=_policy_pb(policy_id, body, site), acting_site=acting),
        **caller.opts,
    )
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    out = _policy_out(reply.policy).model_dump()
    return PolicySaved(**out, recompute_scheduled=reply.recompute_scheduled)


@router.get("/v1/sla/calendars", response_model=CalendarList, summary="Business-hours calendars")
async def list_calendars(caller: Caller, site: Site = None) -> CalendarList:
    """The caller's site's calendar and the defaults (admins: every one, or `site`'s)."""
    caller.require(*_READERS)
    reply = await caller.sla.ListCalendars(
        pb.ListCalendarsRequest(site=caller.site_filter(site)), **caller.opts
    )
    return CalendarList(items=[_calendar_out(c) for c in reply.calendars])


@router.put(
    "/v1/sla/calendars/{calendar_id}", response_model=CalendarSaved, summary="Create or replace"
)
async def put_calendar(
    calendar_id: ConfigId, body: CalendarIn, caller: Caller, request: Request, response: Response
) -> CalendarSaved:
    """201 when new, 200 when replaced. Open tickets are recomputed in the background. A
    supervisor may not change a default (403) nor see another site's (404)."""
    site, acting = _writing(caller, body.site)
    about_site(request, site)
    reply = await caller.sla.PutCalendar(
        pb.PutCalendarRequest(calendar=_calendar_pb(calendar_id, body, site), acting_site=acting),
        **caller.opts,
    )
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    out = _calendar_out(reply.calendar).model_dump()
    return CalendarSaved(**out, recompute_scheduled=reply.recompute_scheduled)


@router.post("/v1/sla/recompute", response_model=RecomputeOut, summary="Recompute tickets")
async def recompute(body: RecomputeIn, caller: Caller) -> RecomputeOut:
    """Derive the named tickets' clocks again (every open ticket when none are named); a
    supervisor's only at their site."""
    caller.require(*_WRITERS)
    reply = await caller.sla.Recompute(
        pb.RecomputeRequest(ticket_ids=body.ticket_ids, site=caller.site_filter()),
        **caller.opts,
    )
    return RecomputeOut(recompute_scheduled=reply.recompute_scheduled)


@router.get(
    "/v1/tickets/{ticket_id}/sla", response_model=TicketSlaOut, summary="A ticket's SLA clocks"
)
async def ticket_sla(ticket_id: TicketId, caller: Caller) -> TicketSlaOut:
    """Visible to whoever may see the ticket; 404 until the SLA service has seen it."""
    await caller.intake.GetTicket(
        intake_pb.GetTicketRequest(actor=caller.actor(), ticket_id=ticket_id), **caller.opts
    )
    reply = await caller.sla.GetSlaStates(
        pb.GetSlaStatesRequest(ticket_ids=[ticket_id]), **caller.opts
    )
    if not reply.states:
        raise HTTPException(404, "the SLA service has not seen this ticket yet")
    return _sla_out(reply.states[0], reply.as_of)
