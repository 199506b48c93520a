"""Audit events are buffered in memory and written in batches, so a tool call costs no extra write."""

import asyncio
import contextlib
import logging

from app.storage.store import AuditEvent, Store

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0
MAX_BUFFER = 10_000


class AuditBuffer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._pending: list[AuditEvent] = []

    def add(self, event: AuditEvent) -> None:
        if len(self._pending) < MAX_BUFFER:  # under a database outage, drop rather than grow without bound
            self._pending.append(event)

    async def flush(self) -> None:
        events, self._pending = self._pending, []
        if events:
            await self.store.record_audit_events(events)

    async def run(self) -> None:
        """Flush every few seconds until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                try:
                    await self.flush()
                except Exception:  # the database may be briefly away; keep the events for the next round
                    logger.warning("could not write audit events", exc_info=True)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.flush())
