"""Google sign-in: who may sign in, refusals with a reason, unticked scopes, expired tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest

from app.crypto import KeyRing, hash_token
from app.storage import tables as t
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed.people import ALICE, JORDAN, SAM
from sandbox.server import SandboxServer
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import Flow, mcp_status
from tests.support.stack import Stack, running_stack


async def _sign_in(stack: Stack, email: str, extra: str = "") -> httpx2.Response:
    browser = Browser(email)
    try:
        url = f"{stack.url}/auth/login?next=/health"
        for _ in range(10):
            if "/o/oauth2/v2/auth" in url:
                url += f"&sandbox_login={email}{extra}"
            response = await browser.http.get(url)
            if not response.is_redirect:
                return response
            url = str(response.next_request.url) if response.next_request else response.headers["location"]
        raise AssertionError("sign-in did not settle")
    finally:
        await browser.aclose()


async def test_an_unverified_email_is_refused_with_the_reason(stack: Stack) -> None:
    page = await _sign_in(stack, JORDAN)
    assert page.status_code == 403
    assert "has not verified the address jordan@contractor.example" in page.text


async def test_a_domain_outside_the_allow_list_is_refused_with_the_reason(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, allowed_email_domains=["acme.example"]) as stack:
        refused = await _sign_in(stack, SAM)
        allowed = await _sign_in(stack, ALICE)
    assert refused.status_code == 403
    assert "sam.rivera@gmail.example is not allowed to use this Switchboard (it is for acme.example)" in refused.text
    assert allowed.status_code == 200 and allowed.json()["status"] == "healthy"


async def test_an_individually_allowed_email_may_sign_in(tmp_path: Path, sandbox: SandboxServer) -> None:
    with running_stack(tmp_path, sandbox, allowed_email_domains=["acme.example"], allowed_emails=[SAM]) as stack:
        page = await _sign_in(stack, SAM)
    assert page.status_code == 200


async def test_unticked_google_scopes_are_named_with_a_way_to_grant_them(stack: Stack) -> None:
    page = await _sign_in(stack, ALICE, "&sandbox_scopes=openid%20email%20profile")
    assert page.status_code == 200
    assert "Some permissions were not granted" in page.text
    assert "Gmail (search, read, send, drafts, labels)" in page.text
    assert "Google Calendar" in page.text
    assert "/auth/login?next=" in page.text


async def test_an_expired_access_token_and_an_expired_personal_token_are_refused(stack: Stack) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        tokens = await Flow(stack, http).sign_in(ALICE)
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        async with engine.begin() as conn:
            await conn.execute(
                t.oauth_tokens.update()
                .where(t.oauth_tokens.c.token_hash == hash_token(tokens["access_token"]))
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        user = await store.get_user_by_email(ALICE)
        assert user is not None
        _expired, personal = await store.create_personal_token(user.id, "old", timedelta(seconds=-1))
    finally:
        await engine.dispose()
    assert await mcp_status(stack, tokens["access_token"]) == 401
    assert await mcp_status(stack, personal) == 401


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        ("future", "issued in the future"),
        ("expired", "expired"),
        ("bad_signature", "signature does not match"),
        ("wrong_audience", "issued for another app"),
    ],
)
async def test_an_id_token_that_does_not_validate_ends_on_a_page_that_says_so_and_offers_to_try_again(
    stack: Stack, fault: str, said: str
) -> None:
    page = await _sign_in(stack, ALICE, f"&sandbox_id_token={fault}")
    assert page.status_code == 400, page.text
    assert "Sign-in did not complete" in page.text
    assert "could not be verified" in page.text and said in page.text
    assert 'href="/auth/login"' in page.text and "Try again" in page.text


async def test_a_personal_google_account_with_a_company_address_is_refused_under_a_domain_allow_list(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox, allowed_email_domains=["acme.example"]) as stack:
        consumer = await _sign_in(stack, ALICE, "&sandbox_id_token=consumer")
        workspace = await _sign_in(stack, ALICE)
    assert consumer.status_code == 403
    assert "alice@acme.example is a personal Google account" in consumer.text
    assert workspace.status_code == 200
