"""The sandbox's in-memory state: people, mailboxes, calendars, Fathom meetings, OAuth grants.

Every sandbox HTTP app (identity, Gmail, Calendar, Fathom) reads and writes one `World`.
All access happens on the sandbox server's event loop, so no locking is needed.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SANDBOX_CLIENT_ID = "switchboard-sandbox.apps.googleusercontent.com"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - a public sandbox value, not a secret
# A second OAuth client, created without "Use this client for an AI-powered agent": Google's MCP servers refuse it.
SANDBOX_PLAIN_CLIENT_ID = "switchboard-sandbox-plain.apps.googleusercontent.com"
SANDBOX_PLAIN_CLIENT_SECRET = "sandbox-plain-client-secret"  # noqa: S105 - a public sandbox value, not a secret
SANDBOX_PROJECT = "switchboard-sandbox"  # the Cloud project both sandbox clients belong to
MCP_DAILY_LIMIT = 5000  # Standard tier: requests per day, per project, per MCP product
FATHOM_SANDBOX_CLIENT_ID = "switchboard-sandbox-fathom-app"
FATHOM_SANDBOX_CLIENT_SECRET = "sandbox-fathom-app-secret"  # noqa: S105 - a public sandbox value, not a secret


@dataclass
class Person:
    """A sandbox account: a Google identity, a mailbox, calendars and maybe a Fathom key."""

    email: str
    name: str
    sub: str
    time_zone: str
    hd: str | None = None
    email_verified: bool = True
    fathom_key: str | None = None
    fathom_team: str | None = None
    title: str = ""


@dataclass
class StoredMessage:
    """A Gmail message as Gmail keeps it: the RFC 2822 bytes plus labels and ids."""

    id: str
    thread_id: str
    raw: bytes
    label_ids: set[str]
    internal_date_ms: int
    history_id: int


@dataclass
class Label:
    id: str
    name: str
    type: str = "user"  # "system" | "user"


@dataclass
class Draft:
    id: str
    message_id: str


@dataclass
class Mailbox:
    owner: str
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    # attachment id -> (message id, part bytes)
    attachments: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    history_id: int = 1  # the last history id a change was given (messages keep their own)
    # Addresses the owner may send as besides their own (Gmail's "Send mail as"), and signatures.
    aliases: list[SendAs] = field(default_factory=list)
    signature: str = ""


@dataclass
class SendAs:
    """A verified "Send mail as" address with its display name and HTML signature."""

    email: str
    display_name: str
    signature: str = ""
    reply_to: str = ""
    verified: bool = True


@dataclass
class Calendar:
    """One calendar in a person's calendar list; events are Calendar API event resources."""

    id: str
    summary: str
    time_zone: str
    access_role: str = "owner"
    primary: bool = False
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    # ids of deleted events, so a second DELETE answers 410 Gone
    deleted: set[str] = field(default_factory=set)


@dataclass
class FathomRecording:
    """A Fathom meeting resource (without the include_* parts) plus its heavy parts."""

    meeting: dict[str, Any]
    summary_markdown: str
    transcript: list[dict[str, Any]]
    action_items: list[dict[str, Any]]


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    email: str
    scopes: list[str]
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    expires_at: float


@dataclass
class GoogleGrant:
    """One consent by one person to one OAuth client; refresh tokens hang off it."""

    id: str
    email: str
    client_id: str
    scopes: list[str]
    refresh_token: str
    revoked: bool = False


@dataclass
class GoogleAccessToken:
    token: str
    email: str
    scopes: list[str]
    expires_at: float
    grant_id: str | None = None
    client_id: str | None = None  # who it was issued to when no grant says (None: the sandbox client)


@dataclass
class FathomCode:
    """A Fathom authorization code: single use, short-lived, bound to its client and redirect URI."""

    code: str
    client_id: str
    redirect_uri: str
    email: str
    expires_at: float


@dataclass
class FathomGrant:
    """One person's authorization of one Fathom OAuth app; its refresh token rotates on every use."""

    id: str
    email: str
    client_id: str
    refresh_token: str
    revoked: bool = False
    refreshes: int = 0  # how many refreshes it has answered


@dataclass
class FathomAccessToken:
    token: str
    email: str
    grant_id: str
    expires_at: float


@dataclass
class World:
    """Everything the sandbox knows; built by `sandbox.seed.build_world`."""

    anchor: datetime  # "now" at seeding time; seeded data is laid out around it
    domain: str
    people: dict[str, Person] = field(default_factory=dict)  # by email
    mailboxes: dict[str, Mailbox] = field(default_factory=dict)  # by email
    calendars: dict[str, dict[str, Calendar]] = field(default_factory=dict)  # email -> id -> cal
    recordings: dict[int, FathomRecording] = field(default_factory=dict)  # by recording_id
    fathom_teams: list[dict[str, Any]] = field(default_factory=list)
    # People API: each person's saved contacts and each Workspace domain's directory (Person resources)
    saved_contacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by owner email
    directories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by domain
    # What a contact search sees: (owner email, source) -> the people as of the last warm-up
    people_search_index: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    # identity state
    clients: dict[str, str] = field(
        default_factory=lambda: {
            SANDBOX_CLIENT_ID: SANDBOX_CLIENT_SECRET,
            SANDBOX_PLAIN_CLIENT_ID: SANDBOX_PLAIN_CLIENT_SECRET,
        }
    )
    # OAuth clients created with "Use this client for an AI-powered agent" (only these reach the MCP servers)
    agent_clients: set[str] = field(default_factory=lambda: {SANDBOX_CLIENT_ID})
    client_projects: dict[str, str] = field(
        default_factory=lambda: {SANDBOX_CLIENT_ID: SANDBOX_PROJECT, SANDBOX_PLAIN_CLIENT_ID: SANDBOX_PROJECT}
    )
    # Google's MCP quotas: a daily limit per product, and today's requests per project and product
    mcp_limits: dict[str, int] = field(
        default_factory=lambda: {"gmail": MCP_DAILY_LIMIT, "calendar": MCP_DAILY_LIMIT, "people": MCP_DAILY_LIMIT}
    )
    mcp_usage: dict[str, dict[str, int]] = field(default_factory=dict)  # project -> product -> requests
    mcp_usage_day: str = ""  # the Pacific-time day `mcp_usage` counts
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[str, GoogleGrant] = field(default_factory=dict)  # by id
    access_tokens: dict[str, GoogleAccessToken] = field(default_factory=dict)
    access_token_ttl: int = 3600
    auto_approve_email: str | None = None  # set: the authorize page signs this person in at once
    # Fathom OAuth state
    fathom_clients: dict[str, str] = field(
        default_factory=lambda: {FATHOM_SANDBOX_CLIENT_ID: FATHOM_SANDBOX_CLIENT_SECRET}
    )
    fathom_codes: dict[str, FathomCode] = field(default_factory=dict)
    fathom_grants: dict[str, FathomGrant] = field(default_factory=dict)  # by id
    fathom_access_tokens: dict[str, FathomAccessToken] = field(default_factory=dict)
    fathom_access_token_ttl: int = 3600
    signing_key: dict[str, Any] | None = None  # the identity provider's private JWK, set when it starts
    last_id: int = 0  # the counter behind `next_id`

    def next_id(self, prefix: str = "") -> str:
        """A fresh, unique, Gmail-looking hex id."""
        self.last_id += 1
        return f"{prefix}{0x18C0000000000000 + self.last_id * 7919:x}"

    def person_for_access_token(self, token: str) -> tuple[Person, GoogleAccessToken] | None:
        """The person a Google access token belongs to, if it is live."""
        live = self.access_tokens.get(token)
        if live is None or live.expires_at <= time.time():
            return None
        if live.grant_id is not None and self.grants[live.grant_id].revoked:
            return None
        return self.people[live.email], live

    def person_for_fathom_key(self, key: str) -> Person | None:
        for person in self.people.values():
            if person.fathom_key is not None and secrets.compare_digest(person.fathom_key, key):
                return person
        return None

    def issue_access_token(
        self, email: str, scopes: list[str], grant_id: str | None, client_id: str | None = None
    ) -> GoogleAccessToken:
        token = GoogleAccessToken(
            token="sandbox-at." + secrets.token_urlsafe(24),
            email=email,
            scopes=scopes,
            expires_at=time.time() + self.access_token_ttl,
            grant_id=grant_id,
            client_id=client_id,
        )
        self.access_tokens[token.token] = token
        return token

    def client_of(self, token: GoogleAccessToken) -> str:
        """The OAuth client an access token was issued to."""
        if token.grant_id is not None and token.grant_id in self.grants:
            return self.grants[token.grant_id].client_id
        return token.client_id or SANDBOX_CLIENT_ID

    def person_for_fathom_token(self, token: str) -> Person | None:
        """The person a Fathom OAuth access token belongs to, if it is live and its grant stands."""
        live = self.fathom_access_tokens.get(token)
        if live is None or live.expires_at <= time.time() or self.fathom_grants[live.grant_id].revoked:
            return None
        return self.people[live.email]

    def expire_all_access_tokens(self) -> None:
        for token in self.access_tokens.values():
            token.expires_at = 0
        for fathom_token in self.fathom_access_tokens.values():
            fathom_token.expires_at = 0

    def revoke_grants_of(self, email: str) -> None:
        for grant in self.grants.values():
            if grant.email == email:
                grant.revoked = True

    def now(self) -> datetime:
        return datetime.now(UTC)
