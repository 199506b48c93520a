"""Client ID Metadata Documents: a URL as client_id, fetched with SSRF guards."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.auth.clients import ClientMetadataError, fetch_client_metadata
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.serving import ThreadedServer
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import REDIRECT, Flow, mcp_status
from tests.support.stack import running_stack


def metadata_server(overrides: dict[str, object] | None = None) -> ThreadedServer:
    server = ThreadedServer()

    async def document(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "client_id": f"{server.base_url}/oauth/client.json",
                "client_name": "Metadata Client",
                "redirect_uris": [REDIRECT],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
                **(overrides or {}),
            }
        )

    server.app = Starlette(routes=[Route("/oauth/client.json", document)])
    return server


async def test_a_client_identified_by_its_metadata_url_connects_without_registering(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with (
        metadata_server() as documents,
        running_stack(tmp_path, sandbox, unsafe_allow_loopback_client_metadata=True) as stack,
    ):
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(stack, http, client_id=f"{documents.base_url}/oauth/client.json")
            browser = Browser(ALICE)
            try:
                reached = await flow.authorize(browser)
            finally:
                await browser.aclose()
            tokens = await flow.exchange(reached["code"])
        assert tokens.status_code == 200, tokens.text
        assert await mcp_status(stack, tokens.json()["access_token"]) == 200
        consent = next(p for p in browser.pages if 'action="/oauth/consent"' in p.text)
        assert "“Metadata Client” wants to use your Gmail" in consent.text


async def test_a_metadata_document_whose_client_id_is_not_its_url_is_refused(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with (
        metadata_server({"client_id": "https://elsewhere.example/client.json"}) as documents,
        running_stack(tmp_path, sandbox, unsafe_allow_loopback_client_metadata=True) as stack,
    ):
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(stack, http, client_id=f"{documents.base_url}/oauth/client.json")
            response = await http.get(flow.authorize_url())
    assert response.status_code == 400
    assert "not registered here" in response.text


@pytest.mark.parametrize(
    "client_id",
    [
        "https://127.0.0.1/oauth/client.json",
        "https://localhost/oauth/client.json",
        "https://10.0.0.8/oauth/client.json",
        "https://192.168.1.20/client.json",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/client.json",
        "https://[::ffff:127.0.0.1]/client.json",
        "http://claude.example/oauth/client.json",
    ],
)
async def test_metadata_urls_that_point_inside_or_are_not_https_are_refused_before_any_request(client_id: str) -> None:
    async with httpx2.AsyncClient(timeout=5) as http:
        with pytest.raises(ClientMetadataError, match=r"private or reserved|https"):
            await fetch_client_metadata(http, client_id)


async def test_an_authorize_request_naming_an_internal_metadata_url_is_refused(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    with running_stack(tmp_path, sandbox) as stack:
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(stack, http, client_id="https://169.254.169.254/latest/meta-data/client")
            response = await http.get(flow.authorize_url())
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_an_oversized_metadata_document_is_refused() -> None:
    with metadata_server({"padding": "x" * 70_000}) as documents:
        async with httpx2.AsyncClient(timeout=5) as http:
            with pytest.raises(ClientMetadataError, match="larger than 64 KiB"):
                await fetch_client_metadata(
                    http, f"{documents.base_url}/oauth/client.json", allow_insecure_loopback=True
                )


async def test_a_metadata_document_with_a_remote_http_redirect_uri_is_refused() -> None:
    with metadata_server({"redirect_uris": ["http://evil.example/cb"]}) as documents:
        async with httpx2.AsyncClient(timeout=5) as http:
            with pytest.raises(ClientMetadataError, match="redirect URI that is not allowed"):
                await fetch_client_metadata(
                    http, f"{documents.base_url}/oauth/client.json", allow_insecure_loopback=True
                )
