"""The ingestor's MQTT source against our own mosquitto: every message arrives once and in
order (whatever its size or MQTT 5 properties), and what is acknowledged in bulk is not
delivered again, while what is not acknowledged is, after a reconnect. Urgent messages
(alerts, status) are handed out apart from telemetry."""

from __future__ import annotations

import time
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from services.ingestor import metrics
from services.ingestor.adapters.mqtt_source import Broker, MqttSource, Received
from services.ingestor.formats import is_urgent
from services.launcher.broker import LocalBroker

TOPIC = "maint/demo/source-meter/telemetry"


def _source(
    broker: LocalBroker,
    client_id: str,
    filters: tuple[str, ...] = ("maint/+/+/telemetry",),
    **hooks: Any,
) -> MqttSource:
    source = MqttSource(Broker("127.0.0.1", broker.port), client_id, filters, "", 1000, **hooks)
    source.start()
    assert source.connected.wait(10)
    time.sleep(0.3)  # the SUBSCRIBE is sent on connect; let the broker take it
    return source


def _payloads(count: int) -> list[bytes]:
    """Small payloads, with a few large ones that span many socket reads."""
    return [
        (b"x" * 200_000 if n % 250 == 0 else b"") + f'{{"n": {n}}}'.encode() for n in range(count)
    ]


def _publish(broker: LocalBroker, payloads: list[bytes], topics: list[str] | None = None) -> None:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5
    )
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    props.ContentType = "application/json"
    props.UserProperty = [("sent-by", "test")]
    infos = [
        client.publish(topic, p, qos=1, properties=props)
        for topic, p in zip(topics or [TOPIC] * len(payloads), payloads, strict=True)
    ]
    for info in infos:
        info.wait_for_publish(30)
    client.disconnect()
    client.loop_stop()


def _take(source: MqttSource, count: int, ack: bool, timeout_s: float = 30) -> list[Received]:
    """`count` messages, in batches, acknowledging each batch when `ack` (the broker sends no
    more than Receive Maximum unacknowledged ones)."""
    taken: list[Received] = []
    deadline = time.monotonic() + timeout_s
    while len(taken) < count and time.monotonic() < deadline:
        batch = source.take(min(300, count - len(taken)))
        taken += batch
        if ack:
            source.ack(batch)
        if not batch:
            time.sleep(0.01)
    return taken


def test_messages_arrive_once_in_order_and_only_unacknowledged_ones_come_again(
    broker: LocalBroker,
) -> None:
    client_id = f"source-{uuid.uuid4().hex[:6]}"
    payloads = _payloads(3000)
    source = _source(broker, client_id)
    try:
        _publish(broker, payloads)
        taken = _take(source, 2000, ack=True) + _take(source, 1000, ack=False)
        assert [r.inbound.payload for r in taken] == payloads
        assert {r.inbound.topic for r in taken} == {TOPIC} and {r.qos for r in taken} == {1}
        time.sleep(0.5)  # the acknowledgements reach the broker before we leave
    finally:
        source.stop()
    assert source.pending() == 0

    again = _source(broker, client_id)
    try:
        redelivered = _take(again, 1000, ack=True)
        time.sleep(0.5)
        assert [r.inbound.payload for r in redelivered] == payloads[2000:]
        assert again.pending() == 0
    finally:
        again.stop()


def test_alerts_and_status_are_handed_out_apart_from_telemetry(broker: LocalBroker) -> None:
    topics = [f"maint/demo/m-{n % 3}/{('telemetry', 'alert', 'status')[n % 3]}" for n in range(300)]
    payloads = [f"{n}".encode() for n in range(300)]
    woken: list[None] = []
    source = _source(
        broker, f"source-{uuid.uuid4().hex[:6]}", ("maint/+/+/+",),
        is_urgent=is_urgent, on_urgent=lambda: woken.append(None),
    )  # fmt: skip
    try:
        _publish(broker, payloads, topics)
        telemetry = _take(source, 100, ack=True)
        urgent: list[Received] = []
        deadline = time.monotonic() + 30
        while len(urgent) < 200 and time.monotonic() < deadline:
            urgent += source.take_urgent(200)
            time.sleep(0.01)
        assert [r.inbound.payload for r in telemetry] == payloads[0::3]
        assert [r.inbound.payload for r in urgent] == [p for p in payloads if int(p) % 3]
        assert len(woken) == 200
        assert source.pending() == 0
    finally:
        source.stop()


def test_qos0_past_the_queue_bound_is_dropped_and_counted_qos1_never(broker: LocalBroker) -> None:
    dropped = metrics.DROPPED.labels("queue_full")
    before = dropped._value.get()
    source = MqttSource(Broker("127.0.0.1", broker.port), "bounded", ("maint/+/+/telemetry",), "", 1000,
                        max_queued_bytes=1000)  # fmt: skip
    source.start()
    assert source.connected.wait(10)
    time.sleep(0.3)
    try:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id="pub-bound", protocol=mqtt.MQTTv5
        )
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        for n in range(50):  # 100 bytes each: ten fit under the bound
            client.publish(TOPIC, b"%0100d" % n, qos=0)
        infos = [client.publish(TOPIC, b"%0100d" % (1000 + n), qos=1) for n in range(20)]
        for info in infos:
            info.wait_for_publish(10)
        client.disconnect()
        client.loop_stop()
        deadline = time.monotonic() + 10
        while source.pending() < 30 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        held = source.take(1000)
        assert [m.qos for m in held].count(0) == 10 and [m.qos for m in held].count(1) == 20
        assert dropped._value.get() - before == 40
        assert source.unacknowledged() == 20
        source.ack(held)
        assert source.unacknowledged() == 0
    finally:
        source.stop()
