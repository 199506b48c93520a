"""Shared fixtures: settings on a temporary SQLite file, stores on SQLite and PostgreSQL, the sandbox and the stack."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.crypto import KeyRing, generate_key
from app.storage.db import create_engine, migrate
from app.storage.store import Store
from sandbox.server import SandboxServer
from tests.support.sandbox import SharedSandbox
from tests.support.settings import make_settings
from tests.support.stack import Stack, running_stack

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for marker, url, name in (
        ("postgres", TEST_POSTGRES_URL, "TEST_POSTGRES_URL"),
        ("redis", TEST_REDIS_URL, "TEST_REDIS_URL"),
    ):
        if url:
            continue
        skip = pytest.mark.skip(reason=f"{name} is not set")
        for item in items:
            if item.get_closest_marker(marker):
                item.add_marker(skip)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[str, str | None]]:
    """A fresh database: a SQLite file, or a private schema on the test PostgreSQL server."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.db'}", None
        return
    url = Settings(_env_file=None, database_url=TEST_POSTGRES_URL).database_url  # type: ignore[call-arg]
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield url, schema
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
async def store(database_url: tuple[str, str | None]) -> AsyncIterator[Store]:
    url, schema = database_url
    engine = create_engine(url, schema=schema)
    await migrate(engine)
    try:
        yield Store(engine, KeyRing([generate_key()]))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SharedSandbox]:
    with SharedSandbox() as shared:
        yield shared


@pytest.fixture
def sandbox(shared_sandbox: SharedSandbox) -> SandboxServer:
    """The sandbox upstreams on loopback, just as seeded (one server for the whole run, reset per test)."""
    return shared_sandbox.fresh()


@pytest.fixture
def stack_settings() -> dict[str, object]:
    """Settings the `stack` fixture starts Switchboard with, beyond pointing it at the sandbox."""
    return {}


@pytest.fixture
def google_access() -> str:
    """How the `stack` reaches Google; a test run under both backends parametrizes it (`both_backends`)."""
    return "rest"


@pytest.fixture
def stack(
    tmp_path: Path, sandbox: SandboxServer, stack_settings: dict[str, object], google_access: str
) -> Iterator[Stack]:
    """Switchboard on a free loopback port with its own SQLite database, on the sandbox upstreams."""
    with running_stack(tmp_path, sandbox, **({"google_access": google_access} | stack_settings)) as running:
        yield running
