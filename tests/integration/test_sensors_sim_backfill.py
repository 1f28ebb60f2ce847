"""`sensors_sim backfill` into a fresh database, with intake running as a real process."""

from __future__ import annotations

import io
import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from sensors_sim.backfill import BackfillOptions, backfill
from sensors_sim.failures import SITE_TZ
from sensors_sim.fleet import build_fleet
from sensors_sim.park import build_park
from sensors_sim.store import copy_telemetry
from sensors_sim.wear import WearPlanner
from sensors_sim.world import World
from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.stack import LocalStack, Process, free_port_env
from tests.integration.conftest import SERVER_URL

SEED = 21
FLEET = build_fleet("demo", SEED)


@dataclass(frozen=True)
class Intake:
    database_url: str
    target: str


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Intake]:
    """A fresh database, migrated and seeded, and intake serving it on a free port."""
    name = f"maint_it_sim_{secrets.token_hex(5)}"
    url = make_conninfo(SERVER_URL, dbname=name)
    log = tmp_path_factory.mktemp("sim") / "intake.log"
    try:
        migrate(url)
        seed_demo(url)
        env, _ = free_port_env(url)
        with log.open("w") as sink:
            stack = LocalStack(
                env=env, processes=(Process("intake", "services.intake"),), sink=sink
            )
            with stack:
                target = f"127.0.0.1:{env['INTAKE_GRPC_PORT']}"
                stack.wait_serving(target)
                yield Intake(url, target)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _window_with_failures() -> datetime:
    """The end of a two-day window in which a planted failure strikes."""
    world = World(FLEET, SEED)
    after = datetime(2026, 6, 1, tzinfo=SITE_TZ)
    strike = min(
        g.failure for g in world.failures(after, after + timedelta(days=60)) if g.failure > after
    )
    return (strike + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)


def _counts(url: str) -> dict[str, int]:
    names = ("devices", "telemetry", "alerts", "tickets", "sensor_tickets", "events")
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ingestor.devices),"
            " (SELECT count(*) FROM ingestor.telemetry),"
            " (SELECT count(*) FROM ingestor.alert_signals),"
            " (SELECT count(*) FROM intake.tickets),"
            " (SELECT count(*) FROM intake.tickets WHERE source = 'sensor'),"
            " (SELECT count(*) FROM intake.ticket_events)"
        ).fetchone()
    assert row is not None
    return dict(zip(names, (int(v) for v in row), strict=True))


def test_backfill_lands_rows_and_a_rerun_adds_nothing(intake: Intake, tmp_path: Path) -> None:
    end = _window_with_failures()
    start = end - timedelta(days=2)
    truth_file = tmp_path / "truth.json"
    out = io.StringIO()
    options = BackfillOptions(
        database_url=intake.database_url, intake=intake.target, days=2, seed=SEED,
        interval_s=900, truth_file=truth_file, end=end,
    )  # fmt: skip
    stats = backfill(options, out)

    world = World(FLEET, SEED)
    alerts = world.alerts(start, end)
    counts = _counts(intake.database_url)
    assert counts["devices"] == len(FLEET)
    assert counts["telemetry"] == stats.telemetry_rows == stats.telemetry_new > len(FLEET) * 192 * 3
    assert counts["alerts"] == stats.alerts_new == len(alerts) > 0
    assert counts["sensor_tickets"] == sum(a.active for a in alerts)
    assert counts["tickets"] == stats.tickets_imported > counts["sensor_tickets"]
    assert f"{start:%Y-%m}:" in out.getvalue()

    with psycopg.connect(intake.database_url) as conn:
        row = conn.execute(
            "SELECT channel, requester, requester_role, device_id, attributes, kind"
            " FROM intake.tickets WHERE source = 'sensor' ORDER BY created_at LIMIT 1"
        ).fetchone()
        first = conn.execute("SELECT min(time), max(time) FROM ingestor.telemetry").fetchone()
    assert row is not None and first is not None
    assert row[:3] == ("sensor", "ingestor", "system") and row[3] in {d.device_id for d in FLEET}
    assert row[4]["alert_type"] in {a.type for a in alerts} and row[5] == "repair"
    assert start <= first[0] and first[1] < end

    truth = json.loads(truth_file.read_text())
    assert truth["seed"] == SEED and truth["failures"]
    assert {g["device_id"] for g in truth["failures"]} <= {d.device_id for d in FLEET}

    rerun = subprocess.run(
        [sys.executable, "-m", "sensors_sim", "backfill", "--days", "2", "--seed", str(SEED),
         "--database-url", intake.database_url, "--intake", intake.target,
         "--interval-s", "900", "--truth-file", str(truth_file), "--end", end.isoformat()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert _counts(intake.database_url) == counts
    assert "(0 new," in rerun.stdout and "0 tickets imported" in rerun.stdout


def test_copy_takes_the_safe_path_when_a_row_appears_meanwhile(intake: Intake) -> None:
    when = datetime(2031, 5, 1, tzinfo=SITE_TZ)
    rows = [(when + timedelta(minutes=n), "leak-A-301", "moisture", float(n)) for n in range(5)]
    with psycopg.connect(intake.database_url) as conn:
        conn.execute(
            "INSERT INTO ingestor.telemetry (time, device_id, metric, value) VALUES (%s, %s, %s, %s)",
            rows[2],
        )
        # Told of no series, the check finds the window empty; the COPY then collides.
        assert copy_telemetry(conn, lambda: rows, [], when, when + timedelta(hours=1)) == (5, 4)
        # Told of the series, it goes through staging from the start.
        series = [("leak-A-301", "moisture")]
        assert copy_telemetry(conn, lambda: rows, series, when, when + timedelta(hours=1)) == (5, 0)
        conn.commit()
        found = conn.execute(
            "SELECT count(*) FROM ingestor.telemetry WHERE time >= %s AND time < %s",
            (when, when + timedelta(hours=1)),
        ).fetchone()
    assert found is not None and found[0] == 5


def test_the_park_lands_its_places_assets_failures_and_maintenance(
    intake: Intake, tmp_path: Path
) -> None:
    park = build_park(assets=27)
    planner = WearPlanner(park, SEED)
    after = datetime(2026, 6, 1, tzinfo=SITE_TZ)
    strike = min(g.failure for g in planner.failures(after, after + timedelta(days=365)))
    end = (strike + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=60)
    truth_file = tmp_path / "park.json"
    run = subprocess.run(
        [sys.executable, "-m", "sensors_sim", "backfill", "--fleet", "park", "--assets", "27",
         "--days", "60", "--seed", str(SEED), "--database-url", intake.database_url,
         "--intake", intake.target, "--interval-s", "21600", "--truth-file", str(truth_file),
         "--end", end.isoformat()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    truth = json.loads(truth_file.read_text())
    failures = planner.failures(start, end)
    assert truth["site"] == "park" and [g["failure"] for g in truth["failures"]] == [
        g.as_json()["failure"] for g in failures
    ]
    struck = [g for g in failures if start <= g.failure < end]
    visits = planner.visits(start, end)
    assert struck and visits and len(truth["maintenance"]) == len(visits)
    with psycopg.connect(intake.database_url) as conn:
        assets = conn.execute("SELECT count(*) FROM intake.assets WHERE site = 'park'").fetchone()
        kinds: dict[str, int] = dict(
            conn.execute(
                "SELECT kind || '/' || source, count(*) FROM intake.tickets WHERE site = 'park'"
                " GROUP BY 1"
            ).fetchall()
        )
        warned = conn.execute(
            "SELECT count(*) FROM ingestor.alert_signals a JOIN ingestor.devices d"
            " USING (device_id) WHERE d.site = 'park'"
        ).fetchone()
    assert assets == (27,)
    # One repair a failure (warnings stay alarms), one maintenance ticket a visit.
    assert kinds.get("repair/sensor") == len(struck)
    assert kinds.get("maintenance/staff") == len(visits)
    assert warned is not None and warned[0] > 2 * len(struck)
