"""Rows of a places file: what each must say, checked before anything is written."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.errors import InvalidInput
from services.intake.domain.places import Level, PlaceKey, check_code, check_timezone

__all__ = ["ImportOutcome", "PlaceRow", "RowProblem", "check_place_row"]


@dataclass(frozen=True, slots=True)
class PlaceRow:
    """One line of a places file: a unit, or a floor when `unit` is empty."""

    line: int
    site: str
    building: str
    floor: str
    unit: str = ""
    timezone: str = ""

    @property
    def key(self) -> PlaceKey:
        return PlaceKey(self.site, self.building, self.floor, self.unit)


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    column: str
    reason: str


@dataclass(slots=True)
class ImportOutcome:
    """What an import did (or, with problems, would not do: then nothing is written)."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] | None = None


def check_place_row(row: PlaceRow) -> list[RowProblem]:
    """The row's problems, one per column at fault."""
    problems: list[RowProblem] = []
    for level, column, value, needed in (
        (Level.SITE, "site", row.site, True), (Level.BUILDING, "building", row.building, True),
        (Level.FLOOR, "floor", row.floor, True), (Level.UNIT, "unit", row.unit, False),
    ):  # fmt: skip
        if not value and not needed:
            continue
        if not value:
            problems.append(RowProblem(row.line, column, f"{column} is empty"))
            continue
        try:
            check_code(level, value)
        except InvalidInput as exc:
            problems.append(RowProblem(row.line, column, str(exc)))
    if row.timezone:
        try:
            check_timezone(row.timezone)
        except InvalidInput as exc:
            problems.append(RowProblem(row.line, "timezone", str(exc)))
    return problems
