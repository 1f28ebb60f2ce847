"""`python -m services.importer KIND FILE [--site S] [--dry-run] [--skip-bad REJECTS.csv]`.

Reads a history file as people have it (UTF-8 or GB18030, comma or semicolon, `.xlsx`),
checks every row, and sends the rows to the service that owns them, all or nothing: with
a bad row nothing is imported and every bad row is listed with its line, column and
reason; with `--skip-bad` the good rows are imported and the bad ones written, with their
reasons, to REJECTS.csv. The last line is `inserted= updated= unchanged= rejected=`; the
exit status is 1 when rows were rejected, 2 when the file cannot be read at all, 3 when
the owning service cannot be reached or refuses (IMPORTER_INTAKE_TARGET, 127.0.0.1:50051).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from pathlib import Path

import grpc
from maintenance.intake.v1 import (
    assets_pb2,
    assets_pb2_grpc,
    intake_pb2,
    places_pb2,
    places_pb2_grpc,
)

from services.importer.kinds import KINDS, Message
from services.importer.reader import Problem, ReadError, Row, read_table
from services.importer.settings import ImporterSettings

__all__ = ["main"]

_ACTOR = intake_pb2.Actor(username="importer", role=intake_pb2.ROLE_SYSTEM,
                          channel=intake_pb2.CHANNEL_API)  # fmt: skip


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.importer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("kind", choices=sorted(KINDS), help="what the file holds")
    parser.add_argument("file", type=Path, help="CSV (UTF-8 or GB18030) or .xlsx")
    parser.add_argument("--site", default="", help="the site of rows that name none")
    parser.add_argument("--dry-run", action="store_true", help="check and count, import nothing")
    parser.add_argument("--skip-bad", type=Path, metavar="REJECTS.csv",
                        help="import the good rows, write the bad ones here with their reasons")  # fmt: skip
    return parser.parse_args(argv)


class _Progress:
    """Rows sent so far and their rate, on one line of standard error."""

    def __init__(self, total: int) -> None:
        self._total, self._done, self._started = total, 0, time.monotonic()

    def add(self, rows: int) -> None:
        self._done += rows
        rate = self._done / max(time.monotonic() - self._started, 1e-6)
        width = 30
        filled = width * self._done // max(self._total, 1)
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {self._done}/{self._total} rows,"
              f" {rate:,.0f} rows/s", end="", file=sys.stderr, flush=True)  # fmt: skip

    def close(self) -> None:
        print(file=sys.stderr)


Reply = places_pb2.ImportPlacesResponse | assets_pb2.ImportAssetsResponse


async def _send(kind: str, target: str, rows: list[Message], dry_run: bool) -> Reply:
    """All rows in one call and one transaction at the owning service."""
    places = [r for r in rows if isinstance(r, places_pb2.PlaceRow)]
    assets = [r for r in rows if isinstance(r, assets_pb2.AssetRow)]
    async with grpc.aio.insecure_channel(target) as channel:
        if kind == "assets":
            return await assets_pb2_grpc.AssetServiceStub(channel).ImportAssets(
                assets_pb2.ImportAssetsRequest(actor=_ACTOR, rows=assets, dry_run=dry_run),
                timeout=600,
            )
        return await places_pb2_grpc.PlaceServiceStub(channel).ImportPlaces(
            places_pb2.ImportPlacesRequest(actor=_ACTOR, rows=places, dry_run=dry_run), timeout=600
        )


def _write_rejects(path: Path, rows: list[Row], problems: list[Problem]) -> None:
    by_line = {r.line: r for r in rows}
    columns = sorted({c for r in rows for c in r.values})
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "column", "reason", *columns])
        for p in sorted(problems, key=lambda p: (p.line, p.column)):
            values = by_line[p.line].values if p.line in by_line else {}
            writer.writerow([p.line, p.column, p.reason, *(values.get(c, "") for c in columns)])


def run(argv: list[str] | None = None) -> int:
    """Import one file; returns the exit status."""
    args = _arguments(argv)
    target = ImporterSettings().intake_target
    kind = KINDS[args.kind]
    try:
        rows, problems = read_table(
            args.file.read_bytes(), kind.columns, kind.required, args.file.name
        )
    except (OSError, ReadError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    unreadable = {p.line for p in problems}
    converted = [kind.convert(r, args.site) for r in rows if r.line not in unreadable]
    problems += [c for c in converted if isinstance(c, Problem)]
    wanted = [c for c in converted if not isinstance(c, Problem)]
    # Without --skip-bad a bad row stops the import; the rest is still checked (not
    # written) so that every problem is reported at once.
    all_or_nothing = not args.skip_bad
    progress = _Progress(len(rows))
    reply = asyncio.run(
        _send(kind.name, target, wanted, args.dry_run or bool(problems and all_or_nothing))
    )
    progress.add(len(rows))
    problems += [Problem(p.line, p.column, p.reason) for p in reply.problems]
    if reply.problems and not all_or_nothing:  # again, without the rows the service refused
        refused = {p.line for p in reply.problems}
        reply = asyncio.run(
            _send(kind.name, target, [w for w in wanted if w.line not in refused], args.dry_run)
        )
    progress.close()
    for p in sorted(problems, key=lambda p: (p.line, p.column)):
        print(f"{args.file}:{p.line}: {p.column}: {p.reason}", file=sys.stderr)
    if args.skip_bad and problems:
        _write_rejects(args.skip_bad, rows, problems)
    written = not (problems and all_or_nothing)
    counts = (reply.inserted, reply.updated, reply.unchanged) if written else (0, 0, 0)
    rejected = len({p.line for p in problems})
    print(f"kind={kind.name} inserted={counts[0]} updated={counts[1]} unchanged={counts[2]}"
          f" rejected={rejected} dry_run={str(args.dry_run).lower()}")  # fmt: skip
    return 1 if rejected else 0


def main() -> None:
    try:
        sys.exit(run())
    except grpc.aio.AioRpcError as exc:
        print(f"the service refused or could not be reached: {exc.code().name}: {exc.details()}",
              file=sys.stderr)  # fmt: skip
        sys.exit(3)
