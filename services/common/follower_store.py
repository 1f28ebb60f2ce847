"""A follower's cursor and the events it parked, in the consumer's own schema.

Every service that follows the event log has, beside `event_cursor`, the table
`parked_events` of `services/common/sql/parked_events.sql` (linked into its migrations);
`event` holds the TicketEvent as intake sent it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maintenance.intake.v1 import intake_pb2 as pb
from psycopg import AsyncConnection, sql
from psycopg_pool import AsyncConnectionPool

__all__ = ["FollowerStore", "Parked"]

_Handler = Callable[[AsyncConnection[Any], list[pb.TicketEvent]], Awaitable[None]]
#: The longest error kept: the first lines of a failure say what it was.
_ERROR_CHARS = 2000
_COLUMNS = "event_id, consumer, ticket_id, type, error, attempts, parked_at"


@dataclass(frozen=True)
class Parked:
    """An event a follower gave up on."""

    event_id: int
    consumer: str
    ticket_id: str
    type: str
    error: str
    attempts: int
    parked_at: datetime


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS]


class FollowerStore:
    """The cursor and the parked events of `consumer` in `schema`; `handle` is the
    follower's handler, for retries."""

    def __init__(self, pool: AsyncConnectionPool, schema: str, consumer: str,
                 handle: _Handler) -> None:  # fmt: skip
        self._pool = pool
        self._schema = sql.Identifier(schema)
        self._consumer = consumer
        self._handle = handle

    def _sql(self, text: str) -> sql.Composed:
        return sql.SQL(text).format(schema=self._schema)

    async def cursor(self) -> str:
        """The stored cursor: where following resumes ('' is the start of the log)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                self._sql("SELECT cursor FROM {schema}.event_cursor WHERE consumer = %s"),
                (self._consumer,),
            )
            row = await cur.fetchone()
        return str(row[0]) if row else ""

    async def save_cursor(self, conn: AsyncConnection[Any], cursor: str) -> None:
        """Move the cursor, in the caller's transaction."""
        await conn.execute(
            self._sql(
                "INSERT INTO {schema}.event_cursor (consumer, cursor) VALUES (%s, %s)"
                " ON CONFLICT (consumer) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()"
            ),
            (self._consumer, cursor),
        )

    async def park(self, event: pb.TicketEvent, error: BaseException, attempts: int) -> None:
        """Set `event` aside with why, and move the cursor past it, in one transaction."""
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(
                self._sql(
                    "INSERT INTO {schema}.parked_events (consumer, event_id, ticket_id, type,"
                    " event, error, attempts) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (consumer, event_id) DO UPDATE SET error = EXCLUDED.error,"
                    " attempts = EXCLUDED.attempts, parked_at = now()"
                ),
                (self._consumer, event.id, event.ticket_id, event.type,
                 event.SerializeToString(), _error(error), attempts),
            )  # fmt: skip
            await self.save_cursor(conn, event.cursor)

    async def list(self, limit: int = 100) -> list[Parked]:
        """The parked events, oldest first."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                self._sql(
                    f"SELECT {_COLUMNS} FROM {{schema}}.parked_events WHERE consumer = %s"
                    " ORDER BY parked_at, event_id LIMIT %s"
                ),
                (self._consumer, limit),
            )
            return [Parked(*row) for row in await cur.fetchall()]

    async def retry(self, event_id: int) -> tuple[bool, Parked | None]:
        """Hand a parked event to the handler again: (True, None) when it took it (no longer
        parked), (False, the event with its new error) when it failed again, (False, None)
        when no such event is parked."""
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                self._sql(
                    "SELECT event, attempts FROM {schema}.parked_events"
                    " WHERE consumer = %s AND event_id = %s FOR UPDATE"
                ),
                (self._consumer, event_id),
            )
            row = await cur.fetchone()
            if row is None:
                return False, None
            event = pb.TicketEvent.FromString(bytes(row[0]))
            try:
                async with conn.transaction():  # a savepoint: the handler's writes or none
                    await self._handle(conn, [event])
            except Exception as exc:
                cur = await conn.execute(
                    self._sql(
                        "UPDATE {schema}.parked_events SET error = %s, attempts = attempts + 1"
                        f" WHERE consumer = %s AND event_id = %s RETURNING {_COLUMNS}"
                    ),
                    (_error(exc), self._consumer, event_id),
                )
                again = await cur.fetchone()
                assert again is not None
                return False, Parked(*again)
            await conn.execute(
                self._sql(
                    "DELETE FROM {schema}.parked_events WHERE consumer = %s AND event_id = %s"
                ),
                (self._consumer, event_id),
            )
        return True, None
