"""Connecting a sandbox person's Google account the way sign-in does, for tests below the auth layer."""

from __future__ import annotations

from app.config import DEFAULT_SCOPES
from app.storage.store import Store, User
from app.upstream.google_auth import with_expiry
from sandbox.identity.consent import google_tokens
from sandbox.world import Person


async def connect_google(
    store: Store, sandbox_url: str, email: str, scopes: str = DEFAULT_SCOPES, person: Person | None = None
) -> User:
    """Consent at the sandbox Google (the authorization-code flow) and store the grant.

    With the sandbox `person`, the user is stored as signing in would store them (their Google sub and name).
    """
    body = with_expiry(await google_tokens(sandbox_url, email, scopes))
    if person is None:
        user = await store.upsert_user(
            google_sub=f"sub-{email}", email=email, name=email.split("@")[0], domain=email.split("@")[1]
        )
    else:
        user = await store.upsert_user(
            google_sub=person.sub,
            email=email,
            name=person.name,
            domain=person.hd or email.rpartition("@")[2],
            hosted_domain=person.hd,
        )
    await store.save_google_grant(user.id, body, body["scope"].split())
    return user
