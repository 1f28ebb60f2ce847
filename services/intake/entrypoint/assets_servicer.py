"""AssetService over gRPC: translate, call the asset handlers, translate back."""

from __future__ import annotations

from datetime import date
from typing import Any

import grpc
from maintenance.intake.v1 import assets_pb2 as pb
from maintenance.intake.v1 import assets_pb2_grpc as pb_grpc
from maintenance.intake.v1 import places_pb2 as places_pb

from services.intake.domain.assets import Asset
from services.intake.domain.errors import InvalidInput
from services.intake.entrypoint.messages import actor_from_pb, timestamp
from services.intake.entrypoint.places_servicer import import_counts
from services.intake.entrypoint.servicer import rpc
from services.intake.handlers.assets import AssetHandlers, AssetView

__all__ = ["AssetServicer"]

Context = grpc.aio.ServicerContext[Any, Any]


def _asset_from_pb(a: pb.Asset) -> Asset:
    try:
        installed = date.fromisoformat(a.installed_on) if a.installed_on else None
    except ValueError:
        raise InvalidInput(
            f"installed_on {a.installed_on[:20]!r} is not a date (YYYY-MM-DD)", "installed_on"
        ) from None
    return Asset(
        asset_id=a.asset_id, type=a.type, site=a.site, building=a.building, floor=a.floor,
        unit=a.unit, name=a.name, make=a.make, model=a.model, serial=a.serial,
        installed_on=installed, criticality=a.criticality or 3, components=tuple(a.components),
    )  # fmt: skip


def _asset_to_pb(view: AssetView) -> pb.Asset:
    a, last = view
    message = pb.Asset(
        asset_id=a.asset_id, type=a.type, site=a.site, building=a.building, floor=a.floor,
        unit=a.unit, name=a.name, make=a.make, model=a.model, serial=a.serial,
        installed_on=a.installed_on.isoformat() if a.installed_on else "",
        criticality=a.criticality, components=list(a.components),
        last_maintenance={c: timestamp(when) for c, when in last.items()},
    )  # fmt: skip
    if a.created_at is not None and a.updated_at is not None:
        message.created_at.CopyFrom(timestamp(a.created_at))
        message.updated_at.CopyFrom(timestamp(a.updated_at))
    return message


class AssetServicer(pb_grpc.AssetServiceServicer):
    def __init__(self, handlers: AssetHandlers) -> None:
        self._h = handlers

    @rpc
    async def PutAsset(self, request: pb.PutAssetRequest, context: Context) -> pb.PutAssetResponse:
        view, created = await self._h.put(
            actor_from_pb(request.actor), _asset_from_pb(request.asset)
        )
        return pb.PutAssetResponse(asset=_asset_to_pb(view), created=created)

    @rpc
    async def GetAsset(self, request: pb.GetAssetRequest, context: Context) -> pb.GetAssetResponse:
        view = await self._h.get(actor_from_pb(request.actor), request.asset_id)
        return pb.GetAssetResponse(asset=_asset_to_pb(view))

    @rpc
    async def ImportAssets(
        self, request: pb.ImportAssetsRequest, context: Context
    ) -> pb.ImportAssetsResponse:
        rows: list[tuple[int, Asset]] = []
        problems: list[places_pb.RowProblem] = []
        for row in request.rows:
            try:
                rows.append((row.line, _asset_from_pb(row.asset)))
            except InvalidInput as exc:
                problems.append(
                    places_pb.RowProblem(line=row.line, column=exc.field, reason=str(exc))
                )
        if problems:
            return pb.ImportAssetsResponse(problems=problems)
        outcome = await self._h.import_rows(actor_from_pb(request.actor), rows, request.dry_run)
        return pb.ImportAssetsResponse(**import_counts(outcome))

    @rpc
    async def ListAssets(
        self, request: pb.ListAssetsRequest, context: Context
    ) -> pb.ListAssetsResponse:
        assets, after = await self._h.page(
            actor_from_pb(request.actor), request.site, request.building, request.type,
            request.page_size, request.page_token,
        )  # fmt: skip
        return pb.ListAssetsResponse(
            assets=[_asset_to_pb((a, {})) for a in assets], next_page_token=after
        )
