"""`/v1/hotspots`: where failures are likely next and why (planners, supervisors and
admins; staff see their own site), the ranking's track record, work orders from a
hotspot, and a heat map of the floors."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.responses import HTMLResponse
from maintenance.predictor.v1 import predictor_pb2 as pb
from pydantic import BaseModel, ConfigDict, Field

from services.gateway.entrypoint.deps import Call, Caller
from services.gateway.entrypoint.schemas import MAX_ID, TicketOut, ticket_out

__all__ = ["router"]

router = APIRouter(prefix="/v1/hotspots", tags=["hotspots"])

_READERS = ("planner", "supervisor", "admin")
Level = Literal["asset", "floor", "building"]


class LocationOut(BaseModel):
    site: str
    building: str
    floor: str
    unit: str | None
    asset: str | None


class ReasonOut(BaseModel):
    feature: str
    value: float | None
    #: In the caller's language (Accept-Language zh... or en).
    text: str
    text_zh: str
    text_en: str
    #: "raises" or "lowers" the probability.
    effect: str
    weight: float


class ActionOut(BaseModel):
    code: str
    component: str | None
    text: str
    text_zh: str
    text_en: str


class HotspotOut(BaseModel):
    id: int
    rank: int
    level: Level
    key: str
    location: LocationOut
    probability: float
    horizon_days: int
    reasons: list[ReasonOut]
    #: "inspect", "replace_component" or "schedule_maintenance" (details in action_detail).
    action: str
    action_detail: ActionOut
    model_version: str
    as_of: date
    work_order_ticket_id: str | None


class HotspotList(BaseModel):
    items: list[HotspotOut]
    as_of: date | None
    model_version: str
    #: The horizon of the model behind the ranking (its probabilities are converted to the
    #: horizon asked for, assuming a constant daily risk, when the two differ).
    model_horizon_days: int


class EvaluationRowOut(BaseModel):
    level: Level
    horizon_days: int
    runs: int
    scored_runs: int
    k: int
    precision_at_k: float
    recall_at_k: float
    pr_auc: float
    brier: float
    base_rate: float
    failures: int
    work_orders: int
    work_orders_failed: int


class EvaluationOut(BaseModel):
    rows: list[EvaluationRowOut]


class WorkOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=2000)


def _zh(accept_language: str | None) -> bool:
    return (accept_language or "").lower().startswith("zh")


def _hotspot(h: pb.Hotspot, zh: bool) -> HotspotOut:
    loc, a = h.location, h.action
    return HotspotOut(
        id=h.id, rank=h.rank, level=h.level, key=h.key,  # type: ignore[arg-type]
        location=LocationOut(site=loc.site, building=loc.building, floor=loc.floor,
                             unit=loc.unit or None, asset=loc.asset or None),
        probability=round(h.probability, 6), horizon_days=h.horizon_days,
        reasons=[ReasonOut(feature=r.feature, value=r.value if r.HasField("value") else None,
                           text=r.text_zh if zh else r.text_en, text_zh=r.text_zh,
                           text_en=r.text_en, effect=r.effect, weight=r.weight)
                 for r in h.reasons],
        action=a.code,
        action_detail=ActionOut(code=a.code, component=a.component or None,
                                text=a.text_zh if zh else a.text_en, text_zh=a.text_zh,
                                text_en=a.text_en),
        model_version=h.model_version, as_of=date.fromisoformat(h.as_of),
        work_order_ticket_id=h.work_order_ticket_id or None,
    )  # fmt: skip


@router.get("", response_model=HotspotList, summary="The keys most likely to fail next")
async def list_hotspots(
    caller: Caller,
    site: Annotated[str | None, Query(max_length=64)] = None,
    level: Level = "asset",
    horizon_days: Annotated[int, Query(ge=1, le=90)] = 7,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    accept_language: Annotated[str | None, Header()] = None,
) -> HotspotList:
    """Ranked by the probability of a failure (a corrective ticket) within `horizon_days`,
    as of the start of today (site time), each with the three features that moved its
    probability most, in words, and a recommended action."""
    reply = await caller.predictor.ListHotspots(
        pb.ListHotspotsRequest(actor=caller.actor(), site=caller.site_for(site, *_READERS), level=level,
                               horizon_days=horizon_days, limit=limit),
        **caller.opts,
    )  # fmt: skip
    zh = _zh(accept_language)
    return HotspotList(
        items=[_hotspot(h, zh) for h in reply.items],
        as_of=date.fromisoformat(reply.as_of) if reply.as_of else None,
        model_version=reply.model_version,
        model_horizon_days=reply.model_horizon_days,
    )


@router.get("/evaluation", response_model=EvaluationOut,
            summary="Stored rankings scored against what happened since")  # fmt: skip
async def evaluation(
    caller: Caller,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    site: Annotated[str | None, Query(max_length=64)] = None,
    k: Annotated[int, Query(ge=1, le=500)] = 10,
    kind: Literal["live", "backtest"] = "live",
) -> EvaluationOut:
    """For the rankings made as of days in [from, to] whose horizon is over: precision and
    recall of the top k, PR-AUC and Brier, by level and horizon, and the work orders raised
    from them (with how many of those keys failed anyway)."""
    request = pb.GetEvaluationRequest(actor=caller.actor(), site=caller.site_for(site, *_READERS),
                                      to=end.isoformat(), k=k, kind=kind)  # fmt: skip
    setattr(request, "from", start.isoformat())
    reply = await caller.predictor.GetEvaluation(request, **caller.opts)
    return EvaluationOut(rows=[
        EvaluationRowOut(
            level=r.level, horizon_days=r.horizon_days, runs=r.runs,  # type: ignore[arg-type]
            scored_runs=r.scored_runs, k=r.k, precision_at_k=r.precision_at_k,
            recall_at_k=r.recall_at_k, pr_auc=r.pr_auc, brier=r.brier, base_rate=r.base_rate,
            failures=r.failures, work_orders=r.work_orders, work_orders_failed=r.work_orders_failed,
        ) for r in reply.rows
    ])  # fmt: skip


async def _heatmap(caller: Call, site: str | None, horizon_days: int, fmt: str) -> Response:
    reply = await caller.predictor.RenderHeatmap(
        pb.RenderHeatmapRequest(actor=caller.actor(), site=caller.site_for(site, *_READERS),
                                horizon_days=horizon_days, format=fmt),
        **caller.opts,
    )  # fmt: skip
    return Response(content=reply.content, media_type=reply.content_type)


@router.get("/heatmap.svg", summary="Floors by building, coloured by risk (zh/en labels)",
            response_class=Response)  # fmt: skip
async def heatmap_svg(
    caller: Caller,
    site: Annotated[str | None, Query(max_length=64)] = None,
    horizon_days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Response:
    return await _heatmap(caller, site, horizon_days, "svg")


@router.get("/heatmap.png", summary="The heat map as a picture (cells only, no text)",
            response_class=Response)  # fmt: skip
async def heatmap_png(
    caller: Caller,
    site: Annotated[str | None, Query(max_length=64)] = None,
    horizon_days: Annotated[int, Query(ge=1, le=90)] = 7,
) -> Response:
    return await _heatmap(caller, site, horizon_days, "png")


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%}"
    "td,th{border:1px solid #bbb;padding:4px 6px;vertical-align:top;font-size:12px}"
    "th{background:#eee}@media print{body{margin:0}}"
)


@router.get("/report.html", response_class=HTMLResponse,
            summary="A printable report: the ranking with its reasons, and the heat map")  # fmt: skip
async def report(
    caller: Caller,
    site: Annotated[str | None, Query(max_length=64)] = None,
    level: Level = "asset",
    horizon_days: Annotated[int, Query(ge=1, le=90)] = 7,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> HTMLResponse:
    chosen = caller.site_for(site, *_READERS)
    ranking = await caller.predictor.ListHotspots(
        pb.ListHotspotsRequest(actor=caller.actor(), site=chosen, level=level,
                               horizon_days=horizon_days, limit=limit),
        **caller.opts,
    )  # fmt: skip
    heatmap = await caller.predictor.RenderHeatmap(
        pb.RenderHeatmapRequest(actor=caller.actor(), site=chosen, horizon_days=horizon_days,
                                format="svg"),
        **caller.opts,
    )  # fmt: skip
    rows = []
    for h in ranking.items:
        place = "/".join(p for p in (h.location.building, h.location.floor, h.location.unit) if p)
        why = "".join(f"<li>{escape(r.text_zh)}<br>{escape(r.text_en)}</li>" for r in h.reasons)
        rows.append(
            f"<tr><td>{h.rank}</td><td>{escape(h.key)}</td><td>{escape(place)}</td>"
            f"<td>{h.probability:.1%}</td><td><ul>{why}</ul></td>"
            f"<td>{escape(h.action.text_zh)}<br>{escape(h.action.text_en)}</td></tr>"
        )
    title = f"{chosen}：{horizon_days}天内故障风险 / failure risk within {horizon_days} days"
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>截至 / as of {escape(ranking.as_of)} · 层级 / level {escape(level)} · 模型 / model"
        f" {escape(ranking.model_version)}</p><table><tr><th>#</th><th>对象 / key</th>"
        f"<th>位置 / place</th><th>概率 / probability</th><th>原因 / reasons</th>"
        f"<th>建议 / action</th></tr>{''.join(rows)}</table>"
        f"<h2>热点图 / heat map</h2>{heatmap.content.decode()}</body></html>"
    )
    return HTMLResponse(html)


@router.post("/{hotspot_id}/work-order", status_code=status.HTTP_201_CREATED,
             response_model=TicketOut, summary="Raise a maintenance ticket for a hotspot")  # fmt: skip
async def work_order(
    hotspot_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    caller: Caller,
    response: Response,
    body: WorkOrderIn | None = None,
) -> TicketOut:
    """A `maintenance` ticket at the hotspot's place (its asset and, when the action names
    one, component), raised by the predictor on the caller's behalf; it then goes through
    dispatch, SLA and notification like any ticket. Again for the same hotspot: the same
    ticket, 200."""
    caller.require(*_READERS)
    reply = await caller.predictor.CreateWorkOrder(
        pb.CreateWorkOrderRequest(actor=caller.actor(), hotspot_id=hotspot_id,
                                  note=body.note if body else ""),
        **caller.opts,
    )  # fmt: skip
    if not reply.created:
        response.status_code = status.HTTP_200_OK
    return ticket_out(reply.ticket)
