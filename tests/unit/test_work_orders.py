"""Work orders from history: what a line must say, how it replays, how the importer reads it."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.importer.kinds.base import Context
from services.importer.kinds.work_orders import parse_cost_cents, work_order_row
from services.importer.reader import Problem, Row
from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Actor, Kind, Location, Role, Source, Status
from services.intake.domain.work_orders import (
    KIND_NAMES,
    STATUS_NAMES,
    WorkOrder,
    category_code,
    check_work_order,
    corrected_event,
    from_name,
    replay_work_order,
    work_order_id,
)

T0 = datetime(2021, 6, 1, 8, tzinfo=UTC)
IMPORTER = Actor("importer", Role.SYSTEM)
CLOSED = WorkOrder(
    line=2, external_id="WO-1", kind=Kind.REPAIR, category="elevator", status=Status.CLOSED,
    location=Location("demo", "A", "1", "", "elevator-A-E1"), opened_at=T0, title="门坏了",
    component="door_operator", accepted_at=T0 + timedelta(minutes=10),
    resolved_at=T0 + timedelta(hours=2), closed_at=T0 + timedelta(days=1), assignee="tech2",
    cost_cents=125_000, rating=4,
)  # fmt: skip


def test_a_closed_work_order_replays_to_a_closed_imported_ticket() -> None:
    ticket, events = replay_work_order(IMPORTER, CLOSED)
    assert (ticket.status, ticket.source, ticket.assignee) == (
        Status.CLOSED,
        Source.IMPORT,
        "tech2",
    )
    assert (ticket.cost_cents, ticket.rating and ticket.rating.stars) == (125_000, 4)
    assert not ticket.approval_pending  # costs of past work are not approved again
    assert ticket.created_at == T0 and ticket.id == work_order_id("demo", "WO-1")
    assert [e.type for e in events] == ["created", "accepted", "assigned", "resolved", "closed",
                                        "rated"]  # fmt: skip
    assert [e.occurred_at for e in events][:2] == [T0, T0 + timedelta(minutes=10)]
    assert all(e.payload.get("imported") is True for e in events)
    assert ticket.attributes["external_id"] == "WO-1"


def test_a_cancelled_work_order_ends_cancelled_without_a_technician() -> None:
    cancelled = replace(CLOSED, status=Status.CANCELLED, resolved_at=None, rating=0,
                        accepted_at=None, assignee="")  # fmt: skip
    ticket, events = replay_work_order(IMPORTER, cancelled)
    assert (ticket.status, ticket.assignee) == (Status.CANCELLED, None)
    assert [e.type for e in events] == ["created", "cancelled"]


def test_the_id_is_stable_per_site_and_external_id() -> None:
    assert work_order_id("demo", "WO-1") == work_order_id("demo", "WO-1")
    assert work_order_id("demo", "WO-1") != work_order_id("park2", "WO-1")


def test_the_fingerprint_ignores_the_line_and_sees_every_value() -> None:
    assert CLOSED.fingerprint() == replace(CLOSED, line=99).fingerprint()
    assert CLOSED.fingerprint() != replace(CLOSED, rating=5).fingerprint()


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"status": Status.IN_PROGRESS}, "status"),
        ({"resolved_at": None}, "resolved_at"),
        ({"closed_at": None}, "closed_at"),
        ({"accepted_at": T0 - timedelta(hours=1)}, "accepted_at"),
        ({"closed_at": T0 + timedelta(minutes=30)}, "closed_at"),
        ({"rating": 6}, "rating"),
        ({"cost_cents": -1}, "cost"),
        ({"external_id": " "}, "external_id"),
        ({"component": "Door Operator"}, "component"),
    ],
)
def test_a_line_that_contradicts_itself_is_a_problem_in_its_column(
    change: dict[str, object], column: str
) -> None:
    problems = check_work_order(replace(CLOSED, **change))  # type: ignore[arg-type]
    assert column in {p.column for p in problems}
    assert all(p.line == 2 for p in problems)


def test_a_good_line_has_no_problem() -> None:
    assert check_work_order(CLOSED) == []


def test_names_in_english_or_chinese() -> None:
    assert from_name(KIND_NAMES, " 维修 ", "kind") is Kind.REPAIR
    assert from_name(KIND_NAMES, "Maintenance", "kind") is Kind.MAINTENANCE
    assert from_name(STATUS_NAMES, "已关闭", "status") is Status.CLOSED
    assert (category_code("电梯"), category_code("Elevator"), category_code("x")) == (
        "elevator", "elevator", "")  # fmt: skip
    with pytest.raises(InvalidInput) as raised:
        from_name(STATUS_NAMES, "maybe", "status")
    assert raised.value.field == "status"


def test_a_correction_names_what_changed() -> None:
    before, _ = replay_work_order(IMPORTER, CLOSED)
    fixed = replace(CLOSED, rating=5, title="电梯门坏了")
    after, _ = replay_work_order(IMPORTER, fixed)
    event = corrected_event(IMPORTER, before, after, fixed)
    assert event.type == "import_corrected" and event.payload["imported"] is True
    assert event.payload["changed"] == ["rating", "title"]


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1250", 125_000),
        ("1,250.50", 125_050),
        ("¥1250", 125_000),
        ("1250元", 125_000),
        ("0.5", 50),
    ],
)
def test_costs_as_people_write_them(text: str, cents: int) -> None:
    assert parse_cost_cents(text) == cents


@given(st.text(max_size=30))
def test_a_cost_is_cents_or_a_value_error(text: str) -> None:
    with contextlib.suppress(ValueError):
        assert parse_cost_cents(text) >= 0


SHANGHAI = Context("demo", {"demo": ZoneInfo("Asia/Shanghai"), "ny": ZoneInfo("America/New_York")},
                   assets={"elevator-A-E1": "demo", "lift-ny-1": "ny"})  # fmt: skip


def test_a_line_naming_only_its_asset_is_read_in_the_asset_sites_zone() -> None:
    row = Row(5, {"external_id": "WO-9", "kind": "维修", "category": "电梯", "status": "已关闭",
                  "opened_at": "2024-03-01 08:30", "asset_id": "elevator-A-E1", "title": "t",
                  "cost": "1,250.00", "rating": "4"})  # fmt: skip
    message = work_order_row(row, SHANGHAI)
    assert not isinstance(message, Problem)
    assert message.opened_at.ToDatetime(tzinfo=UTC) == datetime(2024, 3, 1, 0, 30, tzinfo=UTC)
    assert (message.site, message.asset_id, message.cost_cents, message.rating) == (
        "", "elevator-A-E1", 125_000, 4)  # fmt: skip
    in_new_york = work_order_row(Row(6, {**row.values, "asset_id": "lift-ny-1"}), SHANGHAI)
    assert not isinstance(in_new_york, Problem)  # the asset's site, not --site, says the zone
    assert in_new_york.opened_at.ToDatetime(tzinfo=UTC) == datetime(2024, 3, 1, 13, 30, tzinfo=UTC)


@given(st.dictionaries(st.sampled_from(["opened_at", "resolved_at", "cost", "rating", "asset_id",
                                        "site", "building"]), st.text(max_size=40)))  # fmt: skip
def test_any_line_becomes_a_message_or_a_problem(values: dict[str, str]) -> None:
    result = work_order_row(Row(3, values), SHANGHAI)
    assert isinstance(result, Problem) or result.line == 3
