"""Fresh Google access tokens for a user: refresh on expiry or after a 401, one refresh at a time.

Within a process, concurrent callers for one user wait on the same lock and share the outcome of
the refresh that ran while they waited: its token, or its failure (so a Google outage costs one
retry loop, not one per caller). Across processes sharing the database, the refreshed token is written with a
compare-and-set on the grant's version; a loser adopts the winner's token, so no refresh token
is ever overwritten by a stale one.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from app.storage.store import GoogleGrant, Store
from app.upstream.errors import NeedsReconnect, UpstreamError, UpstreamUnavailable, google_error_details
from app.upstream.retry import send_with_retries

logger = logging.getLogger(__name__)

EXPIRY_LEEWAY = 60.0  # refresh this many seconds before Google's expiry
DISCOVERY_TTL = 3600.0


class GoogleOAuthConfig:
    """The Google OAuth client and where its endpoints are (from the discovery document, cached)."""

    def __init__(self, http: httpx2.AsyncClient, discovery_url: str, client_id: str, client_secret: str) -> None:
        self.http = http
        self.discovery_url = discovery_url
        self.client_id = client_id
        self.client_secret = client_secret
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self) -> dict[str, Any]:
        async with self._lock:
            document = self._document
            if document is None or time.monotonic() - self._fetched_at > DISCOVERY_TTL:
                response = await send_with_retries(lambda: self.http.get(self.discovery_url), service="Google sign-in")
                if response.status_code != 200:
                    raise UpstreamUnavailable(
                        f"Google's sign-in configuration is unavailable (HTTP {response.status_code}).",
                        service="Google",
                    )
                document = self._document = response.json()
                self._fetched_at = time.monotonic()
            return document

    async def endpoint(self, name: str) -> str:
        return str((await self.metadata())[name])


def token_expires_at(token: Mapping[str, Any]) -> float:
    """Epoch seconds at which an access token expires (0 when unknown: treat as expired)."""
    if "expires_at" in token:
        return float(token["expires_at"])
    return 0.0


def with_expiry(token: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    """A token response with an absolute `expires_at` added (Google only sends `expires_in`)."""
    result = dict(token)
    if "expires_at" not in result and "expires_in" in result:
        result["expires_at"] = int((now or time.time()) + float(result["expires_in"]))
    return result


def _ignore(_result: str) -> None:
    return None


@dataclass(frozen=True, eq=False)
class _Outcome:
    """How one refresh ended: `error` is None when it stored a fresh token."""

    error: UpstreamError | None


@dataclass(eq=False)
class _Refreshes:
    """One user's refreshes: the lock callers take turns on, and how the latest refresh ended."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    latest: _Outcome | None = None


class GoogleCredentials:
    """Hands out valid Google access tokens for users, refreshing and persisting as needed."""

    def __init__(
        self,
        store: Store,
        oauth: GoogleOAuthConfig,
        reconnect_url: str,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.oauth = oauth
        self.reconnect_url = reconnect_url
        self.on_refresh: Callable[[str], None] = on_refresh or _ignore
        # Alive while some caller holds it; forgotten once nobody is refreshing for that user.
        self._refreshes: weakref.WeakValueDictionary[str, _Refreshes] = weakref.WeakValueDictionary()

    def _refreshes_for(self, user_id: str) -> _Refreshes:
        refreshes = self._refreshes.get(user_id)
        if refreshes is None:
            refreshes = self._refreshes[user_id] = _Refreshes()
        return refreshes

    def reconnect_error(self, why: str) -> NeedsReconnect:
        return NeedsReconnect(f"{why} Reconnect Google at {self.reconnect_url}", service="Google")

    async def _grant(self, user_id: str) -> GoogleGrant:
        grant = await self.store.get_google_grant(user_id)
        if grant is None:
            raise self.reconnect_error("Your Google account is not connected.")
        if grant.status != "active":
            raise self.reconnect_error("Google access for your account has expired or was revoked.")
        return grant

    async def scopes(self, user_id: str) -> list[str]:
        return (await self._grant(user_id)).scopes

    async def access_token(self, user_id: str, *, rejected: str | None = None) -> str:
        """A currently valid access token.

        Pass `rejected` (the token an upstream just answered 401 to) to force a refresh unless
        someone else already replaced that token.
        """
        refreshes = self._refreshes_for(user_id)
        seen = refreshes.latest  # taken before any wait: a refresh that ends later ran for us too
        grant = await self._grant(user_id)
        if self._usable(grant.token, rejected):
            return str(grant.token["access_token"])
        async with refreshes.lock:
            latest = refreshes.latest
            if latest is not seen and latest is not None and latest.error is not None:
                raise latest.error.with_traceback(None)  # it failed moments ago: don't retry it again
            grant = await self._grant(user_id)  # another caller may have refreshed while we waited
            if self._usable(grant.token, rejected):
                return str(grant.token["access_token"])
            try:
                token = await self._refresh(user_id, grant)
            except UpstreamError as error:
                refreshes.latest = _Outcome(error)
                raise
            refreshes.latest = _Outcome(None)
            return token

    @staticmethod
    def _usable(token: Mapping[str, Any], rejected: str | None) -> bool:
        access = token.get("access_token")
        if not access or (rejected is not None and access == rejected):
            return False
        return token_expires_at(token) - EXPIRY_LEEWAY > time.time()

    async def _refresh(self, user_id: str, grant: GoogleGrant) -> str:
        refresh_token = grant.token.get("refresh_token")
        if not refresh_token:
            await self.store.mark_google_grant(user_id, "needs_reconnect")
            raise self.reconnect_error("Google gave Switchboard no offline access for your account.")
        token_url = await self.oauth.endpoint("token_endpoint")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.oauth.client_id,
            "client_secret": self.oauth.client_secret,
        }
        response = await send_with_retries(lambda: self.oauth.http.post(token_url, data=form), service="Google sign-in")
        if response.status_code != 200:
            _message, reasons = google_error_details(response)
            self.on_refresh("invalid_grant" if "invalid_grant" in reasons else "failed")
            if "invalid_grant" in reasons:
                logger.info("google refresh for user %s answered invalid_grant; grant flagged", user_id)
                await self.store.mark_google_grant(user_id, "needs_reconnect", expected_version=grant.version)
                raise self.reconnect_error("Google access for your account has expired or was revoked.")
            if response.status_code in (400, 401):  # invalid_client and friends: our configuration
                raise UpstreamUnavailable(
                    "Google refused Switchboard's OAuth client; ask your admin to check GOOGLE_CLIENT_ID/SECRET.",
                    service="Google",
                )
            raise UpstreamUnavailable(
                f"Google sign-in is unavailable (HTTP {response.status_code}); try again.", service="Google"
            )
        self.on_refresh("ok")
        fresh = with_expiry(response.json())
        token = {**grant.token, **fresh}
        token["refresh_token"] = fresh.get("refresh_token") or refresh_token  # Google usually sends none
        if not await self.store.replace_google_token(user_id, token, grant.version):
            # Another process refreshed at the same moment; its token is as good as ours.
            winner = await self._grant(user_id)
            if self._usable(winner.token, None):
                return str(winner.token["access_token"])
            # It stored something unusable (should not happen): keep ours, unconditionally.
            await self.store.save_google_grant(user_id, token, winner.scopes)
        return str(token["access_token"])
