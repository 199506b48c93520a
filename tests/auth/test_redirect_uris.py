"""Redirect URIs: https, http only to loopback, private-use schemes (RFC 8252 §7.1), never a fragment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from app.auth.clients import ClientMetadataError, fetch_client_metadata
from tests.auth.test_client_metadata_documents import metadata_server
from tests.support.oauth_flow import REDIRECT, Flow
from tests.support.stack import Stack

REFUSED = [
    "ws://app.example/cb",
    "wss://app.example/cb",
    "ftp://app.example/cb",
    "view-source:https://app.example/cb",
    "blob:https://app.example/0b3c",
    "about:blank",
    "jar:https://app.example/a.jar!/cb",
    "javascript:alert(1)",
    "data:text/html,hi",
    "file:///etc/passwd",
    "myapp:/cb",  # a private-use scheme must be reverse-domain style, with a dot
    "http://app.example/cb",
    "http://127.0.0.1.evil.example/cb",
    "https://app.example/cb#frag",
    "http://127.0.0.1:33418/callback#frag",
    "https://claude.ai@evil.example/cb",
]
ALLOWED = [
    "https://app.example/cb",
    "http://127.0.0.1:33418/callback",
    "http://[::1]/cb",
    "http://localhost:8080/cb",
    "com.example.app:/oauth2redirect",
]


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(timeout=15) as client:
        yield client


async def _register(stack: Stack, http: httpx2.AsyncClient, uri: str) -> httpx2.Response:
    return await http.post(
        f"{stack.url}/register",
        json={"client_name": "Test Client", "redirect_uris": [uri], "token_endpoint_auth_method": "none"},
    )


@pytest.mark.parametrize("uri", REFUSED)
async def test_registering_a_redirect_uri_outside_the_allowlist_is_refused(
    stack: Stack, http: httpx2.AsyncClient, uri: str
) -> None:
    response = await _register(stack, http, uri)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_redirect_uri"


@pytest.mark.parametrize("uri", ALLOWED)
async def test_registering_an_https_loopback_or_private_use_redirect_uri_succeeds(
    stack: Stack, http: httpx2.AsyncClient, uri: str
) -> None:
    assert (await _register(stack, http, uri)).status_code == 201


async def test_a_loopback_redirect_uri_with_a_fragment_is_refused_at_authorize(
    stack: Stack, http: httpx2.AsyncClient
) -> None:
    flow = Flow(stack, http)
    await flow.register()
    response = await http.get(flow.authorize_url(redirect_uri="http://127.0.0.1:50123/callback#frag"))
    assert response.status_code == 400 and "location" not in response.headers


async def test_a_loopback_redirect_uri_must_keep_its_scheme_at_authorize(
    stack: Stack, http: httpx2.AsyncClient
) -> None:
    flow = Flow(stack, http)
    await flow.register()
    response = await http.get(flow.authorize_url(redirect_uri=REDIRECT.replace("http:", "https:")))
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize("uri", ["ws://app.example/cb", "https://app.example/cb#frag", "about:blank"])
async def test_a_metadata_document_listing_a_redirect_uri_outside_the_allowlist_is_refused(uri: str) -> None:
    with metadata_server({"redirect_uris": [uri]}) as documents:
        async with httpx2.AsyncClient(timeout=5) as http:
            with pytest.raises(ClientMetadataError, match="redirect URI that is not allowed"):
                await fetch_client_metadata(
                    http, f"{documents.base_url}/oauth/client.json", allow_insecure_loopback=True
                )
