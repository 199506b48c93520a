"""whoami and the time zone the tools write in, as the model reads them."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import PersonalToken, Store
from sandbox.seed import ALICE
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

CALENDAR_LIST = "/calendar/v3/users/me/calendarList"


async def test_whoami_speaks_of_connections_never_of_the_inbox(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("whoami")
    assert text.splitlines()[-1] == "Connections needing attention: none."
    assert "Needs attention" not in text  # read by a model as "your inbox needs nothing"


def utc_minute(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


async def personal_tokens(stack: Stack, *lifetimes: timedelta) -> list[tuple[PersonalToken, str]]:
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.upsert_user(google_sub="alice-sub", email=ALICE, name="Alice", domain="acme.example")
        return [await store.create_personal_token(user.id, "Claude Desktop on LAPTOP", ttl) for ttl in lifetimes]
    finally:
        await engine.dispose()


async def whoami_with(stack: Stack, token: str) -> str:
    async with asyncio.timeout(30):
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=20) as http:
            async with Client(streamable_http_client(stack.mcp_url, http_client=http)) as client:
                result = await client.call_tool("whoami", {})
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


async def test_whoami_says_when_a_personal_token_expires_and_in_its_last_week_how_to_renew_it(stack: Stack) -> None:
    (fresh, fresh_token), (ending, ending_token) = await personal_tokens(stack, timedelta(days=90), timedelta(days=3))

    text = await whoami_with(stack, fresh_token)
    expected = f"This personal access token (from the installer) expires {utc_minute(fresh.expires_at)} (in 90 days)."
    assert expected in text.splitlines()
    assert "installer again" not in text

    text = await whoami_with(stack, ending_token)
    expected = f"This personal access token (from the installer) expires {utc_minute(ending.expires_at)} (in 3 days)."
    assert expected in text.splitlines()
    attention = text.splitlines()[-1]
    assert attention.startswith("Connections needing attention: ")
    assert "run the installer again on this computer" in attention
    assert f"`curl -sSL {stack.url}/install.sh | bash`" in attention
    assert f"`irm {stack.url}/install.ps1 | iex`" in attention


async def test_a_failed_time_zone_lookup_is_not_remembered_as_the_answer(stack: Stack) -> None:
    stack.sandbox.faults.fail_next(CALENDAR_LIST, 1, 404)
    async with mcp_session(stack, ALICE) as alice:
        guessed = await alice.ok("calendar_list_events")
        known = await alice.ok("calendar_list_events")
    assert "(times in UTC;" in guessed
    assert "(times in America/New_York;" in known
    assert len(stack.sandbox.faults.requests(CALENDAR_LIST)) == 2
