"""Every way to get a token wrongly fails closed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from sandbox.seed import ALICE
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import REDIRECT, Flow, mcp_status
from tests.support.stack import Stack


@pytest.fixture
async def flow(stack: Stack) -> AsyncIterator[Flow]:
    async with httpx2.AsyncClient(timeout=15) as http:
        flow = Flow(stack, http)
        await flow.register()
        yield flow


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    browser = Browser(ALICE)
    yield browser
    await browser.aclose()


async def _tokens(flow: Flow, browser: Browser) -> dict[str, str]:
    reached = await flow.authorize(browser)
    response = await flow.exchange(reached["code"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_happy_path_returns_code_state_and_issuer_then_tokens_that_work(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    assert reached["state"] == "xyz"
    assert reached["iss"] == flow.stack.url
    tokens = (await flow.exchange(reached["code"])).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert await mcp_status(flow.stack, tokens["access_token"]) == 200


async def test_authorize_without_pkce_is_refused(flow: Flow) -> None:
    url = flow.authorize_url(code_challenge="", code_challenge_method="")
    response = await flow.http.get(url)
    assert response.status_code == 400 and "location" not in response.headers
    assert "code_challenge" in response.text


async def test_authorize_with_plain_pkce_is_refused(flow: Flow) -> None:
    response = await flow.http.get(flow.authorize_url(code_challenge_method="plain"))
    assert response.status_code == 400 and "location" not in response.headers
    assert "code_challenge_method" in response.text


async def test_an_unregistered_redirect_uri_is_refused_without_redirecting(flow: Flow) -> None:
    response = await flow.http.get(flow.authorize_url(redirect_uri="https://evil.example/cb"))
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_a_loopback_redirect_uri_may_use_another_port(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser, redirect_uri="http://127.0.0.1:50123/callback")
    assert "code" in reached


async def test_reusing_a_code_fails_and_revokes_the_tokens_it_issued(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    first = (await flow.exchange(reached["code"])).json()
    again = await flow.exchange(reached["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert await mcp_status(flow.stack, first["access_token"]) == 401
    refreshed = await flow.refresh(first["refresh_token"])
    assert refreshed.status_code == 400


async def test_a_code_from_another_client_is_refused(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    other = Flow(flow.stack, flow.http, verifier=flow.verifier)
    await other.register()
    response = await other.exchange(reached["code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_a_wrong_code_verifier_is_refused(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    flow.verifier = "x" * 50
    response = await flow.exchange(reached["code"])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


async def test_refresh_tokens_rotate_and_reuse_revokes_the_whole_family(flow: Flow, browser: Browser) -> None:
    tokens = await _tokens(flow, browser)
    rotated = (await flow.refresh(tokens["refresh_token"])).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert await mcp_status(flow.stack, rotated["access_token"]) == 200

    replay = await flow.refresh(tokens["refresh_token"])

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert await mcp_status(flow.stack, rotated["access_token"]) == 401
    assert (await flow.refresh(rotated["refresh_token"])).status_code == 400


async def test_a_token_request_for_another_resource_is_refused(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    response = await flow.exchange(reached["code"], resource="https://other.example/mcp")
    assert response.status_code == 400 and response.json()["error"] == "invalid_target"


async def test_an_authorization_request_for_another_resource_is_refused(flow: Flow) -> None:
    response = await flow.http.get(flow.authorize_url(resource="https://other.example/mcp"))
    assert response.status_code == 400 and "location" not in response.headers
    assert f"only issues tokens for {flow.stack.mcp_url}" in response.text


async def test_a_revoked_token_is_refused_at_once(flow: Flow, browser: Browser) -> None:
    tokens = await _tokens(flow, browser)
    assert await mcp_status(flow.stack, tokens["access_token"]) == 200
    revoked = await flow.http.post(
        f"{flow.stack.url}/revoke",
        data={"token": tokens["access_token"], "client_id": flow.client_id, "client_secret": flow.client_secret or ""},
    )
    assert revoked.status_code == 200
    assert await mcp_status(flow.stack, tokens["access_token"]) == 401


async def test_unknown_and_malformed_tokens_are_refused(stack: Stack) -> None:
    assert await mcp_status(stack, "sba_" + "A" * 43) == 401
    assert await mcp_status(stack, "not-a-token") == 401
    assert await mcp_status(stack, "sbp_" + "B" * 43) == 401


async def test_a_revoked_persons_browser_session_cannot_mint_new_tokens(flow: Flow, browser: Browser) -> None:
    from app.crypto import KeyRing
    from app.storage.db import create_engine
    from app.storage.store import Store

    tokens = await _tokens(flow, browser)
    engine = create_engine(flow.stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(flow.stack.settings.encryption_keys))
        user = await store.get_user_by_email(ALICE)
        assert user is not None
        await store.revoke_user(user.id)
    finally:
        await engine.dispose()
    flow.stack.server.app.state.revocations.forget()  # type: ignore[union-attr]  # as a revocation elsewhere does

    consent = await browser.http.get(flow.authorize_url())
    assert consent.status_code == 302
    landing = await browser.http.get(consent.headers["location"])
    assert landing.status_code == 303 and landing.headers["location"].startswith("/auth/login")
    setup = await browser.http.get(f"{flow.stack.url}/setup")
    assert setup.status_code == 303 and setup.headers["location"].startswith("/auth/login")
    assert await mcp_status(flow.stack, tokens["access_token"]) == 401


async def test_a_multipart_token_request_is_refused_whatever_resource_it_names(flow: Flow, browser: Browser) -> None:
    reached = await flow.authorize(browser)
    fields = {
        "grant_type": "authorization_code",
        "code": reached["code"],
        "redirect_uri": REDIRECT,
        "code_verifier": flow.verifier,
        "client_id": flow.client_id,
        "client_secret": flow.client_secret or "",
        "resource": "https://evil.example/mcp",
    }
    multipart = await flow.http.post(
        f"{flow.stack.url}/token", files={name: (None, value) for name, value in fields.items()}
    )
    assert multipart.status_code == 400 and multipart.json()["error"] == "invalid_request"
    assert "access_token" not in multipart.text
