"""Write the README's screenshots (docs/screenshots/) from headless Chromium against a sandbox-backed stack.

Run: uv run python -m tests.web.docs_screenshots
Alice (the admin) and Ben make a few tool calls, Carmen's Google access needs reconnecting, and the
browser shows times in Berlin's zone. Not part of the test run.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from playwright.async_api import Page

from sandbox.seed import ALICE, BEN, CARMEN
from sandbox.server import SandboxServer
from tests.support.mcp_session import mcp_session
from tests.support.mcp_session import sign_in as connect_claude
from tests.support.stack import Stack, running_stack
from tests.web.support import DESKTOP, PHONE, chromium, database, new_page, sign_in, user_named

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ZONE = "Europe/Berlin"


async def some_usage(stack: Stack) -> None:
    """Tool calls and one error from Alice and Ben; Carmen signed in once and then lost her Google access."""
    async with mcp_session(stack, ALICE) as claude:
        for _ in range(3):
            await claude.ok("whoami")
        await claude.error("gmail_read_message", {"message_id": "no-such-message"})
    async with mcp_session(stack, BEN) as claude:
        await claude.ok("whoami")
    await connect_claude(stack, ALICE)  # an app on her account page
    await connect_claude(stack, CARMEN)
    async with database(stack) as store:
        alice = await user_named(store, ALICE)
        for token in await store.list_personal_tokens(alice.id):  # the test sessions' own tokens
            await store.revoke_personal_token(alice.id, token.id)
        key = stack.sandbox.world.people[ALICE].fathom_key
        if key:
            await store.set_fathom_key(alice.id, key)
        await store.mark_google_grant((await user_named(store, CARMEN)).id, "needs_reconnect")


async def shoot(page: Page, url: str, name: str, size: dict[str, int]) -> None:
    await page.set_viewport_size(size)
    await page.goto(url)
    await page.screenshot(path=DOCS / f"{name}.png", full_page=True)
    print(DOCS / f"{name}.png")  # noqa: T201 (a command-line script reporting what it wrote)


async def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxServer()
    sandbox.start()
    try:
        with (
            tempfile.TemporaryDirectory() as directory,
            running_stack(Path(directory), sandbox, admin_emails=[ALICE]) as stack,
        ):
            await some_usage(stack)
            async with chromium() as browser:
                page = await new_page(browser, timezone_id=ZONE, locale="en-GB")
                await sign_in(page, stack, ALICE, "/account")
                await shoot(page, stack.url + "/account", "account-desktop", DESKTOP)
                await shoot(page, stack.url + "/", "landing-phone", PHONE)
                await shoot(page, stack.url + "/admin", "admin-desktop", DESKTOP)
                await shoot(page, stack.url + "/admin", "admin-phone", PHONE)
                await shoot(page, stack.url + "/help", "help-phone", PHONE)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    asyncio.run(main())
