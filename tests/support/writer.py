"""A process that signs users in through the Store as fast as it can, printing each committed id.

Used by the crash test: it is SIGKILLed mid-write and the database must hold every printed row.
"""

from __future__ import annotations

import asyncio
import sys

from app.crypto import KeyRing
from app.storage.db import create_engine, migrate
from app.storage.store import Store


async def main(database_url: str, schema: str | None, key: str) -> None:
    engine = create_engine(database_url, schema=schema)
    await migrate(engine)
    store = Store(engine, KeyRing([key]))
    n = 0
    while True:
        n += 1
        user = await store.upsert_user(google_sub=f"sub-{n}", email=f"u{n}@acme.example", name="U", domain="acme")
        await store.save_google_grant(user.id, {"refresh_token": f"rt-{n}"}, ["openid"])
        sys.stdout.write(f"{user.id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] or None, sys.argv[3]))
