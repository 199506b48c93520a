"""Offboarding: the allow-list holds wherever access is used, admin rights need a vouched sign-in,
and ending a person's sessions ends every browser's copy of them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import httpx2

from app.auth.device import DEVICE_GRANT_TYPE
from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed.people import ALICE, BEN
from sandbox.server import SandboxServer
from tests.support.oauth_flow import Flow, mcp_request
from tests.support.stack import Stack, running_stack


@asynccontextmanager
async def signed_in_browser(stack: Stack, email: str, extra: str = "") -> AsyncIterator[httpx2.AsyncClient]:
    """A browser's cookie jar after `email` signed in with Google."""
    async with httpx2.AsyncClient(timeout=15) as browser:
        url = f"{stack.url}/auth/login?next=/account"
        for _ in range(10):
            if "/o/oauth2/v2/auth" in url:
                url += f"&sandbox_login={email}{extra}"
            response = await browser.get(url)
            if not response.is_redirect:
                break
            url = str(response.next_request.url) if response.next_request else response.headers["location"]
        yield browser


def copy_of(browser: httpx2.AsyncClient) -> httpx2.AsyncClient:
    """Another browser holding a copy of this one's cookies (a stolen or synced cookie)."""
    return httpx2.AsyncClient(timeout=15, cookies=httpx2.Cookies(browser.cookies))


def csrf_of(page: httpx2.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


async def personal_token(stack: Stack, email: str) -> str:
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.get_user_by_email(email)
        assert user is not None
        _record, plaintext = await store.create_personal_token(user.id, "installer", timedelta(days=1))
        return plaintext
    finally:
        await engine.dispose()


async def test_taking_someone_off_the_allow_list_ends_their_tokens_refresh_pages_and_device_approval(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        with running_stack(tmp_path, sandbox, allowed_emails=[ALICE, BEN]) as before:
            flow = Flow(before, http)
            tokens = await flow.sign_in(ALICE)
            personal = await personal_token(before, ALICE)
            async with signed_in_browser(before, ALICE) as browser:
                assert (await browser.get(f"{before.url}/account")).status_code == 200
                cookies = httpx2.Cookies(browser.cookies)
        # The restart: same database and secrets, Alice no longer listed.
        same = {"session_secret": before.settings.session_secret}
        same["token_encryption_key"] = before.settings.token_encryption_key
        with running_stack(tmp_path, sandbox, allowed_emails=[BEN], **same) as after:
            access = await mcp_request(after.mcp_url, tokens["access_token"], "tools/list", {})
            by_personal = await mcp_request(after.mcp_url, personal, "tools/list", {})
            flow.stack = after
            refreshed = await flow.refresh(tokens["refresh_token"])
            async with httpx2.AsyncClient(timeout=15, cookies=cookies) as browser:
                account = await browser.get(f"{after.url}/account")
                setup = await browser.get(f"{after.url}/setup?code=BCDF-GHJK")
        # Put back on the list, everything of hers works again: nothing was deleted.
        with running_stack(tmp_path, sandbox, allowed_emails=[ALICE, BEN], **same) as restored:
            flow.stack = restored
            again = await flow.refresh(tokens["refresh_token"])
            by_personal_again = await mcp_request(restored.mcp_url, personal, "tools/list", {})
    refusal = "alice@acme.example is not allowed to use this Switchboard"
    for response in (access, by_personal):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_token"
        assert refusal in response.json()["error_description"]
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert refusal in refreshed.json()["error_description"]
    for page in (account, setup):
        assert page.status_code == 403 and "Sign-in refused" in page.text and refusal in page.text
    assert again.status_code == 200, again.text
    assert by_personal_again.status_code == 200


async def test_an_approved_device_sign_in_yields_no_token_once_its_person_is_off_the_allow_list(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        with running_stack(tmp_path, sandbox, allowed_emails=[ALICE]) as before:
            started = (await http.post(f"{before.url}/device/code", data={"client_name": "Laptop"})).json()
            async with signed_in_browser(before, ALICE) as browser:
                page = await browser.get(f"{before.url}/setup?code={started['user_code']}")
                decided = await browser.post(
                    f"{before.url}/setup",
                    data={"csrf": csrf_of(page), "code": started["user_code"], "decision": "approve"},
                )
                assert decided.status_code == 200, decided.text
        same = {"session_secret": before.settings.session_secret}
        same["token_encryption_key"] = before.settings.token_encryption_key
        with running_stack(tmp_path, sandbox, allowed_emails=[BEN], **same) as after:
            polled = await http.post(
                f"{after.url}/device/token",
                data={
                    "grant_type": DEVICE_GRANT_TYPE,
                    "device_code": started["device_code"],
                },
            )
    assert polled.status_code == 400
    assert polled.json()["error"] == "access_denied"
    assert "alice@acme.example is not allowed" in polled.json()["error_description"]


async def test_an_account_that_only_shares_an_admins_address_never_gets_the_admin_pages(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, admin_emails=[ALICE]) as stack:
        async with signed_in_browser(stack, ALICE, "&sandbox_id_token=consumer") as impostor:
            refused = await impostor.get(f"{stack.url}/admin")
        async with signed_in_browser(stack, ALICE) as admin:
            allowed = await admin.get(f"{stack.url}/admin")
    assert refused.status_code == 403
    assert allowed.status_code == 200


async def test_an_admin_listed_by_address_under_a_domain_allow_list_needs_the_workspace_account(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, allowed_email_domains=["acme.example"], admin_emails=[ALICE]) as stack:
        async with signed_in_browser(stack, ALICE) as admin:
            allowed = await admin.get(f"{stack.url}/admin")
    assert allowed.status_code == 200


async def test_signing_out_ends_every_copy_of_the_session_cookie_and_every_other_browser(stack: Stack) -> None:
    async with (
        signed_in_browser(stack, ALICE) as browser,
        copy_of(browser) as copy,
        signed_in_browser(stack, ALICE) as other_device,
    ):
        account = await browser.get(f"{stack.url}/account")
        assert (await copy.get(f"{stack.url}/account")).status_code == 200
        signed_out = await browser.post(f"{stack.url}/auth/logout", data={"csrf": csrf_of(account)})
        copied = await copy.get(f"{stack.url}/account", follow_redirects=False)
        elsewhere = await other_device.get(f"{stack.url}/account", follow_redirects=False)
    assert signed_out.status_code == 303
    assert copied.status_code == 303 and copied.headers["location"].startswith("/auth/login")
    assert elsewhere.status_code == 303


async def test_disconnecting_everything_or_an_admin_revoke_ends_copied_sessions_for_good(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, admin_emails=[ALICE]) as stack:
        async with signed_in_browser(stack, BEN) as ben:
            before_disconnect = copy_of(ben)
            account = await ben.get(f"{stack.url}/account")
            await ben.post(f"{stack.url}/account/disconnect", data={"csrf": csrf_of(account), "confirm": "yes"})
        async with signed_in_browser(stack, BEN) as ben:
            before_revoke = copy_of(ben)
            assert (await before_revoke.get(f"{stack.url}/account")).status_code == 200
            async with signed_in_browser(stack, ALICE) as alice:
                engine = create_engine(stack.settings.database_url)
                try:
                    user = await Store(engine, KeyRing(stack.settings.encryption_keys)).get_user_by_email(BEN)
                finally:
                    await engine.dispose()
                assert user is not None
                confirm = await alice.get(f"{stack.url}/admin/revoke?user={user.id}")
                revoked = await alice.post(
                    f"{stack.url}/admin/revoke", data={"csrf": csrf_of(confirm), "user_id": user.id}
                )
                assert revoked.status_code == 303, revoked.text
        # Ben signs in again: his new session works, the copies taken before stay dead.
        async with signed_in_browser(stack, BEN) as ben_again:
            fresh = await ben_again.get(f"{stack.url}/account", follow_redirects=False)
            old_one = await before_disconnect.get(f"{stack.url}/account", follow_redirects=False)
            old_two = await before_revoke.get(f"{stack.url}/account", follow_redirects=False)
        await before_disconnect.aclose()
        await before_revoke.aclose()
    assert fresh.status_code == 200
    assert old_one.status_code == 303
    assert old_two.status_code == 303
