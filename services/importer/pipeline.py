"""One import, start to end: read the file, turn its rows into what the owning service takes,
send them, and say what happened. The command line and the gateway's `POST /v1/import/{kind}`
both run this.

All or nothing unless `skip_bad`: with a bad row (unreadable here, or refused by the service)
nothing is written and every bad row is reported; with `skip_bad` the good rows are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from services.importer.kinds import KINDS, Outcome, Targets
from services.importer.reader import Problem, Row, read_table

__all__ = ["Result", "run_import"]


@dataclass(frozen=True, slots=True)
class Result:
    """What an import did: counts as written (zero when nothing was), every problem, and,
    for a reject file, the rejected rows as read and the columns the file had."""

    kind: str
    inserted: int
    updated: int
    unchanged: int
    problems: list[Problem]
    rejected_rows: list[Row] = field(repr=False)
    columns: list[str]
    dry_run: bool

    @property
    def rejected(self) -> int:
        """Lines with at least one problem."""
        return len({p.line for p in self.problems})

    def summary(self) -> str:
        """The key=value line the CLI ends with."""
        return (f"kind={self.kind} inserted={self.inserted} updated={self.updated}"
                f" unchanged={self.unchanged} rejected={self.rejected}"
                f" dry_run={str(self.dry_run).lower()}")  # fmt: skip


def _ignore(_rows: int) -> None:
    return None


async def run_import(
    kind_name: str,
    data: bytes,
    filename: str,
    targets: Targets,
    *,
    site: str = "",
    dry_run: bool = False,
    skip_bad: bool = False,
    progress: Callable[[int], None] = _ignore,
) -> Result:
    """Import one file of `kind_name`. Raises `ReadError` when the file as a whole cannot be
    read and `grpc.aio.AioRpcError` when the owning service cannot be reached or refuses."""
    kind = KINDS[kind_name]
    rows, problems = read_table(data, kind.columns, kind.required, filename, kind.extra_columns)
    context = await kind.prepare(targets, site)
    converted = [kind.convert(r, context) for r in rows]
    problems += [c for c in converted if isinstance(c, Problem)]
    wanted = [c for c in converted if not isinstance(c, Problem)]
    # Without skip_bad a bad row stops the import; the rest is still checked (not written)
    # so that every problem is reported at once.
    stop = bool(problems) and not skip_bad
    outcome: Outcome = await kind.send(targets, wanted, dry_run or stop, progress)
    problems += outcome.problems
    if outcome.problems and skip_bad:  # again, without the rows the service refused
        refused = {p.line for p in outcome.problems}
        kept = [w for w in wanted if w.line not in refused]
        outcome = await kind.send(targets, kept, dry_run, _ignore)
        problems += outcome.problems
    written = not (problems and not skip_bad)
    counts = (outcome.inserted, outcome.updated, outcome.unchanged) if written else (0, 0, 0)
    problems.sort(key=lambda p: (p.line, p.column))
    bad = {p.line for p in problems}
    return Result(kind.name, *counts, problems=problems,
                  rejected_rows=[r for r in rows if r.line in bad],
                  columns=sorted({c for r in rows for c in r.values}), dry_run=dry_run)  # fmt: skip
