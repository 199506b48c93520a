"""Fathom tools with a Fathom OAuth grant instead of an API key, through a real MCP client."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx2
import pytest

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import FathomGrant, Store
from sandbox.fathom.oauth import revoke_fathom_grants_of
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.fathom import connect_fathom_by_oauth, fathom_oauth_settings
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

API = "/fathom/external/v1"
TOKEN_PATH = "/fathom/external/v1/oauth2/token"


@pytest.fixture
def stack_settings(sandbox: SandboxServer) -> dict[str, object]:
    return fathom_oauth_settings(sandbox.base_url)


def _refreshes(stack: Stack) -> list[dict[str, list[str]]]:
    forms = [parse_qs(r.body.decode()) for r in stack.sandbox.faults.requests(TOKEN_PATH)]
    return [form for form in forms if form.get("grant_type") == ["refresh_token"]]


async def _stored_grant(stack: Stack, email: str) -> FathomGrant:
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.get_user_by_email(email)
        assert user is not None
        grant = await store.get_fathom_grant(user.id)
        assert grant is not None
        return grant
    finally:
        await engine.dispose()


async def test_with_a_fathom_sign_in_the_tools_send_a_bearer_token_and_fetch_summaries_per_recording(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        token = await connect_fathom_by_oauth(stack, ALICE)
        text = await alice.ok("fathom_list_meetings", {"query": "clock SKEW"})
        who = await alice.ok("whoami")
    assert text.startswith("1 meeting(s) matching query='clock SKEW'")
    assert "Initech SSO troubleshooting" in text
    api = [r for r in stack.sandbox.faults.requests(API) if "/oauth2/" not in r.path]
    assert api and all(r.headers.get("authorization") == f"Bearer {token['access_token']}" for r in api)
    assert not any("x-api-key" in r.headers for r in api)
    meetings = [r for r in api if r.path.endswith("/meetings")]
    assert meetings and not any("include_summary" in r.query for r in meetings)
    assert any(r.path.endswith("/summary") for r in api)
    assert "Fathom: connected (signed in with Fathom)." in who


async def test_an_expired_fathom_token_is_refreshed_once_for_concurrent_calls_and_the_rotated_token_kept(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        first = await connect_fathom_by_oauth(stack, ALICE, expired=True)
        stack.sandbox.world.expire_all_access_tokens()
        stack.sandbox.faults.add_latency(
            TOKEN_PATH, 0.5
        )  # the first refresh is still running when the second call needs one
        await asyncio.gather(alice.ok("fathom_action_items"), alice.ok("fathom_list_meetings"))
    assert [form["refresh_token"] for form in _refreshes(stack)] == [[first["refresh_token"]]]
    (grant,) = [g for g in stack.sandbox.world.fathom_grants.values() if g.email == ALICE]
    stored = await _stored_grant(stack, ALICE)
    assert stored.token["refresh_token"] == grant.refresh_token != first["refresh_token"]
    assert stored.status == "active"
    # Fathom's refresh tokens work once: the one Switchboard spent is refused from now on.
    settings = stack.settings
    async with httpx2.AsyncClient(timeout=10) as http:
        reused = await http.post(
            settings.fathom_token_url,
            data={
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": settings.fathom_client_id,
                "client_secret": settings.fathom_client_secret,
            },
        )
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


async def test_a_revoked_fathom_grant_makes_every_fathom_tool_say_reconnect_fathom_with_the_link(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await connect_fathom_by_oauth(stack, ALICE)
        revoke_fathom_grants_of(stack.sandbox.world, ALICE)
        refused = await alice.error("fathom_list_meetings")
        again = await alice.error("fathom_action_items")
    account = f"{stack.settings.public_url}/account"
    message = f"Fathom access for your account has expired or was revoked. Reconnect Fathom at {account}"
    assert refused.endswith(message) and again.endswith(message)
    assert len(_refreshes(stack)) == 1  # the flagged grant is not tried again
    assert (await _stored_grant(stack, ALICE)).status == "needs_reconnect"


async def test_whoami_says_to_reconnect_fathom_when_its_sign_in_no_longer_works(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await connect_fathom_by_oauth(stack, ALICE)
        grant = await _stored_grant(stack, ALICE)
        engine = create_engine(stack.settings.database_url)
        try:
            await Store(engine, KeyRing(stack.settings.encryption_keys)).mark_fathom_grant(
                grant.user_id, "needs_reconnect", grant.version
            )
        finally:
            await engine.dispose()
        who = await alice.ok("whoami")
    account = f"{stack.settings.public_url}/account"
    assert "Fathom: needs reconnect (access expired or was revoked)." in who
    assert f"Reconnect Fathom at {account}" in who
