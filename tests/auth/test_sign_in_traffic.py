"""Google sign-in travels on the one pooled client: counted in upstream metrics, discovery fetched once."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from sandbox.seed import ALICE
from tests.support.mcp_session import sign_in
from tests.support.stack import running_stack

DISCOVERY_PATH = "/google/.well-known/openid-configuration"


async def test_sign_in_requests_to_google_show_in_the_upstream_metrics(tmp_path: Path) -> None:
    with running_stack(tmp_path, metrics_token="m-token-123") as stack:
        await sign_in(stack, ALICE)
        async with httpx2.AsyncClient(base_url=stack.url) as http:
            metrics = await http.get("/metrics", headers={"Authorization": "Bearer m-token-123"})
    counted = re.search(
        r'switchboard_upstream_requests_total\{service="google_oauth",status="200"\} (\S+)', metrics.text
    )
    # At least the discovery document, the code exchange and Google's signing keys.
    assert counted and float(counted.group(1)) >= 3


async def test_sign_in_and_token_refresh_share_one_fetch_of_the_discovery_document(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        token = await sign_in(stack, ALICE)  # the real sign-in: Switchboard fetches discovery and exchanges the code
        stack.sandbox.world.expire_all_access_tokens()
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
            async with Client(streamable_http_client(stack.mcp_url, http_client=http)) as client:
                result = await client.call_tool("gmail_search", {"query": "in:inbox", "max_results": 1})
        assert not result.is_error
        fetched = stack.sandbox.faults.requests(DISCOVERY_PATH)
        grants = [entry.body for entry in stack.sandbox.faults.requests("/google/token")]
    assert any(b"grant_type=authorization_code" in body for body in grants)
    assert any(b"grant_type=refresh_token" in body for body in grants)
    assert len(fetched) == 1
