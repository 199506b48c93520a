"""Fathom OAuth: the authorize address, the code exchange, revocation, and fresh access tokens.

Fathom's refresh tokens rotate and work once. Besides the single-flight refresh and the
compare-and-set it shares with Google, a refresh Fathom refuses is checked against the stored
grant: when another process rotated it in the meantime, its token is adopted instead of asking
the person to reconnect.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx2

from app.storage.store import FathomGrant, Store
from app.upstream.errors import NeedsReconnect, UpstreamUnavailable
from app.upstream.refreshing import RefreshingCredentials, usable, with_expiry
from app.upstream.retry import send_with_retries

logger = logging.getLogger(__name__)

SCOPE = "public_api"  # Fathom's only OAuth scope
SERVICE = "Fathom"
KEPT = ("access_token", "refresh_token", "token_type", "expires_at", "scope")
CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client"})
# How long a refused refresh waits for another process's rotation to be stored before flagging.
ADOPTION_PAUSES = (0.05, 0.1, 0.2, 0.4)


def oauth_error_code(response: httpx2.Response) -> str:
    """The `error` of an OAuth error body ("" when the body is not one)."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else ""


def token_endpoint_refused(response: httpx2.Response) -> UpstreamUnavailable:
    """Fathom's token endpoint failing for a reason that is not the person's grant."""
    if response.status_code < 500 and oauth_error_code(response) in CLIENT_ERRORS:
        return UpstreamUnavailable(
            "Fathom refused Switchboard's OAuth app; ask your admin to check FATHOM_CLIENT_ID/SECRET.",
            service=SERVICE,
        )
    return UpstreamUnavailable(
        f"Fathom sign-in is unavailable (HTTP {response.status_code}); try again.", service=SERVICE
    )


@dataclass(frozen=True)
class FathomOAuthConfig:
    """The team's Fathom OAuth app and Fathom's OAuth endpoints."""

    http: httpx2.AsyncClient
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str  # "" when unknown: Fathom documents no revocation endpoint

    def authorize_address(self, redirect_uri: str, state: str) -> str:
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": SCOPE,
            "state": state,
        }
        return f"{self.authorize_url}?{urlencode(query)}"

    async def _token_request(self, form: dict[str, str]) -> httpx2.Response:
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        return await send_with_retries(lambda: self.http.post(self.token_url, data=form), service="Fathom sign-in")

    async def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """The tokens for an authorization code (with `expires_at`); raises `UpstreamError`."""
        response = await self._token_request(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        )
        if response.status_code != 200:
            if oauth_error_code(response) == "invalid_grant":
                raise NeedsReconnect("Fathom did not accept the sign-in (it may have expired).", service=SERVICE)
            raise token_endpoint_refused(response)
        return _kept(with_expiry(response.json()))

    async def refresh(self, refresh_token: str) -> httpx2.Response:
        return await self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, token: str) -> bool | None:
        """Ask Fathom to revoke the grant behind `token`: True when it confirmed, None without an endpoint."""
        if not self.revoke_url:
            return None
        form = {"token": token, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            response = await self.http.post(self.revoke_url, data=form, timeout=10)
        except httpx2.HTTPError:
            logger.warning("could not reach Fathom to revoke a grant", exc_info=True)
            return False
        if response.status_code != 200:
            logger.warning("Fathom answered HTTP %d to a revocation", response.status_code)
        return response.status_code == 200


def _kept(token: Mapping[str, Any]) -> dict[str, Any]:
    return {key: token[key] for key in KEPT if key in token}


class FathomCredentials(RefreshingCredentials[FathomGrant]):
    """Hands out valid Fathom access tokens for people who connected Fathom by OAuth."""

    lock_name = "refresh:fathom"
    service = SERVICE

    def __init__(
        self,
        store: Store,
        oauth: FathomOAuthConfig,
        reconnect_url: str,
        on_refresh: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(store, reconnect_url, on_refresh)
        self.oauth = oauth

    async def _grant(self, user_id: str) -> FathomGrant:
        grant = await self.store.get_fathom_grant(user_id)
        if grant is None:
            raise self.reconnect_error("Fathom is not connected for your account.")
        if grant.status != "active":
            raise self.reconnect_error("Fathom access for your account has expired or was revoked.")
        return grant

    def _token(self, grant: FathomGrant) -> Mapping[str, Any]:
        return grant.token

    async def _refresh(self, user_id: str, grant: FathomGrant) -> str:
        refresh_token = grant.token.get("refresh_token")
        if not refresh_token:
            await self.store.mark_fathom_grant(user_id, "needs_reconnect", grant.version)
            raise self.reconnect_error("Fathom gave Switchboard no lasting access for your account.")
        response = await self.oauth.refresh(str(refresh_token))
        if response.status_code != 200:
            return await self._refused(user_id, grant, response)
        self.on_refresh("ok")
        fresh = _kept(with_expiry(response.json()))
        # Fathom rotates refresh tokens: the old one is spent now, so the new one must be kept.
        token = {**grant.token, **fresh}
        if await self.store.replace_fathom_token(user_id, token, grant.version):
            return str(token["access_token"])
        # Another process wrote first (a reconnect, or a refresh of a token it had read earlier).
        winner = await self._grant(user_id)
        if usable(winner.token):
            return str(winner.token["access_token"])
        logger.warning("fathom grant of user %s changed under a refresh; keeping the refreshed token", user_id)
        await self.store.save_fathom_grant(user_id, token, winner.scope)
        return str(token["access_token"])

    async def _refused(self, user_id: str, grant: FathomGrant, response: httpx2.Response) -> str:
        error = oauth_error_code(response)
        if response.status_code >= 500 or error in CLIENT_ERRORS or response.status_code not in (400, 401):
            self.on_refresh("failed")
            raise token_endpoint_refused(response)
        # The refresh token is spent or revoked. If another process rotated it, use what it stored;
        # its answer may have come a moment before ours and still be on its way to the database.
        for pause in ADOPTION_PAUSES:
            adopted = await self._adopt(user_id, grant)
            if adopted is not None:
                return adopted
            await asyncio.sleep(pause)
        self.on_refresh("invalid_grant")
        if await self.store.mark_fathom_grant(user_id, "needs_reconnect", grant.version):
            logger.info("fathom refresh for user %s answered %s; grant flagged", user_id, error or response.status_code)
        else:  # the grant changed as we looked: a reconnect, or another process's refresh landing
            adopted = await self._adopt(user_id, grant)
            if adopted is not None:
                return adopted
        raise self.reconnect_error("Fathom access for your account has expired or was revoked.")

    async def _adopt(self, user_id: str, spent: FathomGrant) -> str | None:
        """The access token of a newer, working grant than `spent`, if one has been stored."""
        current = await self.store.get_fathom_grant(user_id)
        if current is None or current.version == spent.version or current.status != "active":
            return None
        return str(current.token["access_token"]) if usable(current.token) else None
