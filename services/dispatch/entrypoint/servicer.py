"""DispatchService over gRPC: each method translates, calls one handler, translates back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.dispatch.v1 import dispatch_pb2 as pb
from maintenance.dispatch.v1 import dispatch_pb2_grpc as pb_grpc

from services.common.rpc_errors import translate_errors
from services.dispatch.domain import errors
from services.dispatch.entrypoint import messages as m
from services.dispatch.handlers.config import ConfigHandlers
from services.dispatch.handlers.offers import Offers
from services.dispatch.handlers.routing import Router

__all__ = ["DispatchServicer"]

Context = grpc.aio.ServicerContext[Any, Any]

_rpc = translate_errors(
    {
        errors.InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
        errors.NotFound: grpc.StatusCode.NOT_FOUND,
        errors.Forbidden: grpc.StatusCode.PERMISSION_DENIED,
        errors.Conflict: grpc.StatusCode.FAILED_PRECONDITION,
        errors.Unavailable: grpc.StatusCode.UNAVAILABLE,
    }
)


class DispatchServicer(pb_grpc.DispatchServiceServicer):
    def __init__(self, config: ConfigHandlers, offers: Offers, router: Router) -> None:
        self._config = config
        self._offers = offers
        self._router = router

    @_rpc
    async def PutTeams(self, request: pb.PutTeamsRequest, context: Context) -> pb.PutTeamsResponse:
        teams = await self._config.put_teams(
            m.caller_from_pb(request.caller), request.site,
            [m.team_from_pb(t) for t in request.teams],
        )  # fmt: skip
        return pb.PutTeamsResponse(teams=[m.team_to_pb(t) for t in teams])

    @_rpc
    async def ListTeams(
        self, request: pb.ListTeamsRequest, context: Context
    ) -> pb.ListTeamsResponse:
        teams = await self._config.list_teams(request.site)
        return pb.ListTeamsResponse(teams=[m.team_to_pb(t) for t in teams])

    @_rpc
    async def PutTechnicians(
        self, request: pb.PutTechniciansRequest, context: Context
    ) -> pb.PutTechniciansResponse:
        technicians = await self._config.put_technicians(
            m.caller_from_pb(request.caller), request.site,
            [m.technician_from_pb(t) for t in request.technicians],
        )  # fmt: skip
        return pb.PutTechniciansResponse(technicians=[m.technician_to_pb(t) for t in technicians])

    @_rpc
    async def ListTechnicians(
        self, request: pb.ListTechniciansRequest, context: Context
    ) -> pb.ListTechniciansResponse:
        technicians = await self._config.list_technicians(request.site, request.team)
        return pb.ListTechniciansResponse(technicians=[m.technician_to_pb(t) for t in technicians])

    @_rpc
    async def PutRoster(
        self, request: pb.PutRosterRequest, context: Context
    ) -> pb.PutRosterResponse:
        roster = await self._config.put_roster(
            m.caller_from_pb(request.caller), request.roster.site,
            m.shifts_from_pb(request.roster.shifts), m.overrides_from_pb(request.roster.overrides),
        )  # fmt: skip
        return pb.PutRosterResponse(roster=m.roster_to_pb(roster))

    @_rpc
    async def GetRoster(
        self, request: pb.GetRosterRequest, context: Context
    ) -> pb.GetRosterResponse:
        roster, on_duty = await self._config.get_roster(request.site)
        return pb.GetRosterResponse(roster=m.roster_to_pb(roster), on_duty=on_duty)

    @_rpc
    async def PutRules(self, request: pb.PutRulesRequest, context: Context) -> pb.PutRulesResponse:
        stored = await self._config.put_rules(
            m.caller_from_pb(request.caller), request.site,
            m.document_from_json(request.document_json),
        )  # fmt: skip
        return pb.PutRulesResponse(rule_set=m.rules_to_pb(stored))

    @_rpc
    async def GetRules(self, request: pb.GetRulesRequest, context: Context) -> pb.GetRulesResponse:
        return pb.GetRulesResponse(
            rule_set=m.rules_to_pb(await self._config.get_rules(request.site))
        )

    @_rpc
    async def ListOffers(
        self, request: pb.ListOffersRequest, context: Context
    ) -> pb.ListOffersResponse:
        offers = await self._offers.list_offers(request.site, request.username)
        return pb.ListOffersResponse(offers=[m.offer_to_pb(o) for o in offers])

    @_rpc
    async def Claim(self, request: pb.ClaimRequest, context: Context) -> pb.ClaimResponse:
        offer = await self._offers.claim(m.caller_from_pb(request.caller), request.ticket_id)
        return pb.ClaimResponse(offer=m.offer_to_pb(offer))

    @_rpc
    async def Decide(self, request: pb.DecideRequest, context: Context) -> pb.DecideResponse:
        decision, facts = await self._router.dry_run(
            request.ticket_id,
            m.facts_from_pb(request.facts) if request.HasField("facts") else None,
            m.from_ts(request.at) if request.HasField("at") else None,
            list(request.exclude),
        )
        return pb.DecideResponse(decision=m.decision_to_pb(decision), facts=m.facts_to_pb(facts))
