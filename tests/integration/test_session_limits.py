"""What holds the event log's readers back: a session of ours left idle in a transaction
is ended by the server, a runaway statement is cancelled, and intake measures how long the
oldest writing transaction on the server has held readers back."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from services.common.db import create_pool
from services.intake.handlers import IntakeHandlers


async def test_a_session_idle_in_its_transaction_is_ended(database_url: str) -> None:
    pool = create_pool(database_url, 1, 1, idle_in_transaction_s=0.5)
    await pool.open(wait=True, timeout=10)
    try:
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout):
            async with pool.connection() as conn, conn.transaction():
                await conn.execute("SELECT pg_current_xact_id()")
                await asyncio.sleep(1.5)  # forgotten, holding back every reader
                await conn.execute("SELECT 1")
    finally:
        await pool.close()


async def test_a_runaway_statement_is_cancelled(database_url: str) -> None:
    pool = create_pool(database_url, 1, 1, statement_timeout_s=0.3)
    await pool.open(wait=True, timeout=10)
    try:
        async with pool.connection() as conn:
            with pytest.raises(psycopg.errors.QueryCanceled):
                await conn.execute("SELECT pg_sleep(5)")
    finally:
        await pool.close()


async def test_intake_measures_how_long_readers_are_held_back(
    database_url: str, handlers: IntakeHandlers
) -> None:
    async with await psycopg.AsyncConnection.connect(database_url) as elsewhere:
        await elsewhere.execute("SELECT pg_current_xact_id()")  # a writing transaction
        await asyncio.sleep(1.2)
        held = await handlers.measure_held_back()
        assert held >= 1.0
        await elsewhere.rollback()
    assert await handlers.measure_held_back() < held
