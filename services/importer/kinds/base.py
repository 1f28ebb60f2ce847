"""What every kind of history file has: its columns, how a row becomes a message for the
owning service, and how the messages are sent there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import grpc
from maintenance.intake.v1 import intake_pb2, places_pb2, places_pb2_grpc

from services.importer.reader import Problem, Row

__all__ = [
    "ACTOR",
    "Context",
    "Kind",
    "Line",
    "Outcome",
    "Progress",
    "Targets",
    "problems_of",
    "site_zones",
]

#: Who imports, as intake knows them.
ACTOR = intake_pb2.Actor(username="importer", role=intake_pb2.ROLE_SYSTEM,
                         channel=intake_pb2.CHANNEL_API)  # fmt: skip

Progress = Callable[[int], None]
"""Told how many more rows were sent."""


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the owning services listen (gRPC host:port)."""

    intake: str
    ingestor: str


class Line(Protocol):
    """A message for the owning service that remembers its line in the file."""

    @property
    def line(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the owning service did or, on a dry run, would do; with problems, nothing."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Context:
    """What converting a row may need: the site of rows that name none, each known site's
    time zone, and whatever else a kind looked up before (e.g. each device's site)."""

    site: str
    zones: Mapping[str, ZoneInfo] = field(default_factory=dict)
    lookup: Mapping[str, str] = field(default_factory=dict)

    def zone(self, site: str) -> ZoneInfo:
        """The site's zone (UTC for a site intake does not know: its rows are refused there)."""
        return self.zones.get(site) or ZoneInfo("UTC")


async def _plain(_targets: Targets, site: str) -> Context:
    return Context(site)


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of file: its columns by canonical name with the headers accepted for each, which
    of them every file must have, whether unknown columns are kept (wide files), how to learn
    what conversion needs, how a row becomes a message, and how messages are sent."""

    name: str
    columns: Mapping[str, Sequence[str]]
    required: frozenset[str]
    convert: Callable[[Row, Context], Any]
    send: Callable[[Targets, Sequence[Any], bool, Progress], Awaitable[Outcome]]
    prepare: Callable[[Targets, str], Awaitable[Context]] = _plain
    extra_columns: bool = False


def problems_of(replies: Sequence[places_pb2.RowProblem]) -> list[Problem]:
    """The service's row problems as the importer's."""
    return [Problem(p.line, p.column, p.reason) for p in replies]


async def site_zones(targets: Targets, site: str) -> Context:
    """A context with every site's time zone, from intake."""
    async with grpc.aio.insecure_channel(targets.intake) as channel:
        reply = await places_pb2_grpc.PlaceServiceStub(channel).ListSites(
            places_pb2.ListSitesRequest(actor=ACTOR), timeout=30
        )
    zones = {s.code: ZoneInfo(s.timezone or "UTC") for s in reply.sites}
    return Context(site, zones)
