"""The admin page in a real browser: people and usage for admins, a 403 for everyone else, revoking a person."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.storage import activity, audit
from app.storage import tables as t
from app.storage.clock import utcnow
from sandbox.seed import ALICE, BEN
from sandbox.server import SandboxServer
from tests.support.mcp_session import mcp_session
from tests.support.mcp_session import sign_in as connect_claude
from tests.support.oauth_flow import mcp_status
from tests.support.stack import Stack, running_stack
from tests.web.support import (
    DESKTOP,
    PHONE,
    chromium,
    csrf_of,
    database,
    new_page,
    screenshots,
    sign_in,
    user_named,
)

pytestmark = pytest.mark.browser


async def test_an_admin_sees_everyone_with_their_usage_and_a_chart_of_the_last_fourteen_days(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's own flushers stay asleep, so the admin page's flush is what makes these calls count.
    monkeypatch.setattr(audit, "FLUSH_SECONDS", 3600)
    monkeypatch.setattr(activity, "FLUSH_SECONDS", 3600)
    with running_stack(tmp_path, sandbox=sandbox, admin_emails=[ALICE]) as stack:
        async with mcp_session(stack, ALICE) as claude:
            for _ in range(3):
                await claude.ok("whoami")
            await claude.error("gmail_read_message", {"message_id": "no-such-message"})
        async with mcp_session(stack, BEN) as claude:
            started = utcnow().replace(microsecond=0)
            await claude.ok("whoami")
        async with database(stack) as store:  # Ben last signed in a quarter of an hour before his call
            ben = await user_named(store, BEN)
            async with store.engine.begin() as conn:
                earlier = t.users.update().values(last_active_at=started - timedelta(minutes=15))
                await conn.execute(earlier.where(t.users.c.id == ben.id))
        async with chromium() as browser:
            page = await new_page(browser)
            await sign_in(page, stack, ALICE, "/admin")
            assert await page.get_by_role("link", name="Admin").count() == 1

            rows = {
                (await row.locator("th .meta").inner_text()): await row.locator("td").all_inner_texts()
                for row in await page.locator("table.people tbody tr").all()
            }
            # status, last active, calls, errors, Fathom, action
            assert rows[ALICE][0] == "active" and rows[ALICE][2:5] == ["4", "1", "no"]
            assert rows[BEN][0] == "active" and rows[BEN][2:5] == ["1", "0", "no"]
            ben_row = page.locator("table.people tbody tr", has_text=BEN)
            last_active = await ben_row.locator("time").get_attribute("datetime")
            assert last_active and datetime.fromisoformat(last_active) >= started  # not behind his counted call

            chart = page.locator("svg.usage-chart")
            assert await chart.get_attribute("role") == "img"
            assert await chart.get_attribute("viewBox") == "0 0 560 260"
            assert await chart.locator("title").first.text_content() == (
                "Tool calls per day for the last 14 days, errors stacked on top"
            )
            assert "5 tool calls and 1 error in the last 14 days" in (await chart.locator("desc").text_content() or "")
            assert await chart.locator("rect.bar-ok").count() == 1
            assert await chart.locator("rect.bar-error").count() == 1
            assert await chart.locator("text.axis").count() == 5 + 7  # y ticks and every other day
            await screenshots(page, "admin")


async def test_someone_who_is_not_an_admin_gets_403_on_every_admin_route(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        await sign_in(page, stack, BEN, "/")
        assert await page.get_by_role("link", name="Admin").count() == 0
        response = await page.goto(stack.url + "/admin")
        assert response is not None and response.status == 403
        assert await page.locator("h1").inner_text() == "Not allowed"
        assert await page.locator("h1 + p").inner_text() == (
            f"The admin pages are for the people this Switchboard names as admins; {BEN} is not one. "
            "An admin of the server adds addresses to the ADMIN_EMAILS setting and restarts it."
        )
        await screenshots(page, "error-403")
        confirm = await page.request.get(f"{stack.url}/admin/revoke?user=anyone")
        assert confirm.status == 403
        ben_csrf = await csrf_of(page)
        revoke = await page.request.post(f"{stack.url}/admin/revoke", form={"csrf": ben_csrf, "user_id": "x"})
        assert revoke.status == 403


async def test_an_admin_revokes_a_person_after_confirming(stack: Stack) -> None:
    ben_token = await connect_claude(stack, BEN)
    assert await mcp_status(stack, ben_token) == 200
    async with chromium() as browser:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/admin")
        await page.get_by_role("link", name=f"Revoke {BEN}").click()
        await page.get_by_role("heading", name="Revoke Ben Okafor's access?").wait_for()
        assert await mcp_status(stack, ben_token) == 200  # nothing happens before confirming
        await page.get_by_role("button", name="Revoke access").click()
        await page.wait_for_url(stack.url + "/admin")
        assert await page.locator(".notice").inner_text() == (
            f"Signed {BEN} out of every browser and revoked 2 app tokens (connectors and installer tokens). "
            "They must sign in again to use Switchboard."
        )
        ben_row = page.locator("table.people tbody tr", has_text=BEN)
        assert await ben_row.locator(".badge").inner_text() == "revoked"
    assert await mcp_status(stack, ben_token) == 401


# Elements of the people table that stick out of its card, and whether the page is wider than the window.
OVERFLOW = """() => {
  const card = document.querySelector("table.people").closest(".card").getBoundingClientRect();
  const out = [];
  const parts = "table.people th, table.people td, table.people .badge, table.people .button";
  for (const node of document.querySelectorAll(parts)) {
    const box = node.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.left < card.left - 0.5 || box.right > card.right + 0.5 || node.scrollWidth > node.clientWidth + 1) {
      out.push(node.tagName + " " + node.textContent.trim().slice(0, 40));
    }
  }
  return {out, pageWider: document.documentElement.scrollWidth > window.innerWidth};
}"""


async def test_the_people_table_fits_its_card_on_a_desktop_and_on_a_phone(stack: Stack) -> None:
    await connect_claude(stack, BEN)
    async with chromium() as browser, database(stack) as store:
        await store.mark_google_grant((await user_named(store, BEN)).id, "needs_reconnect")
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/admin")
        for size in (DESKTOP, PHONE):
            await page.set_viewport_size(size)
            assert await page.evaluate(OVERFLOW) == {"out": [], "pageWider": False}, size
            revoke = page.get_by_role("link", name=f"Revoke {BEN}")
            assert await revoke.inner_text() == "Revoke…"
            assert await revoke.is_visible()
            ben = page.locator("table.people tbody tr", has_text=BEN)
            assert await ben.locator(".badge").inner_text() == "needs reconnect"
            assert await ben.locator(".badge").is_visible()


async def test_revoking_someone_signed_in_only_in_a_browser_signs_them_out_and_says_so(stack: Stack) -> None:
    async with chromium() as browser:
        ben = await new_page(browser)
        await sign_in(ben, stack, BEN, "/account")
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, f"/admin/revoke?user={(await ben_id(stack))}")
        await page.get_by_role("button", name="Revoke access").click()
        await page.wait_for_url(stack.url + "/admin")
        assert await page.locator(".notice").inner_text() == (
            f"Signed {BEN} out of every browser; they had no app tokens to revoke. "
            "They must sign in again to use Switchboard."
        )
        signed_out = await ben.request.get(stack.url + "/account", max_redirects=0)
        assert (signed_out.status, signed_out.headers["location"]) == (303, "/auth/login?next=/account")


async def ben_id(stack: Stack) -> str:
    async with database(stack) as store:
        return (await user_named(store, BEN)).id
