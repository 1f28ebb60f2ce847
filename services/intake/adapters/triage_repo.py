"""The triage corrections table (migration 0010)."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from services.intake.domain.triage import Correction

__all__ = ["TriageRepository"]


class TriageRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def keep(self, example: Correction) -> None:
        """Store a correction; a later one of the same ticket replaces the earlier."""
        await self._conn.execute(
            "INSERT INTO intake.triage_examples (ticket_id, text, category, priority,"
            " corrected_by, corrected_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (ticket_id) DO UPDATE SET text = EXCLUDED.text,"
            " category = EXCLUDED.category, priority = EXCLUDED.priority,"
            " corrected_by = EXCLUDED.corrected_by, corrected_at = EXCLUDED.corrected_at",
            (example.ticket_id, example.text, example.category, example.priority.value,
             example.corrected_by, example.corrected_at),
        )  # fmt: skip

    async def examples(self) -> list[tuple[str, str, str]]:
        """Every correction as (text, category, priority), oldest first."""
        cur = await self._conn.execute(
            "SELECT text, category, priority FROM intake.triage_examples"
            " ORDER BY corrected_at, ticket_id"
        )
        return [(str(t), str(c), str(p)) for t, c, p in await cur.fetchall()]
