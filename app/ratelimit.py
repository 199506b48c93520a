"""Token buckets: per-user tool calls and mail, per-address limits on anonymous endpoints.

With `REDIS_URL` every replica counts in the same buckets (one atomic Redis call each). Without
it, or while Redis is down, buckets live in each replica's memory: with N replicas a person can
then make up to N times the configured rate. Google's own per-user quotas remain the hard limit.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.shared import SharedState


def address_key(host: str | None) -> str:
    """What a per-address limit counts: an IPv4 address, or the IPv6 /64 one household or server holds."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`capacity` calls at once, refilled at `capacity` per `period` seconds, per key."""

    def __init__(self, capacity: int, period: float, name: str = "", shared: SharedState | None = None) -> None:
        self.capacity = max(1, capacity)
        self.period = period
        self.rate = self.capacity / period
        self.name = name
        self.shared = shared if shared is not None and shared.enabled and name else None
        self._buckets: dict[str, _Bucket] = {}
        self._now = time.monotonic

    def _refilled(self, key: str) -> _Bucket:
        now = self._now()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 50_000:
                self._buckets.clear()  # bounded memory; a reset only ever lets people through
            bucket = self._buckets[key] = _Bucket(float(self.capacity), now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        return bucket

    async def wait(self, key: str) -> float:
        """Seconds until `key` may spend a token (0 when it may now), spending nothing."""
        if self.shared is not None:
            shared = await self.shared.take(self.name, key, self.capacity, self.period, spend=False)
            if shared is not None:
                return float(math.ceil(shared))
        bucket = self._refilled(key)
        return 0.0 if bucket.tokens >= 1 else math.ceil((1 - bucket.tokens) / self.rate)

    async def take(self, key: str) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until one is available."""
        if self.shared is not None:
            shared = await self.shared.take(self.name, key, self.capacity, self.period)
            if shared is not None:
                return float(math.ceil(shared))
        return self.take_here(key)

    def take_here(self, key: str) -> float:
        """`take` in this replica's own buckets only."""
        bucket = self._refilled(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return math.ceil((1 - bucket.tokens) / self.rate)
