"""The history importer's command line against the running system: a places file as Chinese
Excel saves it (GB18030, Chinese headers), all or nothing, re-imported without change, bad
rows listed or set aside."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from openpyxl import Workbook

from tests.e2e.helpers import import_file, summary
from tests.e2e.system import System

Login = Callable[[str], httpx.Client]


def test_a_places_file_from_chinese_excel_imports_once(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    text = "园区,楼栋,楼层,房号,时区\r\npark9,T1,B1,,Asia/Shanghai\r\npark9,T1,1,T1-101,\r\npark9,T1,1,T1-102,\r\npark9,T1,2,,\r\n"
    path = tmp_path / "places.csv"
    path.write_bytes(text.encode("gb18030"))
    dry = import_file(system, "places", path, "--dry-run")
    assert (dry.returncode, summary(dry)["inserted"]) == (0, "4"), dry.stderr
    assert as_user("admin").get("/v1/sites/park9").status_code == 404  # nothing written
    first = import_file(system, "places", path)
    assert first.returncode == 0, first.stderr
    assert {k: summary(first)[k] for k in ("inserted", "unchanged", "rejected")} == {
        "inserted": "4", "unchanged": "0", "rejected": "0"}  # fmt: skip
    tree = as_user("admin").get("/v1/sites/park9").json()
    floors = tree["buildings"][0]["floors"]
    assert [f["code"] for f in floors] == ["B1", "1", "2"]
    assert [u["code"] for u in floors[1]["units"]] == ["T1-101", "T1-102"]
    again = import_file(system, "places", path)
    assert (summary(again)["inserted"], summary(again)["unchanged"]) == ("0", "4")


def test_a_bad_row_stops_the_import_or_is_set_aside(
    as_user: Login, system: System, tmp_path: Path
) -> None:
    path = tmp_path / "places.csv"
    path.write_text("site;building;floor;unit\npark8;T1;1;T1-101\npark8;T1;1;T1 102\npark8;T2;;\n",
                    encoding="utf-8-sig")  # fmt: skip
    stopped = import_file(system, "places", path)
    assert stopped.returncode == 1
    assert (
        "places.csv:3: unit:" in stopped.stderr
        and "places.csv:4: floor: floor is empty" in stopped.stderr
    )
    assert summary(stopped)["inserted"] == "0" and summary(stopped)["rejected"] == "2"
    assert as_user("admin").get("/v1/sites/park8").status_code == 404
    rejects = tmp_path / "rejects.csv"
    skipped = import_file(system, "places", path, "--skip-bad", rejects)
    assert skipped.returncode == 1 and summary(skipped)["inserted"] == "1"
    lines = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("line,column,reason") and len(lines) == 3
    assert as_user("admin").get("/v1/sites/park8").status_code == 200
    unreadable = tmp_path / "empty.csv"
    unreadable.write_bytes(b"")
    assert import_file(system, "places", unreadable).returncode == 2


def test_an_assets_workbook_imports_its_equipment_with_components(
    as_user: Login, system: System, tmp_path: Path
) -> None:

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["设备编号", "设备类型", "楼栋", "楼层", "名称", "型号", "安装日期", "重要程度", "部件"]
    )
    sheet.append(
        ["pump-B-1-9", "Pump", "B", "1", "9号水泵", "CR 10-4", "2016/5/1", 4, "motor|seal|bearing"]
    )
    sheet.append(
        [
            "chiller-A-1",
            "chiller",
            "A",
            "1",
            "冷水机组",
            "30XW",
            "2019-07-15",
            5,
            "comp1|comp2|comp3|comp4",
        ]
    )
    path = tmp_path / "assets.xlsx"
    book.save(path)
    first = import_file(system, "assets", path, "--site", "demo")
    assert first.returncode == 0, first.stderr
    assert summary(first)["inserted"] == "2"
    pump = as_user("admin").get("/v1/assets/pump-B-1-9").json()
    assert (pump["type"], pump["installed_on"], pump["criticality"]) == ("pump", "2016-05-01", 4)
    assert pump["components"] == ["bearing", "motor", "seal"]
    again = import_file(system, "assets", path, "--site", "demo")
    assert (summary(again)["unchanged"], summary(again)["inserted"]) == ("2", "0")

    bad = tmp_path / "bad.csv"
    bad.write_text("asset_id,type,site,building,floor,installed_on\n"
                   "pump-Z,pump,demo,Z,1,2016-01-01\nfan-1,fan,demo,A,1,2016-01-01\n"
                   "pump-B-1-9,pump,demo,B,1,someday\n", encoding="utf-8")  # fmt: skip
    refused = import_file(system, "assets", bad)
    assert refused.returncode == 1 and summary(refused)["rejected"] == "3"
    assert "bad.csv:4: installed_on:" in refused.stderr and "bad.csv:3: type:" in refused.stderr
    assert as_user("admin").get("/v1/assets/pump-Z").status_code == 404
