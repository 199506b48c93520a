"""Connect Fathom on the account page in a real browser: sign in at the sandbox Fathom, use, lose, disconnect."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from playwright.async_api import Page

from sandbox.fathom.oauth import revoke_fathom_grants_of
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.support.fathom import fathom_oauth_settings
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack
from tests.web.support import chromium, database, new_page, sign_in, user_named

pytestmark = pytest.mark.browser

OAUTH = "/fathom/external/v1/oauth2"


@pytest.fixture
def stack_settings(sandbox: SandboxServer) -> dict[str, object]:
    return {"admin_emails": [ALICE]} | fathom_oauth_settings(sandbox.base_url)


async def _allow_at_fathom(page: Page, stack: Stack, button: str) -> None:
    await page.get_by_role("button", name=button).click()
    await page.get_by_role("button", name=re.compile(r"Allow as .*" + re.escape(ALICE))).click()
    await page.wait_for_url(stack.url + "/account")


async def test_connecting_fathom_by_signing_in_there_replaces_the_key_serves_claude_and_is_revoked_on_disconnect(
    stack: Stack,
) -> None:
    world = stack.sandbox.world
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)
        key = world.people[ALICE].fathom_key
        assert key
        await store.set_fathom_key(alice.id, key)
        await page.reload()
        assert "Connecting Fathom by signing in replaces the pasted key." in await page.locator("#fathom").inner_text()

        await _allow_at_fathom(page, stack, "Connect Fathom")
        assert await page.locator(".notice").inner_text() == "Fathom connected. It replaces the API key you had pasted."
        card = await page.locator("#fathom").inner_text()
        assert "Connected" in card and "you connected Fathom by signing in to Fathom" in card
        assert await store.get_fathom_key(alice.id) is None
        asked = parse_qs(stack.sandbox.faults.requests(OAUTH + "/authorize")[0].query)
        assert asked["client_id"] == [stack.settings.fathom_client_id]
        assert asked["redirect_uri"] == [f"{stack.url}/account/fathom/callback"]
        assert asked["scope"] == ["public_api"] and asked["response_type"] == ["code"]
        grant = await store.get_fathom_grant(alice.id)
        assert grant is not None and grant.scope == "public_api"

        # Claude's Fathom tools now send Fathom the grant's bearer token.
        async with mcp_session(stack, ALICE) as claude:
            await claude.ok("fathom_action_items")
        api = [r for r in stack.sandbox.faults.requests("/fathom/external/v1") if not r.path.startswith(OAUTH)]
        assert api and {r.headers.get("authorization") for r in api} == {f"Bearer {grant.token['access_token']}"}

        # The person removes Switchboard at Fathom: the tools and the page say to reconnect Fathom.
        revoke_fathom_grants_of(world, ALICE)
        async with mcp_session(stack, ALICE) as claude:
            refused = await claude.error("fathom_action_items")
        assert refused.endswith(f"Reconnect Fathom at {stack.url}/account")
        await page.reload()
        card = await page.locator("#fathom").inner_text()
        assert "Needs reconnect" in card
        assert "Fathom no longer accepts Switchboard's access" in await page.locator("#fathom-reconnect").inner_text()

        await _allow_at_fathom(page, stack, "Reconnect Fathom")
        assert "Connected" in await page.locator("#fathom .badge").inner_text()
        await page.get_by_role("button", name="Disconnect Fathom").click()
        await page.wait_for_url(stack.url + "/account")
        assert await page.locator(".notice").inner_text() == (
            "Fathom disconnected. Fathom confirmed that Switchboard's access is revoked."
        )
        assert await store.get_fathom_grant(alice.id) is None
        assert [g.revoked for g in world.fathom_grants.values() if g.email == ALICE] == [True, True]
        assert len(stack.sandbox.faults.requests(OAUTH + "/revoke")) == 1


async def test_a_fathom_answer_not_started_here_or_cancelled_connects_nothing(stack: Stack) -> None:
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        forged = await page.goto(f"{stack.url}/account/fathom/callback?code=stolen&state=guessed")
        assert forged is not None and forged.status == 400
        assert "does not belong to a connection started here" in await page.locator("main").inner_text()

        await page.goto(stack.url + "/account")
        await page.get_by_role("button", name="Connect Fathom").click()
        await page.get_by_role("button", name="Cancel").click()
        await page.get_by_role("heading", name="Fathom not connected").wait_for()
        assert "You cancelled on Fathom's page" in await page.locator("main").inner_text()
        assert await store.get_fathom_grant((await user_named(store, ALICE)).id) is None
        assert stack.sandbox.faults.requests(OAUTH + "/token") == []
