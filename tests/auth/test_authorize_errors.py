"""/authorize: errors before anyone approved get a page here, never a redirect; every redirect names the issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from sandbox.seed import ALICE
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import REDIRECT, Flow
from tests.support.stack import Stack

PHISH = "https://evil.example/phish"


@pytest.fixture
async def phisher(stack: Stack) -> AsyncIterator[Flow]:
    """A self-registered client whose only redirect URI is somebody's phishing page."""
    async with httpx2.AsyncClient(timeout=15) as http:
        flow = Flow(stack, http)
        await flow.register([PHISH])
        yield flow


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"response_type": "token"}, "response_type"),
        ({"code_challenge": "", "code_challenge_method": ""}, "code_challenge"),
        ({"code_challenge_method": "plain"}, "code_challenge_method"),
        ({"resource": "https://other.example/mcp"}, "only issues tokens for"),
        ({"redirect_uri": "", "response_type": "token"}, "response_type"),  # the one registered URI implied
    ],
    ids=["implicit-grant", "no-pkce", "plain-pkce", "other-resource", "implied-redirect-uri"],
)
async def test_an_authorize_error_shows_a_page_here_instead_of_redirecting_to_the_client(
    phisher: Flow, params: dict[str, str], named: str
) -> None:
    response = await phisher.http.get(phisher.authorize_url(**{"redirect_uri": PHISH, **params}))

    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert named in response.text


async def test_denying_access_redirects_with_the_issuer_and_state(stack: Stack) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        flow = Flow(stack, http)
        await flow.register()
        browser = Browser(ALICE, decision="deny")
        try:
            reached = await flow.authorize(browser)
        finally:
            await browser.aclose()
    assert reached == {
        "error": "access_denied",
        "error_description": "The person declined access.",
        "state": "xyz",
        "iss": stack.url,
    }


async def test_approving_access_redirects_with_the_issuer(stack: Stack) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        flow = Flow(stack, http)
        await flow.register()
        browser = Browser(ALICE)
        try:
            reached = await flow.authorize(browser, redirect_uri=REDIRECT)
        finally:
            await browser.aclose()
    assert reached["iss"] == stack.url and reached["state"] == "xyz" and reached["code"]
