"""PUBACKs in arrival order, and never for a message of an earlier connection."""

from __future__ import annotations

from services.ingestor.adapters.ack_order import AckOrder


def test_a_message_committed_early_waits_for_those_before_it() -> None:
    acks = AckOrder()
    acks.connected()
    telemetry, alert, more = acks.arrived(11), acks.arrived(12), acks.arrived(13)
    assert acks.committed([alert]) == []  # the urgent loop committed first
    assert acks.committed([telemetry, more]) == [11, 12, 13]
    assert acks.committed([telemetry]) == []  # nothing is acknowledged twice


def test_messages_of_an_earlier_connection_are_never_acknowledged() -> None:
    acks = AckOrder()
    acks.connected()
    old = acks.arrived(7)
    acks.connected()  # the broker will send packet 7 again, and may reuse the id
    again = acks.arrived(7)
    reused = acks.arrived(8)
    assert acks.committed([old]) == []
    assert acks.committed([reused]) == []  # waits behind the redelivered copy
    assert acks.committed([again]) == [7, 8]
