"""The importer's reading layer: files as people have them (encodings, delimiters, quoting,
Chinese headers, .xlsx) into rows and problems, and timestamps into UTC instants."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.importer import reader
from services.importer.reader import (
    MAX_COLUMNS,
    Problem,
    ReadError,
    Row,
    parse_time,
    read_table,
)

COLUMNS = {
    "site": ["园区", "项目"],
    "building": ["楼栋", "楼号"],
    "floor": ["楼层"],
    "unit": ["房号", "单元"],
    "installed_on": ["安装日期"],
    "cost": ["费用"],
}
REQUIRED = ("site", "building", "floor")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def read(data: bytes, filename: str = "") -> tuple[list[Row], list[Problem]]:
    return read_table(data, COLUMNS, REQUIRED, filename)


def values(data: bytes, filename: str = "") -> list[dict[str, str]]:
    rows, problems = read(data, filename)
    assert problems == []
    return [row.values for row in rows]


# --- encodings -------------------------------------------------------------------------------


def test_utf8() -> None:
    data = "site,building,floor\nNorth,楼A,3\n".encode()
    assert read(data) == ([Row(2, {"site": "North", "building": "楼A", "floor": "3"})], [])


def test_utf8_with_bom_and_chinese_headers() -> None:
    data = "\ufeff园区,楼栋,楼层,房号\n东区,1号楼,3,301\n".encode()
    assert values(data) == [{"site": "东区", "building": "1号楼", "floor": "3", "unit": "301"}]


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_gb18030_as_chinese_excel_exports_it(encoding: str) -> None:
    data = "项目,楼号,楼层,单元\r\n滨江花园,3栋,12,1202\r\n".encode(encoding)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert values(data) == [{"site": "滨江花园", "building": "3栋", "floor": "12", "unit": "1202"}]


def test_utf16_with_bom_as_excel_unicode_text() -> None:
    data = "site\tbuilding\tfloor\r\n西区\tB\t1\r\n".encode("utf-16")
    assert values(data) == [{"site": "西区", "building": "B", "floor": "1"}]


def test_bytes_in_no_known_encoding_are_a_read_error() -> None:
    with pytest.raises(ReadError, match="UTF-8 or GB18030"):
        read(b"site,building,floor\n\xff\xff\xff,\x80,1\n")


def test_bom_then_invalid_utf8_is_a_read_error() -> None:
    with pytest.raises(ReadError, match="UTF-8"):
        read(b"\xef\xbb\xbfsite,building,floor\n\xff,b,1\n")


def test_old_xls_is_named() -> None:
    with pytest.raises(ReadError, match=r"\.xls"):
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))


# --- delimiters, quoting, line ends ----------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter_is_sniffed_from_the_header(delimiter: str) -> None:
    others = "".join(d for d in ",;\t" if d != delimiter)  # stay part of the value
    header = delimiter.join(["site", "building", "floor"])
    line = delimiter.join([f"a{others}b", "B", "1"])
    assert values(f"{header}\n{line}\n".encode()) == [
        {"site": f"a{others}b", "building": "B", "floor": "1"}
    ]


def test_quoted_fields_hold_delimiters_quotes_and_newlines() -> None:
    data = b'site,building,floor,unit\r\n"North, East","B ""old""","3","line one\r\nline two"\r\n'
    rows, problems = read(data)
    assert problems == []
    assert rows == [
        Row(
            2,
            {
                "site": "North, East",
                "building": 'B "old"',
                "floor": "3",
                "unit": "line one\nline two",
            },
        )
    ]


def test_line_numbers_count_physical_lines_and_skip_blank_ones() -> None:
    data = b'\r\nsite,building,floor\r\n\r\nA,B,1\r\n  ,  ,\r\n"A\nstill A",B,2\r\nA,B,3\r\n\r\n'
    rows, problems = read(data)
    assert problems == []
    assert [(row.line, row.values["floor"]) for row in rows] == [(4, "1"), (6, "2"), (8, "3")]


def test_values_and_headers_are_stripped_and_headers_match_case_insensitively() -> None:
    data = "  SITE , Building,\t楼层 \nNorth ,  B , 3\n".encode()
    assert values(data) == [{"site": "North", "building": "B", "floor": "3"}]


def test_short_rows_give_empty_values_and_unknown_headers_are_ignored() -> None:
    data = b"site,notes,building,floor,unit\nA,anything,B\n"
    assert values(data) == [{"site": "A", "building": "B", "floor": "", "unit": ""}]


def test_optional_columns_absent_from_the_header_are_absent_from_values() -> None:
    assert values(b"site,building,floor\nA,B,1\n") == [{"site": "A", "building": "B", "floor": "1"}]


def test_a_row_wider_than_the_header_is_a_problem() -> None:
    rows, problems = read(b"site,building,floor\nA,B,1\nNorth, East,B,1\nC,D,2,,\n")
    assert [row.line for row in rows] == [2, 4]
    assert problems == [Problem(3, "", problems[0].reason)]
    assert "4 values" in problems[0].reason


def test_an_unclosed_quote_is_a_read_error_with_its_line() -> None:
    with pytest.raises(ReadError, match="line 3"):
        read(b'site,building,floor\nA,B,1\n"C,D,2\nE,F,3\n')


# --- header problems --------------------------------------------------------------------------


def test_a_column_named_twice_is_a_read_error() -> None:
    with pytest.raises(ReadError, match="'site' is named twice"):
        read("site,building,园区,floor\nA,B,C,1\n".encode())


def test_unknown_headers_may_repeat_and_be_empty() -> None:
    assert values(b"note,site,,note,building,floor,,\nx,A,,y,B,1,,\n") == [
        {"site": "A", "building": "B", "floor": "1"}
    ]


def test_a_missing_required_column_is_named_with_the_headers_found() -> None:
    with pytest.raises(ReadError) as caught:
        read("园区,楼层,remark\nA,1,x\n".encode())
    message = str(caught.value)
    assert "'building'" in message
    assert "楼栋" in message
    assert "'remark'" in message
    assert "'site'" not in message.split(";", maxsplit=1)[0]


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"  \n\t\n"])
def test_no_header_is_a_read_error(data: bytes) -> None:
    with pytest.raises(ReadError, match="no header"):
        read(data)


def test_a_header_wider_than_the_cap_is_a_read_error() -> None:
    header = ",".join(["site", "building", "floor", *(f"c{i}" for i in range(MAX_COLUMNS))])
    with pytest.raises(ReadError, match="columns"):
        read(header.encode() + b"\n")


def test_a_contradictory_column_spec_is_the_callers_bug() -> None:
    with pytest.raises(ValueError, match="both") as caught:
        read_table(b"a\n", {"a": ["x"], "b": ["X "]}, ())
    assert not isinstance(caught.value, ReadError)
    with pytest.raises(ValueError, match="not in columns"):
        read_table(b"a\n", {"a": []}, ("b",))


# --- control characters -------------------------------------------------------------------------


def test_nul_in_a_value_makes_the_row_a_problem() -> None:
    data = b"site,building,floor\nA,B,1\nA,B\x00x,2\nA,B,3\n"
    rows, problems = read(data)
    assert [row.line for row in rows] == [2, 4]
    assert len(problems) == 1
    assert (problems[0].line, problems[0].column) == (3, "building")
    assert "NUL" in problems[0].reason


def test_other_control_characters_are_problems_but_tab_is_not() -> None:
    data = b'site;building;floor\nA\x07;B;1\nA\tA;B;2\n"A";"B\x1b";"\x7f"\n'
    rows, problems = read(data)
    assert [row.values["site"] for row in rows] == ["A\tA"]
    assert [(p.line, p.column) for p in problems] == [(2, "site"), (4, "building"), (4, "floor")]
    assert "U+0007" in problems[0].reason


def test_control_characters_in_unknown_columns_do_not_matter() -> None:
    assert values(b"site,building,floor,note\nA,B,1,\x00\n") == [
        {"site": "A", "building": "B", "floor": "1"}
    ]


# --- xlsx ----------------------------------------------------------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_numbers_and_dates_become_text() -> None:
    data = _xlsx(
        [
            ["园区", "楼栋", "楼层", "单元", "安装日期", "费用"],
            ["东区", 3, 12.0, None, date(2021, 6, 30), 1250.5],
            [None, None, None, None, None, None],
            [" 西区 ", "B", -1, "0301", datetime(2022, 1, 2, 8, 30, 15), 0],
        ]
    )
    rows, problems = read(data, "assets.xlsx")
    assert problems == []
    assert rows == [
        Row(
            2,
            {
                "site": "东区",
                "building": "3",
                "floor": "12",
                "unit": "",
                "installed_on": "2021-06-30",
                "cost": "1250.5",
            },
        ),
        Row(
            4,
            {
                "site": "西区",
                "building": "B",
                "floor": "-1",
                "unit": "0301",
                "installed_on": "2022-01-02T08:30:15",
                "cost": "0",
            },
        ),
    ]


def test_xlsx_is_recognised_by_its_magic_without_a_filename() -> None:
    data = _xlsx([["site", "building", "floor"], ["A", "B", 1]])
    assert values(data) == [{"site": "A", "building": "B", "floor": "1"}]


def test_xlsx_header_checks() -> None:
    with pytest.raises(ReadError, match="'floor'"):
        read(_xlsx([["site", "building"], ["A", "B"]]))
    with pytest.raises(ReadError, match="named twice"):
        read(_xlsx([["site", "building", "floor", "楼号"]]))


def test_not_a_workbook_named_xlsx_is_a_read_error() -> None:
    with pytest.raises(ReadError, match="xlsx"):
        read(b"site,building,floor\nA,B,1\n", "places.XLSX")


# --- parse_time ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T08:30:00+08:00", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2024-03-01T00:30:00Z", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2024-03-01T00:30:00.250z", datetime(2024, 3, 1, 0, 30, 0, 250000, tzinfo=UTC)),
        ("2024-03-01 02:30-0100", datetime(2024, 3, 1, 3, 30, tzinfo=UTC)),
        ("2024-03-01T08:30:00", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2024-03-01 08:30", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2024-03-01 08:30:59", datetime(2024, 3, 1, 0, 30, 59, tzinfo=UTC)),
        ("2024/03/01 08:30:05", datetime(2024, 3, 1, 0, 30, 5, tzinfo=UTC)),
        ("2024/3/1 8:30", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
        ("2024-03-01", datetime(2024, 2, 29, 16, 0, tzinfo=UTC)),
        ("  2024/03/01 ", datetime(2024, 2, 29, 16, 0, tzinfo=UTC)),
        ("20240301T083000", datetime(2024, 3, 1, 0, 30, tzinfo=UTC)),
    ],
)
def test_parse_time_in_shanghai(text: str, expected: datetime) -> None:
    parsed = parse_time(text, SHANGHAI)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-15 09:00", datetime(2024, 1, 15, 14, 0, tzinfo=UTC)),  # EST, -5
        ("2024-07-15 09:00", datetime(2024, 7, 15, 13, 0, tzinfo=UTC)),  # EDT, -4
        ("2024-03-10", datetime(2024, 3, 10, 5, 0, tzinfo=UTC)),  # the day clocks go forward
        # 02:30 does not exist that night: read with the offset before (as 03:30 EDT).
        ("2024-03-10 02:30", datetime(2024, 3, 10, 7, 30, tzinfo=UTC)),
        ("2024-03-10 03:30", datetime(2024, 3, 10, 7, 30, tzinfo=UTC)),
        # 01:30 happens twice when clocks go back: the first one (EDT).
        ("2024-11-03 01:30", datetime(2024, 11, 3, 5, 30, tzinfo=UTC)),
        ("2024-11-03T01:30-05:00", datetime(2024, 11, 3, 6, 30, tzinfo=UTC)),
    ],
)
def test_parse_time_in_a_dst_zone(text: str, expected: datetime) -> None:
    assert parse_time(text, NEW_YORK) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2024-13-01",
        "2024-02-30 08:00",
        "2024-03-01 25:00",
        "2024-03-01 08:61",
        "2024-03/01",
        "01/03/2024",
        "2024-03-01T08:30+25:00",
        "2024-03-01T08:30+05:99",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_parse_time_rejects_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_time(text, SHANGHAI)


# --- properties --------------------------------------------------------------------------------------


@cache
def _sample_xlsx() -> bytes:
    return _xlsx([["site", "building", "floor"], ["A", "B", 1], ["C", "D", 2.5]])


@st.composite
def _damaged_xlsx(draw: st.DrawFn) -> bytes:
    data = bytearray(_sample_xlsx())
    cut = draw(st.integers(0, len(data)))
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: max(cut, 4)])


_HEADER = b"site,building,floor\r\n"
_ANY_BYTES = st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda tail: _HEADER + tail),
    st.text(max_size=200).map(lambda tail: _HEADER + tail.encode()),
    st.text(alphabet=',;\t"\r\n \x00ab园区楼栋', max_size=200).map(str.encode),
    st.binary(max_size=200).map(lambda tail: b"PK\x03\x04" + tail),
    _damaged_xlsx(),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_ANY_BYTES, as_xlsx=st.booleans())
def test_read_table_returns_or_raises_read_error_only(data: bytes, as_xlsx: bool) -> None:
    try:
        rows, problems = read(data, "f.xlsx" if as_xlsx else "f.csv")
    except ReadError as error:
        assert str(error)
        return
    for row in rows:
        assert set(row.values) <= set(COLUMNS)
        assert all("\x00" not in value for value in row.values.values())
    assert all(problem.reason for problem in problems)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet="0123456789-/:T Z+.", max_size=30)))
def test_parse_time_returns_utc_or_raises_value_error_only(text: str) -> None:
    try:
        parsed = parse_time(text, NEW_YORK)
    except ValueError:
        return
    assert parsed.tzinfo is UTC


def _slow_parse(text: str, zone: ZoneInfo) -> datetime | str:
    """parse_time as it reads a text without its fast path for plain ISO 8601."""
    match = reader._TIME.fullmatch(text)
    try:
        parsed = reader._from_match(match) if match else datetime.fromisoformat(text)
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError):
        return "refused"


_TWO = st.integers(0, 99).map(lambda n: f"{n:02d}")


@settings(max_examples=500, deadline=None)
@given(
    year=st.integers(1, 9999).map(lambda n: f"{n:04d}"),
    month=_TWO,
    day=_TWO,
    clock=st.one_of(
        st.just(""),
        st.tuples(
            st.sampled_from("T "),
            _TWO,
            _TWO,
            st.sampled_from(["", ":00", ":59", ":60"]),
            st.sampled_from(["", ".5", ".123456", ".1234567"]),
            st.sampled_from(["", "Z", "+08:00", "-05:30", "+23:59", "+24:00", "-00:00"]),
        ).map("".join),
    ),
)
def test_the_fast_path_for_plain_iso_8601_reads_as_the_general_one(
    year: str, month: str, day: str, clock: str
) -> None:
    text = f"{year}-{month}-{day}{clock}"
    try:
        fast: datetime | str = parse_time(text, NEW_YORK)
    except ValueError:
        fast = "refused"
    assert fast == _slow_parse(text, NEW_YORK)
