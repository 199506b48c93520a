"""A writer killed with SIGKILL loses nothing it had committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import sqlalchemy as sa

from app.crypto import KeyRing, generate_key
from app.storage import tables as t
from app.storage.db import create_engine, migrate
from app.storage.store import Store
from tests.conftest import BACKENDS


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_rows_committed_before_a_sigkill_are_all_there_after_restart(
    database_url: tuple[str, str | None],
) -> None:
    url, schema = database_url
    key = generate_key()
    writer = subprocess.Popen(  # noqa: ASYNC220 - the test reads the writer's output line by line
        [sys.executable, "-m", "tests.support.writer", url, schema or "", key],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    assert writer.stdout is not None
    committed: list[str] = []
    try:
        for line in writer.stdout:  # bounded by the count below and the test timeout
            committed.append(line.strip())
            if len(committed) == 150:
                writer.send_signal(signal.SIGKILL)
                break
    finally:
        writer.kill()
        writer.wait(10)
        writer.stdout.close()
    assert len(committed) == 150

    engine = create_engine(url, schema=schema)
    try:
        await migrate(engine)  # a restart: the schema is intact and up to date
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert (await conn.execute(sa.text("PRAGMA integrity_check"))).scalar_one() == "ok"
            ids = set((await conn.execute(sa.select(t.users.c.id))).scalars())
        assert set(committed) <= ids
        store = Store(engine, KeyRing([key]))
        for user_id in committed[-5:]:
            grant = await store.get_google_grant(user_id)
            assert grant is not None and grant.token["refresh_token"].startswith("rt-")
    finally:
        await engine.dispose()
