"""Synthetic ticket histories for `make bench-analytics`, made through the analytics
domain itself and written straight into the service's own table.

Each ticket's events (raised, accepted, assigned, started, paused, resolved, reopened,
rated, SLA breaches and escalations, cancellations) are drawn at random and applied with
`domain.ticket.apply_event`, exactly as the follower would; the resulting rows are COPYed
into `analytics.tickets` in chunks, and each COPY moves the summaries once through the
trigger the live follower relies on. The same events, as raw rows, go to
`bench_raw.events` for the baseline query.
"""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import psycopg

from services.analytics.adapters.tickets_repo import COLUMNS, row_of
from services.analytics.domain.business import Clock, business_durations
from services.analytics.domain.ticket import Event, Facts, TicketState, apply_event, open_ticket
from services.common.business_time import Calendar, WorkingInterval

__all__ = ["BUILDINGS", "RAW_TABLE", "load"]

BUILDINGS = tuple(f"B{n:02d}" for n in range(1, 21))
RAW_TABLE = "bench_raw.events"
_CATEGORIES = ("plumbing", "electrical", "hvac", "elevator", "doors_windows", "cleaning")
_SOURCES = ("tenant", "tenant", "staff", "sensor", "import")
_TECHS = tuple(f"tech{n:02d}" for n in range(1, 41))
_MIN = 60.0
#: Every ticket's business hours (as an SLA policy with a calendar would give them):
#: weekdays 08:30-18:00 in the site's zone, so every duration has its business variant.
_OFFICE = Calendar("office", "Asia/Shanghai",
                   tuple(WorkingInterval(d, 510, 1080) for d in range(1, 6)))  # fmt: skip


def _history(
    rng: random.Random, created: datetime, now: datetime
) -> list[tuple[str, float, str, dict[str, Any]]]:
    """(event type, seconds after raising, status, payload), in time order."""
    steps: list[tuple[str, float, str, dict[str, Any]]] = []
    at = 0.0

    def step(kind: str, wait_s: float, status: str = "", **payload: Any) -> None:
        nonlocal at
        at += wait_s
        steps.append((kind, at, status, payload))

    if rng.random() < 0.05:
        step("cancelled", rng.expovariate(1 / 3600), "cancelled")
        return steps
    step("accepted", rng.lognormvariate(3.0, 1.2) * _MIN, "accepted")
    if rng.random() < 0.1:
        step("sla_breached", 0, target="respond")
    step("assigned", rng.lognormvariate(1.5, 1.0) * _MIN, "assigned", assignee=rng.choice(_TECHS))
    for visit in range(2 if rng.random() < 0.08 else 1):
        if visit:
            step("reopened", rng.lognormvariate(3.0, 1.0) * 3600, "assigned")
        step("started", rng.lognormvariate(4.5, 1.0) * _MIN, "in_progress")
        if rng.random() < 0.1:
            step("paused", rng.lognormvariate(3.5, 1.0) * _MIN, reason="waiting_parts")
            step("resumed", rng.lognormvariate(2.5, 0.8) * 3600)
        if rng.random() < 0.08:
            step("sla_breached", 0, target="resolve")
            step("sla_escalated", 0, target="resolve", level=1)
        step("resolved", rng.lognormvariate(4.5, 1.2) * _MIN, "resolved")
    if rng.random() < 0.7:
        step("rated", rng.expovariate(1 / 86400), "closed", stars=rng.choice((2, 3, 4, 4, 5, 5, 5)))
    return [s for s in steps if created + timedelta(seconds=s[1]) < now]


def _ticket(rng: random.Random, n: int, site: str, start: datetime, span_s: float,
            now: datetime) -> tuple[TicketState, list[tuple[Any, ...]]]:  # fmt: skip
    """One ticket's final state, and its raw event rows."""
    ticket_id = str(uuid.UUID(int=rng.getrandbits(128)))
    created = start + timedelta(seconds=rng.random() * span_s)
    building, floor = rng.choice(BUILDINGS), str(rng.randint(1, 15))
    source = rng.choice(_SOURCES)
    facts = Facts(
        number=f"B{n:08d}", site=site, building=building, floor=floor,
        unit=f"{building}-{floor}{rng.randint(1, 20):02d}" if rng.random() < 0.5 else "",
        asset="", kind="repair" if rng.random() < 0.8 else "complaint",
        category=rng.choice(_CATEGORIES), priority=rng.choice(("P1", "P2", "P3", "P3", "P4")),
        source=source,
        alerted_at=created - timedelta(seconds=rng.uniform(1, 90)) if source == "sensor" else None,
    )  # fmt: skip
    imported = source == "import"
    state = open_ticket(
        ticket_id, facts, Event(0, "created", created, "submitted", imported=imported)
    )
    raw = [(ticket_id, site, building, "created", created)]
    for number, (kind, after_s, status, payload) in enumerate(_history(rng, created, now), start=1):
        at = created + timedelta(seconds=after_s)
        state = apply_event(state, Event(number, kind, at, status, imported=imported,
                                         payload=payload))  # fmt: skip
        raw.append((ticket_id, site, building, kind, at))
    return state, raw


def _chunk(first: int, count: int, seed: int, site: str, start: datetime,
           now: datetime) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:  # fmt: skip
    """Rows of tickets `first`..`first + count - 1` and of their raw events (its own random
    stream per chunk, so chunks can be made in parallel and alike in every run)."""
    rng = random.Random(f"{seed}:{first}")
    span_s = (now - start).total_seconds()
    rows: list[tuple[Any, ...]] = []
    raw: list[tuple[Any, ...]] = []
    for n in range(first, first + count):
        state, events = _ticket(rng, n, site, start, span_s, now)
        rows.append(row_of(state, business_durations(state, Clock(_OFFICE))))
        raw += events
    return rows, raw


def load(url: str, count: int, site: str, zone: str, start: datetime, now: datetime,
         seed: int = 1, chunk: int = 25_000) -> int:  # fmt: skip
    """Write `count` tickets raised between `start` and `now` at `site`, and their raw
    events; returns how many raw events. Chunks are made in a child process while the
    last one is written."""
    events = 0
    with psycopg.connect(url, autocommit=True) as conn, ProcessPoolExecutor(1) as maker:
        conn.execute("INSERT INTO analytics.sites (site, time_zone) VALUES (%s, %s)"
                     " ON CONFLICT (site) DO NOTHING", (site, zone))  # fmt: skip
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_raw")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (ticket_id uuid, site text,"
                     " building text, type text, at timestamptz)")  # fmt: skip
        firsts = list(range(0, count, chunk))
        coming = [maker.submit(_chunk, f, min(chunk, count - f), seed, site, start, now)
                  for f in firsts[:2]]  # fmt: skip
        for index in range(len(firsts)):
            rows, raw = coming[index].result()
            if index + 2 < len(firsts):
                f = firsts[index + 2]
                coming.append(
                    maker.submit(_chunk, f, min(chunk, count - f), seed, site, start, now)
                )
            with conn.cursor().copy(
                f"COPY analytics.tickets ({', '.join(COLUMNS)}) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            with conn.cursor().copy(f"COPY {RAW_TABLE} FROM STDIN") as copy:
                for event in raw:
                    copy.write_row(event)
            events += len(raw)
        conn.execute(f"CREATE INDEX ON {RAW_TABLE} (site, at)")
        for table in (RAW_TABLE, "analytics.tickets", "analytics.kpi_cells",
                      "analytics.heat_cells", "analytics.heat_floors"):  # fmt: skip
            conn.execute(f"VACUUM ANALYZE {table}")
    return events
