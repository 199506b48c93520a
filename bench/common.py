"""Shared set-up for benchmarks: a sandbox with injected latency and a connected sandbox person."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from app.crypto import KeyRing, generate_key
from app.storage.db import create_engine, migrate
from app.storage.store import Store, User
from app.upstream.gmail import GmailClient
from app.upstream.google_api import GoogleApi
from app.upstream.google_auth import GoogleCredentials, GoogleOAuthConfig
from bench.fixtures import connect_google
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET


@dataclass
class Bench:
    sandbox: SandboxServer
    http: httpx2.AsyncClient
    store: Store
    user: User
    credentials: GoogleCredentials

    def gmail(self) -> GmailClient:
        api = GoogleApi(
            self.http, self.credentials, self.user.id, self.sandbox.settings_env()["GMAIL_API_BASE"], "Gmail"
        )
        return GmailClient(api)


@asynccontextmanager
async def connected_alice(latency: float) -> AsyncIterator[Bench]:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await migrate(engine)
        store = Store(engine, KeyRing([generate_key()]))
        env = sandbox.settings_env()
        async with httpx2.AsyncClient(timeout=30, limits=httpx2.Limits(max_connections=100)) as http:
            oauth = GoogleOAuthConfig(http, env["GOOGLE_DISCOVERY_URL"], SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
            credentials = GoogleCredentials(store, oauth, "http://localhost/account")
            user = await connect_google(store, sandbox.base_url, ALICE)
            sandbox.faults.add_latency("/gmail", latency)
            try:
                yield Bench(sandbox, http, store, user, credentials)
            finally:
                await engine.dispose()


async def median_seconds(action: Callable[[], Awaitable[object]], repeats: int = 5) -> float:
    await action()  # warm-up: connections, token, caches
    samples: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        await action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)
