"""`/v1/sites`: the place tree. Everyone signed in reads it; admins change it, and a site's
own supervisors change its buildings, floors and units.

Deleting a place that tickets, assets, users or devices still use answers 409 naming them.
Devices belong to the ingestor, so the gateway asks it before asking intake to delete: a
device registered between the two calls is still heard, its alerts dead-lettered with the
reason by the ingestor's outbox (docs/mqtt.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from maintenance.ingestor.v1 import ingestor_pb2 as ingestor_pb
from maintenance.intake.v1 import places_pb2 as pb
from pydantic import BaseModel, Field

from services.gateway.entrypoint.deps import Caller

__all__ = ["router"]

router = APIRouter(prefix="/v1/sites", tags=["places"])

Code = Annotated[str, Path(min_length=1, max_length=64)]
_Name = Annotated[str, Field(max_length=200)]


class SiteIn(BaseModel):
    name: _Name = Field(min_length=1, examples=["示范园区"])
    name_en: _Name = Field(default="", examples=["Demo Park"])
    timezone: str = Field(default="Asia/Shanghai", max_length=64, examples=["Asia/Shanghai"])


class PlaceIn(BaseModel):
    name: _Name = ""
    name_en: _Name = ""


class FloorIn(PlaceIn):
    #: Where the floor sorts; by default from its code (B2, B1, G, 1, 2, ..., RF).
    order: int | None = Field(default=None, ge=-1000, le=10000)


class UnitOut(BaseModel):
    code: str
    name: str
    name_en: str


class FloorOut(UnitOut):
    order: int
    units: list[UnitOut] = []


class BuildingOut(UnitOut):
    floors: list[FloorOut] = []


class SiteOut(UnitOut):
    timezone: str
    buildings: list[BuildingOut] = []


class SiteList(BaseModel):
    items: list[SiteOut]


def _unit_out(u: pb.Unit) -> UnitOut:
    return UnitOut(code=u.code, name=u.name, name_en=u.name_en)


def _floor_out(f: pb.Floor) -> FloorOut:
    return FloorOut(code=f.code, name=f.name, name_en=f.name_en, order=f.order,
                    units=[_unit_out(u) for u in f.units])  # fmt: skip


def _building_out(b: pb.Building) -> BuildingOut:
    return BuildingOut(code=b.code, name=b.name, name_en=b.name_en,
                       floors=[_floor_out(f) for f in b.floors])  # fmt: skip


def _site_out(s: pb.Site) -> SiteOut:
    return SiteOut(code=s.code, name=s.name, name_en=s.name_en, timezone=s.timezone,
                   buildings=[_building_out(b) for b in s.buildings])  # fmt: skip


def _created(response: Response, created: bool) -> None:
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK


@router.get("", response_model=SiteList, summary="List sites")
async def list_sites(caller: Caller) -> SiteList:
    reply = await caller.places.ListSites(pb.ListSitesRequest(actor=caller.actor()), **caller.opts)
    return SiteList(items=[_site_out(s) for s in reply.sites])


@router.get(
    "/{site}", response_model=SiteOut, summary="A site with its buildings, floors and units"
)
async def get_site(site: Code, caller: Caller) -> SiteOut:
    reply = await caller.places.GetSite(
        pb.GetSiteRequest(actor=caller.actor(), site=site), **caller.opts
    )
    return _site_out(reply.site)


@router.put("/{site}", response_model=SiteOut, summary="Create or rename a site (admins)")
async def put_site(site: Code, body: SiteIn, caller: Caller, response: Response) -> SiteOut:
    """201 when the site is new, 200 when it was renamed."""
    reply = await caller.places.PutSite(
        pb.PutSiteRequest(actor=caller.actor(), site=pb.Site(
            code=site, name=body.name, name_en=body.name_en, timezone=body.timezone)),
        **caller.opts,
    )  # fmt: skip
    _created(response, reply.created)
    return _site_out(reply.site)


@router.put(
    "/{site}/buildings/{building}",
    response_model=BuildingOut,
    summary="Create or rename a building",
)
async def put_building(
    site: Code, building: Code, caller: Caller, response: Response, body: PlaceIn | None = None
) -> BuildingOut:
    names = body or PlaceIn()
    reply = await caller.places.PutBuilding(
        pb.PutBuildingRequest(actor=caller.actor(), site=site, building=pb.Building(
            code=building, name=names.name, name_en=names.name_en)),
        **caller.opts,
    )  # fmt: skip
    _created(response, reply.created)
    return _building_out(reply.building)


@router.put(
    "/{site}/buildings/{building}/floors/{floor}", response_model=FloorOut,
    summary="Create or rename a floor",
)  # fmt: skip
async def put_floor(
    site: Code, building: Code, floor: Code, caller: Caller, response: Response,
    body: FloorIn | None = None,
) -> FloorOut:  # fmt: skip
    given = body or FloorIn()
    message = pb.Floor(code=floor, name=given.name, name_en=given.name_en)
    if given.order is not None:
        message.order = given.order
    reply = await caller.places.PutFloor(
        pb.PutFloorRequest(actor=caller.actor(), site=site, building=building, floor=message),
        **caller.opts,
    )
    _created(response, reply.created)
    return _floor_out(reply.floor)


@router.put(
    "/{site}/buildings/{building}/floors/{floor}/units/{unit}", response_model=UnitOut,
    summary="Create or rename a unit (its code is unique in its site)",
)  # fmt: skip
async def put_unit(
    site: Code, building: Code, floor: Code, unit: Code, caller: Caller, response: Response,
    body: PlaceIn | None = None,
) -> UnitOut:  # fmt: skip
    names = body or PlaceIn()
    reply = await caller.places.PutUnit(
        pb.PutUnitRequest(
            actor=caller.actor(), floor=pb.PlaceKey(site=site, building=building, floor=floor),
            unit=pb.Unit(code=unit, name=names.name, name_en=names.name_en),
        ),
        **caller.opts,
    )  # fmt: skip
    _created(response, reply.created)
    return _unit_out(reply.unit)


async def _devices_at(caller: Caller, key: pb.PlaceKey) -> list[str]:
    """Up to five devices registered at the place or below it."""
    found: list[str] = []
    token = ""
    while len(found) < 5:
        page = await caller.devices.ListDevices(
            ingestor_pb.ListDevicesRequest(
                site=key.site, building=key.building, page_size=500, page_token=token
            ),
            **caller.opts,
        )
        found += [
            d.device_id for d in page.devices
            if key.floor in ("", d.location.floor) and key.unit in ("", d.location.unit)
        ]  # fmt: skip
        if not (token := page.next_page_token):
            break
    return found[:5]


async def _delete(caller: Caller, key: pb.PlaceKey) -> Response:
    caller.require("admin", "supervisor")
    if using := await _devices_at(caller, key):
        raise HTTPException(409, f"the place is still in use (devices: {', '.join(using[:5])})")
    await caller.places.DeletePlace(
        pb.DeletePlaceRequest(actor=caller.actor(), place=key), **caller.opts
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{site}", status_code=204, summary="Delete a site nothing uses (admins)")
async def delete_site(site: Code, caller: Caller) -> Response:
    return await _delete(caller, pb.PlaceKey(site=site))


@router.delete(
    "/{site}/buildings/{building}", status_code=204, summary="Delete a building nothing uses"
)
async def delete_building(site: Code, building: Code, caller: Caller) -> Response:
    return await _delete(caller, pb.PlaceKey(site=site, building=building))


@router.delete(
    "/{site}/buildings/{building}/floors/{floor}", status_code=204,
    summary="Delete a floor nothing uses",
)  # fmt: skip
async def delete_floor(site: Code, building: Code, floor: Code, caller: Caller) -> Response:
    return await _delete(caller, pb.PlaceKey(site=site, building=building, floor=floor))


@router.delete(
    "/{site}/buildings/{building}/floors/{floor}/units/{unit}", status_code=204,
    summary="Delete a unit nothing uses",
)  # fmt: skip
async def delete_unit(
    site: Code, building: Code, floor: Code, unit: Code, caller: Caller
) -> Response:
    return await _delete(caller, pb.PlaceKey(site=site, building=building, floor=floor, unit=unit))
