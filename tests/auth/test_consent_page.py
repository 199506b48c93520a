"""The consent page says what is known about the app: where it returns the person, and whose name is verified."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx2

from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from tests.auth.test_client_metadata_documents import metadata_server
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import REDIRECT, Flow
from tests.support.stack import Stack, running_stack


def visible_text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def consent_text(flow: Flow, redirect_uri: str) -> str:
    browser = Browser(ALICE, decision="deny")
    try:
        await flow.authorize(browser, redirect_uri=redirect_uri)
    finally:
        await browser.aclose()
    consent = next(page for page in browser.pages if 'action="/oauth/consent"' in page.text)
    return visible_text(consent.text)


async def test_a_self_registered_name_is_marked_unverified_next_to_the_host_it_returns_to(stack: Stack) -> None:
    async with httpx2.AsyncClient(timeout=15) as http:
        response = await http.post(
            f"{stack.url}/register",
            json={"client_name": "Claude", "redirect_uris": ["https://evil.example/cb"]},
        )
        assert response.status_code == 201, response.text
        flow = Flow(stack, http, client_id=response.json()["client_id"], client_secret=response.json()["client_secret"])
        text = await consent_text(flow, "https://evil.example/cb")

    assert "“Claude” (name given by the app, not verified) · will return you to evil.example" in text


async def test_a_metadata_document_client_shows_the_domain_that_published_it(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with (
        metadata_server({"client_name": "Claude"}) as documents,
        running_stack(tmp_path, sandbox, unsafe_allow_loopback_client_metadata=True) as stack,
    ):
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(stack, http, client_id=f"{documents.base_url}/oauth/client.json")
            text = await consent_text(flow, REDIRECT)

    assert "“Claude” (published by 127.0.0.1, verified) · will return you to 127.0.0.1:33418" in text
    assert "not verified" not in text
