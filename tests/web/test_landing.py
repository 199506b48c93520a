"""The start page in a real browser: signed out, signing in through Google, the connector URL and its copy button."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest

from sandbox.seed import ALICE, UNVERIFIED
from tests.support.stack import Stack
from tests.web.support import PHONE, choose_account, chromium, csp_errors, new_page, screenshots, sign_in

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


async def test_a_browser_gets_a_friendly_404_page_and_the_sign_out_address_leads_home(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        response = await page.goto(stack.url + "/no/such/page")
        assert response is not None and response.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
        assert await page.get_by_role("link", name="Go to the start page").get_attribute("href") == "/"
        await screenshots(page, "error-404")
        response = await page.goto(stack.url + "/static/no-such-file.css")
        assert response is not None and response.status == 404
        assert await page.locator("h1").inner_text() == "Page not found"
        # The sign-out form's address, opened directly, goes to the start page (and signs nobody out).
        response = await page.goto(stack.url + "/auth/logout")
        assert response is not None and response.status == 200 and page.url == stack.url + "/"


# Where the text of a copy box wraps onto a new line (the characters either side), whether it
# scrolls within itself, and whether the page is wider than the window.
LINE_BREAKS = """(id) => {
  const node = document.getElementById(id);
  const text = node.firstChild;
  const range = document.createRange();
  const breaks = [];
  let lastTop = null;
  for (let i = 0; i < text.length; i++) {
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    const rects = range.getClientRects();
    if (!rects.length) continue;
    if (lastTop !== null && rects[0].top > lastTop + 1) breaks.push(text.data.slice(i - 1, i + 1));
    lastTop = rects[0].top;
  }
  const scrolls = node.scrollWidth > node.clientWidth && ["auto", "scroll"].includes(getComputedStyle(node).overflowX);
  const card = node.closest(".card").getBoundingClientRect();
  const box = node.getBoundingClientRect();
  return {breaks, scrolls, inCard: box.left >= card.left && box.right <= card.right,
          pageWider: document.documentElement.scrollWidth > window.innerWidth};
}"""


async def test_on_a_phone_the_install_command_wraps_only_at_spaces_or_scrolls_within_its_box(stack: Stack) -> None:
    # A production address, long enough to need more than one line at phone width.
    command = "curl -sSL https://switchboard-production-acme-team.up.railway.app/install.sh | bash"
    async with chromium() as browser:
        page = await new_page(browser, viewport=PHONE)
        await sign_in(page, stack, ALICE, "/")
        await page.locator("#install-command").evaluate("(node, text) => { node.textContent = text; }", command)
        seen = await page.evaluate(LINE_BREAKS, "install-command")
        assert seen["scrolls"] or seen["breaks"], seen  # it does not fit on one line either way
        assert all(pair[0] == " " for pair in seen["breaks"]), seen
        assert seen["inCard"] and not seen["pageWider"], seen


async def test_a_refused_sign_in_drops_googles_code_from_the_address_and_offers_another_account(
    stack: Stack,
) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        await page.goto(f"{stack.url}/auth/login?next=/account")
        await choose_account(page, stack, UNVERIFIED, "/auth/refused")
        assert "code=" not in page.url
        assert await page.locator("h1").inner_text() == "Sign-in refused"
        reason = await page.locator("main p").first.inner_text()
        assert f"has not verified the address {UNVERIFIED}" in reason
        reloaded = await page.reload()
        assert reloaded is not None and reloaded.status == 403
        assert await page.locator("main p").first.inner_text() == reason

        await page.get_by_role("link", name="Sign in with another account").click()
        await choose_account(page, stack, ALICE, "/account")
        assert await page.locator("h1").inner_text() == "Your account"
        authorize = stack.sandbox.faults.requests("/google/o/oauth2/v2/auth")
        prompts = [prompt for r in authorize for prompt in parse_qs(r.query).get("prompt", [])]
        assert list(dict.fromkeys(prompts)) == ["consent", "select_account consent"]
