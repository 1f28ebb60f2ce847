"""Users and their argon2 password hashes (schema intake)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection
from psycopg.rows import dict_row

__all__ = ["UserRecord", "UserRepository", "hash_password"]

_HASHER = PasswordHasher()
# Verifying against this keeps the time of an unknown-user answer like a wrong password's.
_DUMMY_HASH = _HASHER.hash("not-a-password")


def hash_password(password: str) -> str:
    """An argon2id hash to store."""
    return _HASHER.hash(password)


@dataclass(frozen=True, slots=True)
class UserRecord:
    username: str
    role: str
    display_name: str
    site: str
    unit: str
    locale: str


class UserRepository:
    """Looks users up on one connection."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def verify(self, username: str, password: str) -> UserRecord | None:
        """The user when the password matches, else None (same cost either way)."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "SELECT username, role, display_name, coalesce(site, '') AS site, unit, locale,"
                " password_hash FROM intake.users WHERE username = %s AND NOT disabled",
                (username,),
            )
            row = await cur.fetchone()
        stored = row.pop("password_hash") if row else _DUMMY_HASH
        # argon2 is slow on purpose; keep it off the event loop.
        if not await asyncio.to_thread(_matches, stored, password):
            return None
        return UserRecord(**row) if row else None


def _matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
