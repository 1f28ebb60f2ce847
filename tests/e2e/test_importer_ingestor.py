"""The history importer's devices, events and telemetry kinds through the command line against
the running system: the example files, all or nothing, --skip-bad, re-imports that change
nothing or correct a value, times without a zone in the site's zone, a GB18030 file with
Chinese headers, events that open no tickets, and imported telemetry read back over REST."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.helpers import import_file, ok, summary
from tests.e2e.system import System

Login = Callable[[str], httpx.Client]
EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def _counts(done: Any) -> tuple[int, int, int, int]:
    found = summary(done)
    return tuple(int(found[k]) for k in ("inserted", "updated", "unchanged", "rejected"))  # type: ignore[return-value]


def _readings(admin: httpx.Client, device_id: str, **query: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(admin.get(f"/v1/devices/{device_id}/telemetry", params=query))[
        "items"
    ]
    return items


def test_the_example_files_import_into_the_demo_site_once(as_user: Login, system: System) -> None:
    admin = as_user("admin")
    expected = {"devices.csv": 4, "events.csv": 5, "telemetry.csv": 22, "telemetry_wide.csv": 18}
    for name, count in expected.items():
        kind = name.removesuffix(".csv").removesuffix("_wide")
        dry = import_file(system, kind, EXAMPLES / name, "--dry-run")
        assert (dry.returncode, _counts(dry)) == (0, (count, 0, 0, 0)), dry.stderr
        first = import_file(system, kind, EXAMPLES / name)
        assert (first.returncode, _counts(first)) == (0, (count, 0, 0, 0)), first.stderr
        again = import_file(system, kind, EXAMPLES / name)
        assert _counts(again) == (0, 0, count, 0), again.stderr
    panel = ok(admin.get("/v1/devices", params={"asset_id": "panel-A-1"}))["items"]
    assert "meter-A-01" in [d["device_id"] for d in panel]
    assert {d["location"]["asset"] for d in panel} == {"panel-A-1"}
    assert "leak-B-03-pipe" in ok(admin.get("/v1/assets/riser-B-3"))["devices"]
    voltage = _readings(admin, "meter-A-01", metric="voltage", limit="3")
    # 08:00 in the demo site (Asia/Shanghai) is 00:00 UTC.
    assert [(r["time"], r["value"]) for r in voltage] == [
        ("2024-05-06T00:00:00Z", 229.5), ("2024-05-06T00:15:00Z", 230.8),
        ("2024-05-06T00:30:00Z", 230.9),
    ]  # fmt: skip
    wide = _readings(admin, "meter-A-01", **{"from": "2024-05-07T00:00:00Z", "limit": "3"})
    assert [(r["metric"], r["value"]) for r in wide] == [
        ("current", 11.0), ("power", 2.53), ("voltage", 230.0)]  # fmt: skip


def test_a_bad_device_row_stops_the_import_or_is_set_aside(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    path = tmp_path / "devices.csv"
    path.write_text(
        "device_id,kind,building,floor,unit,asset_id,expected_interval_s\n"
        "gauge-A-9,power,A,9,,,600\n"
        "gauge-Z-1,power,Z,1,,,600\n"  # no building Z
        "gauge-A-8,smoke,A,8,,,600\n"  # no such kind
        "gauge-A-7,power,A,7,A-799,,600\n"  # no such unit
        "gauge-A-6,power,A,6,,pump-none,600\n",  # no such asset
        encoding="utf-8",
    )
    stopped = import_file(system, "devices", path, "--site", "demo")
    assert stopped.returncode == 1 and _counts(stopped) == (0, 0, 0, 4)
    for line, column in ((3, "building"), (4, "kind"), (5, "unit"), (6, "asset_id")):
        assert f"devices.csv:{line}: {column}: " in stopped.stderr, stopped.stderr
    assert "no building 'Z' at site 'demo'" in stopped.stderr
    admin = as_user("admin")
    assert admin.get("/v1/devices/gauge-A-9").status_code == 404
    rejects = tmp_path / "rejects.csv"
    kept = import_file(system, "devices", path, "--site", "demo", "--skip-bad", rejects)
    assert _counts(kept) == (1, 0, 0, 4)
    assert len(rejects.read_text(encoding="utf-8-sig").splitlines()) == 5
    assert ok(admin.get("/v1/devices/gauge-A-9"))["expected_interval_s"] == 600


def test_events_are_history_that_opens_no_tickets(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    devices = tmp_path / "devices.csv"
    devices.write_text("传感器编号,传感器类型,园区,楼栋,楼层,设备编号,上报间隔\n"
                       "lift-A-E1,elevator,demo,A,1,elevator-A-E1,604800\n", encoding="utf-8")  # fmt: skip
    assert import_file(system, "devices", devices).returncode == 0
    events = tmp_path / "events.csv"
    text = ("device_id,asset_id,time,code,severity,message\n"
            "lift-A-E1,,2024-06-01 10:00,E42,major,door\n"
            ",elevator-A-E1,2024-06-01 10:05,E07,minor,brake\n"
            "lift-A-E1,elevator-A-E1,2024-06-01 10:10,ENTRAP,critical,passenger trapped\n")  # fmt: skip
    events.write_text(text, encoding="utf-8")
    admin = as_user("admin")
    assert _counts(import_file(system, "events", events)) == (3, 0, 0, 0)
    assert _counts(import_file(system, "events", events)) == (0, 0, 3, 0)
    corrected = text.replace("passenger trapped", "passenger trapped 20 min")
    events.write_text(corrected, encoding="utf-8")
    assert _counts(import_file(system, "events", events)) == (0, 1, 2, 0)
    # Nothing was raised for the lift (silent for a week before it counts as offline) or its
    # asset, although one event says a passenger was trapped.
    for query in ({"device_id": "lift-A-E1"}, {"asset_id": "elevator-A-E1"}):
        assert ok(admin.get("/v1/tickets", params=query))["items"] == []

    bad = tmp_path / "bad.csv"
    bad.write_text("device_id,asset_id,time,code\nlift-none,,2024-06-01,E1\n"
                   ",pump-none,2024-06-01,E1\nlift-A-E1,chiller-none,2024-06-01,E1\n"
                   "lift-A-E1,,2024-06-01,\n", encoding="utf-8")  # fmt: skip
    refused = import_file(system, "events", bad)
    assert refused.returncode == 1 and _counts(refused)[3] == 4, refused.stderr
    for line, column in ((2, "device_id"), (3, "asset_id"), (4, "asset_id"), (5, "code")):
        assert f"bad.csv:{line}: {column}: " in refused.stderr, refused.stderr


def test_telemetry_in_a_new_york_site_from_a_gb18030_wide_file(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    places = tmp_path / "places.csv"
    places.write_text("site,building,floor,timezone\nny1,T,1,America/New_York\n")
    assert import_file(system, "places", places).returncode == 0
    devices = tmp_path / "devices.csv"
    devices.write_text("device_id,kind,site,building,floor\nmeter-ny1,power,ny1,T,1\n")
    assert import_file(system, "devices", devices).returncode == 0
    wide = tmp_path / "wide.csv"
    wide.write_bytes("传感器编号,采集时间,电压,电流\r\nmeter-ny1,2024-01-15 09:00,229.5,1.5\r\n"
                     "meter-ny1,2024-07-15 09:00,231.0,\r\n"
                     "meter-ny1,2024-07-15T09:00:00Z,232.0,2.5\r\n".encode("gb18030"))  # fmt: skip
    assert _counts(import_file(system, "telemetry", wide)) == (5, 0, 0, 0)
    admin = as_user("admin")
    readings = _readings(admin, "meter-ny1", metric="电压")
    # 09:00 in New York is 14:00 UTC in winter and 13:00 in summer; a zone given is kept.
    assert [(r["time"], r["value"]) for r in readings] == [
        ("2024-01-15T14:00:00Z", 229.5), ("2024-07-15T09:00:00Z", 232.0),
        ("2024-07-15T13:00:00Z", 231.0),
    ]  # fmt: skip
    first = ok(admin.get("/v1/devices/meter-ny1/telemetry", params={"limit": 4}))
    rest = _readings(admin, "meter-ny1", cursor=first["next_cursor"])
    assert len(first["items"]) == 4 and len(rest) == 1
    assert admin.get("/v1/devices/meter-none/telemetry").status_code == 404
    assert admin.get("/v1/devices/meter-ny1/telemetry", params={"cursor": "x"}).status_code == 422


def test_telemetry_is_all_or_nothing_and_a_corrected_value_updates_in_place(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    devices = tmp_path / "devices.csv"
    devices.write_text("device_id,kind,site,building,floor\nmeter-A-05,power,demo,A,5\n")
    assert import_file(system, "devices", devices).returncode == 0
    good = [f"meter-A-05,2024-08-01 00:{m:02d},voltage,{220 + m}" for m in range(10)]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(["device_id,time,metric,value", *good[:5],
                               "meter-none,2024-08-01 00:30,voltage,1",  # line 7
                               "meter-A-05,2024-08-01 00:31,voltage,high",  # line 8
                               "meter-A-05,2031-13-01 00:32,voltage,1",  # line 9
                               *good[5:], good[0]]) + "\n")  # fmt: skip
    admin = as_user("admin")
    stopped = import_file(system, "telemetry", path)
    assert stopped.returncode == 1 and _counts(stopped) == (0, 0, 0, 4), stopped.stderr
    for line, column in ((7, "device_id"), (8, "value"), (9, "time"), (15, "")):
        assert f"long.csv:{line}: {column}: " in stopped.stderr, stopped.stderr
    assert _readings(admin, "meter-A-05") == []
    rejects = tmp_path / "rejects.csv"
    kept = import_file(system, "telemetry", path, "--skip-bad", rejects)
    # The last line repeats line 2: the ingestor refuses it, and the rest is imported.
    assert _counts(kept) == (10, 0, 0, 4), kept.stderr
    assert "long.csv:15: : line 2 has the same device, metric and time" in stopped.stderr
    assert len(_readings(admin, "meter-A-05")) == 10

    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(["device_id,time,metric,value", *good]) + "\n")
    assert _counts(import_file(system, "telemetry", clean)) == (0, 0, 10, 0)
    clean.write_text(clean.read_text().replace(",220\n", ",219.5\n"))
    assert _counts(import_file(system, "telemetry", clean)) == (0, 1, 9, 0)
    assert _readings(admin, "meter-A-05", limit="1")[0]["value"] == 219.5
