"""A paho client that reads many packets per wake-up and acknowledges in bulk.

paho 2.2 reads one packet per `select()`, with a `recv()` for the packet type, one per
byte of the remaining length and one for the body, and decodes the MQTT 5 properties of
every PUBLISH into objects. For a stream of small QoS 1 messages that is most of the work.
This subclass keeps paho's connection handling, keepalive and reconnects, and changes three
things:

- reads go through a buffer filled by one `recv()` of up to 64 KiB, and `loop_read` goes
  on until the buffer is empty, so one wake-up handles every packet that has arrived;
- a QoS 0 or 1 PUBLISH is decoded here (topic, packet id, payload; its properties are
  skipped) and handed to `on_publish_received`, without paho's message object, topic
  matcher or debug formatting. QoS 2 and topic aliases go to paho, which would drop them
  (no `on_message` is set); neither arrives, as we subscribe with QoS 1 and announce no
  Topic Alias Maximum;
- `ack_many` queues the PUBACKs of many messages as one write with one wake-up, where
  `ack()` queues a packet and wakes the network thread for each.

Pin-sensitive: this relies on paho-mqtt 2.2 private members: `_sock_recv`, `_handle_publish`
and `_packet_queue` (overridden or called), `_sock`, `_in_packet`, `_protocol` (read).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.exception import MalformedPacket

__all__ = ["BatchedClient", "OnPublish", "decode_publish"]

#: Called on paho's network thread with (topic, payload, packet id, qos).
OnPublish = Callable[[str, bytes, int, int], None]

_READ_SIZE = 65536
_PUBACK = struct.Struct("!BBH")
_PUBACK_HEADER = 0x40


def decode_publish(
    header: int, body: bytes | bytearray, mqtt5: bool
) -> tuple[str, bytes, int, int] | None:
    """(topic, payload, packet id, qos) of a QoS 0 or 1 PUBLISH given its first byte and the
    bytes after the remaining length; None for what this does not handle (QoS 2, a topic
    alias instead of a topic name). A topic that is not UTF-8 is decoded with replacement
    characters (it then matches no route and is dead-lettered). Raises MalformedPacket when
    the packet is cut short."""
    if len(body) < 2:
        raise MalformedPacket("PUBLISH shorter than its topic length")
    qos = (header >> 1) & 0x03
    if qos > 1:
        return None
    topic_len = int.from_bytes(body[0:2])
    if topic_len == 0:
        return None
    pos = 2 + topic_len
    topic = body[2:pos].decode(errors="replace")
    mid = 0
    if qos:
        mid = int.from_bytes(body[pos : pos + 2])
        pos += 2
    if mqtt5:  # skip the properties: a variable byte integer length, then that many bytes
        length, shift = 0, 0
        while True:
            if pos >= len(body):
                raise MalformedPacket("PUBLISH cut short in its properties")
            byte = body[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        pos += length
    if pos > len(body):
        raise MalformedPacket("PUBLISH cut short")
    return topic, bytes(body[pos:]), mid, qos


class BatchedClient(mqtt.Client):
    """An MQTT 5 client with manual acknowledgements; messages go to `on_publish_received`."""

    def __init__(self, client_id: str, on_publish_received: OnPublish) -> None:
        super().__init__(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        self._on_publish_received = on_publish_received
        self._read_buf = b""
        self._read_pos = 0
        self._read_sock: Any = None

    def ack_many(self, mids: Iterable[int]) -> None:
        """Acknowledge QoS 1 messages by packet id (thread-safe, as `ack()` is)."""
        packet = b"".join([_PUBACK.pack(_PUBACK_HEADER, 2, mid) for mid in mids])
        if packet:
            self._packet_queue(_PUBACK_HEADER, packet, 0, 1)

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        """Read packets until what one wake-up brought in is used up."""
        rc = super().loop_read(max_packets)
        while (
            rc == MQTTErrorCode.MQTT_ERR_SUCCESS
            and self._read_pos < len(self._read_buf)
            and self._sock is not None
        ):
            rc = super().loop_read(max_packets)
        return rc

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_sock is not self._sock:  # a new connection: nothing buffered is its
            self._read_sock, self._read_buf, self._read_pos = self._sock, b"", 0
        if self._read_pos >= len(self._read_buf):
            data = super()._sock_recv(_READ_SIZE)
            if not data:
                return data
            self._read_buf, self._read_pos = data, 0
        end = self._read_pos + bufsize
        chunk = self._read_buf[self._read_pos : end]
        self._read_pos = min(end, len(self._read_buf))
        return chunk

    def _handle_publish(self) -> MQTTErrorCode:
        decoded = decode_publish(
            self._in_packet["command"], self._in_packet["packet"], self._protocol == mqtt.MQTTv5
        )
        if decoded is None:
            return super()._handle_publish()
        self._on_publish_received(*decoded)
        return MQTTErrorCode.MQTT_ERR_SUCCESS
