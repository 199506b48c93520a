"""Short-lived per-person caches for the tool layer (cachetools TTL caches), filled on a miss."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cachetools import TTLCache

V = TypeVar("V")

MAX_ENTRIES = 10_000  # people per replica, with room to spare


def per_person(seconds: float) -> TTLCache[str, Any]:
    """A cache of one value per person that forgets each after `seconds` (least recently used first when full)."""
    return TTLCache(maxsize=MAX_ENTRIES, ttl=seconds)


async def cached(cache: TTLCache[str, V], key: str, load: Callable[[], Awaitable[V]]) -> V:
    """The cached value for `key`, or what `load` gives (then kept)."""
    found = cache.get(key)
    if found is not None:
        return found
    value = await load()
    cache[key] = value
    return value
