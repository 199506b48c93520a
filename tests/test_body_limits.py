"""Request bodies are bounded before any route parses them: oversized posts get 413 and create nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import sqlalchemy as sa

from app.storage import tables as t
from app.storage.db import create_engine
from tests.support.stack import Stack

OVERSIZED_FORM = {f"field{i}": "x" * 1000 for i in range(1000)}  # ~1 MB of form fields


async def device_requests(stack: Stack) -> int:
    engine = create_engine(stack.settings.database_url)
    try:
        async with engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(t.device_authorizations)
            return int((await conn.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def test_an_oversized_device_code_form_gets_413_and_creates_no_device_request(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        refused = await http.post("/device/code", data=OVERSIZED_FORM)
        assert refused.status_code == 413
        assert refused.json()["error"] == "invalid_request"
        assert await device_requests(stack) == 0
        accepted = await http.post("/device/code", data={"client_name": "Work laptop"})
    assert accepted.status_code == 200
    assert await device_requests(stack) == 1


async def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(stack: Stack) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(1000):
            yield b"client_name=" + b"x" * 4096 + b"&"

    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        request = http.build_request(
            "POST", "/device/code", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert "content-length" not in request.headers
        refused = await http.send(request)
    assert refused.status_code == 413
    assert await device_requests(stack) == 0


async def test_every_form_endpoint_refuses_an_oversized_body(stack: Stack) -> None:
    paths = [
        "/device/token",
        "/setup",
        "/oauth/consent",
        "/account/fathom",
        "/admin/revoke",
        "/auth/logout",
        "/revoke",
        "/register",
        "/token",
    ]
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        for path in paths:
            response = await http.post(path, content=b"x" * (70 * 1024))
            assert response.status_code == 413, path


async def test_a_small_registration_and_token_request_still_pass_the_limit(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        registered = await http.post(
            "/register", json={"client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}
        )
        token = await http.post("/token", data={"grant_type": "authorization_code", "code": "nope"})
    assert registered.status_code == 201
    assert token.status_code in (400, 401)
