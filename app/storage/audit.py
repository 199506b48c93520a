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
        self._dropped = 0
        self._pruned_at = 0.0

    def add(self, event: AuditEvent) -> None:
        if len(self._pending) < MAX_BUFFER:  # under a database outage, drop rather than grow without bound
            self._pending.append(event)
        else:
            self._dropped += 1

    async def flush(self) -> None:
        """Write what is waiting; a batch that fails to write stays waiting (bounded) for the next round."""
        if self._dropped:
            logger.warning("audit buffer full: %d audit events were dropped", self._dropped)
            self._dropped = 0
        events, self._pending = self._pending, []
        if not events:
            return
        try:
            await self.store.record_audit_events(events)
        except BaseException:
            kept = events + self._pending  # older first; new events arrived while this one failed
            if len(kept) > MAX_BUFFER:
                logger.warning("audit buffer full: %d audit events were dropped", len(kept) - MAX_BUFFER)
                kept = kept[len(kept) - MAX_BUFFER :]
            self._pending = kept
            raise

    async def final_flush(self) -> None:
        """The last write on the way out; what cannot be written is counted in the log as lost."""
        try:
            await self.flush()
        except Exception:
            logger.exception("could not write %d audit events on the way out; they are lost", len(self._pending))
            raise

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
        await repeat(FLUSH_SECONDS, self._tick, self.final_flush, "write audit events")
