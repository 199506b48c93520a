"""The app shell: health, the /mcp mount, proxy headers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.crypto import KeyRing
from app.main import create_app
from app.storage.db import create_engine, migrate
from app.storage.store import Store
from sandbox.seed import ALICE
from sandbox.serving import ThreadedServer
from tests.conftest import TEST_POSTGRES_URL
from tests.support.settings import make_settings
from tests.support.tcp_proxy import TcpProxy


async def test_health_reports_healthy_with_version_and_database(settings: Settings) -> None:
    with ThreadedServer(create_app(settings)) as server:
        async with httpx2.AsyncClient(base_url=server.base_url) as client:
            response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["database"] == "ok"
    assert body["version"]
    assert body["timestamp"].endswith("+00:00")


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


async def personal_token(settings: Settings, email: str = ALICE) -> str:
    """A valid bearer token for `email`, written straight into the server's database."""
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        store = Store(engine, KeyRing(settings.encryption_keys))
        user = await store.upsert_user(google_sub="sub-alice", email=email, name="Alice", domain="acme.example")
        _record, token = await store.create_personal_token(user.id, "test", timedelta(days=1))
    finally:
        await engine.dispose()
    return token


async def test_mcp_at_exactly_slash_mcp_answers_a_request_without_a_token_with_401_not_a_redirect(
    settings: Settings,
) -> None:
    with ThreadedServer(create_app(settings)) as server:
        async with httpx2.AsyncClient(base_url=server.base_url) as client:
            response = await client.post("/mcp", headers=MCP_HEADERS, json=INITIALIZE)
    assert response.status_code == 401
    assert "location" not in response.headers
    assert (
        f'resource_metadata="{settings.public_url}/.well-known/oauth-protected-resource/mcp"'
        in (response.headers["www-authenticate"])
    )


async def test_mcp_refuses_a_host_header_that_is_not_ours_even_with_a_valid_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, public_url="https://team-mcp.example.com")
    token = await personal_token(settings)
    headers = MCP_HEADERS | {"authorization": f"Bearer {token}"}
    with ThreadedServer(create_app(settings)) as server:
        async with httpx2.AsyncClient(base_url=server.base_url) as client:
            ours = await client.post("/mcp", headers=headers | {"host": "team-mcp.example.com"}, json=INITIALIZE)
            foreign = await client.post("/mcp", headers=headers | {"host": "evil.example"}, json=INITIALIZE)
    assert ours.status_code == 200, ours.text
    assert foreign.status_code == 421, foreign.text


@pytest.mark.postgres
async def test_health_turns_503_when_the_database_goes_away_and_recovers(tmp_path: Path) -> None:
    url = Settings(_env_file=None, database_url=TEST_POSTGRES_URL).database_url  # type: ignore[call-arg]
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    proxied = url.replace(parts.netloc, f"{parts.username}@127.0.0.1:{proxy.port}")
    schema = f"health_{uuid.uuid4().hex[:12]}"  # test runs in parallel must not share it
    schema_engine = create_async_engine(url)
    async with schema_engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    settings = make_settings(tmp_path, database_url=f"{proxied}?options=-csearch_path%3D{schema}")
    try:
        with ThreadedServer(create_app(settings)) as server:
            async with httpx2.AsyncClient(base_url=server.base_url, timeout=10) as client:
                assert (await client.get("/health")).status_code == 200
                proxy.cut()
                down = await client.get("/health")
                assert down.status_code == 503
                assert down.json()["status"] == "unhealthy"
                proxy.start()
                # The pool's pre-ping replaces the dead connections on the next request.
                back = await client.get("/health")
                assert back.status_code == 200, back.text
    finally:
        proxy.close()
        async with schema_engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await schema_engine.dispose()
