"""Fixtures: a live sandbox on loopback, a store, and clients for a connected sandbox person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import pytest

from app.storage.store import Store, User
from app.upstream.calendar import CalendarClient
from app.upstream.gmail import GmailClient
from app.upstream.google_api import GoogleApi
from app.upstream.google_auth import GoogleCredentials, GoogleOAuthConfig
from app.upstream.retry import RetryPolicy
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET
from tests.support.google import connect_google

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, total_time=3.0)


@dataclass
class Connected:
    sandbox: SandboxServer
    store: Store
    http: httpx2.AsyncClient
    credentials: GoogleCredentials
    user: User

    def api(self, base: str, service: str, policy: RetryPolicy = FAST) -> GoogleApi:
        return GoogleApi(self.http, self.credentials, self.user.id, base, service, policy)

    def gmail(self, policy: RetryPolicy = FAST) -> GmailClient:
        return GmailClient(self.api(self.sandbox.settings_env()["GMAIL_API_BASE"], "Gmail", policy))

    def calendar(self, policy: RetryPolicy = FAST) -> CalendarClient:
        return CalendarClient(self.api(self.sandbox.settings_env()["CALENDAR_API_BASE"], "Google Calendar", policy))


@pytest.fixture
async def alice(sandbox: SandboxServer, store: Store) -> AsyncIterator[Connected]:
    env = sandbox.settings_env()
    async with httpx2.AsyncClient(timeout=10) as http:
        oauth = GoogleOAuthConfig(http, env["GOOGLE_DISCOVERY_URL"], SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET)
        credentials = GoogleCredentials(store, oauth, "http://localhost:8080/account")
        user = await connect_google(store, sandbox.base_url, ALICE)
        yield Connected(sandbox, store, http, credentials, user)
