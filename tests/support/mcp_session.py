"""A signed-in MCP client session against a running stack, as Claude would have after connecting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote

import httpx2
from mcp import Client
from mcp.client.client import ConnectMode
from mcp.client.session import ElicitationFnT
from mcp.client.streamable_http import streamable_http_client

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from tests.support.google import connect_google
from tests.support.oauth_flow import Flow
from tests.support.stack import Stack


@dataclass
class Session:
    client: Client
    access_token: str

    async def call(self, name: str, arguments: dict[str, object] | None = None) -> tuple[str, bool]:
        """Call a tool; returns (text, is_error)."""
        result = await self.client.call_tool(name, arguments or {})
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        return text, bool(result.is_error)

    async def ok(self, name: str, arguments: dict[str, object] | None = None) -> str:
        text, is_error = await self.call(name, arguments)
        assert not is_error, text
        return text

    async def error(self, name: str, arguments: dict[str, object] | None = None) -> str:
        text, is_error = await self.call(name, arguments)
        assert is_error, text
        return text


async def sign_in(stack: Stack, email: str, scopes: str | None = None) -> str:
    """An access token for `email` through DCR, Google sign-in and consent."""
    async with httpx2.AsyncClient(timeout=15) as http:
        tokens = await Flow(stack, http).sign_in(email, f"&sandbox_scopes={scopes}" if scopes else "")
    return str(tokens["access_token"])


async def signed_in(stack: Stack, email: str, scopes: str | None = None) -> str:
    """A bearer token for `email`, who has connected Google with `scopes` (URL-encoded, as for `sign_in`).

    What signing in leaves behind (the person, their Google grant from the sandbox, a token of theirs),
    written through the store: tests of tools need someone signed in, not the sign-in itself, which
    the auth tests drive for real with `sign_in`.
    """
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        granted = unquote(scopes) if scopes else stack.settings.google_oauth_scopes
        person = stack.sandbox.world.people[email]
        user = await connect_google(store, stack.sandbox.base_url, email, granted, person)
        # Long enough that whoami does not ask to renew it, as after a fresh install.
        _record, token = await store.create_personal_token(user.id, "Claude (test)", timedelta(days=30))
    finally:
        await engine.dispose()
    return token


@asynccontextmanager
async def mcp_session(
    stack: Stack,
    email: str,
    scopes: str | None = None,
    *,
    elicitation: ElicitationFnT | None = None,
    mode: ConnectMode = "auto",
) -> AsyncIterator[Session]:
    """An MCP client session as `email`, who is signed in with Google `scopes` (default: all).

    `elicitation` answers the server's questions (the client then declares form elicitation);
    `mode="legacy"` speaks the handshake-era protocol (2025-11-25) instead of 2026-07-28.
    """
    token = await signed_in(stack, email, scopes)
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        transport = streamable_http_client(stack.mcp_url, http_client=http)
        async with Client(transport, elicitation_callback=elicitation, mode=mode) as client:
            yield Session(client, token)
