"""Browser-facing security: CSRF on every state change, session cookie flags, protocol paths left alone."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from app.main import create_app
from sandbox.seed import ALICE
from tests.support.settings import make_settings
from tests.support.stack import Stack
from tests.web.support import chromium, csrf_of, database, new_page, sign_in, user_named

STATE_CHANGES = (
    "/account/fathom",
    "/account/fathom/remove",
    "/account/clients/revoke",
    "/account/tokens/revoke",
    "/account/disconnect",
    "/admin/revoke",
)

PROTOCOL_PATHS = ("/mcp", "/token", "/register", "/.well-known/nothing-here", "/.well-known/oauth-authorization-server")


@pytest.mark.browser
async def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(stack: Stack) -> None:
    async with chromium() as browser, database(stack) as store:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/account")
        alice = await user_named(store, ALICE)
        await store.set_fathom_key(alice.id, "fathom-key-kept")
        real = await csrf_of(page)
        for path in STATE_CHANGES:
            for form in ({}, {"csrf": "forged"}, {"csrf": real[:-1]}):
                fields = {**form, "confirm": "yes", "user_id": alice.id, "fathom_key": "x"}
                refused = await page.request.post(stack.url + path, form=fields, max_redirects=0)
                assert refused.status == 403, (path, form)
                assert "Request refused" in await refused.text()
        assert await store.get_fathom_key(alice.id) == "fathom-key-kept"
        assert (await user_named(store, ALICE)).status == "active"
        accepted = await page.request.post(stack.url + "/account/fathom/remove", form={"csrf": real}, max_redirects=0)
        assert accepted.status == 303
        assert await store.get_fathom_key(alice.id) is None


@pytest.mark.browser
async def test_the_session_cookie_is_http_only_and_same_site_lax(stack: Stack) -> None:
    async with chromium() as browser:
        page = await new_page(browser)
        await sign_in(page, stack, ALICE, "/")
        cookies = {cookie.get("name"): cookie for cookie in await page.context.cookies()}
    session = cookies["switchboard_session"]
    assert session.get("httpOnly") is True
    assert session.get("sameSite") == "Lax"
    assert session.get("secure") is False  # a loopback PUBLIC_URL: plain http is allowed


async def test_the_session_cookie_is_secure_when_the_public_url_is_not_local(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, public_url="https://mcp.example.com"))
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="https://mcp.example.com") as http:
        page = await http.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    flags = {part.strip().lower() for part in page.headers["set-cookie"].split(";")}
    assert page.headers["set-cookie"].startswith("switchboard_session=")
    assert {"secure", "httponly", "samesite=lax"} <= flags


async def test_browsers_get_an_html_404_while_protocol_paths_keep_their_own_answers(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://localhost:8080") as http:
        page = await http.get("/no-such-page", headers=html)
        assert page.status_code == 404 and "Page not found" in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["x-frame-options"] == "DENY"
        plain = await http.get("/no-such-page", headers={"Accept": "*/*"})
        assert (plain.status_code, plain.text) == (404, "Not Found")
        for path in PROTOCOL_PATHS:
            as_browser = await http.get(path, headers=html)
            as_client = await http.get(path, headers={"Accept": "application/json"})
            assert as_browser.status_code == as_client.status_code, path
            assert as_browser.headers.get("content-type") == as_client.headers.get("content-type"), path
            assert "Page not found" not in as_browser.text, path


async def test_account_and_admin_ask_a_signed_out_browser_to_sign_in_first(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        account = await http.get("/account")
        admin = await http.get("/admin")
        landing = await http.get("/")
    assert (account.status_code, account.headers["location"]) == (303, "/auth/login?next=/account")
    assert (admin.status_code, admin.headers["location"]) == (303, "/auth/login?next=/admin")
    assert landing.status_code == 200 and 'href="/auth/login?next=/"' in landing.text
