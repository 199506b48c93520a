"""Fresh OAuth access tokens for a person: refresh on expiry or after a 401, one refresh at a time.

Shared by Google and Fathom. Within a process, concurrent callers for one person wait on the same
lock and share the outcome of the refresh that ran while they waited: its token, or its failure
(so an outage costs one retry loop, not one per caller). Across processes sharing the database,
the refreshed token is written with a compare-and-set on the grant's version; a loser adopts the
winner's token, so no refresh token is ever overwritten by a stale one. When replicas share Redis,
a short lock per person there also spares the second refresh (the compare-and-set stays the net).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from cachetools import TTLCache

from app.storage.store import Store
from app.upstream.errors import NeedsReconnect, UpstreamError

G = TypeVar("G")


class SharedLock(Protocol):
    """A lock every replica sees (`app.shared.SharedState`); yields False when it could not lock."""

    def lock(self, name: str) -> AbstractAsyncContextManager[bool]: ...


EXPIRY_LEEWAY = 60.0  # refresh this many seconds before the upstream's expiry
# Access tokens known good are kept in memory (no database read per upstream call) at most this long.
TOKEN_MEMORY_SECONDS = 300.0
TOKEN_MEMORY_MAX = 10_000


def token_expires_at(token: Mapping[str, Any]) -> float:
    """Epoch seconds at which an access token expires (0 when unknown: treat as expired)."""
    if "expires_at" in token:
        return float(token["expires_at"])
    return 0.0


def with_expiry(token: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    """A token response with an absolute `expires_at` added (token endpoints send `expires_in`)."""
    result = dict(token)
    if "expires_at" not in result and "expires_in" in result:
        result["expires_at"] = int((now or time.time()) + float(result["expires_in"]))
    return result


def usable(token: Mapping[str, Any], rejected: str | None = None) -> bool:
    """An access token that is present, not the one just rejected, and not about to expire."""
    access = token.get("access_token")
    if not access or (rejected is not None and access == rejected):
        return False
    return token_expires_at(token) - EXPIRY_LEEWAY > time.time()


@dataclass(frozen=True, eq=False)
class _Outcome:
    """How one refresh ended: `error` is None when it stored a fresh token."""

    error: UpstreamError | None


@dataclass(eq=False)
class _Refreshes:
    """One person's refreshes: the lock callers take turns on, and how the latest refresh ended."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    latest: _Outcome | None = None


def _ignore(_result: str) -> None:
    return None


class RefreshingCredentials(ABC, Generic[G]):
    """Hands out valid access tokens from stored grants of type `G`, refreshing one at a time per person."""

    # Names this kind of grant in the lock replicas share while refreshing one person's (with REDIS_URL).
    lock_name = "refresh"

    # The upstream named in messages: "Reconnect Google at …".
    service = "Google"

    def __init__(self, store: Store, reconnect_url: str, on_refresh: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.reconnect_url = reconnect_url
        self.on_refresh: Callable[[str], None] = on_refresh or _ignore
        # Alive while some caller holds it; forgotten once nobody is refreshing for that person.
        self._refreshes: weakref.WeakValueDictionary[str, _Refreshes] = weakref.WeakValueDictionary()
        self.shared: SharedLock | None = None
        # person -> (access token, expires at), as last read from the stored grant. Only a
        # verified caller reaches it; any revocation clears it (`forget`), and a 401 drops the entry.
        self._known: TTLCache[str, tuple[str, float]] = TTLCache(maxsize=TOKEN_MEMORY_MAX, ttl=TOKEN_MEMORY_SECONDS)

    def forget(self) -> None:
        """Drop every access token held in memory (after a revocation or an account change)."""
        self._known.clear()

    def reconnect_error(self, why: str) -> NeedsReconnect:
        return NeedsReconnect(f"{why} Reconnect {self.service} at {self.reconnect_url}", service=self.service)

    @abstractmethod
    async def _grant(self, user_id: str) -> G:
        """The person's usable grant, or raise `NeedsReconnect`."""

    @abstractmethod
    def _token(self, grant: G) -> Mapping[str, Any]:
        """The grant's token set (`access_token`, `expires_at`, …)."""

    @abstractmethod
    async def _refresh(self, user_id: str, grant: G) -> str:
        """Refresh this grant, store the result with a compare-and-set, return the new access token."""

    def _refreshes_for(self, user_id: str) -> _Refreshes:
        refreshes = self._refreshes.get(user_id)
        if refreshes is None:
            refreshes = self._refreshes[user_id] = _Refreshes()
        return refreshes

    def _across_replicas(self, user_id: str) -> AbstractAsyncContextManager[bool]:
        """One refresh per person across replicas (a short Redis lock), when replicas share Redis."""
        if self.shared is None:
            return contextlib.nullcontext(False)
        return self.shared.lock(f"{self.lock_name}:{user_id}")

    async def access_token(self, user_id: str, *, rejected: str | None = None) -> str:
        """A currently valid access token.

        Pass `rejected` (the token an upstream just answered 401 to) to force a refresh unless
        someone else already replaced that token.
        """
        known = self._known.get(user_id)
        if known is not None:
            if known[0] != rejected and known[1] - EXPIRY_LEEWAY > time.time():
                return known[0]
            self._known.pop(user_id, None)
        refreshes = self._refreshes_for(user_id)
        seen = refreshes.latest  # taken before any wait: a refresh that ends later ran for us too
        grant = await self._grant(user_id)
        if usable(self._token(grant), rejected):
            return self._remember(user_id, self._token(grant))
        async with refreshes.lock:
            latest = refreshes.latest
            if latest is not seen and latest is not None and latest.error is not None:
                raise latest.error.with_traceback(None)  # it failed moments ago: don't retry it again
            grant = await self._grant(user_id)  # another caller may have refreshed while we waited
            if usable(self._token(grant), rejected):
                return self._remember(user_id, self._token(grant))
            try:
                async with self._across_replicas(user_id) as locked:
                    if locked:  # another replica may have refreshed while we waited for the lock
                        grant = await self._grant(user_id)
                        if usable(self._token(grant), rejected):
                            refreshes.latest = _Outcome(None)
                            return self._remember(user_id, self._token(grant))
                    token = await self._refresh(user_id, grant)
            except UpstreamError as error:
                refreshes.latest = _Outcome(error)
                raise
            refreshes.latest = _Outcome(None)
            return token

    def _remember(self, user_id: str, token: Mapping[str, Any]) -> str:
        access = str(token["access_token"])
        self._known[user_id] = (access, token_expires_at(token))
        return access
