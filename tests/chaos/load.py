"""The load a fault run drives, counting what the system acknowledged: tickets raised over
REST (acknowledged by a 201) and leak alerts published over MQTT with QoS 1 (acknowledged
by the broker's PUBACK). A failed REST call is tried again with the same Idempotency-Key,
as a client should; an alert is published once (paho resends it until acknowledged)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from tests.e2e.helpers import new_ticket

__all__ = ["AlertPublisher", "Paced", "Sent", "TicketRaiser", "ticket_title"]

#: How long one item is tried before it counts as not acknowledged.
GIVE_UP_S = 30.0


@dataclass
class Sent:
    """What a load sent: every key tried, and those the system acknowledged."""

    tried: list[str] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)

    def record(self, key: str, acked: bool) -> None:
        self.tried.append(key)
        if acked:
            self.acked.append(key)


class Paced:
    """Sends each key in turn, spread evenly over `window_s`, in a thread of its own."""

    def __init__(self, keys: list[str], window_s: float, send: Callable[[str], bool]) -> None:
        self.sent = Sent()
        self._thread = threading.Thread(target=self._run, args=(keys, window_s, send),
                                        daemon=True)  # fmt: skip

    def _run(self, keys: list[str], window_s: float, send: Callable[[str], bool]) -> None:
        began = time.monotonic()
        for n, key in enumerate(keys):
            time.sleep(max(0.0, began + n * window_s / max(1, len(keys)) - time.monotonic()))
            self.sent.record(key, send(key))

    def start(self) -> Paced:
        self._thread.start()
        return self

    def join(self) -> Sent:
        """Wait until every key is acknowledged or given up; what was sent."""
        self._thread.join()
        return self.sent


def ticket_title(key: str) -> str:
    """The title of the ticket raised with `key` (titles tell the run's tickets apart)."""
    return f"chaos {key} 水管漏水 / leaking pipe"


@dataclass(frozen=True)
class TicketRaiser:
    """Raises tenant1's tickets through the gateway at `base_url`."""

    base_url: str
    token: str

    def send(self, key: str) -> bool:
        """Raise the ticket for `key`, again with the same key until a 201 or GIVE_UP_S."""
        body = new_ticket(title=ticket_title(key))
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        deadline = time.monotonic() + GIVE_UP_S
        while time.monotonic() < deadline:
            try:
                reply = httpx.post(f"{self.base_url}/v1/tickets", json=body, headers=headers,
                                   timeout=5)  # fmt: skip
                if reply.status_code == 201:
                    return True
            except httpx.HTTPError:
                pass  # the gateway or a backend is away: the same key again
            time.sleep(0.2)
        return False


class AlertPublisher:
    """One MQTT client (reconnecting by itself) that publishes leak alerts with QoS 1."""

    def __init__(self, port: int) -> None:
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"chaos-load-{port}")
        self._client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()

    def send(self, device_id: str) -> bool:
        """Publish the device's alert once connected, as a device does; whether the broker
        acknowledged it within GIVE_UP_S."""
        deadline = time.monotonic() + GIVE_UP_S
        while not self._client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        payload = f'{{"time": "{datetime.now(UTC).isoformat()}", "type": "leak"}}'
        info = self._client.publish(f"maint/demo/{device_id}/alert", payload, qos=1)
        while time.monotonic() < deadline:
            try:
                if info.is_published():
                    return True
            except RuntimeError:  # the connection dropped as it was published: not acked
                return False
            time.sleep(0.05)
        return False

    def __enter__(self) -> AlertPublisher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.disconnect()
        self._client.loop_stop()
