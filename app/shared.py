"""What replicas share through Redis (`REDIS_URL`): rate limits, news of revocations, refresh locks.

Without `REDIS_URL` every replica keeps its own, as on a single server. With it, each operation
that cannot reach Redis falls back to this replica's own state, logs a warning (at most once a
minute) and counts `switchboard_shared_state_errors_total`; no call is refused because Redis is
down. After a failure Redis is left alone for a few seconds, so an outage costs no time per call.

Keys live under a namespace derived from PUBLIC_URL, so two deployments may share one Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable
from typing import Any

from app.metrics import Metrics

logger = logging.getLogger(__name__)

# The channel on which a replica that revoked something tells the others to forget their caches.
REVOKED = "revoked"
# Redis answers in well under a millisecond; anything slower is treated as an outage.
TIMEOUT = 0.5
RETRY_AFTER = 5.0
WARN_EVERY = 60.0

# One token bucket, refilled by the time Redis itself keeps (replicas' clocks may differ).
_TAKE = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity, rate, spend = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  if spend == 1 then tokens = tokens - 1 end
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return tostring(wait)
"""
# Release a lock only if it is still ours (it may have expired and been taken by another replica).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SharedState:
    """Redis-backed shared state, or nothing at all when `url` is empty."""

    def __init__(self, url: str, public_url: str, metrics: Metrics) -> None:
        self.url = url.strip()
        self.namespace = "switchboard:" + hashlib.sha256(public_url.encode()).hexdigest()[:12] + ":"
        self.metrics = metrics
        self._redis: Any = None
        self._down_until = 0.0
        self._warned_at = -WARN_EVERY

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def _client(self) -> Any | None:
        """The Redis client, unless there is none or it failed moments ago."""
        if not self.enabled or time.monotonic() < self._down_until:
            return None
        if self._redis is None:
            import redis.asyncio as redis_asyncio

            self._redis = redis_asyncio.from_url(  # pyright: ignore[reportUnknownMemberType]
                self.url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT, decode_responses=True
            )
        return self._redis

    def _failed(self, operation: str, error: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER
        self.metrics.shared_state_errors.labels(operation=operation).inc()
        if time.monotonic() - self._warned_at >= WARN_EVERY:
            self._warned_at = time.monotonic()
            logger.warning(
                "Redis at REDIS_URL is not answering (%s: %s); this replica uses its own rate limits, "
                "caches and refresh locks until it is back",
                operation,
                type(error).__name__,
            )

    async def close(self) -> None:
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None

    async def take(self, bucket: str, key: str, capacity: int, period: float, *, spend: bool = True) -> float | None:
        """Seconds until `key` may act (0: now, a token spent if `spend`); None when Redis can't say."""
        client = self._client()
        if client is None:
            return None
        try:
            wait = await client.eval(
                _TAKE, 1, f"{self.namespace}limit:{bucket}:{key}", capacity, capacity / period, 1 if spend else 0
            )
        except Exception as error:
            self._failed("rate_limit", error)
            return None
        return float(wait)

    async def add(self, name: str, amount: int, ttl: float) -> int | None:
        """Add `amount` to the counter `name` (kept `ttl` s past its last count): its new total, or None if Redis
        cannot say."""
        client = self._client()
        if client is None:
            return None
        key = f"{self.namespace}count:{name}"
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.incrby(key, amount)
                pipe.expire(key, int(ttl))
                total, _ = await pipe.execute()
        except Exception as error:
            self._failed("count", error)
            return None
        return int(total)

    async def claim(self, name: str, ttl: float) -> bool | None:
        """Claim `name` once across replicas for `ttl` s: True the first time, False after; None if Redis cannot say."""
        client = self._client()
        if client is None:
            return None
        try:
            return bool(await client.set(f"{self.namespace}claim:{name}", "1", nx=True, px=int(ttl * 1000)))
        except Exception as error:
            self._failed("claim", error)
            return None

    async def publish(self, channel: str, message: str) -> None:
        """Tell every replica (itself included); lost when Redis is down, as documented."""
        client = self._client()
        if client is None:
            return
        try:
            await client.publish(self.namespace + channel, message)
        except Exception as error:
            self._failed("publish", error)

    async def listen(self, channel: str, handle: Callable[[str], None]) -> None:
        """Call `handle` for every message on `channel` until cancelled, resubscribing after failures."""
        while True:
            client = self._client()
            if client is None:
                await asyncio.sleep(1.0 if self.enabled else 3600.0)
                continue
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(self.namespace + channel)
                    while True:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None:
                            handle(str(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._failed("subscribe", error)
                await asyncio.sleep(1.0)

    @contextlib.asynccontextmanager
    async def lock(self, name: str, ttl: float = 15.0, wait: float = 10.0) -> AsyncGenerator[bool]:
        """Hold `name` across replicas for at most `ttl` s; yields False when Redis could not lock.

        A caller that cannot get the lock within `wait` s goes ahead unlocked: the compare-and-set
        in the database still keeps a refresh safe, the lock only saves a second refresh.
        """
        client = self._client()
        if client is None:
            yield False
            return
        key, token = f"{self.namespace}lock:{name}", uuid.uuid4().hex
        held = False
        try:
            deadline = time.monotonic() + wait
            pause = 0.01
            while not (held := bool(await client.set(key, token, nx=True, px=int(ttl * 1000)))):
                if time.monotonic() >= deadline:
                    break
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.2)
        except Exception as error:
            self._failed("lock", error)
        try:
            yield held
        finally:
            if held:
                try:
                    await client.eval(_RELEASE, 1, key, token)
                except Exception as error:
                    self._failed("unlock", error)
