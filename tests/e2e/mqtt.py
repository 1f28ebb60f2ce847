"""Publishing to the test broker as a device would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

__all__ = ["Publisher", "now_iso"]


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


class Publisher:
    """A QoS 1 publisher that waits until the broker has each message."""

    def __init__(self, port: int) -> None:
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{port}")
        self._client.connect("127.0.0.1", port)
        self._client.loop_start()

    def send(self, topic: str, payload: dict[str, Any] | bytes | str, qos: int = 1) -> None:
        data = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        self._client.publish(topic, data, qos=qos).wait_for_publish(5)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
