"""Shared fixtures: settings on a temporary SQLite file, and stores on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from app.config import Settings
from app.crypto import KeyRing, generate_key
from app.storage.db import create_engine, migrate
from app.storage.store import Store

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_POSTGRES_URL:
        return
    skip = pytest.mark.skip(reason="TEST_POSTGRES_URL is not set")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}",
        "token_encryption_key": generate_key(),
        "session_secret": generate_key(),
        "google_client_id": "test-client.apps.googleusercontent.com",
        "google_client_secret": "test-google-secret",
        "public_url": "http://localhost:8080",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings init kwargs


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
