"""`notification.contacts`: each user's language, apprise URLs and inbox choice."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from services.notification.domain.model import Contact

__all__ = ["ContactRepository"]

_COLUMNS = "username, locale, apprise_urls, in_app, updated_at"


def _contact(row: dict[str, Any]) -> Contact:
    return Contact(
        username=row["username"],
        locale=row["locale"],
        apprise_urls=tuple(row["apprise_urls"]),
        in_app=row["in_app"],
        updated_at=row["updated_at"],
    )


class ContactRepository:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def get(self, username: str) -> Contact | None:
        found = await self.many([username])
        return found.get(username)

    async def many(self, usernames: list[str]) -> dict[str, Contact]:
        """The stored contacts among `usernames`, by username."""
        if not usernames:
            return {}
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                f"SELECT {_COLUMNS} FROM notification.contacts WHERE username = ANY(%s)",
                (usernames,),
            )
            return {row["username"]: _contact(row) for row in await cur.fetchall()}

    async def put(self, contact: Contact) -> tuple[Contact, bool]:
        """Store or replace the contact; returns it and whether it is new."""
        async with self._conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                "INSERT INTO notification.contacts (username, locale, apprise_urls, in_app)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (username) DO UPDATE SET"
                " locale = EXCLUDED.locale, apprise_urls = EXCLUDED.apprise_urls,"
                " in_app = EXCLUDED.in_app, updated_at = now()"
                f" RETURNING {_COLUMNS}, (xmax = 0) AS created",
                (contact.username, contact.locale, list(contact.apprise_urls), contact.in_app),
            )
            row = await cur.fetchone()
        assert row is not None
        return _contact(row), bool(row["created"])
