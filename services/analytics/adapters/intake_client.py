"""What analytics asks of intake (a ticket's facts, the sites' time zones), behind a small
port with a gRPC implementation. `services/analytics/testing.FakeIntake` is its double."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import grpc
from maintenance.intake.v1 import intake_pb2 as pb
from maintenance.intake.v1 import places_pb2 as places_pb

from services.analytics.domain.ticket import Facts, aware_time
from services.common.protoenum import code_of

if TYPE_CHECKING:
    from maintenance.intake.v1.intake_pb2_grpc import IntakeServiceAsyncStub
    from maintenance.intake.v1.places_pb2_grpc import PlaceServiceAsyncStub

__all__ = ["ACTOR", "ALERTED_AT", "GrpcIntake", "IntakePort", "TicketFacts"]

#: Who the analytics service is to intake.
ACTOR = pb.Actor(username="analytics", role=pb.ROLE_SYSTEM, channel=pb.CHANNEL_API)
#: The ticket attribute that says when a sensor ticket's alert fired (ISO 8601 with a zone).
ALERTED_AT = "alerted_at"

#: A ticket's facts and its current technician ('' when unassigned).
TicketFacts = tuple[Facts, str]
#: Tickets asked for per call (intake's largest page).
_PAGE = 200


class IntakePort(Protocol):
    """What analytics asks of intake; `services/analytics/testing.FakeIntake` is its double."""

    async def ticket_facts(self, ticket_ids: list[str]) -> dict[str, TicketFacts]:
        """The facts and technician of each ticket intake has, by id."""

    async def time_zone(self, site: str) -> str | None:
        """The site's IANA time zone, or None when intake has no such site."""

    async def time_zones(self) -> dict[str, str]:
        """Every site's time zone."""


def facts_from_pb(t: pb.Ticket) -> Facts:
    """The facts analytics keeps of a ticket intake sent."""
    loc = t.location
    return Facts(
        number=t.number, site=loc.site, building=loc.building, floor=loc.floor, unit=loc.unit,
        asset=loc.asset, kind=code_of(pb.TicketKind, "TICKET_KIND_", t.kind),
        category=t.category, priority=code_of(pb.Priority, "PRIORITY_", t.priority, upper=True),
        source=t.source, device_id=t.device_id,
        alerted_at=aware_time(t.attributes.get(ALERTED_AT)),
    )  # fmt: skip


class GrpcIntake:
    """IntakePort over intake's gRPC API, as ROLE_SYSTEM."""

    def __init__(
        self,
        tickets: IntakeServiceAsyncStub,
        places: PlaceServiceAsyncStub,
        timeout_s: float = 10.0,
    ) -> None:
        self._tickets = tickets
        self._places = places
        self._timeout_s = timeout_s

    async def ticket_facts(self, ticket_ids: list[str]) -> dict[str, TicketFacts]:
        found: dict[str, TicketFacts] = {}
        for i in range(0, len(ticket_ids), _PAGE):
            ids = ticket_ids[i : i + _PAGE]
            reply = await self._tickets.ListTickets(
                pb.ListTicketsRequest(actor=ACTOR, filter=pb.TicketFilter(ids=ids),
                                      page_size=len(ids)),
                timeout=self._timeout_s,
            )  # fmt: skip
            found.update({t.id: (facts_from_pb(t), t.assignee) for t in reply.tickets})
        return found

    async def time_zone(self, site: str) -> str | None:
        try:
            reply = await self._places.GetSite(
                places_pb.GetSiteRequest(actor=ACTOR, site=site), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        return reply.site.timezone or "UTC"

    async def time_zones(self) -> dict[str, str]:
        reply = await self._places.ListSites(
            places_pb.ListSitesRequest(actor=ACTOR), timeout=self._timeout_s
        )
        return {s.code: s.timezone or "UTC" for s in reply.sites}
