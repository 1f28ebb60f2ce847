"""Work orders from another system through the importer's command line, into a running
system whose dispatch has rules and whose people have contacts: they become tickets with
their real times, and not one follower acts on them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest

from services.dispatch.demo import seed_demo as seed_dispatch
from tests.e2e.conftest import signed_in
from tests.e2e.helpers import import_file, ok, summary, wait_for
from tests.e2e.system import System, running_system

Login = Callable[[str], httpx.Client]
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "work_orders.csv"
_COLUMNS = ("external_id,kind,category,priority,status,opened_at,accepted_at,resolved_at,"
            "closed_at,asset_id,component,assignee,cost,rating,title")  # fmt: skip


@pytest.fixture(scope="module")
def routed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, Login]]:
    """A system that routes and notifies: dispatch rules and technicians seeded, and every
    demo user with an in-app inbox."""
    with running_system(
        tmp_path_factory.mktemp("wo") / "system.log", GATEWAY_IMPORT_AT_ONCE_BYTES="4000"
    ) as system:
        seed_dispatch(system.database_url)
        for login in signed_in(system):
            yield system, login


def _history(rows: int, start: datetime) -> str:
    out = io.StringIO()
    out.write(_COLUMNS + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for n in range(rows):
        opened = start + timedelta(hours=n)
        writer.writerow([
            f"OLD-{n:06d}", "repair", "elevator" if n % 2 else "plumbing", "P2", "closed",
            opened.isoformat(), (opened + timedelta(minutes=20)).isoformat(),
            (opened + timedelta(hours=3)).isoformat(), (opened + timedelta(days=1)).isoformat(),
            "elevator-A-E1" if n % 2 else "riser-A-1", "motor" if n % 2 else "valve",
            "tech2" if n % 2 else "tech1", "120.50", 1 + n % 5, f"历史工单 {n}",
        ])  # fmt: skip
    return out.getvalue()


def _count(system: System, query: str) -> int:
    with psycopg.connect(system.database_url) as conn:
        row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.timeout(600)  # 3,000 work orders imported twice, on a busy machine
def test_three_thousand_closed_work_orders_wake_no_follower(
    routed: tuple[System, Login], tmp_path: Path
) -> None:
    system, login = routed
    path = tmp_path / "history.csv"
    path.write_text(_history(3_000, datetime(2019, 1, 1, 8, tzinfo=UTC)), encoding="utf-8")
    done = import_file(system, "work_orders", path, timeout_s=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert summary(done)["inserted"] == "3000"
    # A live ticket raised after the import: once it is routed and announced, every
    # follower has read past the imported history (six followers, analytics among them,
    # each read the 18,000 imported events through intake's one stream process: give them
    # a minute on two busy cores).
    live = ok(login("tenant1").post("/v1/tickets", json={
        "kind": "repair", "category": "plumbing", "title": "After the import",
        "location": {"site": "demo", "building": "A", "floor": "3", "unit": "A-301"}}))  # fmt: skip
    admin = login("admin")
    wait_for(lambda: ok(admin.get(f"/v1/tickets/{live['id']}"))["assignee"], timeout_s=90)
    wait_for(lambda: _count(system, "SELECT count(*) FROM notification.deliveries WHERE"
                            f" ticket_id = '{live['id']}'")
             + _count(system, "SELECT count(*) FROM notification.inbox WHERE"
                      f" ticket_id = '{live['id']}'"), timeout_s=90)  # fmt: skip
    imported = "SELECT id::text FROM intake.tickets WHERE source = 'import'"
    assert _count(system, f"SELECT count(*) FROM ({imported}) i") == 3_000
    for table in ("notification.deliveries", "notification.inbox", "dispatch.tickets",
                  "dispatch.route_jobs", "dispatch.offers"):  # fmt: skip
        assert _count(system, f"SELECT count(*) FROM {table} WHERE ticket_id IN ({imported})") == 0
    assert _count(system, "SELECT count(*) FROM sla.tickets WHERE ticket_id::text IN"
                  f" ({imported})") == 0  # fmt: skip
    assert _count(system, "SELECT count(*) FROM intake.ticket_events e JOIN intake.tickets t"
                  " ON t.id = e.ticket_id WHERE t.source = 'import'"
                  " AND e.payload->>'imported' IS DISTINCT FROM 'true'") == 0  # fmt: skip
    one = ok(admin.get("/v1/tickets", params={"asset_id": "elevator-A-E1", "page_size": 1}))
    assert one["items"][0]["status"] == "closed"
    again = import_file(system, "work_orders", path, timeout_s=600)
    assert summary(again)["unchanged"] == "3000", again.stderr[-2000:]


def test_the_example_file_imports_and_a_corrected_line_updates_in_place(
    routed: tuple[System, Login], tmp_path: Path
) -> None:
    system, login = routed
    first = import_file(system, "work_orders", EXAMPLE)
    assert first.returncode == 0, first.stderr
    assert summary(first)["inserted"] == "4"
    admin = login("admin")
    [door] = [t for t in ok(admin.get("/v1/tickets", params={"source": "import", "limit": 200}))["items"]
              if t["attributes"].get("external_id") == "WO-2024-0001"]  # fmt: skip
    assert (door["status"], door["component"], door["source"]) == ("closed", "door_operator",
                                                                   "import")  # fmt: skip
    assert door["created_at"].startswith("2024-03-01T00:30:00")  # 08:30 in Asia/Shanghai
    assert door["rating"]["stars"] == 4
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(EXAMPLE.read_text(encoding="utf-8").replace(',"1,250.00",4,', ',"1,250.00",5,'),
                         encoding="utf-8")  # fmt: skip
    again = import_file(system, "work_orders", corrected)
    assert (summary(again)["updated"], summary(again)["unchanged"]) == ("1", "3"), again.stderr
    assert ok(admin.get(f"/v1/tickets/{door['id']}"))["rating"]["stars"] == 5
    events = ok(admin.get(f"/v1/tickets/{door['id']}/events"))["items"]
    assert events[-1]["type"] == "import_corrected"


def test_bad_work_orders_import_nothing_and_say_why(
    routed: tuple[System, Login], tmp_path: Path
) -> None:
    system, login = routed
    text = (
        "工单号,工单类型,类别,状态,报修时间,完成时间,关闭时间,设备编号,部件,标题\n"
        "BAD-1,维修,电梯,已关闭,2024-05-01 08:00,2024-05-01 10:00,2024-05-01 11:00,elevator-A-E1,motor,好的\n"
        "BAD-2,维修,电梯,已关闭,2024-05-01 08:00,2024-05-01 07:00,2024-05-01 11:00,elevator-A-E1,,时间倒流\n"
        "BAD-3,维修,飞行,已关闭,2024-05-01 08:00,2024-05-01 10:00,2024-05-01 11:00,elevator-A-E1,,未知类别\n"
        "BAD-4,维修,电梯,处理中,2024-05-01 08:00,,,elevator-A-E1,,未完成\n"
        "BAD-5,维修,电梯,已关闭,2024-05-01 08:00,2024-05-01 10:00,2024-05-01 11:00,no-such-asset,,未知设备\n"
        "BAD-6,维修,电梯,已关闭,2024-05-01 08:00,2024-05-01 10:00,2024-05-01 11:00,elevator-A-E1,wing,未知部件\n"
    )
    path = tmp_path / "bad.csv"
    path.write_bytes(text.encode("gb18030"))
    stopped = import_file(system, "work_orders", path)
    assert stopped.returncode == 1
    assert summary(stopped)["rejected"] == "5" and summary(stopped)["inserted"] == "0"
    for expected in ("bad.csv:3: resolved_at:", "bad.csv:4: category:", "bad.csv:5: status:",
                     "bad.csv:6: asset_id:", "bad.csv:7: component:"):  # fmt: skip
        assert expected in stopped.stderr, stopped.stderr
    admin = login("admin")
    listed = ok(admin.get("/v1/tickets", params={"source": "import", "limit": 200}))["items"]
    assert not [t for t in listed if t["attributes"].get("external_id", "").startswith("BAD")]
    skipped = import_file(system, "work_orders", path, "--skip-bad", tmp_path / "rejects.csv")
    assert summary(skipped)["inserted"] == "1"


def test_admins_import_over_rest_at_once_or_as_a_job(routed: tuple[System, Login]) -> None:
    _, login = routed
    admin = login("admin")
    small = _history(3, datetime(2018, 1, 1, tzinfo=UTC)).replace("OLD-", "REST-")
    assert login("supervisor1").post("/v1/import/work_orders", content=small).status_code == 403
    done = admin.post("/v1/import/work_orders", content=small.encode("gb18030"),
                      params={"dry_run": "true"})  # fmt: skip
    assert (done.status_code, done.json()["inserted"], done.json()["dry_run"]) == (200, 3, True)
    done = admin.post("/v1/import/work_orders", content=small.encode("gb18030"))
    assert (done.status_code, done.json()["inserted"]) == (200, 3)
    bad = small.replace(",closed,", ",pending,", 1).replace("REST-", "RBAD-")
    refused = admin.post("/v1/import/work_orders", content=bad)
    assert refused.status_code == 422 and refused.json()["inserted"] == 0
    assert [(p["line"], p["column"]) for p in refused.json()["problems"]] == [(2, "status")]
    unreadable = admin.post("/v1/import/work_orders", content=b"title\nx\n")
    assert unreadable.status_code == 422 and "missing required" in unreadable.json()["detail"]
    large = _history(300, datetime(2017, 1, 1, tzinfo=UTC)).replace("OLD-", "JOB-")
    started = admin.post("/v1/import/work_orders", content=large)
    assert started.status_code == 202
    job_url = started.headers["Location"]

    def finished() -> dict[str, object] | None:
        job: dict[str, object] = ok(admin.get(job_url))
        return job if job["status"] != "running" else None

    job = wait_for(finished, timeout_s=60)
    assert job["status"] == "done" and job["result"]["inserted"] == 300, job
    assert admin.get("/v1/import/jobs/nope").status_code == 404
