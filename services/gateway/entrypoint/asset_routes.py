"""`/v1/assets`: the asset registry. Staff read it; admins, and supervisors and planners of
the asset's site, change it. An asset shows its open tickets, its devices and when each
component last had maintenance done."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from google.protobuf.timestamp_pb2 import Timestamp
from maintenance.ingestor.v1 import ingestor_pb2 as ingestor_pb
from maintenance.intake.v1 import assets_pb2 as pb
from maintenance.intake.v1 import intake_pb2 as intake_pb
from pydantic import BaseModel, ConfigDict, Field

from services.common.protoenum import number_of
from services.gateway.entrypoint.deps import Caller

__all__ = ["router"]

router = APIRouter(prefix="/v1/assets", tags=["assets"])

AssetId = Annotated[str, Path(min_length=1, max_length=64, examples=["pump-B2-1"])]
_OPEN = ("submitted", "accepted", "assigned", "in_progress")


class AssetLocation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    site: str = Field(min_length=1, max_length=64)
    building: str = Field(min_length=1, max_length=64)
    floor: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=64)


class AssetIn(BaseModel):
    """`type`: pump, elevator, escalator, transformer, power_panel, generator, boiler, chiller,
    ahu, fire_pump, fire_panel, riser, water_tank, lighting_circuit, door, gate, camera,
    network or generic. `criticality`: 1 (can wait) to 5 (life safety)."""

    model_config = ConfigDict(extra="forbid")
    type: str = Field(min_length=1, max_length=40, examples=["pump"])
    name: str = Field(default="", max_length=200, examples=["2号生活水泵 / Domestic water pump 2"])
    make: str = Field(default="", max_length=120)
    model: str = Field(default="", max_length=120)
    serial: str = Field(default="", max_length=120)
    installed_on: date | None = None
    criticality: int = Field(default=3, ge=1, le=5)
    components: list[str] = Field(default_factory=list, max_length=50, examples=[["motor", "seal"]])
    location: AssetLocation


class OpenTicket(BaseModel):
    id: str
    number: str
    status: str
    title: str
    component: str | None


class AssetOut(BaseModel):
    asset_id: str
    type: str
    name: str
    make: str
    model: str
    serial: str
    installed_on: date | None
    criticality: int
    components: list[str]
    location: AssetLocation
    #: When each component last had maintenance done (a maintenance ticket resolved on it).
    last_maintenance: dict[str, datetime]
    created_at: datetime | None
    updated_at: datetime | None
    #: Only on `GET /v1/assets/{asset_id}`.
    open_tickets: list[OpenTicket] | None = None
    devices: list[str] | None = None


class AssetList(BaseModel):
    items: list[AssetOut]
    next_cursor: str | None


def _stamp(t: Timestamp) -> datetime:
    return t.ToDatetime(tzinfo=UTC)


def _out(a: pb.Asset) -> AssetOut:
    return AssetOut(
        asset_id=a.asset_id, type=a.type, name=a.name, make=a.make, model=a.model,
        serial=a.serial, installed_on=date.fromisoformat(a.installed_on) if a.installed_on else None,
        criticality=a.criticality, components=list(a.components),
        location=AssetLocation(site=a.site, building=a.building, floor=a.floor or None,
                               unit=a.unit or None),
        last_maintenance={c: _stamp(t) for c, t in a.last_maintenance.items()},
        created_at=_stamp(a.created_at) if a.HasField("created_at") else None,
        updated_at=_stamp(a.updated_at) if a.HasField("updated_at") else None,
    )  # fmt: skip


@router.put("/{asset_id}", response_model=AssetOut, summary="Register or replace an asset")
async def put_asset(
    asset_id: AssetId, body: AssetIn, caller: Caller, response: Response
) -> AssetOut:
    """201 when the asset is new, 200 when it replaced a registration. Its place must exist
    (422 naming the missing level); it cannot move to another site."""
    loc = body.location
    reply = await caller.assets.PutAsset(
        pb.PutAssetRequest(actor=caller.actor(), asset=pb.Asset(
            asset_id=asset_id, type=body.type, site=loc.site, building=loc.building,
            floor=loc.floor or "", unit=loc.unit or "", name=body.name, make=body.make,
            model=body.model, serial=body.serial,
            installed_on=body.installed_on.isoformat() if body.installed_on else "",
            criticality=body.criticality, components=body.components)),
        **caller.opts,
    )  # fmt: skip
    response.status_code = status.HTTP_201_CREATED if reply.created else status.HTTP_200_OK
    return _out(reply.asset)


@router.get("", response_model=AssetList, summary="List assets")
async def list_assets(
    caller: Caller,
    site: Annotated[str, Query(max_length=64)] = "",
    building: Annotated[str, Query(max_length=64)] = "",
    type_: Annotated[str, Query(alias="type", max_length=40)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str, Query(max_length=64)] = "",
) -> AssetList:
    reply = await caller.assets.ListAssets(
        pb.ListAssetsRequest(actor=caller.actor(), site=site, building=building, type=type_,
                             page_size=limit, page_token=cursor),
        **caller.opts,
    )  # fmt: skip
    return AssetList(
        items=[_out(a) for a in reply.assets], next_cursor=reply.next_page_token or None
    )


@router.get(
    "/{asset_id}", response_model=AssetOut, summary="An asset, its open tickets and devices"
)
async def get_asset(asset_id: AssetId, caller: Caller) -> AssetOut:
    reply = await caller.assets.GetAsset(
        pb.GetAssetRequest(actor=caller.actor(), asset_id=asset_id), **caller.opts
    )
    asset = _out(reply.asset)
    tickets = await caller.intake.ListTickets(
        intake_pb.ListTicketsRequest(actor=caller.actor(), page_size=200, filter=intake_pb.TicketFilter(
            site=asset.location.site, asset=asset_id,
            statuses=[number_of(intake_pb.TicketStatus, "TICKET_STATUS_", s) for s in _OPEN])),  # type: ignore[misc]
        **caller.opts,
    )  # fmt: skip
    devices = await caller.devices.ListDevices(
        ingestor_pb.ListDevicesRequest(asset=asset_id, page_size=500), **caller.opts
    )
    asset.open_tickets = [
        OpenTicket(id=t.id, number=t.number, status=_status(t.status), title=t.title,
                   component=t.component or None)
        for t in tickets.tickets
    ]  # fmt: skip
    asset.devices = [d.device_id for d in devices.devices]
    return asset


def _status(value: int) -> str:
    return intake_pb.TicketStatus.Name(value).removeprefix("TICKET_STATUS_").lower()  # type: ignore[arg-type]
