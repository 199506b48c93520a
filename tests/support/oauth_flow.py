"""The OAuth authorization-code flow step by step, for tests that bend one step at a time."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx2

from tests.support.oauth_client import Browser, query_of
from tests.support.stack import Stack

REDIRECT = "http://127.0.0.1:33418/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Flow:
    stack: Stack
    http: httpx2.AsyncClient
    client_id: str = ""
    client_secret: str | None = None
    verifier: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    async def register(self, redirect_uris: list[str] | None = None, auth_method: str = "client_secret_post") -> None:
        response = await self.http.post(
            f"{self.stack.url}/register",
            json={
                "client_name": "Test Client",
                "redirect_uris": redirect_uris or [REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": auth_method,
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        self.client_id, self.client_secret = body["client_id"], body.get("client_secret")

    def authorize_url(self, **params: str) -> str:
        self.verifier, challenge = pkce()
        query = {
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "xyz",
        }
        query.update(params)
        return f"{self.stack.url}/authorize?{urlencode({k: v for k, v in query.items() if v != ''})}"

    async def authorize(self, browser: Browser, **params: str) -> dict[str, str]:
        """Walk the browser through sign-in and consent; returns the redirect's query."""
        return query_of(await browser.walk(self.authorize_url(**params), params.get("redirect_uri", REDIRECT)))

    async def sign_in(self, email: str, extra_google_params: str = "") -> dict[str, Any]:
        """Register, walk `email` through Google sign-in and consent, and exchange the code: the token response."""
        await self.register()
        browser = Browser(email)
        browser.extra_google_params = extra_google_params
        try:
            reached = await self.authorize(browser)
        finally:
            await browser.aclose()
        response = await self.exchange(reached["code"])
        assert response.status_code == 200, response.text
        return response.json()

    async def token(self, **form: str) -> httpx2.Response:
        data: dict[str, Any] = {"client_id": self.client_id, **form}
        if self.client_secret:
            data["client_secret"] = self.client_secret
        return await self.http.post(f"{self.stack.url}/token", data=data)

    async def exchange(self, code: str, **extra: str) -> httpx2.Response:
        return await self.token(
            grant_type="authorization_code", code=code, redirect_uri=REDIRECT, code_verifier=self.verifier, **extra
        )

    async def refresh(self, refresh_token: str, **extra: str) -> httpx2.Response:
        return await self.token(grant_type="refresh_token", refresh_token=refresh_token, **extra)


async def mcp_request(mcp_url: str, access_token: str, method: str, params: dict[str, Any]) -> httpx2.Response:
    """One self-contained MCP request (no session), as a stateless replica receives it."""
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(
            mcp_url,
            headers={
                "Authorization": f"Bearer {access_token}",
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
                "MCP-Protocol-Version": "2025-06-18",
            },
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
        )


async def mcp_status(stack: Stack, access_token: str) -> int:
    """HTTP status of an MCP tools/list with this bearer token (200 = accepted)."""
    return (await mcp_request(stack.mcp_url, access_token, "tools/list", {})).status_code
