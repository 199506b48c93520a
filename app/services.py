"""The process-wide resources every request may need, opened by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx2
from cachetools import TTLCache

from app.config import Settings
from app.crypto import KeyRing
from app.metrics import Metrics
from app.ratelimit import TokenBuckets
from app.serving import RunningWork
from app.shared import SharedState
from app.storage.activity import ActivityBuffer
from app.storage.audit import AuditBuffer
from app.storage.store import Store, User
from app.upstream.fathom_auth import FathomCredentials, FathomOAuthConfig
from app.upstream.google_auth import GoogleCredentials, GoogleOAuthConfig
from app.upstream.google_mcp import GoogleMcp
from app.upstream.usage import GoogleUsage

PROFILE_SECONDS = 5.0
PROFILES_MAX = 10_000


@dataclass
class Services:
    """Settings plus what the lifespan opens: the Store, the one pooled HTTP client, Google credentials."""

    settings: Settings
    keyring: KeyRing
    store: Store | None = None
    http: httpx2.AsyncClient | None = None
    credentials: GoogleCredentials | None = None
    fathom_credentials: FathomCredentials | None = None  # only when a Fathom OAuth app is configured
    audit: AuditBuffer | None = None
    # Clients of Google's Workspace MCP servers, open for the process's life (GOOGLE_ACCESS=mcp only).
    google_mcp: GoogleMcp | None = None
    activity: ActivityBuffer | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # In sandbox mode only: each sandbox person's sample Fathom key, offered on their account page.
    sample_fathom_keys: dict[str, str] = field(default_factory=dict)
    # Profiles of people whose token was just verified, read again after a few seconds or any revocation.
    profiles: TTLCache[str, User] = field(default_factory=lambda: TTLCache(maxsize=PROFILES_MAX, ttl=PROFILE_SECONDS))
    # Requests and the work they left running: the lifespan closes the database only after them.
    running: RunningWork = field(default_factory=RunningWork)
    shared: SharedState = field(init=False)
    usage: GoogleUsage = field(init=False)
    tool_limits: TokenBuckets = field(init=False)
    mail_limits: TokenBuckets = field(init=False)

    def __post_init__(self) -> None:
        self.shared = SharedState(self.settings.redis_url, self.settings.public_url, self.metrics)
        self.usage = GoogleUsage(self.metrics.registry, share=self.settings.person_daily_share, shared=self.shared)
        self.tool_limits = TokenBuckets(self.settings.tool_calls_per_minute, 60.0, "tools", self.shared)
        self.mail_limits = TokenBuckets(self.settings.mail_sends_per_hour, 3600.0, "mail", self.shared)

    def open(self, store: Store, http: httpx2.AsyncClient) -> None:
        """Attach the lifespan's resources (one refresh lock table for the whole process)."""
        settings = self.settings
        self.store, self.http = store, http
        oauth = GoogleOAuthConfig(
            http, settings.google_discovery_url, settings.google_client_id, settings.google_client_secret
        )
        self.credentials = GoogleCredentials(
            store, oauth, f"{settings.public_url}/account", on_refresh=self.metrics.record_refresh
        )
        if settings.fathom_oauth:
            fathom = FathomOAuthConfig(
                http,
                settings.fathom_client_id.strip(),
                settings.fathom_client_secret.strip(),
                settings.fathom_authorize_url,
                settings.fathom_token_url,
                settings.fathom_revoke_url,
            )
            self.fathom_credentials = FathomCredentials(store, fathom, f"{settings.public_url}/account")
        if self.shared.enabled:
            self.credentials.shared = self.shared
            if self.fathom_credentials is not None:
                self.fathom_credentials.shared = self.shared
        self.audit = AuditBuffer(store, settings.audit_retention_days)
        self.activity = ActivityBuffer(store)

    def forget(self) -> None:
        """Forget every profile and access token held in memory (a revocation or an account change)."""
        self.profiles.clear()
        for credentials in (self.credentials, self.fathom_credentials):
            if credentials is not None:
                credentials.forget()

    def get_store(self) -> Store:
        if self.store is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.store

    def get_http(self) -> httpx2.AsyncClient:
        if self.http is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.http

    def get_credentials(self) -> GoogleCredentials:
        if self.credentials is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.credentials

    def get_google_mcp(self) -> GoogleMcp:
        if self.google_mcp is None:
            raise RuntimeError(
                "Google's MCP servers are reached only with GOOGLE_ACCESS=mcp, once the lifespan started"
            )
        return self.google_mcp

    def get_activity(self) -> ActivityBuffer:
        if self.activity is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.activity

    def get_audit(self) -> AuditBuffer:
        if self.audit is None:
            raise RuntimeError("the app's lifespan has not started")
        return self.audit
