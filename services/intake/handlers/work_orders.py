"""Import finished work orders from another system as tickets, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from psycopg import AsyncConnection

from services.intake.adapters.assets_repo import AssetsRepository
from services.intake.adapters.places_repo import PlacesRepository
from services.intake.adapters.tickets_repo import TicketRepository
from services.intake.domain.assets import Asset, check_component
from services.intake.domain.errors import Forbidden, InvalidInput
from services.intake.domain.model import Actor, Location, NewEvent, Role, Ticket
from services.intake.domain.place_import import ImportOutcome, RowProblem
from services.intake.domain.places import PlaceKey
from services.intake.domain.work_orders import (
    WorkOrder,
    check_work_order,
    corrected_event,
    replay_work_order,
)
from services.intake.handlers.base import HandlersBase
from services.intake.handlers.places import RollBack

__all__ = ["WorkOrderHandlers"]

_IMPORTERS = frozenset({Role.ADMIN, Role.SYSTEM})
_BATCH = 1_000


class _Places:
    """The stored tree and assets as the rows name them, each looked up once."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._places = PlacesRepository(conn)
        self._assets = AssetsRepository(conn)
        self._missing: dict[PlaceKey, PlaceKey | None] = {}
        self._asset: dict[str, Asset | None] = {}

    async def _get_asset(self, asset_id: str) -> Asset | None:
        if asset_id not in self._asset:
            self._asset[asset_id] = await self._assets.get(asset_id)
        return self._asset[asset_id]

    async def _missing_level(self, key: PlaceKey) -> PlaceKey | None:
        if key not in self._missing:
            self._missing[key] = await self._places.missing_level(key)
        return self._missing[key]

    async def located(self, w: WorkOrder) -> WorkOrder | RowProblem:
        """The work order at its checked place: the asset's when the line names only it."""
        loc = w.location
        if loc.asset:
            asset = await self._get_asset(loc.asset)
            if asset is None or (loc.site and asset.site != loc.site):
                at = f" at site {loc.site!r}" if loc.site else ""
                return RowProblem(w.line, "asset_id", f"no asset {loc.asset[:64]!r}{at}")
            try:
                check_component(asset, w.component)
            except InvalidInput as exc:
                return RowProblem(w.line, "component", str(exc))
            if not loc.building:
                loc = Location(asset.site, asset.building, asset.floor, asset.unit, asset.asset_id)
        elif w.component:
            return RowProblem(w.line, "component", "a component needs its asset_id")
        if not (loc.site and loc.building and (loc.floor or loc.asset)):
            column = "site" if not loc.site else "building" if not loc.building else "floor"
            return RowProblem(w.line, column, "a work order names its asset_id, or its site,"
                              " building and floor")  # fmt: skip
        missing = await self._missing_level(PlaceKey(loc.site, loc.building, loc.floor, loc.unit))
        if missing is not None:
            return RowProblem(w.line, missing.level.value, f"no {missing.describe()}")
        return replace(w, location=loc)


class WorkOrderHandlers(HandlersBase):
    """Finished work orders in, as imported tickets with their real times."""

    async def import_work_orders(
        self, actor: Actor, rows: list[WorkOrder], dry_run: bool
    ) -> ImportOutcome:
        """Insert new work orders, leave unchanged ones alone and correct changed ones in
        place, all or nothing: with any problem nothing is written and every problem is
        returned (every row is checked, to report every problem at once)."""
        if actor.role not in _IMPORTERS:
            raise Forbidden(f"a {actor.role.value} may not import work orders")
        problems: list[RowProblem] = []
        outcome = ImportOutcome()
        try:
            async with self._pool.connection() as conn, conn.transaction():
                repo = TicketRepository(conn)
                places = _Places(conn)
                replayed: list[_Replayed] = []
                for row in rows:
                    found = await places.located(row)
                    if isinstance(found, RowProblem):
                        problems.append(found)
                    elif wrong := check_work_order(found):
                        problems.extend(wrong)
                    else:
                        replayed += _replay(actor, found, problems)
                plan = await _plan(repo, replayed, outcome, problems)
                if problems or dry_run:
                    raise RollBack
                await _write(repo, actor, plan, problems)
                if problems:
                    raise RollBack
        except RollBack:
            pass
        return ImportOutcome(problems=problems) if problems else outcome


@dataclass(frozen=True, slots=True)
class _Replayed:
    order: WorkOrder
    ticket: Ticket
    events: list[NewEvent]
    #: Not imported before (else: a correction of a stored ticket).
    new: bool = True


def _replay(actor: Actor, w: WorkOrder, problems: list[RowProblem]) -> list[_Replayed]:
    try:
        ticket, events = replay_work_order(actor, w)
    except InvalidInput as exc:
        problems.append(RowProblem(w.line, exc.field, str(exc)))
        return []
    return [_Replayed(w, ticket, events)]


async def _plan(
    repo: TicketRepository, rows: list[_Replayed], outcome: ImportOutcome,
    problems: list[RowProblem],
) -> list[_Replayed]:  # fmt: skip
    """The rows to write (new or corrected), counted; a work order twice in the file, or one
    whose id a ticket that was not imported has, is a problem."""
    stored = await repo.import_fingerprints([r.ticket.id for r in rows])
    first_line: dict[str, int] = {}
    plan: list[_Replayed] = []
    for r in rows:
        w, ticket_id = r.order, r.ticket.id
        if ticket_id in first_line:
            problems.append(RowProblem(w.line, "external_id", f"external_id {w.external_id!r}"
                                       f" is on line {first_line[ticket_id]} too"))  # fmt: skip
            continue
        first_line[ticket_id] = w.line
        before = stored.get(ticket_id)
        if before == "":
            problems.append(RowProblem(w.line, "external_id", "a ticket that was not imported"
                                       " has this work order's id"))  # fmt: skip
        elif before == r.ticket.attributes["import_fingerprint"]:
            outcome.unchanged += 1
        else:
            outcome.inserted += before is None
            outcome.updated += before is not None
            plan.append(replace(r, new=before is None))
    return plan


async def _write(
    repo: TicketRepository, actor: Actor, plan: list[_Replayed], problems: list[RowProblem]
) -> None:
    """Insert the new tickets with their history, in batches; overwrite the corrected ones
    and append their correction. A refusal by the database ends the writing (the caller
    rolls back)."""
    new = [r for r in plan if r.new]
    try:
        for start in range(0, len(new), _BATCH):
            batch = new[start : start + _BATCH]
            await repo.insert_many_with_events([(r.ticket, r.events[0]) for r in batch])
            await repo.append_many([(r.ticket.id, e) for r in batch for e in r.events[1:]])
    except InvalidInput as exc:
        problems.append(RowProblem(0, exc.field, f"the database refused a work order: {exc}"))
        return
    corrections: list[tuple[str, NewEvent]] = []
    for r in plan:
        if r.new:
            continue
        try:
            old = await repo.get(r.ticket.id, for_update=True)
            assert old is not None
            await repo.replace_imported(r.ticket)
        except InvalidInput as exc:
            problems.append(RowProblem(r.order.line, exc.field, str(exc)))
            return
        corrections.append((r.ticket.id, corrected_event(actor, old, r.ticket, r.order)))
    await repo.append_many(corrections)
