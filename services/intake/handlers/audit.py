"""Audit log use cases: record a change (the gateway, for the user who made it), read them
(admins)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from psycopg_pool import AsyncConnectionPool

from services.intake.adapters.audit_repo import AuditRepository
from services.intake.domain.audit import AuditEntry, check_entry, may_read_audit
from services.intake.domain.errors import InvalidInput
from services.intake.domain.model import Actor

__all__ = ["AuditHandlers"]

_MAX_PAGE = 500


class AuditHandlers:
    def __init__(self, pool: AsyncConnectionPool, clock: Callable[[], datetime]) -> None:
        self._pool = pool
        self._clock = clock

    async def record(self, actor: Actor, entry: AuditEntry) -> int:
        checked = check_entry(actor, entry)
        async with self._pool.connection() as conn:
            return await AuditRepository(conn).append(checked, self._clock())

    async def page(self, actor: Actor, username: str, before_id: int,
                   limit: int) -> list[AuditEntry]:  # fmt: skip
        may_read_audit(actor)
        if not 0 <= limit <= _MAX_PAGE or before_id < 0:
            raise InvalidInput(f"limit must be 0 to {_MAX_PAGE} and before_id not negative")
        async with self._pool.connection() as conn:
            return await AuditRepository(conn).page(username, before_id, limit or 100)
