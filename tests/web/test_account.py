"""The account page in a real browser: the Fathom key, connected apps and tokens, disconnecting everything."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx2
import pytest

from app.web.pages import FATHOM_REJECTED
from sandbox.seed import ALICE
from tests.support.mcp_session import mcp_session
from tests.support.mcp_session import sign_in as connect_claude
from tests.support.oauth_flow import mcp_status
from tests.support.stack import Stack
from tests.web.support import (
    chromium,
    credential_rows,
    csrf_of,
    database,
    new_page,
    screenshots,
    sign_in,
    user_named,
)

pytestmark = pytest.mark.browser


async def test_a_fathom_key_is_checked_with_fathom_and_only_its_last_four_characters_are_shown(
    stack: Stack,
) -> None:
    right = stack.sandbox.world.people[ALICE].fathom_key
    assert right
    wrong = "fathom-sbx-alice-0123456789abcdef"
    await connect_claude(stack, ALICE)
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)

        await page.get_by_label("Fathom API key").fill(wrong)
        async with page.expect_response(f"{stack.url}/account/fathom") as refused:
            await page.get_by_role("button", name="Save key").click()
        assert (await refused.value).status == 400
        assert await page.get_by_role("alert").inner_text() == FATHOM_REJECTED
        assert wrong not in await page.content()
        assert await page.get_by_label("Fathom API key").input_value() == ""
        assert await store.fathom_key_last4(alice.id) is None

        # Opening the address the form posted to (a reload, a bookmark) shows the account page.
        reopened = await page.goto(stack.url + "/account/fathom")
        assert reopened is not None and reopened.status == 200 and page.url == stack.url + "/account"
        assert await page.locator("h1").inner_text() == "Your account"

        await page.get_by_label("Fathom API key").fill(right)
        await page.get_by_role("button", name="Save key").click()
        await page.wait_for_url(stack.url + "/account")
        assert await page.locator(".notice").inner_text() == f"Fathom connected (key ending in {right[-4:]})."
        assert await page.locator("code.key").inner_text() == "••••" + right[-4:]
        html = await page.content()
        assert right not in html and right[:-4] not in html
        assert await store.get_fathom_key(alice.id) == right
        checked = [r for r in stack.sandbox.faults.requests("/fathom") if r.path.endswith("/teams")]
        assert [r.headers["x-api-key"] for r in checked] == [wrong, right]
        await screenshots(page, "account")

        await page.get_by_role("button", name="Remove key").click()
        await page.wait_for_url(stack.url + "/account")
        assert "Fathom key removed" in await page.locator(".notice").inner_text()
        assert await store.fathom_key_last4(alice.id) is None


async def test_revoking_an_installer_token_or_an_app_on_the_account_page_refuses_its_bearer_on_mcp(
    stack: Stack,
) -> None:
    connector_token = await connect_claude(stack, ALICE)
    async with chromium() as browser, httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")

        # The installer's device sign-in, approved on the setup page.
        started = (await http.post("/device/code", data={"client_name": "Work laptop"})).json()
        await page.goto(f"{stack.url}/setup?code={started['user_code']}")
        await screenshots(page, "setup")
        await page.get_by_role("button", name="Approve").click()
        await page.get_by_role("heading", name="Done — return to your terminal").wait_for()
        grant = "urn:ietf:params:oauth:grant-type:device_code"
        issued = await http.post("/device/token", data={"grant_type": grant, "device_code": started["device_code"]})
        personal = issued.json()["access_token"]
        assert await mcp_status(stack, personal) == 200
        assert await mcp_status(stack, connector_token) == 200

        await page.goto(stack.url + "/account")
        assert "Test Client" in await page.locator("#apps").inner_text()
        await page.get_by_role("button", name=re.compile(r"^Revoke Work laptop \(device sign-in, ")).click()
        await page.wait_for_url(stack.url + "/account")
        assert await page.locator(".notice").inner_text() == "The token was revoked."
        assert await mcp_status(stack, personal) == 401
        assert await mcp_status(stack, connector_token) == 200

        await page.get_by_role("button", name="Revoke Test Client").click()
        await page.wait_for_url(stack.url + "/account")
        assert await page.locator(".notice").inner_text() == "Test Client was disconnected."
        assert await mcp_status(stack, connector_token) == 401
        apps = await page.locator("#apps").inner_text()
        assert "No apps yet" in apps and "None." in apps


async def test_disconnecting_everything_leaves_no_credentials_and_revokes_the_grant_at_google(
    stack: Stack,
) -> None:
    connector_token = await connect_claude(stack, ALICE)
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)
        await store.set_fathom_key(alice.id, "fathom-key-to-forget")
        await store.create_personal_token(alice.id, "Old laptop", timedelta(days=1))
        grant = await store.get_google_grant(alice.id)
        assert grant is not None
        refresh_token = grant.token["refresh_token"]
        before = await credential_rows(store, alice.id)
        assert all(before.values()), before

        # The checkbox is required by the server too, not only by the browser.
        unconfirmed = await page.request.post(
            stack.url + "/account/disconnect", form={"csrf": await csrf_of(page)}, max_redirects=0
        )
        assert unconfirmed.status == 400
        assert "Tick the box to confirm" in await unconfirmed.text()
        assert await credential_rows(store, alice.id) == before

        await page.get_by_label("I understand").check()
        await page.get_by_role("button", name="Disconnect everything").click()
        await page.get_by_role("heading", name="Everything is disconnected").wait_for()
        assert "access revoked at Google" in await page.locator("main").inner_text()

        assert await credential_rows(store, alice.id) == dict.fromkeys(before, 0)
        revocations = stack.sandbox.faults.requests("/google/revoke")
        assert [r.body.decode() for r in revocations] == [f"token={quote(refresh_token, safe='')}"]
        assert await mcp_status(stack, connector_token) == 401
        signed_out = await page.request.get(stack.url + "/account", max_redirects=0)
        assert signed_out.status == 303
        assert signed_out.headers["location"] == "/auth/login?next=/account"


async def test_a_failed_revocation_at_google_still_disconnects_and_says_so(stack: Stack) -> None:
    stack.sandbox.faults.fail_next("/google/revoke", 1, 503)
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)
        await page.get_by_label("I understand").check()
        await page.get_by_role("button", name="Disconnect everything").click()
        await page.get_by_role("heading", name="Everything is disconnected").wait_for()
        text = await page.locator("main").inner_text()
        assert "Google did not confirm the revocation" in text
        assert "https://myaccount.google.com/connections" in text
        assert not any((await credential_rows(store, alice.id)).values())


async def test_a_personal_token_in_its_last_week_says_when_it_ends_and_how_to_renew_it(stack: Stack) -> None:
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)
        await store.create_personal_token(alice.id, "Claude Desktop on DESK", timedelta(days=90))
        await store.create_personal_token(alice.id, "Claude Desktop on LAPTOP", timedelta(days=2))
        await page.goto(stack.url + "/account")
        ending = page.locator("#apps li", has_text="Claude Desktop on LAPTOP").locator(".token-ending")
        text = " ".join((await ending.inner_text()).split())
        assert text.startswith("Expires in 2 days: Claude Desktop on that computer then stops reaching Switchboard.")
        assert f"curl -sSL {stack.url}/install.sh | bash" in text
        assert f"irm {stack.url}/install.ps1 | iex" in text
        assert await page.locator("#apps li", has_text="Claude Desktop on DESK").locator(".token-ending").count() == 0
        await screenshots(page, "account-token-ending")


async def test_times_on_the_account_page_are_shown_in_the_browsers_zone_with_the_zone_named(stack: Stack) -> None:
    await connect_claude(stack, ALICE)
    async with chromium() as browser:
        for zone, named in (("America/New_York", None), ("Asia/Tokyo", "GMT+9")):
            page = await new_page(browser, timezone_id=zone, locale="en-US")
            await sign_in(page, stack, ALICE, "/account")
            first = page.locator("#apps time").first
            stamp = await first.get_attribute("datetime")
            assert stamp and stamp.endswith("Z")
            at = datetime.fromisoformat(stamp)
            local = at.astimezone(ZoneInfo(zone))
            name = named or local.tzname()  # EST or EDT, as the date falls
            assert await first.inner_text() == f"{local:%b} {local.day}, {local.year}, {local:%H:%M} {name}"
            # Without the script the server's UTC text stays, and says so.
            assert await first.get_attribute("title") == f"{at.day} {at:%b %Y, %H:%M} UTC"
            await page.context.close()


async def test_the_account_page_lists_what_claude_did_newest_first_with_the_app_and_admins_never_see_it(
    stack: Stack,
) -> None:
    async with mcp_session(stack, ALICE) as claude:
        created = await claude.ok(
            "calendar_create_event",
            {"summary": "Launch review", "start": "2030-01-08T10:00", "end": "2030-01-08T10:30", "time_zone": "UTC"},
        )
        event_id = created.rsplit("event_id=", 1)[1].split()[0]
        await claude.ok("calendar_delete_event", {"event_id": event_id})
        await claude.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        body = "The launch numbers, privately: 1,234 sign-ups."
        await claude.ok("gmail_draft", {"to": ["ben@acme.example"], "subject": "Launch numbers", "body": body})
    async with chromium() as browser:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        lines = await page.locator("#action-list li").all_inner_texts()
        await page.goto(stack.url + "/admin")
        admin = await page.content()
    assert len(lines) == 3, lines
    assert lines[0].startswith("Drafted to ben@acme.example: 'Launch numbers'")
    assert lines[1].startswith("Deleted event 'Launch review'") and lines[2].startswith("Created event 'Launch review'")
    assert "1,234" not in "".join(lines)  # never a body
    assert all("Claude (test)" in line for line in lines), lines  # the personal token the session used
    assert "Launch review" not in admin and "Launch numbers" not in admin


async def test_always_save_as_draft_on_the_account_page_turns_every_send_into_a_draft(stack: Stack) -> None:
    colleague = "ben@acme.example"
    async with chromium() as browser, database(stack) as store, mcp_session(stack, ALICE) as alice:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        before = await alice.ok("whoami")  # the tool layer now holds Alice's profile for a few seconds
        assert not await page.get_by_label("Always save as draft").is_checked()
        await page.get_by_label("Always save as draft").check()
        await page.get_by_role("button", name="Save sending choice").click()
        assert "Claude will save every email as a draft" in await page.get_by_role("status").inner_text()
        assert await page.get_by_label("Always save as draft").is_checked()
        assert (await user_named(store, ALICE)).always_draft
        # At once, in the same session: the choice clears what the tool layer held.
        held = await alice.ok("gmail_send", {"to": [colleague], "subject": "Lunch", "body": "Noon?"})
        whoami = await alice.ok("whoami")
    assert "Sending: confirm" in before
    assert held.startswith('Not sent: saved as a draft because you chose "always save as draft" on your account page')
    assert "Sending: always draft (you chose to save every email as a draft on your account page)" in whoami
    assert stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send") == []
