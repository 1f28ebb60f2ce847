"""Which QoS 1 messages may be acknowledged now.

The ingestor commits telemetry and urgent messages in separate transactions, so they are
committed out of arrival order; MQTT wants PUBACKs in the order the PUBLISHes arrived.
And a message that arrived on an earlier connection must not be acknowledged at all: the
broker sends it again on the new one, possibly after reusing its packet id for another
message, which a late PUBACK would then acknowledge before it is committed.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque

__all__ = ["AckOrder"]


class AckOrder:
    """`connected` and `arrived` are called on the network thread, `committed` on the
    ingest side; `committed` returns the packet ids to acknowledge, in arrival order.

    `arrived` takes no lock (it runs for every message): only the network thread appends
    to the deque, and deque appends and pops are atomic.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection = 0
        self._waiting: deque[tuple[int, int]] = deque()  # (arrival number, packet id)
        self._done: set[int] = set()
        self._arrivals = itertools.count(1)

    def connected(self) -> int:
        """A new connection: forget what arrived before it; returns its number."""
        with self._lock:
            self._connection += 1
            self._waiting.clear()
            self._done.clear()
            return self._connection

    def arrived(self, mid: int) -> tuple[int, int]:
        """Note a QoS 1 message; returns (its connection, its arrival number)."""
        number = next(self._arrivals)
        self._waiting.append((number, mid))
        return self._connection, number

    def outstanding(self) -> int:
        """QoS 1 messages of this connection not acknowledged yet."""
        return len(self._waiting)

    def committed(self, messages: list[tuple[int, int]]) -> list[int]:
        """Mark (connection, arrival number) pairs committed; returns the packet ids that
        may now be acknowledged: every committed one not waiting behind an uncommitted one,
        oldest first. Messages of an earlier connection are ignored."""
        with self._lock:
            self._done.update(n for conn, n in messages if conn == self._connection)
            ready: list[int] = []
            while self._waiting and self._waiting[0][0] in self._done:
                number, mid = self._waiting.popleft()
                self._done.discard(number)
                ready.append(mid)
            return ready
