"""A message sent while the database goes away is recorded once the database is back,
within the claim's lease, and is not sent again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest

from services.common.db import create_pool
from services.notification.domain.delivery import RetryPolicy
from services.notification.domain.model import SendOutcome
from services.notification.handlers.outbox import DeliveryWorker
from tests.integration.conftest import (
    migrated_database,
    proxy_to,
)
from tests.support.tcp_proxy import TcpProxy

_AWAY_S = 1.5


class CutWhileSending:
    """A channel that takes the database away as it sends, and brings it back later."""

    def __init__(self, proxy: TcpProxy) -> None:
        self._proxy = proxy
        self.sent: list[str] = []

    def is_valid(self, url: str) -> bool:
        return True

    def describe(self, url: str) -> str:
        return url

    async def send(self, url: str, title: str, body: str) -> SendOutcome:
        self._proxy.cut()
        asyncio.get_running_loop().call_later(_AWAY_S, self._proxy.restore)
        self.sent.append(title)
        return SendOutcome(True)


@pytest.fixture
def outbox_db() -> Iterator[str]:
    """A database of its own with one pending delivery (a worker claims every due row)."""
    with migrated_database(["notification"]) as url:
        with psycopg.connect(url) as conn:
            conn.execute(
                "INSERT INTO notification.deliveries (dedupe_key, event_id, ticket_id,"
                " event_type, kind, recipient, url, channel, scheme, title, body) VALUES"
                " ('outage', 1, 't-1', 'assigned', 'assigned_to_you', 'tech1',"
                " 'json://127.0.0.1:9/x', 'json', 'json', '派单 / assigned', 'body')"
            )
        yield url


async def test_a_message_sent_while_the_database_is_away_is_recorded_when_it_is_back(
    outbox_db: str,
) -> None:
    with proxy_to(outbox_db) as (proxy, proxied_url):
        pool = create_pool(proxied_url, min_size=1, max_size=2)
        await pool.open(wait=True)
        channel = CutWhileSending(proxy)
        worker = DeliveryWorker(pool, channel, RetryPolicy(3, 0.05, 1.0), lease_s=30)
        try:
            assert await worker.deliver_due() == 1
            assert await worker.deliver_due() == 0  # recorded: nothing due any more
        finally:
            await pool.close()
    with psycopg.connect(outbox_db) as conn:
        row = conn.execute("SELECT state, attempts FROM notification.deliveries").fetchone()
    assert row == ("sent", 1)
    assert channel.sent == ["派单 / assigned"]
