"""The migration runner against real PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from services.common.migrate import discover, has_timescaledb, migrate
from tests.integration.conftest import drop_database, new_database_name, url_for

INTAKE_FILES = [p.stem for p in discover()["intake"]]


@pytest.fixture
def fresh_name() -> Iterator[str]:
    """A database name nobody has created yet; dropped afterwards if a test created it."""
    name = new_database_name()
    try:
        yield name
    finally:
        drop_database(name)


def _applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT version FROM intake.schema_migrations ORDER BY version"
        ).fetchall()
    return [str(r[0]) for r in rows]


def test_migrate_is_idempotent(database_url: str) -> None:
    assert migrate(database_url, ["intake"]) == 0
    assert migrate(database_url, ["intake"]) == 0
    assert _applied(database_url) == INTAKE_FILES


def test_migrate_creates_the_database_then_applies_once(fresh_name: str) -> None:
    url = url_for(fresh_name)
    assert migrate(url, ["intake"]) == len(INTAKE_FILES)
    assert migrate(url, ["intake"]) == 0
    assert _applied(url) == INTAKE_FILES


def _race(url: str, runners: int = 2) -> tuple[list[int], list[BaseException]]:
    barrier = threading.Barrier(runners)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            count = migrate(url, ["intake"])
        except BaseException as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(count)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_concurrent_migrate_on_an_empty_database(fresh_name: str) -> None:
    """The database exists but has no schema: the advisory lock serialises the runners."""
    with psycopg.connect(url_for("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(fresh_name)))
    url = url_for(fresh_name)
    results, errors = _race(url)
    assert errors == []
    assert sorted(results) == [0, len(INTAKE_FILES)]
    assert _applied(url) == INTAKE_FILES


def test_concurrent_migrate_on_a_brand_new_database() -> None:
    """Two runners start at once on a database that does not exist yet (tried 3 times)."""
    names = [new_database_name() for _ in range(3)]
    try:
        for name in names:
            url = url_for(name)
            results, errors = _race(url)
            if errors:
                raise errors[0]
            assert sorted(results) == [0, len(INTAKE_FILES)]
            assert _applied(url) == INTAKE_FILES
    finally:
        for name in names:
            drop_database(name)


def test_event_log_is_append_only(database_url: str) -> None:
    with psycopg.connect(database_url) as conn, conn.transaction(force_rollback=True):
        row = conn.execute(
            "INSERT INTO intake.ticket_events (ticket_id, type, actor, actor_role, channel,"
            " occurred_at) VALUES (%s, 'created', 'x', 'system', 'api', %s) RETURNING id",
            (str(uuid.uuid4()), datetime.now(UTC)),
        ).fetchone()
        assert row is not None
        event_id = row[0]
        with (
            pytest.raises(psycopg.errors.RaiseException, match="append-only"),
            conn.transaction(),
        ):
            conn.execute("UPDATE intake.ticket_events SET note = 'x' WHERE id = %s", (event_id,))
        with (
            pytest.raises(psycopg.errors.RaiseException, match="append-only"),
            conn.transaction(),
        ):
            conn.execute("DELETE FROM intake.ticket_events WHERE id = %s", (event_id,))
        still = conn.execute(
            "SELECT note FROM intake.ticket_events WHERE id = %s", (event_id,)
        ).fetchone()
        assert still == ("",)


def test_has_timescaledb_matches_pg_extension(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')"
        ).fetchone()
        assert row is not None
        assert has_timescaledb(conn) is bool(row[0])


def _event_log(conn: psycopg.Connection[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return conn.execute(
        "SELECT id, tx_id::text, ticket_id, type, from_status, to_status, actor, actor_role,"
        " channel, note, payload, occurred_at FROM intake.ticket_events ORDER BY id"
    ).fetchall()


def test_the_event_log_is_a_plain_table_on_every_install(
    fresh_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0007 rebuilds a hypertable event log (TimescaleDB) as the plain table 0001 makes
    without it, keeping every row as it was and the identity going on; on plain PostgreSQL
    it changes nothing. Either way the result is the same table."""
    url = url_for(fresh_name)
    before = [p for p in discover()["intake"] if p.stem < "0007"]
    monkeypatch.setattr("services.common.migrate.discover", lambda: {"intake": before})
    migrate(url, ["intake"])
    monkeypatch.undo()
    with psycopg.connect(url) as conn:
        timescale = has_timescaledb(conn)
        for month in range(1, 13):  # across many 30-day chunks where it is a hypertable
            with conn.transaction():
                for n in range(3):
                    conn.execute(
                        "INSERT INTO intake.ticket_events (ticket_id, type, actor, actor_role,"
                        " channel, note, payload, occurred_at) VALUES (%s, 'created', 'x',"
                        " 'system', 'api', %s, %s, %s)",
                        (str(uuid.uuid4()), f"event {month}.{n}", Jsonb(
                            {"n": n}), datetime(2025, month, 1 + n, tzinfo=UTC)),
                    )  # fmt: skip
        kept = _event_log(conn)
        if timescale:
            hyper = conn.execute(
                "SELECT count(*) FROM timescaledb_information.hypertables"
                " WHERE hypertable_schema = 'intake'"
            ).fetchone()
            assert hyper == (1,)
    assert len(kept) == 36

    assert migrate(url, ["intake"]) == len(INTAKE_FILES) - len(before)
    with psycopg.connect(url) as conn:
        assert _event_log(conn) == kept
        assert conn.execute(
            "SELECT relkind, relispartition FROM pg_class WHERE oid = 'intake.ticket_events'::regclass"
        ).fetchone() == ("r", False)
        if timescale:
            assert conn.execute(
                "SELECT count(*) FROM timescaledb_information.hypertables"
                " WHERE hypertable_schema = 'intake'"
            ).fetchone() == (0,)
            assert conn.execute(
                "SELECT count(*) FROM pg_class WHERE relname = 'ticket_events_hypertable'"
            ).fetchone() == (0,)
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'intake'"
            " AND tablename = 'ticket_events' ORDER BY indexname"
        ).fetchall()
        assert [(name, str(d).split(" USING ")[1]) for name, d in indexes] == [
            ("ticket_events_log_idx", "btree (tx_id, id)"),
            ("ticket_events_pkey", "btree (id, occurred_at)"),
            ("ticket_events_ticket_idx", "btree (ticket_id, id)"),
            ("ticket_events_time_brin", "brin (occurred_at)"),
        ]
        assert conn.execute(
            "SELECT pg_get_serial_sequence('intake.ticket_events', 'id')"
        ).fetchone() == ("intake.ticket_events_id_seq",)
        row = conn.execute(
            "INSERT INTO intake.ticket_events (ticket_id, type, actor, actor_role, channel,"
            " occurred_at) VALUES (%s, 'created', 'x', 'system', 'api', now())"
            " RETURNING id, tx_id::text",
            (str(uuid.uuid4()),),
        ).fetchone()
        assert row is not None
        assert row[0] == max(int(str(e[0])) for e in kept) + 1
        assert int(row[1]) > max(int(str(e[1])) for e in kept)
        conn.commit()
        for statement in (
            "UPDATE intake.ticket_events SET note = 'changed'",
            "DELETE FROM intake.ticket_events",
            "TRUNCATE intake.ticket_events",
        ):
            with (
                pytest.raises(psycopg.errors.RaiseException, match="append-only"),
                conn.transaction(),
            ):
                conn.execute(statement)
