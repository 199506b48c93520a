"""A Switchboard database prepared for benchmarks: users with personal tokens (and Google grants)."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.config import DEFAULT_SCOPES
from app.crypto import KeyRing, generate_key
from app.storage.db import create_engine, migrate
from app.storage.store import Store, User
from app.upstream.google_auth import with_expiry
from sandbox.identity.consent import google_tokens


async def connect_google(store: Store, sandbox_url: str, email: str) -> User:
    """Store a sandbox person's Google grant as sign-in would."""
    body = with_expiry(await google_tokens(sandbox_url, email, DEFAULT_SCOPES))
    user = await store.upsert_user(google_sub=f"sub-{email}", email=email, name=email, domain=email.split("@")[1])
    await store.save_google_grant(user.id, body, body["scope"].split())
    return user


@dataclass
class Prepared:
    env: dict[str, str]
    tokens: list[str]


async def prepare(
    directory: Path, users: int = 1, sandbox_url: str | None = None, emails: list[str] | None = None
) -> Prepared:
    """`users` users, each with a personal token; with a sandbox, each connected to a sandbox Google account."""
    key, secret = generate_key(), generate_key()
    database = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    engine = create_engine(database)
    await migrate(engine)
    store = Store(engine, KeyRing([key]))
    tokens: list[str] = []
    try:
        for index in range(users):
            if sandbox_url and emails:
                email = emails[index % len(emails)]
                user = await connect_google(store, sandbox_url, email)
                if index >= len(emails):  # more simulated people than sandbox accounts: distinct users, shared mailbox
                    grant = await store.get_google_grant(user.id)
                    user = await store.upsert_user(
                        google_sub=f"bench-{index}",
                        email=f"u{index}+{email}",
                        name=f"User {index}",
                        domain="acme.example",
                    )
                    assert grant is not None
                    await store.save_google_grant(user.id, grant.token, grant.scopes)
            else:
                user = await store.upsert_user(
                    google_sub=f"bench-{index}",
                    email=f"user{index}@acme.example",
                    name=f"User {index}",
                    domain="acme.example",
                )
            _token, plaintext = await store.create_personal_token(user.id, "bench", timedelta(days=1))
            tokens.append(plaintext)
    finally:
        await engine.dispose()
    env = {
        "DATABASE_URL": database,
        "TOKEN_ENCRYPTION_KEY": key,
        "SESSION_SECRET": secret,
        "GOOGLE_CLIENT_ID": "bench.apps.googleusercontent.com",
        "GOOGLE_CLIENT_SECRET": "bench-secret",
        "TOOL_CALLS_PER_MINUTE": "1000000",
        "MAIL_SENDS_PER_HOUR": "1000000",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }
    return Prepared(env, tokens)


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)
