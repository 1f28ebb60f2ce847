"""Work orders files: finished work from another system, one work order per line, sent to
intake's HistoryService in a stream of chunks that it imports in one transaction."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal, InvalidOperation

from maintenance.intake.v1 import history_pb2, history_pb2_grpc

from services.importer.kinds.assets import ASSET_ID
from services.importer.kinds.base import (
    ACTOR,
    Context,
    Kind,
    Outcome,
    Progress,
    Targets,
    asset_sites,
    outcome_of,
    site_zones,
)
from services.importer.kinds.places import BUILDING, FLOOR, SITE, UNIT
from services.importer.reader import Problem, Row, parse_time

__all__ = ["WORK_ORDERS", "parse_cost_cents", "work_order_row"]

CHUNK_ROWS = 5_000
"""Rows per message of the stream (well under gRPC's 4 MiB)."""
_TIMES = ("opened_at", "accepted_at", "resolved_at", "closed_at")
_MONEY = re.compile(r"^(?:¥|￥|CNY|RMB)?\s*(?P<amount>[0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*(?:元)?$",
                    re.IGNORECASE)  # fmt: skip
_MAX_CENTS = 10**12


def parse_cost_cents(text: str) -> int:
    """A cost as written (`1250`, `1,250.50`, `¥1250`, `1250元`) in cents; ValueError else."""
    match = _MONEY.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"cost {text[:40]!r} is not an amount like 1250.50")
    try:
        cents = int(Decimal(match["amount"].replace(",", "")) * 100)
    except InvalidOperation:
        raise ValueError(f"cost {text[:40]!r} is not an amount like 1250.50") from None
    if cents >= _MAX_CENTS:
        raise ValueError(f"cost {text[:40]!r} is implausibly large")
    return cents


def _rating(text: str) -> int:
    try:
        stars = float(text.removesuffix("星").strip())
    except ValueError:
        raise ValueError(f"rating {text[:20]!r} is not a number of stars from 1 to 5") from None
    if not (stars.is_integer() and 1 <= stars <= 5):
        raise ValueError(f"rating {text[:20]!r} is not a number of stars from 1 to 5")
    return int(stars)


def work_order_row(row: Row, context: Context) -> history_pb2.WorkOrderRow | Problem:
    """A work orders line for intake, its times read in its site's zone (the asset's site
    when the line names only the asset), or the first problem of its values."""
    v = row.values
    asset = v.get("asset_id", "")
    site = v.get("site") or (context.assets.get(asset, "") if asset else "") or context.site
    message = history_pb2.WorkOrderRow(
        line=row.line, external_id=v.get("external_id", ""), kind=v.get("kind", ""),
        category=v.get("category", ""), status=v.get("status", ""),
        priority=v.get("priority", "").upper(),
        site=v.get("site") or ("" if asset and not v.get("building") else site),
        building=v.get("building", ""), floor=v.get("floor", ""), unit=v.get("unit", ""),
        asset_id=asset, component=v.get("component", "").strip().lower(),
        assignee=v.get("assignee", ""), requester=v.get("requester", ""),
        title=v.get("title", ""), description=v.get("description", ""),
    )  # fmt: skip
    for column in _TIMES:
        if text := v.get(column):
            try:
                getattr(message, column).FromDatetime(parse_time(text, context.zone(site)))
            except ValueError as exc:
                return Problem(row.line, column, str(exc))
    try:
        message.cost_cents = parse_cost_cents(v["cost"]) if v.get("cost") else 0
    except ValueError as exc:
        return Problem(row.line, "cost", str(exc))
    try:
        message.rating = _rating(v["rating"]) if v.get("rating") else 0
    except ValueError as exc:
        return Problem(row.line, "rating", str(exc))
    return message


async def _prepare(targets: Targets, site: str) -> Context:
    """Every site's zone, and every asset's site (a line may name only its asset)."""
    zones, assets = await asyncio.gather(site_zones(targets), asset_sites(targets))
    return Context(site, zones, assets=assets)


async def _send(
    targets: Targets, rows: Sequence[history_pb2.WorkOrderRow], dry_run: bool, progress: Progress
) -> Outcome:
    async def chunks() -> AsyncIterator[history_pb2.ImportWorkOrdersRequest]:
        for start in range(0, max(len(rows), 1), CHUNK_ROWS):
            part = rows[start : start + CHUNK_ROWS]
            yield history_pb2.ImportWorkOrdersRequest(actor=ACTOR, rows=part, dry_run=dry_run)
            progress(len(part))

    async with targets.intake_channel() as ch:
        reply = await history_pb2_grpc.HistoryServiceStub(ch).ImportWorkOrders(
            chunks(), timeout=3600
        )
    return outcome_of(reply)


WORK_ORDERS = Kind(
    "work_orders",
    {
        "external_id": ("external_id", "工单号", "工单编号", "单号"),
        "kind": ("kind", "工单类型", "类型"),
        "category": ("category", "类别", "分类", "专业"),
        "priority": ("priority", "优先级", "紧急程度"),
        "status": ("status", "状态", "工单状态"),
        "opened_at": ("opened_at", "报修时间", "创建时间", "开单时间"),
        "accepted_at": ("accepted_at", "接单时间", "受理时间"),
        "resolved_at": ("resolved_at", "完成时间", "完工时间", "解决时间"),
        "closed_at": ("closed_at", "关闭时间", "结单时间"),
        "title": ("title", "标题", "事项", "报修内容"),
        "description": ("description", "描述", "详情", "处理说明"),
        "asset_id": ASSET_ID,
        "component": ("component", "部件"),
        "site": SITE,
        "building": BUILDING,
        "floor": FLOOR,
        "unit": UNIT,
        "assignee": ("assignee", "维修人", "处理人", "维修人员"),
        "requester": ("requester", "报修人", "提交人"),
        "cost": ("cost", "费用", "维修费用", "金额"),
        "rating": ("rating", "评分", "满意度", "评价"),
    },
    frozenset({"external_id", "kind", "category", "status", "opened_at", "title"}),
    work_order_row,
    _send,
    _prepare,
)
