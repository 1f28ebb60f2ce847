"""Users and their argon2 password hashes (schema intake)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.intake.domain.model import Role
from services.intake.domain.places import PlaceKey
from services.intake.domain.users import User

__all__ = ["UserAdminRepository", "UserRecord", "UserRepository", "hash_password"]

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


_USER_COLUMNS = (
    "u.username, u.role, u.display_name, u.locale, u.email, u.phone, u.disabled, u.created_at,"
    " u.updated_at, array(SELECT s.site FROM intake.user_sites s WHERE s.username = u.username"
    " ORDER BY s.position, s.site) AS sites,"
    " array(SELECT jsonb_build_array(n.site, n.building, n.floor, n.code) FROM intake.user_units x"
    " JOIN intake.units n ON n.site = x.site AND n.code = x.unit WHERE x.username = u.username"
    " ORDER BY x.position, x.unit) AS units"
)


def _user(row: dict[str, Any]) -> User:
    return User(
        username=row["username"], role=Role(row["role"]), display_name=row["display_name"],
        locale=row["locale"], sites=tuple(row["sites"]),
        units=tuple(PlaceKey(*u) for u in row["units"]), email=row["email"], phone=row["phone"],
        disabled=row["disabled"], created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


class UserAdminRepository:
    """Users as data, on one connection inside the caller's transaction."""

    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def put(self, user: User, password_hash: str | None) -> bool:
        """Create or replace a user (its password only when one is given); True when new."""
        site = user.sites[0] if user.sites else None
        unit = user.units[0].unit if user.units else ""
        cur = await self._conn.execute(
            "INSERT INTO intake.users (username, password_hash, role, display_name, locale, site,"
            " unit, email, phone, disabled) VALUES (%s, coalesce(%s, '!'), %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (username) DO UPDATE SET"
            " password_hash = coalesce(%s, intake.users.password_hash), role = EXCLUDED.role,"
            " display_name = EXCLUDED.display_name, locale = EXCLUDED.locale, site = EXCLUDED.site,"
            " unit = EXCLUDED.unit, email = EXCLUDED.email, phone = EXCLUDED.phone,"
            " disabled = EXCLUDED.disabled, updated_at = now() RETURNING (xmax = 0)",
            (user.username, password_hash, user.role.value, user.display_name, user.locale, site,
             unit, user.email, user.phone, user.disabled, password_hash),
        )  # fmt: skip
        row = await cur.fetchone()
        await self._conn.execute(
            "DELETE FROM intake.user_sites WHERE username = %s", (user.username,)
        )
        await self._conn.execute(
            "DELETE FROM intake.user_units WHERE username = %s", (user.username,)
        )
        async with self._conn.cursor() as many:
            await many.executemany(
                "INSERT INTO intake.user_sites (username, site, position) VALUES (%s, %s, %s)",
                [(user.username, s, n) for n, s in enumerate(user.sites)],
            )
            await many.executemany(
                "INSERT INTO intake.user_units (username, site, unit, position) VALUES (%s, %s, %s, %s)",
                [(user.username, u.site, u.unit, n) for n, u in enumerate(user.units)],
            )
        return bool(row and row[0])

    async def get(self, username: str) -> User | None:
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_USER_COLUMNS} FROM intake.users u WHERE u.username = %s", (username,)
            )
            row = await cur.fetchone()
        return _user(row) if row else None

    async def page(self, site: str, role: str, limit: int, after: str) -> tuple[list[User], str]:
        """Users in name order, optionally of one site or role; the last name when more follow."""
        limit = max(1, min(limit or 100, 500))
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_USER_COLUMNS} FROM intake.users u WHERE u.username > %s"
                " AND (%s = '' OR u.role = %s) AND (%s = '' OR EXISTS (SELECT 1 FROM intake.user_sites s"
                " WHERE s.username = u.username AND s.site = %s)) ORDER BY u.username LIMIT %s",
                (after, role, role, site, site, limit + 1),
            )
            rows = await cur.fetchall()
        users = [_user(r) for r in rows[:limit]]
        return users, users[-1].username if len(rows) > limit else ""
