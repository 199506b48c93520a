"""Connecting an MCP client by URL: the SDK's own OAuth client, end to end against the sandbox Google."""

from __future__ import annotations

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata
from pydantic import AnyUrl

from sandbox.seed import ALICE
from tests.support.oauth_client import Browser, MemoryTokenStorage, query_of
from tests.support.stack import Stack, both_backends

REDIRECT = "http://127.0.0.1:33418/callback"


def oauth_provider(stack: Stack, browser: Browser, storage: MemoryTokenStorage) -> OAuthClientProvider:
    reached: dict[str, str] = {}

    async def redirect_handler(url: str) -> None:
        reached.update(query_of(await browser.walk(url, REDIRECT)))

    async def callback_handler() -> AuthorizationCodeResult:
        return AuthorizationCodeResult(code=reached["code"], state=reached.get("state"), iss=reached.get("iss"))

    return OAuthClientProvider(
        server_url=stack.mcp_url,
        client_metadata=OAuthClientMetadata(
            client_name="Claude",
            redirect_uris=[AnyUrl(REDIRECT)],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="client_secret_post",
        ),
        storage=storage,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )


@both_backends
async def test_an_mcp_client_connects_by_url_signs_in_with_google_and_calls_whoami(
    stack: Stack, google_access: str
) -> None:
    browser, storage = Browser(ALICE), MemoryTokenStorage()
    try:
        auth = oauth_provider(stack, browser, storage)
        async with httpx2.AsyncClient(auth=auth, timeout=30) as http:
            async with Client(streamable_http_client(stack.mcp_url, http_client=http)) as client:
                tools = await client.list_tools()
                assert "whoami" in {tool.name for tool in tools.tools}
                result = await client.call_tool("whoami", {})
                thread = await client.call_tool("gmail_search", {"query": "in:inbox", "max_results": 1})
    finally:
        await browser.aclose()
    assert not result.is_error and not thread.is_error, thread
    if google_access == "mcp":
        logged = stack.sandbox.faults.requests()
        assert not [r.path for r in logged if r.path.startswith(("/gmail/gmail/", "/calendar/v3/", "/people/v1/"))]
    text = "\n".join(getattr(part, "text", "") for part in result.content)
    assert f"<{ALICE}>" in text
    assert "Google: connected" in text
    assert "expires" not in text and "installer" not in text  # Claude renews a connector's tokens itself
    consent = next(page for page in browser.pages if 'action="/oauth/consent"' in page.text)
    assert "“Claude” wants to use your Gmail, Calendar and Fathom through Switchboard" in consent.text
    assert storage.tokens is not None and storage.tokens.access_token.startswith("sba_")


async def test_mcp_without_a_token_points_to_the_protected_resource_metadata(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url) as http:
        response = await http.post("/mcp", json={}, headers={"accept": "application/json, text/event-stream"})
        assert response.status_code == 401
        assert (
            f'resource_metadata="{stack.url}/.well-known/oauth-protected-resource/mcp"'
            in response.headers["www-authenticate"]
        )
        prm = (await http.get("/.well-known/oauth-protected-resource/mcp")).json()
        assert prm["resource"] == stack.mcp_url
        assert prm["authorization_servers"] == [stack.url]
        metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    assert metadata["issuer"] == stack.url
    assert metadata["client_id_metadata_document_supported"] is True
    assert "none" in metadata["token_endpoint_auth_methods_supported"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
