"""PlaceService over gRPC: translate, call the place handlers, translate back."""

from __future__ import annotations

from typing import Any

import grpc
from maintenance.intake.v1 import places_pb2 as pb
from maintenance.intake.v1 import places_pb2_grpc as pb_grpc

from services.intake.domain.place_import import ImportOutcome, PlaceRow
from services.intake.domain.places import Building, Floor, PlaceKey, Site, Unit
from services.intake.entrypoint.messages import actor_from_pb
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.places import PlaceHandlers

__all__ = ["PlaceServicer", "import_counts", "key_from_pb", "site_to_pb"]

Context = grpc.aio.ServicerContext[Any, Any]


def key_from_pb(key: pb.PlaceKey) -> PlaceKey:
    return PlaceKey(key.site, key.building, key.floor, key.unit)


def key_to_pb(key: PlaceKey) -> pb.PlaceKey:
    return pb.PlaceKey(site=key.site, building=key.building, floor=key.floor, unit=key.unit)


def _unit_to_pb(u: Unit) -> pb.Unit:
    return pb.Unit(code=u.code, name=u.name, name_en=u.name_en)


def _floor_to_pb(f: Floor) -> pb.Floor:
    return pb.Floor(code=f.code, order=f.order, name=f.name, name_en=f.name_en,
                    units=[_unit_to_pb(u) for u in f.units])  # fmt: skip


def _building_to_pb(b: Building) -> pb.Building:
    return pb.Building(code=b.code, name=b.name, name_en=b.name_en,
                       floors=[_floor_to_pb(f) for f in b.floors])  # fmt: skip


def site_to_pb(s: Site) -> pb.Site:
    return pb.Site(code=s.code, name=s.name, name_en=s.name_en, timezone=s.timezone,
                   buildings=[_building_to_pb(b) for b in s.buildings])  # fmt: skip


def import_counts(outcome: ImportOutcome) -> dict[str, Any]:
    """The fields every import response shares: the counts and the rows' problems."""
    return {
        "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged,
        "problems": [pb.RowProblem(line=p.line, column=p.column, reason=p.reason)
                     for p in outcome.problems or ()],
    }  # fmt: skip


class PlaceServicer(pb_grpc.PlaceServiceServicer):
    def __init__(self, handlers: PlaceHandlers) -> None:
        self._h = handlers

    @rpc
    async def PutSite(self, request: pb.PutSiteRequest, context: Context) -> pb.PutSiteResponse:
        s = request.site
        site, created = await self._h.put_site(
            actor_from_pb(request.actor), Site(s.code, s.name, s.timezone, s.name_en)
        )
        return pb.PutSiteResponse(site=site_to_pb(site), created=created)

    @rpc
    async def PutBuilding(
        self, request: pb.PutBuildingRequest, context: Context
    ) -> pb.PutBuildingResponse:
        b = request.building
        building, created = await self._h.put_building(
            actor_from_pb(request.actor), request.site, Building(b.code, b.name, b.name_en)
        )
        return pb.PutBuildingResponse(building=_building_to_pb(building), created=created)

    @rpc
    async def PutFloor(self, request: pb.PutFloorRequest, context: Context) -> pb.PutFloorResponse:
        f = request.floor
        floor, created = await self._h.put_floor(
            actor_from_pb(request.actor), request.site, request.building,
            Floor(f.code, f.order, f.name, f.name_en), f.HasField("order"),
        )  # fmt: skip
        return pb.PutFloorResponse(floor=_floor_to_pb(floor), created=created)

    @rpc
    async def PutUnit(self, request: pb.PutUnitRequest, context: Context) -> pb.PutUnitResponse:
        u, at = request.unit, request.floor
        unit, created = await self._h.put_unit(
            actor_from_pb(request.actor), PlaceKey(at.site, at.building, at.floor, u.code),
            Unit(u.code, u.name, u.name_en),
        )  # fmt: skip
        return pb.PutUnitResponse(unit=_unit_to_pb(unit), created=created)

    @rpc
    async def DeletePlace(
        self, request: pb.DeletePlaceRequest, context: Context
    ) -> pb.DeletePlaceResponse:
        await self._h.delete(actor_from_pb(request.actor), key_from_pb(request.place))
        return pb.DeletePlaceResponse()

    @rpc
    async def ListSites(
        self, request: pb.ListSitesRequest, context: Context
    ) -> pb.ListSitesResponse:
        return pb.ListSitesResponse(sites=[site_to_pb(s) for s in await self._h.sites()])

    @rpc
    async def GetSite(self, request: pb.GetSiteRequest, context: Context) -> pb.GetSiteResponse:
        return pb.GetSiteResponse(site=site_to_pb(await self._h.site(request.site)))

    @rpc
    async def ImportPlaces(
        self, request: pb.ImportPlacesRequest, context: Context
    ) -> pb.ImportPlacesResponse:
        rows = [
            PlaceRow(r.line, r.site, r.building, r.floor, r.unit, r.timezone) for r in request.rows
        ]
        outcome = await self._h.import_rows(actor_from_pb(request.actor), rows, request.dry_run)
        return pb.ImportPlacesResponse(**import_counts(outcome))

    @rpc
    async def CheckPlace(
        self, request: pb.CheckPlaceRequest, context: Context
    ) -> pb.CheckPlaceResponse:
        missing, problem = await self._h.problem(key_from_pb(request.place), request.asset)
        if not problem:
            return pb.CheckPlaceResponse(exists=True)
        reply = pb.CheckPlaceResponse(exists=False, problem=problem)
        if missing is not None:
            reply.missing.CopyFrom(key_to_pb(missing))
        return reply
