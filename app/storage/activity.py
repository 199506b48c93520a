"""Last-active times of people and personal tokens: noted in memory per request, written in batches.

A verified bearer notes its person and, for a personal token, the token; the lifespan writes them
every `FLUSH_SECONDS`, and a page that shows them writes this replica's first. So a use a moment ago
shows at once on the replica that served it, and within `FLUSH_SECONDS` on every other one.
"""

from __future__ import annotations

from datetime import datetime

from app.periodic import repeat
from app.storage.clock import utcnow
from app.storage.store import Store

FLUSH_SECONDS = 30.0


class ActivityBuffer:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._users: dict[str, datetime] = {}
        self._personal: dict[str, datetime] = {}

    def saw(self, user_id: str, personal_token_id: str | None = None) -> None:
        now = utcnow()
        self._users[user_id] = now
        if personal_token_id is not None:
            self._personal[personal_token_id] = now

    async def flush(self) -> None:
        users, self._users = self._users, {}
        personal, self._personal = self._personal, {}
        await self.store.touch_users(users)
        await self.store.touch_personal_tokens(personal)

    async def run(self) -> None:
        """Write last-active times every `FLUSH_SECONDS` until cancelled, then once more."""
        await repeat(FLUSH_SECONDS, self.flush, self.flush, "record last-active times")
