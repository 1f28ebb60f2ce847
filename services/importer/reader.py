"""Reading import files as people have them: CSV (UTF-8 with or without BOM, UTF-16 with BOM,
GB18030/GBK; comma, semicolon or tab) and `.xlsx`, into rows keyed by canonical column names.

Pure: bytes in, rows and problems out. No database, no network, no files.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Collection, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from operator import itemgetter
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Problem",
    "ReadError",
    "Row",
    "parse_time",
    "read_table",
]

MAX_ROWS = 2_000_000
"""At most this many data rows (blank lines not counted)."""
MAX_COLUMNS = 200
"""At most this many header cells (trailing empty ones not counted)."""

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS = (",", ";", "\t")
# Control characters a value may not hold; tab and line ends (quoted newlines) are fine.
_BAD_CHAR = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]")
_SHOWN_HEADERS = 20
_SHOWN_CHARS = 40


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: `line` is its 1-based line in the file (the header is line 1; for .xlsx the
    sheet's row number); `values` holds every known column the header has, by canonical name,
    stripped of surrounding white space ("" when the cell is empty or missing)."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that cannot be used as it is: `column` is the canonical column name, or "" when
    the row as a whole is wrong; `reason` is meant for the person who made the file."""

    line: int
    column: str
    reason: str


class ReadError(ValueError):
    """The file as a whole cannot be read; the message names the problem."""


def read_table(
    data: bytes,
    columns: Mapping[str, Sequence[str]],
    required: Collection[str],
    filename: str = "",
    extra_columns: bool = False,
) -> tuple[list[Row], list[Problem]]:
    """Read a CSV or .xlsx file into rows keyed by canonical column name.

    `columns` maps each canonical name to its accepted header spellings (the canonical name is
    always accepted too); matching ignores case and surrounding white space; unknown headers
    are ignored, or with `extra_columns` kept under their header as written (stripped; a wide
    file's one column per metric). The header is the first non-blank line; blank lines are skipped. A row with a
    control character (other than tab or a line end) in a known column, or with more values
    than the header has columns, becomes a `Problem` instead of a `Row`.

    Raises `ReadError` when the encoding is unknown, the file has no header, a column is named
    twice, a required column is missing, the CSV quoting is broken, the .xlsx cannot be opened,
    or there are more than `MAX_ROWS` rows or `MAX_COLUMNS` columns. A `columns`/`required`
    pair that contradicts itself is the caller's bug: `ValueError` (not `ReadError`).
    """
    aliases = _aliases(columns, required)
    if data.startswith(_XLS_MAGIC):
        raise ReadError("this is an old .xls workbook; save it as .xlsx or as CSV UTF-8")
    is_xlsx = filename.lower().endswith(".xlsx") or data.startswith(_XLSX_MAGIC)
    text = "" if is_xlsx else _decode(data)
    records = _xlsx_records(data) if is_xlsx else _csv_records(text)
    # A text with no control character anywhere spares each row the search for one.
    clean = not is_xlsx and _BAD_CHAR.search(text) is None

    layout: _Layout | None = None
    rows: list[Row] = []
    problems: list[Problem] = []
    count = 0
    with _closing(records), _no_gc():
        for line, cells in records:
            joined = "".join(cells)
            if not joined.strip():
                continue
            if layout is None:
                index = _map_header(_trim(cells), aliases, columns, required, extra_columns)
                layout = _Layout(len(cells), index)
                plain, needed, width = layout.plain, layout.needed, layout.width
                continue
            count += 1
            if count > MAX_ROWS:
                raise ReadError(f"more than {MAX_ROWS:,} rows (at line {line}); split the file")
            if (
                needed <= len(cells) <= width
                and "\r" not in joined
                and (clean or not _BAD_CHAR.search(joined))
            ):
                rows.append(Row(line, plain(cells)))
                continue
            row, row_problems = _row(line, cells, width, layout.index)
            if row_problems:
                problems.extend(row_problems)
            else:
                rows.append(row)
    if layout is None:
        raise ReadError("the file has no header line (it is empty or holds only blank lines)")
    return rows, problems


@contextmanager
def _closing(records: Iterator[tuple[int, list[str]]]) -> Iterator[None]:
    """Close a generator of records (an .xlsx workbook's) after the block."""
    try:
        yield
    finally:
        if isinstance(records, Generator):
            records.close()


@contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection for the block: rows hold no cycles, and collecting while
    a million of them are made costs about a fifth of the time to read them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _Layout:
    """Where the header puts each column, and the quick way to read a plain row: one with no
    more cells than the header, every known column present, and nothing to clean (`plain`
    reads it; `needed` and `width` bound its cells)."""

    def __init__(self, width: int, index: Mapping[str, int]) -> None:
        self.width = width  # cells in the header line, trailing empty ones included
        self.index = index
        self.needed = max(index.values(), default=-1) + 1
        names = tuple(index)
        pick = itemgetter(*index.values()) if len(index) > 1 else None

        def plain(cells: list[str]) -> dict[str, str]:
            if pick is None:  # one known column or none
                return {name: cells[index[name]].strip() for name in names}
            return dict(zip(names, map(str.strip, pick(cells)), strict=False))

        self.plain = plain


def _aliases(columns: Mapping[str, Sequence[str]], required: Collection[str]) -> dict[str, str]:
    """Header spelling (normalised) -> canonical name."""
    aliases: dict[str, str] = {}
    for name, spellings in columns.items():
        for spelling in (name, *spellings):
            key = _norm(spelling)
            if aliases.setdefault(key, name) != name:
                raise ValueError(
                    f"header {spelling!r} is given for both {aliases[key]!r} and {name!r}"
                )
    unknown = [name for name in required if name not in columns]
    if unknown:
        raise ValueError(f"required columns not in columns: {', '.join(sorted(unknown))}")
    return aliases


def _norm(header: str) -> str:
    return header.strip().strip("\ufeff").strip().casefold()


def _trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip():
        end -= 1
    return cells[:end]


def _map_header(
    header: list[str],
    aliases: Mapping[str, str],
    columns: Mapping[str, Sequence[str]],
    required: Collection[str],
    extra_columns: bool = False,
) -> dict[str, int]:
    """Canonical name (or, with `extra_columns`, an unknown header) -> 0-based position."""
    if len(header) > MAX_COLUMNS:
        raise ReadError(f"the header has {len(header)} columns; at most {MAX_COLUMNS} are read")
    index: dict[str, int] = {}
    for position, cell in enumerate(header):
        name = aliases.get(_norm(cell))
        if name is None and extra_columns and cell.strip():
            name = cell.strip().strip("\ufeff").strip()
        if name is None:
            continue
        if name in index:
            first = header[index[name]]
            raise ReadError(
                f"column {name!r} is named twice in the header: {_shown(first)!r} "
                f"(column {index[name] + 1}) and {_shown(cell)!r} (column {position + 1})"
            )
        index[name] = position
    missing = [name for name in required if name not in index]
    if missing:
        wanted = "; ".join(
            f"{name!r} (accepted: {', '.join(dict.fromkeys([name, *columns[name]]))})"
            for name in sorted(missing)
        )
        found = ", ".join(repr(_shown(cell)) for cell in header[:_SHOWN_HEADERS] if cell.strip())
        if len(header) > _SHOWN_HEADERS:
            found += ", ..."
        plural = "s" if len(missing) > 1 else ""
        raise ReadError(
            f"missing required column{plural} {wanted}; the header has: {found or '(nothing)'}"
        )
    return index


def _shown(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _row(
    line: int, cells: list[str], width: int, index: Mapping[str, int]
) -> tuple[Row, list[Problem]]:
    problems: list[Problem] = []
    extra = _trim(cells[width:])
    if extra:
        problems.append(
            Problem(
                line,
                "",
                f"the row has {width + len(extra)} values but the header only {width} "
                "columns (a delimiter inside a value that is not quoted?)",
            )
        )
    values: dict[str, str] = {}
    for name, position in index.items():
        value = cells[position].strip() if position < len(cells) else ""
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        bad = _BAD_CHAR.search(value)
        if bad is None:
            values[name] = value
            continue
        char = bad.group()
        what = "a NUL byte" if char == "\x00" else f"the control character U+{ord(char):04X}"
        problems.append(Problem(line, name, f"contains {what} at character {bad.start() + 1}"))
    return Row(line, values), problems


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ReadError(
        f"cannot read the text: it is not {' or '.join(e.upper() for e in encodings)} "
        "(save it as CSV UTF-8, or as .xlsx)"
    )


def _sniff(text: str) -> str:
    """The delimiter the header line uses most (outside quotes); comma when it has none."""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            counts = dict.fromkeys(_DELIMITERS, 0)
            quoted = False
            for char in line:
                if char == '"':
                    quoted = not quoted
                elif not quoted and char in counts:
                    counts[char] += 1
            best = max(_DELIMITERS, key=lambda d: counts[d])
            return best if counts[best] else ","
    return ","


def _csv_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells) for each record, blank ones included."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_sniff(text), skipinitialspace=True, strict=True
    )
    if '"' not in text:  # nothing quoted: a record per line, and no quoting to break
        return enumerate(reader, start=1)
    return _quoted_records(reader)


def _quoted_records(reader: Any) -> Generator[tuple[int, list[str]], None, None]:
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ReadError(
                f"line {start}: the quoting is broken ({error}); a quote opened and not closed?"
            ) from None
        yield start, cells
        start = reader.line_num + 1


def _xlsx_records(data: bytes) -> Generator[tuple[int, list[str]], None, None]:
    """(sheet row number, cells) for each row of the first worksheet."""
    # Imported lazily: only .xlsx files need it, and it is slow to import.
    import openpyxl  # noqa: PLC0415

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:
        raise ReadError(f"cannot open the .xlsx file: {_describe(error)}") from None
    try:
        if not book.worksheets:
            raise ReadError("the .xlsx file has no worksheet")
        sheet = book.worksheets[0]
        # One column more than allowed, so that a header too wide is still seen.
        cells = sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True)
        line = 0
        while True:
            try:
                values = next(cells)
            except StopIteration:
                return
            except Exception as error:
                raise ReadError(
                    f"cannot read the .xlsx file after row {line}: {_describe(error)}"
                ) from None
            line += 1
            yield line, [_cell_text(value) for value in values]
    finally:
        book.close()


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def _cell_text(value: object) -> str:
    """A cell as text: ints without ".0", dates and times ISO 8601 (a datetime at midnight as a
    date alone, since that is what a date cell holds), booleans as Excel shows them."""
    match value:
        case None:
            return ""
        case bool():
            return "TRUE" if value else "FALSE"
        case float() if value.is_integer():
            return str(int(value))
        case datetime():
            if value.time() == time() and value.tzinfo is None:
                return value.date().isoformat()
            return value.isoformat()
        case date() | time():
            return value.isoformat()
        case timedelta():
            return str(value)
        case _:
            return str(value).strip()


_TIME = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    r"(?:[T ]\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)


# Plain ISO 8601 with every field in range, which `datetime.fromisoformat` reads as `_TIME`
# does (tests/unit/test_importer_reader.py holds the two to the same answers).
_ISO = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?)?"
)


def parse_time(text: str, zone: ZoneInfo) -> datetime:
    """Parse a timestamp into an aware UTC datetime.

    Accepts ISO 8601 (with `T` or a space, with or without a zone or offset), the same with
    `/` between the date parts (`2024/3/1 8:30`, as Excel writes it), and a date alone
    (midnight). A time without a zone is in `zone`; a wall time that occurs twice when the
    clocks go back is the earlier one, and one skipped when they go forward is read with the
    offset before the change (02:30 on a spring-forward night is 03:30 after it).
    Raises `ValueError` naming the text otherwise.
    """
    stripped = text.strip()
    try:
        parsed = _parse(stripped)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ValueError(
            f"not a time: {_shown(text)!r} ({error}); use ISO 8601 like 2024-03-01T08:30:00, "
            "2024-03-01 08:30 or 2024-03-01"
        ) from None


def _parse(text: str) -> datetime:
    if _ISO.fullmatch(text):  # the common case, read by the C parser
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # a day the month does not have: worded below
    match = _TIME.fullmatch(text)
    return _from_match(match) if match else datetime.fromisoformat(text)


def _from_match(match: re.Match[str]) -> datetime:
    part = match.group
    fraction = (part("fraction") or "").ljust(6, "0")[:6]
    zone_text = part("zone")
    tz: timezone | None = None
    if zone_text and zone_text.upper() == "Z":
        tz = UTC
    elif zone_text:
        digits = zone_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if minutes > 59:
            raise ValueError(f"offset minutes out of range in {zone_text!r}")
        offset = timedelta(hours=hours, minutes=minutes)
        tz = timezone(-offset if zone_text[0] == "-" else offset)
    return datetime(
        int(part("year")),
        int(part("month")),
        int(part("day")),
        int(part("hour") or 0),
        int(part("minute") or 0),
        int(part("second") or 0),
        int(fraction),
        tzinfo=tz,
    )
