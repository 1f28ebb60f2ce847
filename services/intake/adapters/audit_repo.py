"""The audit log table (migration 0009)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.intake.domain.audit import AuditEntry
from services.intake.domain.model import Role

__all__ = ["AuditRepository"]

_COLUMNS = "id, at, username, role, site, method, path, status, body::text AS body, request_id"


class AuditRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def append(self, entry: AuditEntry, at: datetime) -> int:
        cur = await self._conn.execute(
            "INSERT INTO intake.audit_log (at, username, role, site, method, path, status, body,"
            " request_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s) RETURNING id",
            (at, entry.username, entry.role.value, entry.site, entry.method, entry.path,
             entry.status, entry.body_json or None, entry.request_id),
        )  # fmt: skip
        row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def page(self, username: str, before_id: int, limit: int) -> list[AuditEntry]:
        """Newest first, below `before_id` (0: from the newest)."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM intake.audit_log"
                " WHERE (%s = '' OR username = %s) AND (%s = 0 OR id < %s)"
                " ORDER BY id DESC LIMIT %s",
                (username, username, before_id, before_id, limit),
            )
            rows = await cur.fetchall()
        return [_entry(row) for row in rows]


def _entry(r: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        r["username"], Role(r["role"]), r["site"], r["method"], r["path"], r["status"],
        r["body"] or "", r["request_id"], r["at"], int(r["id"]),
    )  # fmt: skip
