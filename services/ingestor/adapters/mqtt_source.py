"""The broker side: an MQTT 5 subscriber with a persistent session and manual acknowledgements.

paho runs its network loop in its own thread (`BatchedClient`: many packets per wake-up) and
appends each message to a deque, alerts and status messages to a deque of their own (and
says so at once); the ingest loops take batches from them and acknowledge them, in bulk,
only after they are committed.
The broker keeps at most `receive_maximum` unacknowledged QoS 1 messages in flight to us,
which bounds what is held here while the database is away. QoS 0 messages have no such
bound, so they are held only while the queues hold fewer than `max_queued_bytes` of
payload; past that a QoS 0 message is dropped on arrival and counted
(`ingestor_messages_dropped_total{reason="queue_full"}`): QoS 0 means the sender accepts
losing it, and dropping it keeps the process alive and the QoS 1 messages flowing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from services.ingestor import metrics
from services.ingestor.adapters.ack_order import AckOrder
from services.ingestor.adapters.batched_client import BatchedClient
from services.ingestor.domain.model import Inbound

__all__ = ["Broker", "MqttSource", "Received"]

log = logging.getLogger(__name__)

_SESSION_EXPIRY_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Broker:
    """Where the broker is and how to sign in: `mqtt://[user:password@]host[:port]`, or
    `mqtts://...` for TLS (the system's trusted certificates; port 8883 by default)."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("MQTT_URL must look like mqtt[s]://[user:password@]host[:port]")
        tls = parts.scheme == "mqtts"
        return cls(parts.hostname, parts.port or (8883 if tls else 1883),
                   unquote(parts.username or ""), unquote(parts.password or ""), tls)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Received:
    """A message waiting to be committed, and what acknowledging it takes."""

    inbound: Inbound
    mid: int
    qos: int
    #: (connection, arrival number) for QoS 1 messages, which must be acknowledged.
    ack_key: tuple[int, int] | None = None


class MqttSource:
    """Subscribes (again on every connect) and hands out messages in arrival order, urgent
    ones (`is_urgent(topic)`) apart from the rest; `on_urgent()` is called on paho's thread
    when one arrives."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        filters: Sequence[str],
        share_group: str,
        receive_maximum: int,
        is_urgent: Callable[[str], bool] = lambda _topic: False,
        on_urgent: Callable[[], object] = lambda: None,
        max_queued_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self._host, self._port = broker.host, broker.port
        self._filters = [f"$share/{share_group}/{f}" if share_group else f for f in filters]
        self._receive_maximum = receive_maximum
        self._is_urgent, self._on_urgent = is_urgent, on_urgent
        self._queue: deque[Received] = deque()
        self._urgent: deque[Received] = deque()
        self._max_queued_bytes = max_queued_bytes
        self._queued_bytes = 0
        self._bytes_lock = threading.Lock()
        self.connected = threading.Event()
        self._acks = AckOrder()
        self._client = BatchedClient(client_id, self._on_publish)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password or None)
        if broker.tls:
            self._client.tls_set()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.reconnect_delay_set(min_delay=1, max_delay=10)

    def start(self) -> None:
        """Connect in the background (retrying until the broker answers) and start the loop."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = _SESSION_EXPIRY_S
        props.ReceiveMaximum = self._receive_maximum
        self._client.connect_async(
            self._host, self._port, keepalive=30, clean_start=False, properties=props
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect (the session and its unacknowledged messages stay at the broker)."""
        self._client.disconnect()
        self._client.loop_stop()

    def take(self, limit: int) -> list[Received]:
        """Up to `limit` messages that are not urgent, oldest first."""
        return self._take(self._queue, limit)

    def take_urgent(self, limit: int) -> list[Received]:
        """Up to `limit` urgent messages, oldest first."""
        return self._take(self._urgent, limit)

    def pending(self) -> int:
        """How many messages wait to be taken."""
        return len(self._queue) + len(self._urgent)

    def unacknowledged(self) -> int:
        """How many QoS 1 messages of this connection are not acknowledged yet."""
        return self._acks.outstanding()

    def ack(self, batch: list[Received]) -> None:
        """Acknowledge committed messages to the broker, in the order they arrived (a
        message committed early waits for those that arrived before it)."""
        keys = [item.ack_key for item in batch if item.ack_key is not None]
        self._client.ack_many(self._acks.committed(keys))

    def _take(self, queue: deque[Received], limit: int) -> list[Received]:
        """Up to `limit` items from the left (deque pops are atomic across threads)."""
        batch: list[Received] = []
        while len(batch) < limit:
            try:
                batch.append(queue.popleft())
            except IndexError:
                break
        if batch:
            with self._bytes_lock:
                self._queued_bytes -= sum(len(item.inbound.payload) for item in batch)
        return batch

    def _on_connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        self._acks.connected()
        client.subscribe([(f, SubscribeOptions(qos=1)) for f in self._filters])
        self.connected.set()
        log.info(
            "connected to mqtt://%s:%d, subscribed to %d filters",
            self._host,
            self._port,
            len(self._filters),
        )

    def _on_disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        self.connected.clear()
        log.warning("disconnected from the broker (%s); reconnecting", reason)

    def _on_publish(self, topic: str, payload: bytes, mid: int, qos: int) -> None:
        with self._bytes_lock:
            if qos == 0 and self._queued_bytes >= self._max_queued_bytes:
                metrics.DROPPED.labels("queue_full").inc()
                return
            self._queued_bytes += len(payload)
        key = self._acks.arrived(mid) if qos > 0 else None
        inbound = Inbound(topic, payload, datetime.now(UTC), time.monotonic())
        received = Received(inbound, mid, qos, key)
        if self._is_urgent(topic):
            self._urgent.append(received)
            self._on_urgent()
        else:
            self._queue.append(received)
