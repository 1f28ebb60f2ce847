"""The predictor's read model, registry and runs on real PostgreSQL, with intake and the
ingestor running as real processes over a simulator backfill; `python -m ml` on it."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from ml.cli import main as ml_main
from ml.features import Panel
from ml.grid import Days
from ml.keys import Level
from ml.model import HotspotModel, TrainParams, train
from ml.predict import rank_keys
from ml.store.history import load_history
from ml.store.registry import latest_model, load_model, save_model, save_run
from ml.store.sync import Targets, sync
from sensors_sim.backfill import BackfillOptions, backfill
from sensors_sim.failures import SITE_TZ
from services.common.migrate import migrate
from services.intake.demo import seed_demo
from services.launcher.broker import LocalBroker
from services.launcher.stack import LocalStack, Process, free_port_env
from tests.integration.conftest import SERVER_URL

END = datetime(2026, 6, 1, tzinfo=SITE_TZ)
DAYS = 60


@dataclass(frozen=True)
class Site:
    database_url: str
    targets: Targets
    truth: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A fresh database with 60 days of simulated history, intake and the ingestor serving."""
    name = f"maint_it_pred_{secrets.token_hex(5)}"
    url = make_conninfo(SERVER_URL, dbname=name)
    folder = tmp_path_factory.mktemp("predictor")
    try:
        migrate(url)
        seed_demo(url)
        with LocalBroker() as broker, (folder / "services.log").open("w") as sink:
            env, _ = free_port_env(url, MQTT_URL=broker.url)
            processes = (
                Process("intake", "services.intake"),
                Process("ingestor", "services.ingestor"),
            )
            with LocalStack(env=env, processes=processes, sink=sink) as stack:
                targets = Targets(f"127.0.0.1:{env['INTAKE_GRPC_PORT']}",
                                  f"127.0.0.1:{env['INGESTOR_GRPC_PORT']}")  # fmt: skip
                stack.wait_serving(targets.intake)
                stack.wait_serving(targets.ingestor)
                truth = folder / "truth.json"
                backfill(BackfillOptions(database_url=url, intake=targets.intake, days=DAYS,
                                         interval_s=3 * 3600, truth_file=truth, end=END),
                         out=io.StringIO())  # fmt: skip
                yield Site(url, targets, truth)
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_sync_copies_registries_and_every_ticket_once(site: Site) -> None:
    with psycopg.connect(site.database_url, autocommit=True) as conn:
        first = sync(conn, site.targets)
        assert (first.sites, first.assets, first.devices) == (1, 6, 122)
        intake_count = conn.execute("SELECT count(*) FROM intake.tickets").fetchone()
        assert intake_count is not None and first.tickets == intake_count[0] > 50
        again = sync(conn, site.targets)
        assert (again.events, again.tickets) == (0, 0)
        mine = conn.execute(
            "SELECT count(*) FILTER (WHERE imported), count(*) FILTER (WHERE resolved_at IS NOT NULL),"
            " count(*) FILTER (WHERE source = 'sensor' AND asset <> '') FROM predictor.tickets"
        ).fetchone()
        theirs = conn.execute(
            "SELECT count(*) FROM intake.tickets t WHERE EXISTS (SELECT 1 FROM"
            " intake.ticket_events e WHERE e.ticket_id = t.id AND e.to_status = 'resolved')"
        ).fetchone()
        assert mine is not None and theirs is not None
        assert mine[0] == first.tickets  # all of it is imported history
        assert mine[1] == theirs[0] and mine[2] > 0
        places = conn.execute(
            "SELECT count(*) FROM predictor.places WHERE site = 'demo'"
        ).fetchone()
        assert places is not None and places[0] == 20 + 80


def test_history_reads_roll_ups_live_alarms_and_imported_events(site: Site) -> None:
    with psycopg.connect(site.database_url, autocommit=True) as conn:
        sync(conn, site.targets)
        history = load_history(conn, "demo")
        assert history.timezone == "Asia/Shanghai" and len(history.assets) == 6
        assert len(history.alarms) > 0 and set(history.alarms["code"]) <= {
            "leak", "moisture_high", "power_outage", "voltage_out_of_range", "elevator_fault",
            "door_faults", "entrapment"}  # fmt: skip
        assert history.telemetry["samples"].sum() > 0
        # An alarm imported from another system, as the ingestor's importer stores it.
        conn.execute(
            "INSERT INTO ingestor.device_events (time, asset_id, code, site) VALUES"
            " ('2026-05-20T10:00:00+08:00', 'elevator-A-E1', 'E21', 'demo')"
        )
        try:
            imported = load_history(conn, "demo").alarms.query("code == 'E21'")
            assert list(imported["asset"]) == ["elevator-A-E1"]
        finally:
            conn.execute("DELETE FROM ingestor.device_events WHERE code = 'E21'")


def test_registry_and_runs(site: Site) -> None:
    with psycopg.connect(site.database_url, autocommit=True) as conn:
        sync(conn, site.targets)
        history = load_history(conn, "demo")
        as_of = date(2026, 5, 25)
        panel = Panel(history, Level.FLOOR, Days.for_history(history, as_of))
        model = train(
            panel, panel.days.index_of_date(as_of), 7, TrainParams(train_days=40, max_iter=20)
        )
        with conn.transaction():
            record = save_model(conn, "demo", model)
        assert latest_model(conn, "demo", Level.FLOOR, 7) == record
        assert latest_model(conn, "demo", Level.FLOOR, 30) is None
        loaded = load_model(conn, record.version)
        assert isinstance(loaded, HotspotModel) and loaded.spec == model.spec
        conn.execute("UPDATE predictor.models SET sha256 = %s WHERE version = %s",
                     ("0" * 64, record.version))  # fmt: skip
        with pytest.raises(ValueError, match="SHA-256"):
            load_model(conn, record.version)
        conn.execute("UPDATE predictor.models SET sha256 = %s WHERE version = %s",
                     (record.sha256, record.version))  # fmt: skip
        ranked = rank_keys(loaded, panel, as_of, explain=3)
        with conn.transaction():
            run_id = save_run(conn, "demo", Level.FLOOR, 7, as_of, record.version, ranked)
        rows = conn.execute(
            "SELECT key, rank, jsonb_array_length(reasons), action ->> 'code' FROM"
            " predictor.predictions WHERE run_id = %s ORDER BY rank",
            (run_id,),
        ).fetchall()
        assert len(rows) == 20 and [r[1] for r in rows] == list(range(1, 21))
        assert rows[0][2] >= 1 and rows[-1][2] == 0 and rows[0][3] in (
            "inspect", "replace_component", "schedule_maintenance")  # fmt: skip


def test_the_command_line_backtests_and_stores_runs(site: Site, tmp_path: Path) -> None:
    out = io.StringIO()
    csv_path = tmp_path / "rankings.csv"
    ml_main(["backtest", "--site", "demo", "--from", "2026-05-15", "--to", "2026-05-21",
             "--horizon-days", "7", "--k", "5", "--level", "floor", "--out", str(csv_path),
             "--train-days", "40", "--max-iter", "20", "--database-url",
             site.database_url, "--intake", site.targets.intake, "--ingestor",
             site.targets.ingestor], out)  # fmt: skip
    last = out.getvalue().strip().splitlines()[-1]
    figures = dict(part.split("=", 1) for part in last.split())
    for name in ("precision_at_k", "recall_at_k", "pr_auc", "baseline_p_at_k", "lift"):
        float(figures[name])
    assert figures["days"] == "7" and figures["level"] == "floor"
    assert csv_path.read_text().splitlines()[0] == "as_of,level,key,probability,rank"
    with psycopg.connect(site.database_url, autocommit=True) as conn:
        runs = conn.execute(
            "SELECT count(*), count(DISTINCT model_version) FROM predictor.prediction_runs"
            " WHERE kind = 'backtest'"
        ).fetchone()
    assert runs is not None and runs[0] == 7 and runs[1] >= 1
    with pytest.raises(SystemExit, match="no site"):
        ml_main(["predict", "--site", "nowhere", "--no-sync", "--database-url",
                 site.database_url], io.StringIO())  # fmt: skip
