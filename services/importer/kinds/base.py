"""What every kind of history file has: its columns, how a row becomes a message for the
owning service, and how the messages are sent there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import grpc
from maintenance.ingestor.v1 import ingestor_pb2, ingestor_pb2_grpc
from maintenance.intake.v1 import (
    assets_pb2,
    assets_pb2_grpc,
    intake_pb2,
    places_pb2,
    places_pb2_grpc,
)

from services.common.grpc_tls import GrpcTls, aio_channel
from services.importer.reader import Problem, Row

__all__ = [
    "ACTOR",
    "Context",
    "Kind",
    "Line",
    "Outcome",
    "Progress",
    "Targets",
    "asset_sites",
    "device_sites",
    "outcome_of",
    "send_at_once",
    "site_zones",
]

#: The largest message sent or received: a file's rows in one request, every problem in one
#: reply (the services take as much).
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_OPTIONS = (("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES))  # fmt: skip

#: Who imports, as intake knows them.
ACTOR = intake_pb2.Actor(username="importer", role=intake_pb2.ROLE_SYSTEM,
                         channel=intake_pb2.CHANNEL_API)  # fmt: skip

Progress = Callable[[int], None]
"""Told how many more rows were sent."""


@dataclass(frozen=True, slots=True)
class Targets:
    """Where the owning services listen (gRPC host:port), and the mutual TLS to dial them
    with (plaintext when None)."""

    intake: str
    ingestor: str
    tls: GrpcTls | None = None

    def intake_channel(self) -> grpc.aio.Channel:
        """A channel to intake (close it, or use it with `async with`)."""
        return aio_channel(self.intake, self.tls, _OPTIONS)

    def ingestor_channel(self) -> grpc.aio.Channel:
        """A channel to the ingestor (close it, or use it with `async with`)."""
        return aio_channel(self.ingestor, self.tls, _OPTIONS)


class Line(Protocol):
    """A message for the owning service that remembers its line in the file."""

    @property
    def line(self) -> int: ...


class _RowProblem(Line, Protocol):
    @property
    def column(self) -> str: ...

    @property
    def reason(self) -> str: ...


class _Counts(Protocol):
    """An import's reply: intake's Import*Response or the ingestor's ImportCounts."""

    @property
    def inserted(self) -> int: ...

    @property
    def updated(self) -> int: ...

    @property
    def unchanged(self) -> int: ...

    @property
    def problems(self) -> Sequence[_RowProblem]: ...


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
    time zone, and what a kind looked up before: each device's site (`devices`), each
    asset's (`assets`)."""

    site: str
    zones: Mapping[str, ZoneInfo] = field(default_factory=dict)
    devices: Mapping[str, str] = field(default_factory=dict)
    assets: Mapping[str, str] = field(default_factory=dict)

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


async def send_at_once(
    dial: Callable[[], grpc.aio.Channel], call: Callable[[grpc.aio.Channel], Awaitable[_Counts]],
    rows: int, progress: Progress,
) -> Outcome:  # fmt: skip
    """One unary import call (`call` on the channel `dial` opens) for `rows` rows, and its
    outcome."""
    async with dial() as ch:
        reply = await call(ch)
    progress(rows)
    return outcome_of(reply)


def _problems_of(replies: Sequence[_RowProblem]) -> list[Problem]:
    """The service's row problems as the importer's."""
    return [Problem(p.line, p.column, p.reason) for p in replies]


def outcome_of(reply: _Counts) -> Outcome:
    """What the service says it did."""
    return Outcome(reply.inserted, reply.updated, reply.unchanged, _problems_of(reply.problems))


async def site_zones(targets: Targets) -> dict[str, ZoneInfo]:
    """Every site's time zone, from intake."""
    async with targets.intake_channel() as ch:
        reply = await places_pb2_grpc.PlaceServiceStub(ch).ListSites(
            places_pb2.ListSitesRequest(actor=ACTOR), timeout=30
        )
    return {s.code: ZoneInfo(s.timezone or "UTC") for s in reply.sites}


async def device_sites(targets: Targets) -> dict[str, str]:
    """Each registered device's site, from the ingestor."""
    sites: dict[str, str] = {}
    token = ""
    async with targets.ingestor_channel() as ch:
        stub = ingestor_pb2_grpc.DeviceServiceStub(ch)
        while True:
            page = await stub.ListDevices(
                ingestor_pb2.ListDevicesRequest(page_size=500, page_token=token), timeout=30
            )
            sites.update((d.device_id, d.location.site) for d in page.devices)
            if not (token := page.next_page_token):
                return sites


async def asset_sites(targets: Targets) -> dict[str, str]:
    """Each asset's site, from intake."""
    sites: dict[str, str] = {}
    token = ""
    async with targets.intake_channel() as ch:
        stub = assets_pb2_grpc.AssetServiceStub(ch)
        while True:
            page = await stub.ListAssets(
                assets_pb2.ListAssetsRequest(actor=ACTOR, page_size=500, page_token=token),
                timeout=30,
            )
            sites.update((a.asset_id, a.site) for a in page.assets)
            if not (token := page.next_page_token):
                return sites
