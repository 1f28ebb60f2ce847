"""Counter-based random numbers: a pure function of (key, time, channel), no state.

The same device at the same simulated second always reads the same value, whichever
command asks and in whatever order, which is what makes live runs and backfills agree and
reruns reproducible. The mixer is SplitMix64's finaliser.
"""

from __future__ import annotations

import math
import zlib
from statistics import NormalDist

__all__ = ["device_key", "normal", "poisson", "uniform"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_TWO_53 = float(1 << 53)
_STANDARD = NormalDist()
_ROOT_3 = math.sqrt(3.0)


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK
    return z ^ (z >> 31)


def device_key(seed: int, name: str) -> int:
    """A 64-bit key for one seed and one name (a device id, a planning slot)."""
    return _mix((seed * _GOLDEN + zlib.crc32(name.encode())) & _MASK)


def uniform(key: int, tick: int, channel: int) -> float:
    """A number in [0, 1) for this key, integer time and channel."""
    z = _mix((key ^ (tick * _GOLDEN) ^ (channel * _MIX1)) & _MASK)
    return (z >> 11) / _TWO_53


def normal(key: int, tick: int, channel: int) -> float:
    """Roughly standard normal (range ±3.5): the centred sum of four uniforms, each from
    16 bits of one hash."""
    z = _mix((key ^ (tick * _GOLDEN) ^ (channel * _MIX1)) & _MASK)
    total = (z & 0xFFFF) + ((z >> 16) & 0xFFFF) + ((z >> 32) & 0xFFFF) + (z >> 48)
    return (total / 65536.0 - 2.0) * _ROOT_3


def poisson(mean: float, u: float) -> int:
    """The Poisson(mean) count whose cumulative probability first exceeds `u`."""
    if mean <= 0.0:
        return 0
    if mean > 50.0:  # normal approximation; exp(-mean) would underflow the exact sum
        z = _STANDARD.inv_cdf(min(max(u, 1e-12), 1.0 - 1e-12))
        return max(0, round(mean + math.sqrt(mean) * z))
    k, p = 0, math.exp(-mean)
    cumulative = p
    while u > cumulative and k < 1000:
        k += 1
        p *= mean / k
        cumulative += p
    return k
