"""The one way to revoke: the database write and every cache that must forget, together.

Caches of verified tokens and of user profiles register with `on_revoke`; every revocation
(a person on their account page, an admin, the OAuth provider on a replayed code or refresh
token, the CLI) goes through a method here, which writes to the database and then calls
`_announce`. That one method is where "tell every cache" happens: this process's caches at once,
and, when replicas share Redis, every other replica's through one published message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.storage.admin import Disconnected
from app.storage.store import Store

T = TypeVar("T")


class Revocations:
    """Revokes in the database and makes every registered cache forget at once."""

    def __init__(self, store: Callable[[], Store], broadcast: Callable[[], Awaitable[None]] | None = None) -> None:
        self._store = store
        self._caches: list[Callable[[], None]] = []
        self._broadcast = broadcast

    def on_revoke(self, forget: Callable[[], None]) -> None:
        """Register a cache to clear whenever anything is revoked."""
        self._caches.append(forget)

    def forget(self) -> None:
        """Clear this process's caches (for a revocation this process did not write itself)."""
        for forget in self._caches:
            forget()

    async def _announce(self, revocation: Awaitable[T]) -> T:
        """Write the revocation, then tell every cache (today: this process's). The only such path."""
        result = await revocation
        self.forget()
        if self._broadcast is not None:
            await self._broadcast()
        return result

    async def account_changed(self, change: Awaitable[T]) -> T:
        """Write a change to what a person has connected or chosen (a grant, a key, the send choice),
        then make every cache read it again, like a revocation."""
        return await self._announce(change)

    async def revoke_user(self, user_id: str) -> int:
        """Every token of the person; they must sign in again. Returns how many tokens died."""
        return await self._announce(self._store().revoke_user(user_id))

    async def disconnect_user(self, user_id: str) -> Disconnected:
        """Delete every credential the person left with us and mark them revoked."""
        return await self._announce(self._store().disconnect_user(user_id))

    async def end_sessions(self, user_id: str) -> None:
        """Sign the person out of every browser (their tokens for apps stay)."""
        await self._announce(self._store().end_sessions(user_id))

    async def revoke_family(self, family_id: str) -> int:
        """An OAuth token and everything rotated from the same grant."""
        return await self._announce(self._store().revoke_family(family_id))

    async def revoke_tokens_from_code(self, code_hash: str) -> int:
        """Everything issued from an authorization code (a spent code was presented again)."""
        return await self._announce(self._store().revoke_tokens_from_code(code_hash))

    async def revoke_client_for_user(self, user_id: str, client_id: str) -> int:
        """One connected app's tokens of this person."""
        return await self._announce(self._store().revoke_client_for_user(user_id, client_id))

    async def revoke_personal_token(self, user_id: str, token_id: str) -> bool:
        """One personal access token of this person; False when it was already revoked."""
        return await self._announce(self._store().revoke_personal_token(user_id, token_id))
