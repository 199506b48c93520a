"""Settings: every knob Switchboard has, read once from the environment (and `.env`).

Nothing else in the app reads `os.environ`. `Settings.problems()` lists what would make a
production start-up unsafe, one actionable line each.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SCOPES = (
    "openid email profile https://www.googleapis.com/auth/gmail.modify https://www.googleapis.com/auth/calendar"
)
PLACEHOLDERS = frozenset({"", "changeme", "change-me", "changethis", "secret", "xxx", "todo", "replace-me"})
# Google's Standard tier: requests a day per Cloud project and MCP product (Gmail, Calendar, People).
STANDARD_TIER_REQUESTS = 5000
GEN_KEY_HINT = "run `switchboard gen-key` and set the printed value"


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip().lower() for item in value.replace(";", ",").split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]

# Where a reverse proxy in front of us connects from: loopback, private and shared (CGNAT)
# ranges. Railway's edge proxy reaches the container from a private address.
DEFAULT_TRUSTED_PROXIES = [
    "127.0.0.0/8",
    "::1/128",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "fc00::/7",
]


class Settings(BaseSettings):
    """Configuration from environment variables (names in upper case in the environment)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    public_url: str = Field("", description="External base URL, e.g. https://team-mcp.up.railway.app")
    port: int = Field(8080, ge=1, le=65535, description="Listen port")
    railway_public_domain: str = Field("", description="Set by Railway; used when PUBLIC_URL is empty")
    railway_environment: str = Field(
        "", description="Set by Railway; start-up then warns when the SQLite database is not on a volume"
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./data/switchboard.db", description="SQLite file or postgresql:// URL"
    )
    token_encryption_key: str = Field("", description="Fernet key(s), comma-separated; first encrypts")
    session_secret: str = Field("", description="Signs browser session cookies")
    google_client_id: str = Field("", description="Google OAuth web client id")
    google_client_secret: str = Field("", description="Google OAuth web client secret")
    google_oauth_scopes: str = Field(DEFAULT_SCOPES, description="Scopes asked of Google")
    google_redirect_uri: str = Field("", description="Default $PUBLIC_URL/auth/callback")
    allowed_email_domains: CommaList = Field(default_factory=list, description="Who may sign in, by domain")
    allowed_emails: CommaList = Field(default_factory=list, description="Who may sign in, by address")
    admin_emails: CommaList = Field(default_factory=list, description="Who sees /admin")
    session_ttl_days: int = Field(90, ge=1, le=3650, description="Lifetime of refresh and personal tokens")
    google_discovery_url: str = Field(
        "https://accounts.google.com/.well-known/openid-configuration", description="Google OIDC discovery"
    )
    gmail_api_base: str = Field("https://gmail.googleapis.com", description="Gmail API host")
    calendar_api_base: str = Field("https://www.googleapis.com/calendar/v3", description="Calendar API base")
    fathom_api_base: str = Field("https://api.fathom.ai/external/v1", description="Fathom API base")
    people_api_base: str = Field("https://people.googleapis.com", description="Google People API host")
    google_access: Literal["rest", "mcp"] = Field(
        "mcp",
        description="How Gmail, Calendar and People are reached: mcp (Google's Workspace MCP servers) or rest "
        "(Google's REST APIs, which Google closes to AI agents from 2027-02-01)",
    )
    gmail_mcp_base: str = Field("https://gmailmcp.googleapis.com", description="Gmail MCP server host")
    calendar_mcp_base: str = Field("https://calendarmcp.googleapis.com", description="Calendar MCP server host")
    people_mcp_base: str = Field("https://people.googleapis.com", description="People API MCP server host")
    fathom_client_id: str = Field("", description="Fathom OAuth app client id (empty: people paste API keys only)")
    fathom_client_secret: str = Field("", description="Fathom OAuth app client secret")
    fathom_authorize_url: str = Field(
        "https://fathom.video/external/v1/oauth2/authorize", description="Fathom OAuth authorize endpoint"
    )
    fathom_token_url: str = Field(
        "https://fathom.video/external/v1/oauth2/token", description="Fathom OAuth token endpoint"
    )
    fathom_revoke_url: str = Field("", description="Fathom OAuth revocation endpoint (Fathom documents none)")
    redis_url: str = Field(
        "", description="Redis every replica shares: rate limits, revocations, refresh locks (empty: per replica)"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level")
    tool_calls_per_minute: int = Field(120, ge=1, description="Per-user tool calls per minute")
    mail_sends_per_hour: int = Field(30, ge=1, description="Per-user emails sent or drafted per hour")
    team_size: int = Field(
        0, ge=0, description="People using this deployment: each gets 5,000 / TEAM_SIZE Google requests a day (0: none)"
    )
    google_requests_per_person_per_day: int | None = Field(
        None,
        ge=0,
        description="Google requests one person may make a day, per product (empty: 5,000 / TEAM_SIZE; 0: no limit)",
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="json, text, or auto (json unless a terminal)"
    )
    metrics_token: str = Field("", description="Bearer token for /metrics (admins can also view it signed in)")
    sentry_dsn: str = Field("", description="Sentry DSN: unexpected errors are reported there, scrubbed (empty: off)")
    sentry_environment: str = Field(
        "", description="Environment name on Sentry events (default RAILWAY_ENVIRONMENT, else production)"
    )
    audit_retention_days: int = Field(90, ge=1, description="Days of audit events kept")
    read_only: bool = Field(False, description="Hide every tool that changes data (send, modify, create, delete)")
    mail_send_policy: Literal["confirm", "drafts_only", "direct"] = Field(
        "confirm",
        description="confirm: ask before sending where the client can, new external recipients get drafts; "
        "drafts_only: never send; direct: no guard (an explicit opt-out)",
    )
    unsafe_allow_loopback_client_metadata: bool = Field(
        False, description="UNSAFE, tests only: accept http:// and loopback client metadata document URLs"
    )
    trusted_proxies: CommaList = Field(
        default_factory=lambda: list(DEFAULT_TRUSTED_PROXIES),
        description="Addresses/CIDRs whose X-Forwarded-For/-Proto is believed; default loopback and private ranges",
    )
    sandbox: bool = Field(False, description="Set by `serve --sandbox`: built-in sandbox upstreams")

    @field_validator("allowed_email_domains", "allowed_emails", "admin_emails", "trusted_proxies", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("google_requests_per_person_per_day", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty value in the environment (as .env.example leaves it) means "not set"."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or CIDR range") from None
        return value

    @field_validator(
        "public_url",
        "google_redirect_uri",
        "gmail_api_base",
        "calendar_api_base",
        "fathom_api_base",
        "people_api_base",
        "gmail_mcp_base",
        "calendar_mcp_base",
        "people_mcp_base",
        "fathom_authorize_url",
        "fathom_token_url",
        "fathom_revoke_url",
        "sentry_dsn",
    )
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("google_discovery_url")
    @classmethod
    def _discovery(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("expected a URL like sqlite+aiosqlite:///./data/switchboard.db or postgresql://…")
        scheme = scheme.lower()
        if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
            return f"postgresql+asyncpg://{rest}"
        if scheme in ("sqlite", "sqlite+aiosqlite"):
            return f"sqlite+aiosqlite://{rest}"
        raise ValueError(f"unsupported database scheme {scheme!r}: use sqlite+aiosqlite:// or postgresql://")

    @field_validator("token_encryption_key")
    @classmethod
    def _fernet_keys(cls, value: str) -> str:
        keys = [key.strip() for key in value.split(",") if key.strip()]
        for key in keys:
            if key.lower() in PLACEHOLDERS:
                continue  # reported by problems(), with the fix
            try:
                raw = base64.urlsafe_b64decode(key.encode())
            except (binascii.Error, ValueError):
                raw = b""
            if len(raw) != 32:
                raise ValueError(f"not a Fernet key (32 url-safe base64 bytes); {GEN_KEY_HINT}")
        return ",".join(keys)

    @model_validator(mode="after")
    def _public_url_fallback(self) -> Settings:
        if not self.public_url:
            if self.railway_public_domain:
                self.public_url = f"https://{self.railway_public_domain.strip().rstrip('/')}"
            else:
                self.public_url = f"http://localhost:{self.port}"
        if not self.google_redirect_uri:
            self.google_redirect_uri = f"{self.public_url}/auth/callback"
        return self

    @cached_property
    def encryption_keys(self) -> list[str]:
        return [key for key in self.token_encryption_key.split(",") if key and key.lower() not in PLACEHOLDERS]

    @property
    def mcp_url(self) -> str:
        return f"{self.public_url}/mcp"

    @property
    def person_daily_share(self) -> int | None:
        """Google requests one person may make a day, per product; None: no limit."""
        if self.google_requests_per_person_per_day is not None:
            return self.google_requests_per_person_per_day or None
        return max(1, STANDARD_TIER_REQUESTS // self.team_size) if self.team_size else None

    @property
    def is_local(self) -> bool:
        host = urlsplit(self.public_url).hostname or ""
        return host in ("localhost", "127.0.0.1", "::1")

    @property
    def fathom_oauth(self) -> bool:
        """Whether people may connect Fathom by OAuth (an admin registered a Fathom OAuth app)."""
        return bool(self.fathom_client_id.strip() and self.fathom_client_secret.strip())

    @property
    def fathom_redirect_uri(self) -> str:
        return f"{self.public_url}/account/fathom/callback"

    @property
    def error_tracking_environment(self) -> str:
        return self.sentry_environment.strip() or self.railway_environment.strip() or "production"

    @property
    def scopes(self) -> list[str]:
        return self.google_oauth_scopes.split()

    def problems(self) -> list[str]:
        """What makes this configuration unfit for production, one actionable line per problem."""
        found: list[str] = []
        if not self.is_local and not self.public_url.startswith("https://"):
            found.append(
                f"PUBLIC_URL is {self.public_url}: it must be https:// (OAuth requires it; Railway's domain is https)."
            )
        if not self.encryption_keys:
            found.append(f"TOKEN_ENCRYPTION_KEY is missing or a placeholder: {GEN_KEY_HINT}.")
        if self.session_secret.strip().lower() in PLACEHOLDERS or len(self.session_secret) < 32:
            found.append(
                "SESSION_SECRET is missing, a placeholder or shorter than 32 characters: "
                "run `switchboard gen-key` and set the printed value."
            )
        if self.google_client_id.strip().lower() in PLACEHOLDERS:
            found.append(
                "GOOGLE_CLIENT_ID is missing: create an OAuth web client in Google Cloud "
                "(README: Google Cloud setup) and set its client id."
            )
        if self.google_client_secret.strip().lower() in PLACEHOLDERS:
            found.append("GOOGLE_CLIENT_SECRET is missing: set the secret of the same Google OAuth web client.")
        if bool(self.fathom_client_id.strip()) != bool(self.fathom_client_secret.strip()):
            found.append(
                "FATHOM_CLIENT_ID and FATHOM_CLIENT_SECRET go together: "
                "set both (Fathom OAuth) or neither (API keys only)."
            )
        return found
