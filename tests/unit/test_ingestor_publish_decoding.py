"""Decoding a PUBLISH packet body in the ingestor's MQTT client (pure bytes in, fields out)."""

from __future__ import annotations

import pytest
from paho.mqtt.exception import MalformedPacket

from services.ingestor.adapters.batched_client import decode_publish


def _body(topic: bytes, payload: bytes, mid: int | None, props: bytes | None) -> bytes:
    out = len(topic).to_bytes(2) + topic
    if mid is not None:
        out += mid.to_bytes(2)
    if props is not None:
        out += bytes([len(props)]) + props
    return out + payload


def test_qos1_mqtt5_skips_the_properties() -> None:
    content_type = b"\x03" + len(b"application/json").to_bytes(2) + b"application/json"
    body = _body(b"maint/demo/m-1/telemetry", b'{"a": 1}', 513, content_type)
    assert decode_publish(0x32, body, mqtt5=True) == (
        "maint/demo/m-1/telemetry",
        b'{"a": 1}',
        513,
        1,
    )


def test_qos0_has_no_packet_id() -> None:
    body = _body(b"t/x", b"payload", None, b"")
    assert decode_publish(0x30, body, mqtt5=True) == ("t/x", b"payload", 0, 0)


def test_mqtt311_has_no_properties() -> None:
    body = _body(b"t/x", b"\x00\x01", 7, None)
    assert decode_publish(0x32, body, mqtt5=False) == ("t/x", b"\x00\x01", 7, 1)


def test_a_long_property_length_takes_several_bytes() -> None:
    props = b"\x26" + (3).to_bytes(2) + b"key" + (200).to_bytes(2) + b"v" * 200  # user property
    body = (3).to_bytes(2) + b"t/x" + (9).to_bytes(2) + bytes([len(props) % 128 | 0x80, 1])
    body += props + b"end"
    assert len(props) >= 128
    assert decode_publish(0x32, body, mqtt5=True) == ("t/x", b"end", 9, 1)


def test_qos2_and_topic_aliases_are_left_to_paho() -> None:
    assert decode_publish(0x34, _body(b"t/x", b"p", 1, b""), mqtt5=True) is None
    assert decode_publish(0x32, _body(b"", b"p", 1, b"\x23\x00\x01"), mqtt5=True) is None


def test_a_topic_that_is_not_utf8_is_decoded_with_replacements() -> None:
    decoded = decode_publish(0x32, _body(b"t/\xff", b"p", 1, b""), mqtt5=True)
    assert decoded == ("t/\ufffd", b"p", 1, 1)


@pytest.mark.parametrize("body", [b"\x00", b"\x00\x09t/x", b"\x00\x03t/x\x00\x01\x05\x01"])
def test_a_packet_cut_short_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPacket):
        decode_publish(0x32, body, mqtt5=True)
