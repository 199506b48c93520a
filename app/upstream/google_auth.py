"""Fresh Google access tokens for a user (the single-flight refresh is `RefreshingCredentials`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx2

from app.storage.store import GoogleGrant, Store
from app.upstream.errors import UpstreamUnavailable, google_error_details
from app.upstream.refreshing import RefreshingCredentials, usable, with_expiry
from app.upstream.retry import send_with_retries

__all__ = ["GoogleCredentials", "GoogleOAuthConfig", "with_expiry"]

logger = logging.getLogger(__name__)

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


class GoogleCredentials(RefreshingCredentials[GoogleGrant]):
    """Hands out valid Google access tokens for users, refreshing and persisting as needed."""

    lock_name = "refresh:google"

    def __init__(
        self,
        store: Store,
        oauth: GoogleOAuthConfig,
        reconnect_url: str,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(store, reconnect_url, on_refresh)
        self.oauth = oauth

    async def _grant(self, user_id: str) -> GoogleGrant:
        grant = await self.store.get_google_grant(user_id)
        if grant is None:
            raise self.reconnect_error("Your Google account is not connected.")
        if grant.status != "active":
            raise self.reconnect_error("Google access for your account has expired or was revoked.")
        return grant

    async def scopes(self, user_id: str) -> list[str]:
        return (await self._grant(user_id)).scopes

    def _token(self, grant: GoogleGrant) -> Mapping[str, Any]:
        return grant.token

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
            if usable(winner.token):
                return str(winner.token["access_token"])
            # It stored something unusable (should not happen): keep ours, unconditionally.
            await self.store.save_google_grant(user_id, token, winner.scopes)
        return str(token["access_token"])
