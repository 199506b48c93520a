"""The upstream connection pool (aiohttp under httpx2): what the upstream receives, what callers get back."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.upstream.transport import AiohttpTransport
from sandbox.server import SandboxServer
from sandbox.serving import ThreadedServer, free_port


async def _echo(request: Request) -> Response:
    """Answers with what it received, gzip-compressed when asked to, like Google's APIs."""
    received = {
        "method": request.method,
        "query": request.url.query,
        "authorization": request.headers.get("authorization"),
        "content_type": request.headers.get("content-type"),
        "body": (await request.body()).decode(),
    }
    body = json.dumps(received).encode()
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gzip.compress(body), media_type="application/json", headers={"Content-Encoding": "gzip"})
    return Response(body, media_type="application/json")


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(transport=AiohttpTransport(), timeout=httpx2.Timeout(5.0, connect=1.0)) as http:
        yield http


async def test_the_upstream_receives_the_method_query_headers_and_body_and_the_caller_reads_the_answer_decoded(
    client: httpx2.AsyncClient,
) -> None:
    with ThreadedServer(Starlette(routes=[Route("/echo", _echo, methods=["POST"])])) as server:
        response = await client.post(
            f"{server.base_url}/echo",
            params={"q": "from:priya is:unread"},
            json={"raw": "x" * 300_000},  # large enough to be sent in chunks
            headers={"Authorization": "Bearer ya29.token", "Accept-Encoding": "gzip"},
        )
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    received = response.json()
    assert received["method"] == "POST" and received["query"] == "q=from%3Apriya+is%3Aunread"
    assert received["authorization"] == "Bearer ya29.token" and received["content_type"] == "application/json"
    assert json.loads(received["body"]) == {"raw": "x" * 300_000}


async def test_an_upstream_that_does_not_listen_is_a_connect_error_so_even_a_send_may_be_retried(
    client: httpx2.AsyncClient,
) -> None:
    with pytest.raises(httpx2.ConnectError):
        await client.post(f"http://127.0.0.1:{free_port()}/send", content=b"{}")


async def test_an_upstream_that_answers_too_slowly_is_a_read_timeout_so_a_send_is_not_retried(
    sandbox: SandboxServer,
) -> None:
    sandbox.faults.add_latency("/gmail", 1.0)
    timeout = httpx2.Timeout(5.0, read=0.2)
    try:
        async with httpx2.AsyncClient(transport=AiohttpTransport(), timeout=timeout) as http:
            with pytest.raises(httpx2.ReadTimeout):
                await http.get(f"{sandbox.base_url}/gmail/gmail/v1/users/me/labels")
    finally:
        sandbox.faults.clear()
