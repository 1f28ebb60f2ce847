"""How many failed sign-ins a username, and an address, may have before they must wait.

Failures are counted in a sliding window per key (`user:<name>`, `addr:<ip>`): at the
limit, further attempts for that key are refused until the oldest failure leaves the
window, and the refusal says how long that is. A successful sign-in clears its username's
failures (not its address's: one address may try many names). Counts live in this gateway
process; with several replicas each counts its own, so the effective limit is per replica.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["LoginLimits"]


class LoginLimits:
    """Failed sign-ins per username and per address, in a sliding window."""

    def __init__(self, per_user: int, per_address: int, window_s: float,
                 clock: Callable[[], float], max_keys: int = 100_000) -> None:  # fmt: skip
        self._limits = {"user": per_user, "addr": per_address}
        self._window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self._window_s:
            times.popleft()
        return times

    def wait_s(self, username: str, address: str) -> int:
        """Seconds before this username from this address may try again (0: now)."""
        now = self._clock()
        wait = 0.0
        for kind, key in (("user", f"user:{username}"), ("addr", f"addr:{address}")):
            times = self._recent(key, now)
            if len(times) >= self._limits[kind]:
                wait = max(wait, times[0] + self._window_s - now)
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, username: str, address: str) -> None:
        """Count a failed sign-in against both."""
        now = self._clock()
        if len(self._failures) >= self._max_keys:  # bound memory under a flood of names
            self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}
            if len(self._failures) >= self._max_keys:
                self._failures.clear()
        for key in (f"user:{username}", f"addr:{address}"):
            times = self._recent(key, now)
            times.append(now)
            self._failures[key] = times

    def succeeded(self, username: str) -> None:
        """A correct password: the username's failures are forgiven."""
        self._failures.pop(f"user:{username}", None)
