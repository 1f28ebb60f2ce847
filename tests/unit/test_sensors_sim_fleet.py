"""The simulator's fleet, its CSV and the requests that register it with the device API."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from sensors_sim.__main__ import main
from sensors_sim.fleet import build_fleet, fleet_csv
from sensors_sim.register import device_request, register, token_request

API = "http://127.0.0.1:8080"


def test_full_fleet_follows_the_demo_site() -> None:
    fleet = build_fleet()
    ids = {d.device_id for d in fleet}
    assert len(fleet) == len(ids) == 122
    assert {"leak-A-03-riser", "leak-A-301", "leak-B-1004", "power-B-10", "elev-A-E1"} <= ids
    riser = next(d for d in fleet if d.device_id == "leak-A-03-riser")
    assert riser.kind == "leak" and riser.is_riser
    assert riser.location.as_json() == {
        "site": "demo", "building": "A", "floor": "3", "asset": "riser-A-1",
    }  # fmt: skip
    unit = next(d for d in fleet if d.device_id == "leak-B-502")
    assert unit.location.as_json() == {
        "site": "demo",
        "building": "B",
        "floor": "5",
        "unit": "B-502",
    }
    assert not unit.is_riser
    assert {d.location.asset for d in fleet if d.kind == "power"} == {"panel-A-1", "panel-B-1"}
    assert {d.location.asset for d in fleet if d.kind == "elevator"} == {
        "elevator-A-E1", "elevator-B-E2",
    }  # fmt: skip
    assert all(d.format == "native" and d.expected_interval_s > 0 for d in fleet)


def test_same_seed_same_fleet_and_other_seeds_pick_other_subsets() -> None:
    assert build_fleet(seed=3, devices=20) == build_fleet(seed=3, devices=20)
    picks = {tuple(d.device_id for d in build_fleet(seed=s, devices=20)) for s in range(5)}
    assert len(picks) > 1


@pytest.mark.parametrize("size", [1, 3, 7, 50, 122, 400])
def test_devices_scales_the_fleet_keeping_every_kind(size: int) -> None:
    fleet = build_fleet(seed=1, devices=size)
    assert len(fleet) == len({d.device_id for d in fleet}) == size
    assert [d.device_id for d in fleet] == sorted(d.device_id for d in fleet)
    if size >= 3:
        assert {d.kind for d in fleet} == {"leak", "power", "elevator"}
    if size > 122:  # beyond the layout: more leak sensors in existing units, no new assets
        base = {d.device_id for d in build_fleet()}
        assert base < {d.device_id for d in fleet}
        extra = [d for d in fleet if d.device_id not in base]
        assert all(d.kind == "leak" and d.location.unit and not d.location.asset for d in extra)


def test_fleet_needs_a_device() -> None:
    with pytest.raises(ValueError, match="at least one"):
        build_fleet(devices=0)


def test_fleet_csv_round_trips() -> None:
    fleet = build_fleet(devices=10, seed=4)
    rows = list(csv.DictReader(io.StringIO(fleet_csv(fleet))))
    assert [r["device_id"] for r in rows] == [d.device_id for d in fleet]
    first = rows[0]
    assert set(first) == {
        "device_id", "kind", "site", "building", "floor", "unit", "asset", "format",
        "expected_interval_s",
    }  # fmt: skip
    assert first["format"] == "native" and int(first["expected_interval_s"]) > 0


def test_token_and_device_requests() -> None:
    device = next(d for d in build_fleet() if d.device_id == "leak-A-301")
    login = token_request(API + "/", "admin", "demo")
    assert login.method == "POST"
    assert str(login.url) == f"{API}/v1/auth/token"
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"
    assert login.read() == b"username=admin&password=demo"
    put = device_request(API, "tok-123", device)
    assert put.method == "PUT"
    assert str(put.url) == f"{API}/v1/devices/leak-A-301"
    assert put.headers["authorization"] == "Bearer tok-123"
    assert json.loads(put.read()) == {
        "kind": "leak",
        "location": {"site": "demo", "building": "A", "floor": "3", "unit": "A-301"},
        "format": "native",
        "expected_interval_s": 300,
    }


def test_register_signs_in_then_puts_every_device() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/auth/token":
            return httpx.Response(200, json={"access_token": "tok-9", "token_type": "bearer"})
        return httpx.Response(200, json={})

    fleet = build_fleet(devices=5)
    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        assert register(API, fleet, "admin", "secret", client) == 5
    assert seen[0].read() == b"username=admin&password=secret"
    puts = seen[1:]
    assert [r.url.path for r in puts] == [f"/v1/devices/{d.device_id}" for d in fleet]
    assert all(r.method == "PUT" and r.headers["authorization"] == "Bearer tok-9" for r in puts)


def test_register_stops_when_refused() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"detail": "bad credentials"})

    with (
        httpx.Client(transport=httpx.MockTransport(refuse)) as client,
        pytest.raises(httpx.HTTPStatusError),
    ):
        register(API, build_fleet(devices=2), "admin", "wrong", client)


def test_fleet_command_prints_csv(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fleet", "--devices", "4", "--seed", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("device_id,kind,site,")
    assert [line.split(",")[0] for line in lines[1:]] == [
        d.device_id for d in build_fleet("demo", 2, 4)
    ]


@pytest.mark.parametrize(
    "argv", [["fleet", "--devices", "0"], ["run", "--rate", "0"], ["backfill", "--days", "-1"]]
)
def test_commands_refuse_sizes_below_one(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
