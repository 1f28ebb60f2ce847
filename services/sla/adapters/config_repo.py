"""Policies and calendars in schema `sla`, and the marks that schedule recomputation.

A policy or calendar of site '' is a default: it applies at every site, so listings for one
site include the defaults."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any, Literal

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.common.business_time import Calendar, WorkingInterval
from services.sla.domain.errors import InvalidInput
from services.sla.domain.policy import EscalationLevel, Policy, Target

__all__ = ["ConfigRepository", "StoredCalendar", "StoredPolicy"]

_AT_SITE = "SELECT * FROM {table} WHERE %s::text IS NULL OR site IN ('', %s) ORDER BY id"

StoredPolicy = tuple[Policy, Any]
StoredCalendar = tuple[Calendar, Any]


def _levels_to_json(levels: tuple[EscalationLevel, ...]) -> str:
    return json.dumps([
        {"target": lv.target.value, "notify": list(lv.notify), "action": lv.action,
         "after_share": lv.after_share,
         "after_s": lv.after.total_seconds() if lv.after is not None else None}
        for lv in levels
    ])  # fmt: skip


def _levels_from_json(items: list[dict[str, Any]]) -> tuple[EscalationLevel, ...]:
    return tuple(
        EscalationLevel(
            target=Target(item["target"]),
            notify=tuple(item["notify"]),
            action=str(item["action"]),
            after_share=item.get("after_share"),
            after=timedelta(seconds=item["after_s"]) if item.get("after_s") is not None else None,
        )
        for item in items
    )


def _policy(row: dict[str, Any]) -> Policy:
    return Policy(
        id=row["id"], name=row["name"], kind=row["kind"], category=row["category"],
        priority=row["priority"], respond=timedelta(seconds=row["respond_target_s"]),
        resolve=timedelta(seconds=row["resolve_target_s"]), calendar=row["calendar"],
        reminder_share=row["reminder_share"], remind=tuple(row["remind"]),
        escalations=_levels_from_json(row["escalations"]), site=row["site"],
    )  # fmt: skip


def _calendar(row: dict[str, Any]) -> Calendar:
    hours = tuple(WorkingInterval(int(d), int(s), int(e)) for d, s, e in row["hours"])
    holidays: frozenset[date] = frozenset(row["holidays"])
    return Calendar(row["id"], row["time_zone"], hours, holidays, row["name"], row["site"])


class ConfigRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def _rows(self, query: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            return await cur.fetchall()

    async def policies(self, site: str | None = None) -> list[StoredPolicy]:
        """Every policy (or `site`'s and the defaults) with its update time, by id."""
        rows = await self._rows(_AT_SITE.format(table="sla.policies"), (site, site))
        return [(_policy(r), r["updated_at"]) for r in rows]

    async def calendars(self, site: str | None = None) -> list[StoredCalendar]:
        """Every calendar (or `site`'s and the defaults) with its update time, by id."""
        rows = await self._rows(_AT_SITE.format(table="sla.calendars"), (site, site))
        return [(_calendar(r), r["updated_at"]) for r in rows]

    async def site_of(self, table: Literal["policies", "calendars"], row_id: str) -> str | None:
        """The site of the stored policy or calendar `row_id` (locked until the
        transaction ends); None when there is none."""
        rows = await self._rows(f"SELECT site FROM sla.{table} WHERE id = %s FOR UPDATE",
                                (row_id,))  # fmt: skip
        return str(rows[0]["site"]) if rows else None

    async def put_policy(self, p: Policy) -> tuple[bool, Any]:
        """Insert or replace; returns (created, updated_at). Two policies with the same
        matchers are refused with the other one's id."""
        try:
            async with self._conn.transaction():
                rows = await self._rows(
                    "INSERT INTO sla.policies (id, name, kind, category, priority,"
                    " respond_target_s, resolve_target_s, calendar, reminder_share, remind,"
                    " escalations, site) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
                    " site = EXCLUDED.site,"
                    " category = EXCLUDED.category, priority = EXCLUDED.priority,"
                    " respond_target_s = EXCLUDED.respond_target_s,"
                    " resolve_target_s = EXCLUDED.resolve_target_s, calendar = EXCLUDED.calendar,"
                    " reminder_share = EXCLUDED.reminder_share, remind = EXCLUDED.remind,"
                    " escalations = EXCLUDED.escalations, updated_at = now()"
                    " RETURNING (xmax = 0) AS created, updated_at",
                    (p.id, p.name, p.kind, p.category, p.priority, p.respond.total_seconds(),
                     p.resolve.total_seconds(), p.calendar, p.reminder_share, list(p.remind),
                     _levels_to_json(p.escalations), p.site),
                )  # fmt: skip
        except psycopg.errors.UniqueViolation:
            other = await self._rows(
                "SELECT id FROM sla.policies WHERE site = %s AND kind = %s AND category = %s"
                " AND priority = %s",
                (p.site, p.kind, p.category, p.priority),
            )
            name = other[0]["id"] if other else "another policy"
            raise InvalidInput(
                f"policy {name!r} already matches site={p.site!r} kind={p.kind!r}"
                f" category={p.category!r} priority={p.priority!r}; change that one instead"
            ) from None
        return bool(rows[0]["created"]), rows[0]["updated_at"]

    async def put_calendar(self, c: Calendar) -> tuple[bool, Any]:
        """Insert or replace; returns (created, updated_at). A site has one calendar."""
        hours = json.dumps([[iv.weekday, iv.start_min, iv.end_min] for iv in c.hours])
        try:
            async with self._conn.transaction():
                rows = await self._rows(
                    "INSERT INTO sla.calendars (id, name, site, time_zone, hours, holidays)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
                    " name = EXCLUDED.name, site = EXCLUDED.site, time_zone = EXCLUDED.time_zone,"
                    " hours = EXCLUDED.hours, holidays = EXCLUDED.holidays, updated_at = now()"
                    " RETURNING (xmax = 0) AS created, updated_at",
                    (c.id, c.name, c.site, c.time_zone, hours, sorted(c.holidays)),
                )
        except psycopg.errors.UniqueViolation:
            raise InvalidInput(f"site {c.site!r} already has a calendar; change that one") from None
        return bool(rows[0]["created"]), rows[0]["updated_at"]

    async def schedule_recompute(
        self, ticket_ids: list[str] | None = None, site: str | None = None
    ) -> int:
        """Mark tickets for recomputation (those named, else every open one; of `site`
        only when given); returns how many."""
        async with self._conn.cursor() as cur:
            await cur.execute(
                "UPDATE sla.tickets SET needs_recompute = true"
                " WHERE (CASE WHEN %s::uuid[] IS NULL THEN open ELSE ticket_id = ANY(%s) END)"
                " AND (%s::text IS NULL OR site = %s)",
                (ticket_ids, ticket_ids, site, site),
            )
            return cur.rowcount
