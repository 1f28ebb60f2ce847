"""The predictor's rules: who reads hotspots, horizons, work orders, the heat map."""

from __future__ import annotations

import zlib

import pytest

from services.predictor.domain.errors import Forbidden, InvalidInput
from services.predictor.domain.heatmap import Cell, render_png, render_svg
from services.predictor.domain.rules import (
    Caller,
    check_may_read,
    check_request,
    convert_probability,
    nearest_horizon,
)
from services.predictor.domain.work_order import work_order_for


def test_planners_and_supervisors_read_their_own_site_admins_every_site() -> None:
    check_may_read(Caller("planner1", "planner", "demo"), "demo")
    check_may_read(Caller("supervisor1", "supervisor", "demo"), "demo")
    check_may_read(Caller("admin", "admin", ""), "park2")
    with pytest.raises(Forbidden):
        check_may_read(Caller("planner1", "planner", "demo"), "park2")
    for role in ("tenant", "technician", "dispatcher", ""):
        with pytest.raises(Forbidden):
            check_may_read(Caller("x", role, "demo"), "demo")


def test_request_defaults_and_limits() -> None:
    assert check_request("", 0, 0) == ("asset", 7, 20)
    assert check_request("floor", 90, 500) == ("floor", 90, 500)
    for bad in (("room", 7, 10), ("asset", 91, 10), ("asset", 7, 501)):
        with pytest.raises(InvalidInput):
            check_request(*bad)


def test_horizons_convert_under_a_constant_daily_risk() -> None:
    assert nearest_horizon(10, (7, 30)) == 7 and nearest_horizon(25, (7, 30)) == 30
    assert convert_probability(0.5, 7, 7) == 0.5
    assert convert_probability(0.5, 7, 14) == pytest.approx(0.75)
    assert convert_probability(0.75, 14, 7) == pytest.approx(0.5)
    assert convert_probability(1.0, 7, 1) < 1.0


def test_a_work_order_names_its_place_category_and_component() -> None:
    reasons = [{"feature": "comp_maint_days", "text_zh": "密封件已410天未保养或更换",
                "text_en": "seal last maintained or replaced 410 days ago", "effect": "raises"}]  # fmt: skip
    action = {"code": "schedule_maintenance", "component": "seal",
              "text_zh": "安排密封件保养", "text_en": "schedule maintenance of the seal"}  # fmt: skip
    location = {"building": "B", "floor": "1", "unit": "", "asset": "pump-B-1-2"}
    order = work_order_for("pump-B-1-2", 0.42, 7, location, "pump", reasons, action, "1")
    assert (order.category, order.asset, order.component, order.floor) == (
        "plumbing",
        "pump-B-1-2",
        "seal",
        "1",
    )
    assert "42%" in order.description and "seal last maintained" in order.description
    assert order.title.startswith("预测性维护：安排密封件保养")
    building = work_order_for("A", 0.2, 7, {"building": "A", "floor": "", "unit": "", "asset": ""},
                              "", [{"feature": "cat_elevator_30d", "effect": "raises"}],
                              {"code": "inspect"}, "B1")  # fmt: skip
    assert (building.floor, building.category, building.component) == ("B1", "elevator", "")


def test_heat_map_svg_and_png() -> None:
    cells = [Cell("A", "A栋", str(f), f, f / 10) for f in range(1, 4)] + [
        Cell("B", "B栋", "1", 1, 0.9)
    ]
    svg = render_svg(cells, "示范园区 风险热点图", "demo hotspot map").decode()
    assert svg.startswith("<svg") and "A栋" in svg and "3层 / F3" in svg and "30%" in svg
    png = render_png(cells)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in png and b"IEND" in png
    start = png.index(b"IDAT") + 4
    length = int.from_bytes(png[start - 8 : start - 4], "big")
    assert len(zlib.decompress(png[start : start + length])) > 0
