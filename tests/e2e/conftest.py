"""The system as real processes on free ports, against a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.e2e.system import System, running_system

RATING_WINDOW_S = 2.0


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    # No dispatch rules are seeded: these tests drive tickets by hand, and dispatch leaves
    # a site without rules alone (its flows are tested in tests/e2e/test_service_levels*.py
    # and tests/integration/test_dispatch_*).
    with running_system(
        tmp_path_factory.mktemp("e2e") / "system.log",
        INTAKE_RATING_WINDOW_S=str(RATING_WINDOW_S),
        INTAKE_AUTO_CLOSE_EVERY_S="0.3",
        INGESTOR_OFFLINE_CHECK_EVERY_S="0.5",
        INGESTOR_REPEAT_EVENT_EVERY_S="0",
        PREDICTOR_CYCLE_EVERY_S="2",
        ANALYTICS_GAUGES_EVERY_S="0.5",
        PREDICTOR_MAX_ITER="30",
    ) as running:
        yield running


def signed_in(system: System) -> Iterator[Callable[[str], httpx.Client]]:
    """`make("tenant1")` is an HTTP client signed in as that demo user (closed afterwards)."""
    tokens: dict[str, str] = {}
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        if username not in tokens:
            tokens[username] = system.token(username)
        client = system.client(tokens[username])
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def as_user(system: System) -> Iterator[Callable[[str], httpx.Client]]:
    """`as_user("tenant1")` is an HTTP client signed in as that demo user."""
    yield from signed_in(system)
