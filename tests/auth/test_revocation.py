"""RFC 7009 revocation at /revoke: public clients by client_id, confidential clients with their secret."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from sandbox.seed import ALICE
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import REDIRECT, Flow, mcp_status
from tests.support.stack import Stack


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=15) as client:
        yield client


async def _signed_in(flow: Flow, auth_method: str) -> dict[str, str]:
    await flow.register(auth_method=auth_method)
    browser = Browser(ALICE)
    try:
        reached = await flow.authorize(browser)
    finally:
        await browser.aclose()
    if auth_method == "client_secret_basic":
        response = await flow.http.post(
            f"{flow.stack.url}/token",
            data={
                "grant_type": "authorization_code",
                "client_id": flow.client_id,
                "code": reached["code"],
                "redirect_uri": REDIRECT,
                "code_verifier": flow.verifier,
            },
            auth=httpx2.BasicAuth(flow.client_id, flow.client_secret or ""),
        )
    else:
        response = await flow.exchange(reached["code"])
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_public_client_revokes_its_refresh_token_which_is_refused_afterwards(
    stack: Stack, http: httpx2.AsyncClient
) -> None:
    flow = Flow(stack, http)
    tokens = await _signed_in(flow, "none")

    revoked = await http.post(
        f"{stack.url}/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token", "client_id": flow.client_id},
    )

    assert revoked.status_code == 200, revoked.text
    refreshed = await flow.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert await mcp_status(stack, tokens["access_token"]) == 401


async def test_a_confidential_client_cannot_revoke_without_its_secret(stack: Stack, http: httpx2.AsyncClient) -> None:
    flow = Flow(stack, http)
    tokens = await _signed_in(flow, "client_secret_post")

    refused = await http.post(
        f"{stack.url}/revoke", data={"token": tokens["refresh_token"], "client_id": flow.client_id}
    )

    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert (await flow.refresh(tokens["refresh_token"])).status_code == 200


async def test_a_confidential_client_revokes_with_http_basic_authentication(
    stack: Stack, http: httpx2.AsyncClient
) -> None:
    flow = Flow(stack, http)
    tokens = await _signed_in(flow, "client_secret_basic")

    revoked = await http.post(
        f"{stack.url}/revoke",
        data={"token": tokens["access_token"]},
        auth=httpx2.BasicAuth(flow.client_id, flow.client_secret or ""),
    )

    assert revoked.status_code == 200, revoked.text
    assert await mcp_status(stack, tokens["access_token"]) == 401


async def test_a_client_cannot_revoke_another_clients_token(stack: Stack, http: httpx2.AsyncClient) -> None:
    victim = Flow(stack, http)
    tokens = await _signed_in(victim, "none")
    other = Flow(stack, http)
    await other.register(auth_method="none")

    answered = await http.post(
        f"{stack.url}/revoke", data={"token": tokens["refresh_token"], "client_id": other.client_id}
    )

    assert answered.status_code == 200  # RFC 7009 §2.2: no hint whether the token exists
    assert await mcp_status(stack, tokens["access_token"]) == 200


async def test_a_revocation_without_a_token_is_an_invalid_request(stack: Stack, http: httpx2.AsyncClient) -> None:
    flow = Flow(stack, http)
    await flow.register(auth_method="none")

    response = await http.post(f"{stack.url}/revoke", data={"client_id": flow.client_id})

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
