"""Bearer tokens on /mcp → the one user they name.

Tokens are looked up by hash (OAuth access tokens `sba_…`, personal access tokens `sbp_…`). A
verified token is cached for a few seconds so a busy client costs no query per call; a
revocation clears this replica's cache at once, and other replicas see it when their entry
expires (`CACHE_SECONDS`). Last-active times go to the `ActivityBuffer`, written in batches.
"""

from __future__ import annotations

import json
import logging
import time

from cachetools import TTLCache
from mcp.server.auth.provider import AccessToken
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.allowlist import stored_refusal
from app.auth.responses import bearer_token
from app.auth.revocations import Revocations
from app.crypto import hash_token
from app.services import Services
from app.storage.clock import utcnow
from app.storage.store import User

logger = logging.getLogger(__name__)

CACHE_SECONDS = 5.0
CACHE_MAX = 10_000


class SwitchboardTokenVerifier:
    """`TokenVerifier` for /mcp."""

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self._cache: TTLCache[str, AccessToken] = TTLCache(maxsize=CACHE_MAX, ttl=CACHE_SECONDS)
        # Why a token of someone outside the allow-list was refused, for the 401's body.
        self._refused: TTLCache[str, str] = TTLCache(maxsize=CACHE_MAX, ttl=CACHE_SECONDS)
        revocations.on_revoke(self.invalidate)

    async def verify_token(self, token: str) -> AccessToken | None:
        key = hash_token(token)
        verified = self._cache.get(key)
        if verified is None:
            verified = await self._lookup(token, key)
            if verified is None:
                return None
            self._cache[key] = verified
        if verified.expires_at is not None and verified.expires_at <= time.time():
            return None
        if verified.subject:
            client = verified.client_id
            personal = client.removeprefix("personal:") if client.startswith("personal:") else None
            self.services.get_activity().saw(verified.subject, personal)
        return verified

    def refusal(self, token: str) -> str | None:
        """Why this token was just refused when its person is outside the allow-list, else None."""
        return self._refused.get(hash_token(token))

    async def _lookup(self, token: str, key: str) -> AccessToken | None:
        found = await self._lookup_token(token)
        if found is None:
            return None
        verified, user = found
        # A revoked or disconnected person's tokens die with them, whatever else survived a race.
        if user.status != "active":
            return None
        reason = stored_refusal(self.services.settings, user.email, user.hosted_domain)
        if reason:
            self._refused[key] = reason
            return None
        self.services.profiles[user.id] = user  # the tool layer's profile for this call, without a query
        return verified

    async def _lookup_token(self, token: str) -> tuple[AccessToken, User] | None:
        """The token, if live, and its holder: one query."""
        store = self.services.get_store()
        mcp_url = self.services.settings.mcp_url
        if token.startswith("sbp_"):
            held = await store.find_personal_token_holder(token)
            if held is None:
                return None
            personal, user = held
            return AccessToken(
                token=token,
                client_id=f"personal:{personal.id}",
                scopes=[],
                expires_at=int(personal.expires_at.timestamp()),
                resource=mcp_url,
                subject=personal.user_id,
            ), user
        if token.startswith("sba_"):
            issued = await store.find_token_holder(token)
            if issued is None:
                return None
            record, user = issued
            if record.kind != "access" or record.revoked_at is not None or record.expires_at <= utcnow():
                return None
            return AccessToken(
                token=token,
                client_id=record.client_id,
                scopes=record.scopes,
                expires_at=int(record.expires_at.timestamp()),
                resource=record.resource,
                subject=record.user_id,
            ), user
        return None

    def invalidate(self) -> None:
        """Forget every cached verification (after a revocation on this replica)."""
        self._cache.clear()


class AllowListRefusals:
    """Around /mcp: a 401 for someone taken off the allow-list says why, in the OAuth error body."""

    def __init__(self, app: ASGIApp, verifier: SwitchboardTokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = bearer_token(Headers(scope=scope).get("authorization", "")) if scope["type"] == "http" else None
        if token is None:
            await self.app(scope, receive, send)
            return
        replaced = False

        async def explaining_send(message: Message) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start" and message["status"] == 401:
                reason = self.verifier.refusal(token)
                if reason:
                    replaced = True
                    body = json.dumps({"error": "invalid_token", "error_description": reason}).encode()
                    headers = MutableHeaders(raw=list(message["headers"]))
                    headers["content-type"] = "application/json"
                    headers["content-length"] = str(len(body))
                    await send({**message, "headers": headers.raw})
                    await send({"type": "http.response.body", "body": body})
                    return
            if replaced and message["type"] == "http.response.body":
                return
            await send(message)

        await self.app(scope, receive, explaining_send)
