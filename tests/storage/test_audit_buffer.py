"""Audit events survive a failed write: the batch waits for the next round, and losses are logged."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.crypto import KeyRing, generate_key
from app.storage import tables as t
from app.storage.audit import AuditBuffer
from app.storage.db import create_engine, migrate
from app.storage.store import AuditEvent, Store


def event(tool: str) -> AuditEvent:
    return AuditEvent(user_id=None, tool=tool, outcome="ok", duration_ms=1, created_at=datetime.now(UTC))


async def tools_recorded(store: Store) -> list[str]:
    async with store.engine.connect() as conn:
        return list((await conn.execute(sa.select(t.audit_events.c.tool).order_by(t.audit_events.c.id))).scalars())


async def test_a_batch_that_fails_to_write_is_written_in_the_next_round(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    try:
        await migrate(engine)
        store = Store(engine, KeyRing([generate_key()]))
        audit = AuditBuffer(store, retention_days=30)
        audit.add(event("first"))
        async with engine.begin() as conn:  # the table away: every write fails
            await conn.execute(sa.text("ALTER TABLE audit_events RENAME TO audit_events_away"))
        with pytest.raises(sa.exc.OperationalError):
            await audit.flush()
        audit.add(event("second"))
        async with engine.begin() as conn:
            await conn.execute(sa.text("ALTER TABLE audit_events_away RENAME TO audit_events"))
        await audit.flush()
        assert await tools_recorded(store) == ["first", "second"]
    finally:
        await engine.dispose()


async def test_events_that_cannot_be_written_on_the_way_out_are_counted_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
    try:
        await migrate(engine)
        audit = AuditBuffer(Store(engine, KeyRing([generate_key()])), retention_days=30)
        audit.add(event("first"))
        audit.add(event("second"))
        async with engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE audit_events"))
        with caplog.at_level(logging.WARNING), pytest.raises(sa.exc.OperationalError):
            await audit.final_flush()
    finally:
        await engine.dispose()
    assert "could not write 2 audit events on the way out; they are lost" in caplog.text
