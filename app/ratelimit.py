"""Per-user token buckets for tool calls, with a tighter bucket for sending mail.

Buckets live in each replica's memory: with N replicas a person can make up to N times the
configured rate. That bounds abuse of the team's shared Google quota without a database write
per call; Google's own per-user quotas remain the hard limit.
"""

import ipaddress
import math
import time
from dataclasses import dataclass


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

    def __init__(self, capacity: int, period: float) -> None:
        self.capacity = max(1, capacity)
        self.rate = self.capacity / period
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

    def wait(self, key: str) -> float:
        """Seconds until `key` may spend a token (0 when it may now), spending nothing."""
        bucket = self._refilled(key)
        return 0.0 if bucket.tokens >= 1 else math.ceil((1 - bucket.tokens) / self.rate)

    def take(self, key: str) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until one is available."""
        bucket = self._refilled(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return math.ceil((1 - bucket.tokens) / self.rate)
