"""The importer's devices, events and telemetry kinds: a line becomes the ingestor's message or
a problem (never an exception), times without a zone are in the site's, and telemetry goes
out in columnar chunks."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from maintenance.ingestor.v1 import ingestor_pb2 as pb

from services.importer.kinds import KINDS
from services.importer.kinds.base import Context
from services.importer.kinds.devices import device_row
from services.importer.kinds.events import event_row
from services.importer.kinds.telemetry import (
    CHUNK_READINGS,
    Reading,
    Readings,
    _chunks,
    micros,
    number,
    reading_row,
)
from services.importer.reader import Problem, ReadError, Row, read_table

SHANGHAI = ZoneInfo("Asia/Shanghai")
CONTEXT = Context(
    "demo",
    {"demo": SHANGHAI, "ny": ZoneInfo("America/New_York")},
    {"leak-A-03-riser": "demo", "meter-ny": "ny"},
    {"riser-A-1": "demo"},
)
T = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp()) * 1_000_000


def test_the_three_kinds_are_known_by_name() -> None:
    assert {"devices", "events", "telemetry"} <= set(KINDS)
    assert KINDS["telemetry"].extra_columns


# --- devices ---------------------------------------------------------------------------------


def test_a_devices_line_becomes_a_registration() -> None:
    row = Row(2, {"device_id": "leak-A-301", "kind": "Leak", "building": "A", "floor": "3",
                  "unit": "A-301", "asset_id": "", "format": "", "expected_interval_s": "600"})  # fmt: skip
    made = device_row(row, CONTEXT)
    assert isinstance(made, pb.DeviceRow) and made.line == 2
    d = made.device
    assert (d.kind, d.format, d.expected_interval_s) == (
        pb.DEVICE_KIND_LEAK, pb.PAYLOAD_FORMAT_NATIVE, 600)  # fmt: skip
    assert (d.location.site, d.location.unit) == ("demo", "A-301")  # --site fills the site


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"kind": "smoke"}, "kind"),
        ({"kind": "leak", "format": "mqtt"}, "format"),
        ({"kind": "power", "expected_interval_s": "5 min"}, "expected_interval_s"),
        ({"kind": "power", "expected_interval_s": "-1"}, "expected_interval_s"),
    ],
)
def test_a_devices_line_with_a_bad_value_is_a_problem(values: dict[str, str], column: str) -> None:
    made = device_row(Row(3, {"device_id": "x", **values}), CONTEXT)
    assert isinstance(made, Problem) and (made.line, made.column) == (3, column)


# --- events ----------------------------------------------------------------------------------


def test_an_event_without_a_zone_is_in_its_devices_site_time() -> None:
    row = Row(2, {"device_id": "meter-ny", "time": "2024-07-01 09:00", "code": "E42",
                  "severity": "major", "message": "门故障"})  # fmt: skip
    made = event_row(row, CONTEXT)
    assert isinstance(made, pb.EventRow)
    assert made.time.ToDatetime(UTC) == datetime(2024, 7, 1, 13, 0, tzinfo=UTC)  # EDT is -4
    by_asset = event_row(Row(3, {"asset_id": "riser-A-1", "time": "2024-07-01 09:00",
                                 "code": "E1"}), CONTEXT)  # fmt: skip
    assert isinstance(by_asset, pb.EventRow)
    assert by_asset.time.ToDatetime(UTC) == datetime(2024, 7, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"device_id": "nobody"}, "device_id"),
        ({"asset_id": "nothing"}, "asset_id"),
        ({}, "device_id"),
        ({"device_id": "meter-ny", "time": "yesterday"}, "time"),
    ],
)
def test_an_event_line_that_names_nothing_known_is_a_problem(
    values: dict[str, str], column: str
) -> None:
    made = event_row(Row(4, {"time": "2024-07-01", "code": "E1", **values}), CONTEXT)
    assert isinstance(made, Problem) and made.column == column


# --- telemetry -------------------------------------------------------------------------------


def test_a_long_line_is_one_reading_in_the_devices_site_time() -> None:
    row = Row(2, {"device_id": "leak-A-03-riser", "time": "2024-03-01 08:00", "metric": "moisture",
                  "value": "12.5"})  # fmt: skip
    assert reading_row(row, CONTEXT) == Reading(2, "leak-A-03-riser", T, "moisture", 12.5)


def test_a_wide_line_is_a_reading_per_metric_with_a_value() -> None:
    row = Row(5, {"device_id": "meter-ny", "time": "2024-03-01T00:00:00Z", "voltage": "229.5",
                  "current": "", "on": "TRUE"})  # fmt: skip
    assert reading_row(row, CONTEXT) == Readings(5, "meter-ny", T, ("voltage", "on"), (229.5, 1.0))
    bad = Row(6, {"device_id": "meter-ny", "time": "2024-03-01", "voltage": "2,5"})
    assert reading_row(bad, CONTEXT) == Problem(6, "voltage", number("2,5"))  # type: ignore[arg-type]


def test_a_file_with_neither_metric_columns_nor_metric_and_value_cannot_be_read() -> None:
    with pytest.raises(ReadError, match="metric"):
        reading_row(Row(2, {"device_id": "meter-ny", "time": "2024-03-01"}), CONTEXT)


def test_a_gb18030_wide_file_with_chinese_headers_reads_its_metrics() -> None:
    data = "传感器编号,采集时间,电压,电流\r\nmeter-ny,2024-03-01 00:00,229.5,1.2\r\n".encode(
        "gb18030"
    )
    kind = KINDS["telemetry"]
    rows, problems = read_table(data, kind.columns, kind.required, "t.csv", kind.extra_columns)
    assert problems == []
    made = reading_row(rows[0], CONTEXT)
    assert isinstance(made, Readings) and made.metrics == ("电压", "电流")


@pytest.mark.parametrize(
    ("values", "column"),
    [
        ({"device_id": "nobody"}, "device_id"),
        ({"time": "2024-02-30"}, "time"),
        ({"metric": ""}, "metric"),
        ({"value": "nan"}, "value"),
        ({"value": "1e999"}, "value"),
        ({"value": ""}, "value"),
    ],
)
def test_a_long_line_with_a_bad_value_is_a_problem(values: dict[str, str], column: str) -> None:
    line = {"device_id": "meter-ny", "time": "2024-03-01", "metric": "voltage", "value": "1"}
    made = reading_row(Row(7, {**line, **values}), CONTEXT)
    assert isinstance(made, Problem) and (made.line, made.column) == (7, column)


@given(st.text(max_size=80))
def test_any_value_text_is_a_finite_number_or_a_reason(text: str) -> None:
    found = number(text)
    assert isinstance(found, str) or math.isfinite(found)


@given(st.text(max_size=60), st.sampled_from([SHANGHAI, ZoneInfo("America/New_York")]))
def test_any_time_text_is_microseconds_or_a_reason(text: str, zone: ZoneInfo) -> None:
    assert isinstance(micros(text, zone), int | str)


@given(
    st.dictionaries(st.sampled_from(["time", "metric", "value", "voltage"]), st.text(max_size=30))
)
def test_any_telemetry_line_gives_readings_or_a_problem(values: dict[str, str]) -> None:
    row = Row(9, {"device_id": "meter-ny", "time": "2024-03-01", **values})
    try:
        made = reading_row(row, CONTEXT)
    except ReadError:
        assert set(row.values) == {"device_id", "time"}
        return
    assert isinstance(made, Reading | Readings | Problem)


def _sent(rows: list[Reading] | list[Readings]) -> tuple[list[pb.TelemetryChunk], list[int]]:
    told: list[int] = []

    async def take() -> list[pb.TelemetryChunk]:
        return [c async for c in _chunks(rows, True, told.append)]

    return asyncio.run(take()), told


def test_long_readings_go_in_chunks_and_progress_hears_of_each() -> None:
    rows = [Reading(n + 2, "m", T + n, "voltage", float(n)) for n in range(CHUNK_READINGS + 10)]
    chunks, told = _sent(rows)
    assert [len(c.line) for c in chunks] == [CHUNK_READINGS, 10] and told == [CHUNK_READINGS, 10]
    assert [c.dry_run for c in chunks] == [True, False]
    assert chunks[1].line[0] == CHUNK_READINGS + 2 and chunks[1].value[-1] == CHUNK_READINGS + 9


def test_wide_readings_are_flattened_and_an_empty_import_is_one_empty_chunk() -> None:
    chunks, told = _sent([Readings(2, "m", T, ("a", "b"), (1.0, 2.0)), Readings(3, "m", T, (), ())])
    assert (list(chunks[0].line), list(chunks[0].metric), told) == ([2, 2], ["a", "b"], [2])
    assert _sent([]) == ([pb.TelemetryChunk(dry_run=True)], [0])


def test_the_simulators_fleet_csv_reads_as_a_devices_file() -> None:
    data = (b"device_id,kind,site,building,floor,unit,asset,format,expected_interval_s\n"
            b"leak-A-01-riser,leak,demo,A,1,,riser-A-1,native,300\n")  # fmt: skip
    kind = KINDS["devices"]
    rows, problems = read_table(data, kind.columns, kind.required)
    made = device_row(rows[0], CONTEXT)
    assert problems == [] and isinstance(made, pb.DeviceRow)
    assert made.device.location.asset == "riser-A-1"
