"""`python -m services.importer KIND FILE [--site S] [--dry-run] [--skip-bad REJECTS.csv]`.

Reads a history file as people have it (UTF-8 or GB18030, comma or semicolon, `.xlsx`),
checks every row, and sends the rows to the service that owns them, all or nothing: with
a bad row nothing is imported and every bad row is listed with its line, column and
reason; with `--skip-bad` the good rows are imported and the bad ones written, with their
reasons, to REJECTS.csv. The last line is `inserted= updated= unchanged= rejected=`; the
exit status is 1 when rows were rejected, 2 when the file cannot be read at all, 3 when
the owning service cannot be reached or refuses (IMPORTER_INTAKE_TARGET, 127.0.0.1:50051;
IMPORTER_INGESTOR_TARGET, 127.0.0.1:50057).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from pathlib import Path

import grpc

from services.importer.kinds import KINDS, Targets
from services.importer.pipeline import Result, run_import
from services.importer.reader import ReadError
from services.importer.settings import ImporterSettings

__all__ = ["main", "run"]


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

    def __init__(self) -> None:
        self._done, self._started = 0, time.monotonic()

    def __call__(self, rows: int) -> None:
        self._done += rows
        rate = self._done / max(time.monotonic() - self._started, 1e-6)
        print(f"\r{self._done:,} rows sent, {rate:,.0f} rows/s", end="", file=sys.stderr,
              flush=True)  # fmt: skip

    def close(self) -> None:
        if self._done:
            print(file=sys.stderr)


def _write_rejects(path: Path, result: Result) -> None:
    by_line = {r.line: r for r in result.rejected_rows}
    columns = result.columns
    with path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "column", "reason", *columns])
        for p in result.problems:
            values = by_line[p.line].values if p.line in by_line else {}
            writer.writerow([p.line, p.column, p.reason, *(values.get(c, "") for c in columns)])


def run(argv: list[str] | None = None) -> int:
    """Import one file; returns the exit status."""
    args = _arguments(argv)
    settings = ImporterSettings()
    progress = _Progress()
    try:
        result = asyncio.run(run_import(
            args.kind, args.file.read_bytes(), args.file.name,
            Targets(settings.intake_target, settings.ingestor_target, settings.grpc_tls),
            site=args.site,
            dry_run=args.dry_run, skip_bad=bool(args.skip_bad), progress=progress))  # fmt: skip
    except (OSError, ReadError) as exc:
        print(f"{args.file}: {exc}", file=sys.stderr)
        return 2
    finally:
        progress.close()
    for p in result.problems:
        print(f"{args.file}:{p.line}: {p.column}: {p.reason}", file=sys.stderr)
    if args.skip_bad and result.problems:
        _write_rejects(args.skip_bad, result)
    print(result.summary())
    return 1 if result.rejected else 0


def main() -> None:
    try:
        sys.exit(run())
    except grpc.aio.AioRpcError as exc:
        print(f"the service refused or could not be reached: {exc.code().name}: {exc.details()}",
              file=sys.stderr)  # fmt: skip
        sys.exit(3)
