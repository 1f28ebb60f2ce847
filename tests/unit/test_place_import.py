"""Rows of a places file are checked column by column before anything is written."""

from __future__ import annotations

from pathlib import Path

from services.importer.kinds import KINDS
from services.importer.kinds.assets import asset_row
from services.importer.kinds.base import Context
from services.importer.kinds.places import place_row
from services.importer.reader import Problem, Row, read_table
from services.intake.domain.place_import import PlaceRow, RowProblem, check_place_row


def test_a_good_row_has_no_problem() -> None:
    assert check_place_row(PlaceRow(2, "demo", "A", "B1", "A-B101", "Asia/Shanghai")) == []
    assert check_place_row(PlaceRow(3, "demo", "A", "3")) == []


def test_every_bad_column_is_named() -> None:
    problems = check_place_row(PlaceRow(7, "", "A B", "", "A/1", "Mars/Base"))
    assert [(p.line, p.column) for p in problems] == [
        (7, "site"), (7, "building"), (7, "floor"), (7, "unit"), (7, "timezone"),
    ]  # fmt: skip
    assert problems[0] == RowProblem(7, "site", "site is empty")


def test_the_documented_example_file_reads_without_a_problem() -> None:
    kind = KINDS["places"]
    data = (Path(__file__).parents[2] / "docs/examples/places.csv").read_bytes()
    rows, problems = read_table(data, kind.columns, kind.required, "places.csv")
    assert problems == [] and len(rows) == 4
    assert [check_place_row(place_row_from(r)) for r in rows] == [[], [], [], []]


def place_row_from(row: Row) -> PlaceRow:
    message = place_row(row, Context(""))
    return PlaceRow(message.line, message.site, message.building, message.floor, message.unit,
                    message.timezone)  # fmt: skip


def test_the_documented_assets_example_reads_into_two_assets() -> None:
    kind = KINDS["assets"]
    data = (Path(__file__).parents[2] / "docs/examples/assets.csv").read_bytes()
    rows, problems = read_table(data, kind.columns, kind.required, "assets.csv")
    assert problems == []
    messages = [asset_row(r, Context("")) for r in rows]
    assert [m.asset.installed_on for m in messages if not isinstance(m, Problem)] == [
        "2016-05-01", "2019-07-15",
    ]  # fmt: skip
