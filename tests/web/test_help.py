"""The help page in a real browser: linked from every page, fits a desktop and a phone, names the admin only
to signed-in people."""

from __future__ import annotations

import pytest

from sandbox.seed import ALICE, BEN
from tests.support.stack import Stack
from tests.web.support import DESKTOP, PHONE, chromium, new_page, screenshots, sign_in

pytestmark = pytest.mark.browser

# Elements of the page that stick out of the window, and whether the page is wider than the window.
OVERFLOW = """() => {
  const out = [];
  for (const node of document.querySelectorAll("body *")) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 || node.closest(".visually-hidden")) continue;
    const outside = box.left < -0.5 || box.right > window.innerWidth + 0.5;
    if (outside) out.push(node.tagName + " " + node.textContent.slice(0, 40));
  }
  return {out, pageWider: document.documentElement.scrollWidth > window.innerWidth};
}"""

HEADINGS = [
    "Connect Claude",
    "The browser did not open",
    "Tools not appearing",
    "Where is my Fathom key?",
    "What Switchboard can and cannot see",
    "Disconnecting",
]


async def test_the_help_page_is_linked_from_every_page_and_fits_a_desktop_and_a_phone(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        for path in ("/", "/no/such/page", "/auth/refused"):
            await page.goto(stack.url + path)
            await page.get_by_role("navigation", name="Main").get_by_role("link", name="Help").click()
            await page.wait_for_url(stack.url + "/help")
        assert await page.locator("main h2").all_inner_texts() == HEADINGS
        assert await page.locator("#connector-url").inner_text() == stack.mcp_url
        assert await page.locator("#install-command").inner_text() == f"curl -sSL {stack.url}/install.sh | bash"
        await page.get_by_text("On Windows?").click()
        assert await page.locator("#install-command-windows").inner_text() == f"irm {stack.url}/install.ps1 | iex"
        assert await page.get_by_role("link", name=f"{stack.url}/setup").get_attribute("href") == f"{stack.url}/setup"
        assert "Settings → API access" in await page.locator("#fathom").inner_text()
        for size in (DESKTOP, PHONE):
            await page.set_viewport_size(size)
            assert await page.evaluate(OVERFLOW) == {"out": [], "pageWider": False}, size


async def test_the_help_page_names_the_admin_only_to_someone_signed_in(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        await page.goto(stack.url + "/help")
        assert ALICE not in await page.content()
        assert await page.locator("#admin").count() == 0
        await sign_in(page, stack, BEN, "/help")
        admin = page.locator("#admin")
        assert await admin.locator("p").inner_text() == f"For anything this page does not answer, ask {ALICE}."
        assert await admin.get_by_role("link", name=ALICE).get_attribute("href") == f"mailto:{ALICE}"
        await screenshots(page, "help")
