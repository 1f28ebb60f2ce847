"""The SLA service's policies and calendars, as analytics needs them for business hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

import grpc
from maintenance.sla.v1 import sla_pb2 as pb

from services.analytics.domain.errors import Unavailable
from services.common.business_time import Calendar, WorkingInterval
from services.common.policy_choice import ALWAYS, PolicyScope

if TYPE_CHECKING:
    from maintenance.sla.v1.sla_pb2_grpc import SlaServiceAsyncStub

__all__ = ["GrpcSlaConfig", "SlaConfig", "SlaConfigPort", "calendar_from_pb"]


@dataclass(frozen=True, slots=True)
class SlaConfig:
    """The SLA service's policies (as far as choosing one goes) and calendars by id."""

    policies: tuple[PolicyScope, ...] = ()
    calendars: dict[str, Calendar] = field(default_factory=dict)


class SlaConfigPort(Protocol):
    """What analytics asks of the SLA service; `services/analytics/testing.FakeSla` is its
    double."""

    async def config(self) -> SlaConfig:
        """Every policy and calendar; Unavailable when the SLA service does not answer."""


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


def calendar_from_pb(c: pb.Calendar) -> Calendar:
    """A calendar as the SLA service validated and gave it."""
    return Calendar(
        id=c.id, time_zone=c.time_zone, name=c.name, site=c.site,
        hours=tuple(WorkingInterval(h.weekday, _minutes(h.start), _minutes(h.end))
                    for h in c.hours),
        holidays=frozenset(date.fromisoformat(d) for d in c.holidays),
    )  # fmt: skip


class GrpcSlaConfig:
    """SlaConfigPort over the SLA service's gRPC API (ListPolicies, ListCalendars)."""

    def __init__(self, stub: SlaServiceAsyncStub, timeout_s: float = 5.0) -> None:
        self._stub = stub
        self._timeout_s = timeout_s

    async def config(self) -> SlaConfig:
        try:
            policies = await self._stub.ListPolicies(pb.ListPoliciesRequest(),
                                                     timeout=self._timeout_s)  # fmt: skip
            calendars = await self._stub.ListCalendars(pb.ListCalendarsRequest(),
                                                       timeout=self._timeout_s)  # fmt: skip
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(f"the SLA service does not answer ({exc.code().name})") from exc
        return SlaConfig(
            policies=tuple(PolicyScope(p.id, p.site, p.kind, p.category, p.priority,
                                       p.calendar or ALWAYS) for p in policies.policies),
            calendars={c.id: calendar_from_pb(c) for c in calendars.calendars},
        )  # fmt: skip
