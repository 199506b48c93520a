"""Dynamic client registration (RFC 7591) is bounded: metadata sizes, and registrations per address."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sqlalchemy as sa

from app.auth import registration
from app.storage import tables as t
from app.storage.db import create_engine
from sandbox.server import SandboxServer
from tests.support.stack import Stack, running_stack

CLAUDE = {"client_name": "Claude", "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}


async def stored_clients(stack: Stack) -> int:
    engine = create_engine(stack.settings.database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(sa.select(sa.func.count()).select_from(t.oauth_clients))).scalar_one())
    finally:
        await engine.dispose()


async def register(url: str, metadata: dict[str, Any], local_address: str = "127.0.0.1") -> httpx2.Response:
    transport = httpx2.AsyncHTTPTransport(local_address=local_address)
    async with httpx2.AsyncClient(base_url=url, timeout=10, transport=transport) as http:
        return await http.post("/register", json=metadata)


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ({**CLAUDE, "client_name": "C" * 201}, "invalid_client_metadata"),
        ({**CLAUDE, "software_id": "s" * 201}, "invalid_client_metadata"),
        ({**CLAUDE, "contacts": [f"a{i}@example.com" for i in range(11)]}, "invalid_client_metadata"),
        ({**CLAUDE, "jwks": {"keys": [{"n": "x" * 9000}]}}, "invalid_client_metadata"),
        ({**CLAUDE, "redirect_uris": [f"http://127.0.0.1:{9000 + i}/cb" for i in range(11)]}, "invalid_redirect_uri"),
        ({**CLAUDE, "redirect_uris": ["https://app.example/cb?" + "q" * 2100]}, "invalid_redirect_uri"),
    ],
)
async def test_registration_metadata_over_the_bounds_is_refused_and_not_stored(
    stack: Stack, metadata: dict[str, Any], error: str
) -> None:
    refused = await register(stack.url, metadata)
    assert refused.status_code == 400
    assert refused.json()["error"] == error
    assert refused.json()["error_description"]
    assert await stored_clients(stack) == 0


async def test_a_registration_body_over_the_limit_gets_413_and_stores_nothing(stack: Stack) -> None:
    refused = await register(stack.url, {**CLAUDE, "client_name": "C" * 40_000})
    assert refused.status_code == 413
    assert await stored_clients(stack) == 0


async def test_a_declared_multi_megabyte_registration_is_refused_before_its_body_is_sent(stack: Stack) -> None:
    host, port = stack.url.removeprefix("http://").split(":")
    async with asyncio.timeout(10):
        reader, writer = await asyncio.open_connection(host, int(port))
        head = f"POST /register HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        writer.write((head + "Content-Length: 3900000\r\n\r\n").encode())
        await writer.drain()
        status_line = await reader.readline()  # answered with no body sent at all
        writer.close()
    assert status_line.split()[1] == b"413"
    assert await stored_clients(stack) == 0


async def test_ten_redirect_uris_and_a_long_name_within_the_bounds_register(stack: Stack) -> None:
    uris = [f"http://127.0.0.1:{9000 + i}/callback" for i in range(10)]
    registered = await register(stack.url, {"client_name": "N" * 200, "redirect_uris": uris})
    assert registered.status_code == 201, registered.text
    assert await stored_clients(stack) == 1


async def test_one_address_registering_too_fast_is_refused_while_others_still_register(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registration, "REGISTRATION_BURST", 3)  # read when the app is built
    with running_stack(tmp_path, sandbox) as own:
        statuses = [(await register(own.url, CLAUDE, "127.0.0.2")).status_code for _ in range(4)]
        refused = await register(own.url, CLAUDE, "127.0.0.2")
        colleague = await register(own.url, CLAUDE, "127.0.0.3")
        stored = await stored_clients(own)
    assert statuses == [201, 201, 201, 429]
    assert refused.json()["error"] == "temporarily_unavailable"
    assert int(refused.headers["retry-after"]) >= 1
    assert colleague.status_code == 201
    assert stored == 4
