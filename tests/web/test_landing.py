"""The start page in a real browser: signed out, signing in through Google, the connector URL and its copy button."""

from __future__ import annotations

import re

import pytest

from sandbox.seed import ALICE
from tests.support.stack import Stack
from tests.web.support import choose_account, chromium, csp_errors, new_page, screenshots, sign_in

pytestmark = pytest.mark.browser


async def test_signing_in_through_google_shows_the_connector_url_with_a_working_copy_button(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        blocked = csp_errors(page)
        await page.goto(stack.url + "/")
        assert await page.locator("h1").inner_text() == "Claude, with your own Gmail, Calendar and Fathom"
        assert await page.locator("#connector-url").count() == 0
        await screenshots(page, "landing-signed-out")

        await page.get_by_role("link", name="Sign in with Google").click()
        await choose_account(page, stack, ALICE, "/")
        assert await page.locator("h1").inner_text() == "Connect Claude"
        assert await page.locator("#connector-url").inner_text() == stack.mcp_url
        # Chromium here says Linux: the terminal line shows, the PowerShell one is a click away.
        assert await page.locator("#install-command").inner_text() == f"curl -sSL {stack.url}/install.sh | bash"
        windows = page.locator("#install-command-windows")
        assert not await windows.is_visible()
        await page.get_by_text("On Windows?").click()
        assert await windows.inner_text() == f"irm {stack.url}/install.ps1 | iex"
        assert f"{stack.url}/install.sh | bash -s -- --uninstall" in await page.locator(".install").inner_text()
        asks = await page.locator(".asks li").all_inner_texts()
        assert [ask.strip("“”") for ask in asks] == [
            "What needs my attention?",
            "Prep me for my next meeting",
            "Draft the follow-up from this morning's call",
        ]

        # The copy button is added by the page's inline script, which runs only with the CSP nonce.
        await page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
        copy = page.get_by_role("button", name="Copy the connector URL")
        await copy.click()
        await page.get_by_role("button", name="Copy the connector URL").filter(has_text="Copied").wait_for()
        assert await page.evaluate("navigator.clipboard.readText()") == stack.mcp_url
        await screenshots(page, "landing-signed-in")
        assert blocked == []


async def test_a_windows_visitor_sees_the_powershell_installer_first(stack: Stack) -> None:
    windows_chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0"
    async with chromium() as browser:
        context = await browser.new_context(user_agent=windows_chrome)
        context.set_default_timeout(10_000)
        page = await context.new_page()
        await sign_in(page, stack, ALICE, "/")
        powershell = page.locator("#install-command-windows")
        assert await powershell.is_visible()
        assert await powershell.inner_text() == f"irm {stack.url}/install.ps1 | iex"
        uninstall = f"& ([scriptblock]::Create((irm {stack.url}/install.ps1))) -Uninstall"
        assert uninstall in await page.locator(".install").inner_text()
        assert not await page.locator("#install-command").is_visible()
        await page.get_by_text("On a Mac or Linux?").click()
        assert await page.locator("#install-command").inner_text() == f"curl -sSL {stack.url}/install.sh | bash"
        await screenshots(page, "landing-windows")


async def test_pages_carry_a_nonce_content_security_policy_and_refuse_framing(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        await page.goto(f"{stack.url}/auth/login?next=/")
        await choose_account(page, stack, ALICE, "/")
        response = await page.goto(stack.url + "/")
        assert response is not None
        headers = response.headers
        body = await response.text()
    nonce = re.search(r'<script nonce="([^"]+)">', body)
    assert nonce, "the copy script carries a nonce"
    policy = headers["content-security-policy"]
    assert f"script-src 'nonce-{nonce.group(1)}'" in policy
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


async def test_a_browser_gets_a_friendly_404_page(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        response = await page.goto(stack.url + "/no/such/page")
        assert response is not None and response.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
        assert await page.get_by_role("link", name="Go to the start page").get_attribute("href") == "/"
        await screenshots(page, "error-404")
