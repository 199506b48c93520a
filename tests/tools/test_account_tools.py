"""whoami and the time zone the tools write in, as the model reads them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx2
import sqlalchemy as sa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import TextContent

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import PersonalToken, Store
from sandbox.seed import ALICE
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.oauth_client import Browser
from tests.support.stack import Stack

CALENDAR_LIST = "/calendar/v3/users/me/calendarList"


async def test_whoami_speaks_of_connections_never_of_the_inbox(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("whoami")
    assert text.splitlines()[-1] == "Connections needing attention: none."
    assert "Needs attention" not in text  # read by a model as "your inbox needs nothing"
    assert (
        "\nSending: confirm (you are asked before anything is sent where your client can ask; "
        "otherwise mail to new external recipients becomes a draft)\n"
    ) in text


async def test_whoami_lists_the_verified_send_as_addresses_and_omits_the_line_when_gmail_cannot_say(
    stack: Stack,
) -> None:
    aliases = stack.sandbox.world.mailboxes[ALICE].aliases
    verified = [f"{a.email} ({a.display_name})" for a in aliases if a.verified]
    pending = [a.email for a in aliases if not a.verified]
    assert verified and pending
    send_as = "/gmail/gmail/v1/users/me/settings/sendAs"
    async with mcp_session(stack, ALICE) as alice:
        stack.sandbox.faults.fail_next(send_as, 1, 403, "insufficientPermissions")
        without = await alice.ok("whoami")
        text = await alice.ok("whoami")
        again = await alice.ok("whoami")
    assert "Send as" not in without and without.startswith("Signed in as ")
    assert f"Send as: {ALICE} (default), {', '.join(verified)}" in text.splitlines()
    assert not any(address in text for address in pending)
    # The addresses are kept for a while: whoami does not ask Gmail each time.
    assert again == text and len(stack.sandbox.faults.requests(send_as)) == 2


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


async def test_a_failed_time_zone_lookup_is_said_to_be_a_guess_and_not_remembered_as_the_answer(stack: Stack) -> None:
    zone = stack.sandbox.world.people[ALICE].time_zone
    guess = "(times in UTC — your calendar's time zone could not be read just now"
    stack.sandbox.faults.fail_next(CALENDAR_LIST, 2, 404)
    async with mcp_session(stack, ALICE) as alice:
        guessed = await alice.ok("calendar_list_events")
        guessed_mail = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        known = await alice.ok("calendar_list_events")
        known_mail = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
    assert f"{guess}; all-day dates inclusive)" in guessed and f"{guess})" in guessed_mail
    assert f"(times in {zone}; all-day dates inclusive)" in known and f"(times in {zone})" in known_mail
    assert "could not be read" not in known + known_mail
    assert len(stack.sandbox.faults.requests(CALENDAR_LIST)) == 3


async def test_without_calendar_access_the_zone_is_said_to_be_unknown_for_that_reason(stack: Stack) -> None:
    gmail_only = "openid%20email%20profile%20https://www.googleapis.com/auth/gmail.modify"
    async with mcp_session(stack, ALICE, scopes=gmail_only) as alice:
        text = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
    assert "(times in UTC — your calendar's time zone is unknown without Google Calendar access)" in text


async def test_after_google_refuses_the_grant_whoami_and_the_account_page_both_say_reconnect(stack: Stack) -> None:
    browser = Browser(ALICE)
    try:
        async with mcp_session(stack, ALICE) as alice:
            assert "Google: connected" in await alice.ok("whoami")
            await browser.walk(f"{stack.url}/auth/login?next=/account", f"{stack.url}/account")
            stack.sandbox.world.revoke_grants_of(ALICE)
            stack.sandbox.world.expire_all_access_tokens()
            failed = await alice.error("gmail_search", {"query": "in:inbox"})
            whoami = await alice.ok("whoami")
        page = await browser.http.get(f"{stack.url}/account")
    finally:
        await browser.aclose()
    assert "expired or was revoked" in failed
    assert "Google: needs reconnect" in whoami and f"Reconnect Google at {stack.url}/account" in whoami
    assert "Needs reconnect" in page.text and ">Connected<" not in page.text.split('id="fathom"')[0]


async def test_a_time_without_offset_is_not_placed_in_a_guessed_zone_and_times_shown_in_it_say_so(stack: Stack) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    event = {"summary": "Sync", "start": f"{tomorrow}T09:30", "end": f"{tomorrow}T10:00", "send_updates": "none"}
    stack.sandbox.faults.fail_next(CALENDAR_LIST, 2, 404)
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("calendar_create_event", event)
        created = await alice.ok("calendar_create_event", event | {"time_zone": "Europe/Berlin"})
    assert f"'{tomorrow}T09:30' has no UTC offset and your calendar's time zone could not be read just now" in refused
    posted = [r for r in stack.sandbox.faults.requests("/calendar") if r.method == "POST"]
    assert len(posted) == 1 and json.loads(posted[0].body)["start"]["timeZone"] == "Europe/Berlin"
    assert created.startswith("Created «Sync»")
    assert (
        "(Europe/Berlin: 09:30–10:00) (times in UTC — your calendar's time zone could not be read just now)" in created
    )


async def test_a_grant_made_for_the_former_google_client_asks_to_reconnect_once_and_loses_nothing_else(
    stack: Stack,
) -> None:
    engine = create_engine(stack.settings.database_url)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        try:
            async with engine.begin() as conn:  # as saved before the administrator switched clients
                await conn.execute(sa.text("UPDATE google_grants SET client_id = 'former-client.apps'"))
        finally:
            await engine.dispose()
        whoami = await alice.ok("whoami")
        refused = await alice.error("gmail_search", {"query": "in:inbox"})
    assert "Google: needs reconnect once (Switchboard moved to a new Google sign-in client)." in whoami
    assert "Fathom: connected (key ending" in whoami
    assert f"Reconnect Google at {stack.url}/account" in whoami.splitlines()[-1]
    assert "Google must be reconnected once for alice@acme.example" in refused
    assert f"Reconnect at {stack.url}/account; Fathom, tokens and settings stay as they are." in refused
    assert stack.sandbox.faults.requests("/gmail") == []


async def test_grants_saved_before_clients_were_recorded_are_taken_as_the_current_clients(stack: Stack) -> None:
    engine = create_engine(stack.settings.database_url)
    async with mcp_session(stack, ALICE) as alice:
        try:
            store = Store(engine, KeyRing(stack.settings.encryption_keys), stack.settings.google_client_id)
            async with engine.begin() as conn:
                await conn.execute(sa.text("UPDATE google_grants SET client_id = NULL"))
            assert await store.adopt_google_client(stack.settings.google_client_id) == 1
        finally:
            await engine.dispose()
        whoami = await alice.ok("whoami")
    assert "Google: connected" in whoami
