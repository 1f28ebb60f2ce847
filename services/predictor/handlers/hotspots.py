"""The use cases behind the API: read a ranking, score past rankings, raise a work order
from a hotspot, draw the heat map."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from maintenance.intake.v1 import intake_pb2 as intake_pb

from ml.evaluate import evaluate
from services.predictor.adapters.intake_client import GrpcIntake
from services.predictor.adapters.runs_repo import RunsRepository, StoredHotspot
from services.predictor.domain.errors import InvalidInput, NotFound, NotReady
from services.predictor.domain.heatmap import Cell, render_png, render_svg
from services.predictor.domain.rules import (
    Caller,
    check_may_read,
    check_request,
    convert_probability,
    nearest_horizon,
)
from services.predictor.domain.work_order import work_order_for

__all__ = ["Hotspots", "Ranking"]


@dataclass(frozen=True)
class Ranking:
    items: list[StoredHotspot]
    model_horizon_days: int


def _day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date (YYYY-MM-DD), not {text!r}") from None


class Hotspots:
    def __init__(
        self, repo: RunsRepository, intake: GrpcIntake, clock: Callable[[], datetime]
    ) -> None:
        self._repo = repo
        self._intake = intake
        self._clock = clock

    async def ranking(self, caller: Caller, site: str, level: str, horizon_days: int,
                   limit: int) -> Ranking:  # fmt: skip
        check_may_read(caller, site)
        level, horizon_days, limit = check_request(level, horizon_days, limit)
        served = await self._repo.horizons_ranked(site, level)
        if not served:
            raise NotReady(f"no ranking yet for site {site!r} at level {level}")
        model_days = nearest_horizon(horizon_days, tuple(served))
        items = await self._repo.latest(site, level, model_days, limit)
        if model_days != horizon_days:
            items = [replace(h, horizon_days=horizon_days,
                             probability=convert_probability(h.probability, model_days, horizon_days))
                     for h in items]  # fmt: skip
        return Ranking(items, model_days)

    async def evaluation(self, caller: Caller, site: str, start: str, end: str, k: int,
                         kind: str) -> list[dict[str, float | int | str]]:  # fmt: skip
        check_may_read(caller, site)
        first, last = _day(start, "from"), _day(end, "to")
        if last < first:
            raise InvalidInput("to is before from")
        kind = kind or "live"
        if kind not in ("live", "backtest"):
            raise InvalidInput("kind is live or backtest")
        k = k or 10
        if not 1 <= k <= 500:
            raise InvalidInput("k must be 1 to 500")
        inputs = await self._repo.evaluation_inputs(site, first, last, kind)
        if inputs is None:
            raise NotFound(f"no site {site!r}")
        tz = ZoneInfo(inputs.timezone)
        today = self._clock().astimezone(tz).date()
        return await asyncio.to_thread(evaluate, inputs.runs, inputs.predictions, inputs.tickets,
                                       tz, today, k, inputs.work_orders)  # fmt: skip

    async def work_order(self, caller: Caller, hotspot_id: int, note: str
                         ) -> tuple[intake_pb.Ticket, bool]:  # fmt: skip
        found = await self._repo.hotspot(hotspot_id)
        if found is None:
            raise NotFound(f"no hotspot {hotspot_id}")
        check_may_read(caller, found.site)
        if found.work_order_ticket_id:
            return await self._intake.ticket(found.work_order_ticket_id), False
        asset = found.location.get("asset", "")
        building = found.location.get("building", "")
        order = work_order_for(
            found.key, found.probability, found.horizon_days, found.location,
            await self._repo.asset_type(asset) if asset else "", found.reasons, found.action,
            "" if found.location.get("floor") else await self._repo.first_floor(found.site, building),
            note,
        )  # fmt: skip
        ticket = await self._intake.raise_work_order(
            found.site, order, f"hotspot-{found.id}",
            {"hotspot_id": str(found.id), "requested_by": caller.username,
             "model_version": found.model_version, "as_of": found.as_of.isoformat()},
        )  # fmt: skip
        await self._repo.record_work_order(found.id, ticket.id, ticket.number, caller.username)
        return ticket, True

    async def heatmap(
        self, caller: Caller, site: str, horizon_days: int, fmt: str
    ) -> tuple[bytes, str]:
        check_may_read(caller, site)
        if fmt not in ("svg", "png"):
            raise InvalidInput("format is svg or png")
        ranking = await self.ranking(caller, site, "floor", horizon_days, 500)
        by_key = {h.key: h.probability for h in ranking.items}
        floors = await self._repo.floor_cells(site)
        cells = [
            Cell(str(f["building"]), str(f["building"]), str(f["floor"]), int(f["floor_order"]),
                 by_key.get(f"{f['building']}/{f['floor']}", 0.0))
            for f in floors
        ]  # fmt: skip
        if fmt == "png":
            return render_png(cells, scale=2), "image/png"
        as_of = ranking.items[0].as_of.isoformat() if ranking.items else ""
        h = horizon_days or 7
        return render_svg(cells, f"{site} 风险热点图：{h}天内故障概率（{as_of}）",
                          f"{site} hotspot map: probability of a failure within {h} days"
                          f" (as of {as_of})"), "image/svg+xml"  # fmt: skip
