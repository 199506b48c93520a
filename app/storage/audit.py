"""Audit events are buffered in memory and written in batches, so a tool call costs no extra write."""

import logging
import time
from datetime import UTC, datetime, timedelta

from app.periodic import repeat
from app.storage.store import AuditEvent, Store

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 2.0
MAX_BUFFER = 10_000


PRUNE_EVERY = 3600.0


class AuditBuffer:
    def __init__(self, store: Store, retention_days: int) -> None:
        self.store = store
        self.retention = timedelta(days=retention_days)
        self._pending: list[AuditEvent] = []
        self._pruned_at = 0.0

    def add(self, event: AuditEvent) -> None:
        if len(self._pending) < MAX_BUFFER:  # under a database outage, drop rather than grow without bound
            self._pending.append(event)

    async def flush(self) -> None:
        events, self._pending = self._pending, []
        if events:
            await self.store.record_audit_events(events)

    async def prune(self) -> int:
        """Delete audit events older than AUDIT_RETENTION_DAYS, and codes and tokens a day past expiry."""
        now = datetime.now(UTC)
        removed = await self.store.prune_audit_events(now - self.retention)
        expired = await self.store.prune_expired(now - timedelta(days=1))
        if removed or expired:
            logger.info(
                "pruned %d audit events and %d expired codes, tokens, device requests and unused clients",
                removed,
                expired,
            )
        return removed

    async def _tick(self) -> None:
        await self.flush()
        if time.monotonic() - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = time.monotonic()
            await self.prune()

    async def run(self) -> None:
        """Flush every few seconds (pruning hourly) until cancelled, then once more."""
        await repeat(FLUSH_SECONDS, self._tick, self.flush, "write audit events")
