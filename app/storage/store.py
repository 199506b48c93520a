"""The Store: the only code that writes SQL. Encrypts secrets on the way in, decrypts on the way out.

Longer than the usual module because it is one class's surface: users, personal tokens, Google
grants, Fathom keys and key rotation, each a few short queries; the OAuth and admin queries are
already mixins of their own (`oauth`, `admin`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.crypto import KeyRing, hash_token, new_token
from app.storage import tables as t
from app.storage.admin import AdminStore, ended_sessions
from app.storage.clock import utcnow
from app.storage.oauth import OAuthStore, TokenRecord, _token  # pyright: ignore[reportPrivateUsage]
from app.storage.upsert import upsert


@dataclass(frozen=True)
class User:
    id: str
    google_sub: str
    email: str
    name: str
    domain: str
    status: str
    created_at: datetime
    last_active_at: datetime | None
    hosted_domain: str | None = None
    session_generation: int = 0
    always_draft: bool = False  # the person's choice: save every email as a draft, never send


@dataclass(frozen=True)
class GoogleGrant:
    user_id: str
    token: dict[str, Any]
    scopes: list[str]
    status: str
    version: int
    updated_at: datetime


GoogleState = Literal["connected", "needs_reconnect", "not_connected"]


@dataclass(frozen=True)
class Connections:
    """What a person has connected: the one answer whoami, the pages and the tools' checks share."""

    google: GoogleState
    scopes: list[str]
    fathom_last4: str | None
    fathom_oauth: str | None = None  # the Fathom OAuth grant's status: active | needs_reconnect
    # The Google grant was made for another OAuth client than the one this deployment now uses.
    google_new_client: bool = False

    def fathom(self, account_url: str) -> tuple[str, str | None]:
        """How Fathom is connected, and what to do about it (None: nothing)."""
        if self.fathom_last4:
            return f"Fathom: connected (key ending …{self.fathom_last4}).", None
        if self.fathom_oauth == "active":
            return "Fathom: connected (signed in with Fathom).", None
        if self.fathom_oauth is not None:
            return "Fathom: needs reconnect (access expired or was revoked).", f"Reconnect Fathom at {account_url}"
        return "Fathom: not connected.", f"Optional: connect Fathom at {account_url} for meeting tools"


def google_state(grant_status: str | None) -> GoogleState:
    """How a Google grant's stored status reads to the person (no grant: not connected)."""
    if grant_status is None:
        return "not_connected"
    return "connected" if grant_status == "active" else "needs_reconnect"


@dataclass(frozen=True)
class FathomGrant:
    user_id: str
    token: dict[str, Any]
    scope: str
    status: str
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class PersonalToken:
    id: str
    user_id: str
    label: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEvent:
    user_id: str | None
    tool: str
    outcome: str
    duration_ms: int
    created_at: datetime
    client_id: str | None = None
    summary: str | None = None  # what an action did, in one line: recipients and subject, never bodies


@dataclass(frozen=True)
class Action:
    """One thing a person's Claude did through Switchboard, as the account page lists it."""

    created_at: datetime
    tool: str
    client_id: str | None
    summary: str


@dataclass(frozen=True)
class RotationCount:
    rotated: int
    already_current: int


def _user(row: sa.Row[Any], prefix: str = "") -> User:
    def field(name: str) -> Any:
        return row._mapping[prefix + name]  # pyright: ignore[reportPrivateUsage]

    return User(
        id=field("id"),
        google_sub=field("google_sub"),
        email=field("email"),
        name=field("name"),
        domain=field("domain"),
        status=field("status"),
        created_at=field("created_at"),
        last_active_at=field("last_active_at"),
        hosted_domain=field("hosted_domain"),
        session_generation=field("session_generation"),
        always_draft=field("always_draft"),
    )


# The users columns under other names, to read a token and the person holding it in one query.
_HOLDER = "holder_"
_HOLDER_COLUMNS = [column.label(_HOLDER + column.name) for column in t.users.c]


def _live_personal_token(plaintext: str) -> tuple[sa.ColumnElement[bool], ...]:
    """The personal token with this value, unrevoked and unexpired."""
    tokens = t.personal_tokens.c
    return (tokens.token_hash == hash_token(plaintext), tokens.revoked_at.is_(None), tokens.expires_at > utcnow())


class Store(OAuthStore, AdminStore):
    """Persistence for users, credentials, issued tokens and audit events."""

    def __init__(self, engine: AsyncEngine, keyring: KeyRing, google_client_id: str = "") -> None:
        self.engine = engine
        self.keyring = keyring
        # The Google OAuth client this deployment uses: grants are saved for it, and others need reconnecting.
        self.google_client_id = google_client_id

    # -- health -------------------------------------------------------------------------------

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        async with self.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))

    # -- users --------------------------------------------------------------------------------

    async def upsert_user(
        self, *, google_sub: str, email: str, name: str, domain: str, hosted_domain: str | None = None
    ) -> User:
        """Create the user for this Google `sub`, or refresh their profile; re-activates a revoked user."""
        now = utcnow()
        profile = {
            "email": email,
            "name": name,
            "domain": domain,
            "hosted_domain": hosted_domain,
            "status": "active",
            "last_active_at": now,
        }
        async with self.engine.begin() as conn:
            await upsert(
                conn,
                t.users,
                {"id": str(uuid.uuid4()), "google_sub": google_sub, "created_at": now, **profile},
                conflict=["google_sub"],
                update=profile,
            )
            row = (await conn.execute(sa.select(t.users).where(t.users.c.google_sub == google_sub))).one()
        return _user(row)

    async def get_user(self, user_id: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(t.users).where(t.users.c.id == user_id))).first()
        return _user(row) if row else None

    async def set_always_draft(self, user_id: str, always_draft: bool) -> None:
        """Record the person's choice to save every email as a draft (or to send again)."""
        async with self.engine.begin() as conn:
            await conn.execute(sa.update(t.users).where(t.users.c.id == user_id).values(always_draft=always_draft))

    async def get_user_by_email(self, email: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.users)
                    .where(sa.func.lower(t.users.c.email) == email.strip().lower())
                    .order_by(t.users.c.created_at.desc())
                )
            ).first()
        return _user(row) if row else None

    async def list_users(self) -> list[User]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(t.users).order_by(t.users.c.email))).all()
        return [_user(row) for row in rows]

    async def touch_users(self, seen: Mapping[str, datetime]) -> None:
        """Record last-active times in one transaction (callers batch them, not one write per request)."""
        if not seen:
            return
        async with self.engine.begin() as conn:
            for user_id, when in seen.items():
                await conn.execute(
                    t.users.update()
                    .where(t.users.c.id == user_id)
                    .where(sa.or_(t.users.c.last_active_at.is_(None), t.users.c.last_active_at < when))
                    .values(last_active_at=when)
                )

    async def touch_personal_tokens(self, used: Mapping[str, datetime]) -> None:
        """Record last-use times in one transaction; never earlier than one another replica wrote."""
        if not used:
            return
        tokens = t.personal_tokens
        async with self.engine.begin() as conn:
            for token_id, when in used.items():
                await conn.execute(
                    tokens.update()
                    .where(tokens.c.id == token_id)
                    .where(sa.or_(tokens.c.last_used_at.is_(None), tokens.c.last_used_at < when))
                    .values(last_used_at=when)
                )

    async def revoke_user(self, user_id: str) -> int:
        """Revoke every token of the user and mark them revoked; returns how many tokens died."""
        now = utcnow()
        async with self.engine.begin() as conn:
            count = await self._revoke_all_tokens(conn, user_id, now)
            await conn.execute(
                t.users.update().where(t.users.c.id == user_id).values(status="revoked", **ended_sessions())
            )
        return count

    async def end_sessions(self, user_id: str) -> None:
        """Sign the person out of every browser: sessions from earlier generations stop working."""
        async with self.engine.begin() as conn:
            await conn.execute(t.users.update().where(t.users.c.id == user_id).values(**ended_sessions()))

    async def _revoke_all_tokens(self, conn: AsyncConnection, user_id: str, now: datetime) -> int:
        oauth = await conn.execute(
            t.oauth_tokens.update()
            .where(t.oauth_tokens.c.user_id == user_id, t.oauth_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        personal = await conn.execute(
            t.personal_tokens.update()
            .where(t.personal_tokens.c.user_id == user_id, t.personal_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return oauth.rowcount + personal.rowcount

    # -- Google grant -------------------------------------------------------------------------

    async def save_google_grant(self, user_id: str, token: Mapping[str, Any], scopes: Iterable[str]) -> None:
        """Store (or replace) the user's Google token set, encrypted, and mark the grant active (for this
        deployment's OAuth client)."""
        now = utcnow()
        values = {
            "token_ciphertext": self.keyring.encrypt(json.dumps(dict(token))),
            "scopes": " ".join(sorted(set(scopes))),
            "status": "active",
            "updated_at": now,
            "client_id": self.google_client_id or None,
        }
        async with self.engine.begin() as conn:
            await upsert(
                conn,
                t.google_grants,
                {"user_id": user_id, "created_at": now, "version": 1, **values},
                conflict=["user_id"],
                update={**values, "version": t.google_grants.c.version + 1},
            )

    async def adopt_google_client(self, client_id: str) -> int:
        """Mark grants that name no OAuth client as made for `client_id` (the one running when they were
        saved); from now on a grant for another client needs reconnecting. How many were marked."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.google_grants.update().where(t.google_grants.c.client_id.is_(None)).values(client_id=client_id)
            )
        return result.rowcount or 0

    async def get_google_grant(self, user_id: str) -> GoogleGrant | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(t.google_grants).where(t.google_grants.c.user_id == user_id))).first()
        if row is None:
            return None
        return GoogleGrant(
            user_id=row.user_id,
            token=json.loads(self.keyring.decrypt(row.token_ciphertext)),
            scopes=row.scopes.split(),
            status=row.status,
            version=row.version,
            updated_at=row.updated_at,
        )

    async def replace_google_token(self, user_id: str, token: Mapping[str, Any], expected_version: int) -> bool:
        """Compare-and-set the token after a refresh; False when another process wrote first."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.google_grants.update()
                .where(t.google_grants.c.user_id == user_id, t.google_grants.c.version == expected_version)
                .values(
                    token_ciphertext=self.keyring.encrypt(json.dumps(dict(token))),
                    version=expected_version + 1,
                    updated_at=utcnow(),
                )
            )
        return result.rowcount == 1

    async def mark_google_grant(self, user_id: str, status: str, expected_version: int | None = None) -> None:
        """Set the grant's status, e.g. "needs_reconnect" after Google answers invalid_grant.

        With `expected_version`, only if the grant is still the one that failed: a person who just
        reconnected is not flagged by a refresh that started before.
        """
        query = t.google_grants.update().where(t.google_grants.c.user_id == user_id)
        if expected_version is not None:
            query = query.where(t.google_grants.c.version == expected_version)
        async with self.engine.begin() as conn:
            await conn.execute(query.values(status=status, updated_at=utcnow()))

    async def delete_google_grant(self, user_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(t.google_grants.delete().where(t.google_grants.c.user_id == user_id))

    async def connections(self, user_id: str) -> Connections:
        """The Google grant's state and scopes and the Fathom key's last 4, in one round trip.

        Always read from the database: a grant Google refused a moment ago (marked by the
        credentials layer) shows as needing reconnect here at once, on every replica.
        """
        query = (
            sa.select(t.google_grants.c.status, t.google_grants.c.scopes, t.fathom_keys.c.last4)
            .add_columns(t.google_grants.c.client_id)
            .add_columns(t.fathom_grants.c.status.label("fathom_status"))
            .select_from(
                t.users.outerjoin(t.google_grants, t.google_grants.c.user_id == t.users.c.id)
                .outerjoin(t.fathom_keys, t.fathom_keys.c.user_id == t.users.c.id)
                .outerjoin(t.fathom_grants, t.fathom_grants.c.user_id == t.users.c.id)
            )
            .where(t.users.c.id == user_id)
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return Connections("not_connected", [], None)
        new_client = bool(self.google_client_id and row.client_id and row.client_id != self.google_client_id)
        state = "needs_reconnect" if new_client else google_state(row.status)
        return Connections(state, str(row.scopes or "").split(), row.last4, row.fathom_status, new_client)

    # -- Fathom key ---------------------------------------------------------------------------

    async def set_fathom_key(self, user_id: str, key: str) -> None:
        """Store the key; it replaces a Fathom OAuth grant (a person has one or the other)."""
        now = utcnow()
        values = {"key_ciphertext": self.keyring.encrypt(key), "last4": key[-4:], "updated_at": now}
        async with self.engine.begin() as conn:
            await conn.execute(t.fathom_grants.delete().where(t.fathom_grants.c.user_id == user_id))
            await upsert(
                conn,
                t.fathom_keys,
                {"user_id": user_id, "created_at": now, **values},
                conflict=["user_id"],
                update=values,
            )

    async def get_fathom_key(self, user_id: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.fathom_keys.c.key_ciphertext).where(t.fathom_keys.c.user_id == user_id))
            ).first()
        return self.keyring.decrypt(row.key_ciphertext) if row else None

    async def fathom_key_last4(self, user_id: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.fathom_keys.c.last4).where(t.fathom_keys.c.user_id == user_id))
            ).first()
        return row.last4 if row else None

    async def delete_fathom_key(self, user_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(t.fathom_keys.delete().where(t.fathom_keys.c.user_id == user_id))

    # -- Fathom OAuth grant --------------------------------------------------------------------

    async def save_fathom_grant(self, user_id: str, token: Mapping[str, Any], scope: str) -> None:
        """Store (or replace) the Fathom OAuth tokens, encrypted; they replace a pasted key."""
        now = utcnow()
        values = {
            "token_ciphertext": self.keyring.encrypt(json.dumps(dict(token))),
            "scope": scope,
            "status": "active",
            "updated_at": now,
        }
        async with self.engine.begin() as conn:
            await conn.execute(t.fathom_keys.delete().where(t.fathom_keys.c.user_id == user_id))
            await upsert(
                conn,
                t.fathom_grants,
                {"user_id": user_id, "created_at": now, "version": 1, **values},
                conflict=["user_id"],
                update={**values, "version": t.fathom_grants.c.version + 1},
            )

    async def get_fathom_grant(self, user_id: str) -> FathomGrant | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(t.fathom_grants).where(t.fathom_grants.c.user_id == user_id))).first()
        if row is None:
            return None
        return FathomGrant(
            user_id=row.user_id,
            token=json.loads(self.keyring.decrypt(row.token_ciphertext)),
            scope=row.scope,
            status=row.status,
            version=row.version,
            updated_at=row.updated_at,
        )

    async def replace_fathom_token(self, user_id: str, token: Mapping[str, Any], expected_version: int) -> bool:
        """Compare-and-set the tokens after a refresh; False when another process wrote first.

        A refresh that worked proves the grant does: it is active again even if another process,
        refused with the refresh token this one had just spent, flagged it in the meantime.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.fathom_grants.update()
                .where(t.fathom_grants.c.user_id == user_id, t.fathom_grants.c.version == expected_version)
                .values(
                    token_ciphertext=self.keyring.encrypt(json.dumps(dict(token))),
                    status="active",
                    version=expected_version + 1,
                    updated_at=utcnow(),
                )
            )
        return result.rowcount == 1

    async def mark_fathom_grant(self, user_id: str, status: str, expected_version: int) -> bool:
        """Set the grant's status (e.g. "needs_reconnect") if it is still the version that failed."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.fathom_grants.update()
                .where(t.fathom_grants.c.user_id == user_id, t.fathom_grants.c.version == expected_version)
                .values(status=status, updated_at=utcnow())
            )
        return result.rowcount == 1

    async def delete_fathom_grant(self, user_id: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(t.fathom_grants.delete().where(t.fathom_grants.c.user_id == user_id))

    # -- personal access tokens ---------------------------------------------------------------

    async def create_personal_token(self, user_id: str, label: str, ttl: timedelta) -> tuple[PersonalToken, str]:
        """Mint a personal access token; the plaintext is returned once and never stored."""
        plaintext = new_token("sbp_")
        now = utcnow()
        token = PersonalToken(
            id=str(uuid.uuid4()),
            user_id=user_id,
            label=label[:200],
            created_at=now,
            expires_at=now + ttl,
            last_used_at=None,
            revoked_at=None,
        )
        async with self.engine.begin() as conn:
            await conn.execute(
                t.personal_tokens.insert().values(
                    id=token.id,
                    token_hash=hash_token(plaintext),
                    user_id=user_id,
                    label=token.label,
                    created_at=now,
                    expires_at=token.expires_at,
                )
            )
        return token, plaintext

    async def find_personal_token(self, plaintext: str) -> PersonalToken | None:
        """The live (unexpired, unrevoked) personal token with this value."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(t.personal_tokens).where(*_live_personal_token(plaintext)))).first()
        return _personal(row) if row else None

    async def find_personal_token_holder(self, plaintext: str) -> tuple[PersonalToken, User] | None:
        """The live personal token with this value and the person it belongs to, in one query."""
        query = (
            sa.select(t.personal_tokens, *_HOLDER_COLUMNS)
            .join(t.users, t.users.c.id == t.personal_tokens.c.user_id)
            .where(*_live_personal_token(plaintext))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (_personal(row), _user(row, _HOLDER)) if row else None

    async def find_token_holder(self, token: str) -> tuple[TokenRecord, User] | None:
        """The OAuth token with this value (in any state) and the person it was issued to, in one query."""
        query = (
            sa.select(t.oauth_tokens, *_HOLDER_COLUMNS)
            .join(t.users, t.users.c.id == t.oauth_tokens.c.user_id)
            .where(t.oauth_tokens.c.token_hash == hash_token(token))
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return (_token(row), _user(row, _HOLDER)) if row else None

    async def list_personal_tokens(self, user_id: str) -> list[PersonalToken]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(t.personal_tokens)
                    .where(t.personal_tokens.c.user_id == user_id)
                    .order_by(t.personal_tokens.c.created_at.desc())
                )
            ).all()
        return [_personal(row) for row in rows]

    async def revoke_personal_token(self, user_id: str, token_id: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.personal_tokens.update()
                .where(
                    t.personal_tokens.c.id == token_id,
                    t.personal_tokens.c.user_id == user_id,
                    t.personal_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
        return result.rowcount == 1

    # -- audit --------------------------------------------------------------------------------

    async def record_audit_events(self, events: Iterable[AuditEvent]) -> None:
        rows = [
            {
                "user_id": e.user_id,
                "tool": e.tool,
                "outcome": e.outcome,
                "duration_ms": e.duration_ms,
                "created_at": e.created_at,
                "client_id": e.client_id,
                "summary_ciphertext": self.keyring.encrypt(e.summary) if e.summary else None,
            }
            for e in events
        ]
        if rows:
            async with self.engine.begin() as conn:
                await conn.execute(t.audit_events.insert(), rows)

    async def recent_actions(self, user_id: str, limit: int = 50) -> list[Action]:
        """The person's own latest actions (newest first), as long as the audit log keeps them."""
        events = t.audit_events
        query = (
            sa.select(events.c.created_at, events.c.tool, events.c.client_id, events.c.summary_ciphertext)
            .where(events.c.user_id == user_id, events.c.summary_ciphertext.is_not(None))
            .order_by(events.c.created_at.desc(), events.c.id.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            Action(row.created_at, row.tool, row.client_id, self.keyring.decrypt(row.summary_ciphertext))
            for row in rows
        ]

    async def prune_audit_events(self, older_than: datetime) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(t.audit_events.delete().where(t.audit_events.c.created_at < older_than))
        return result.rowcount

    async def count_active_users(self, since: datetime) -> int:
        async with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(t.users).where(t.users.c.last_active_at >= since)
            return int((await conn.execute(query)).scalar_one())

    async def count_audit_events(self, user_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(t.audit_events)
        if user_id is not None:
            query = query.where(t.audit_events.c.user_id == user_id)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    # -- key rotation -------------------------------------------------------------------------

    async def rotate_secrets(self) -> dict[str, RotationCount]:
        """Re-encrypt every stored secret under the first key.

        Each row is compare-and-set on its old ciphertext, so a concurrent write by a running
        server (already under the new key ring) is never overwritten; idempotent.
        """
        counts: dict[str, RotationCount] = {}
        for table, key_column, secret_column in t.ENCRYPTED_COLUMNS:
            rotated = current = 0
            key_col, secret_col = table.c[key_column], table.c[secret_column]
            async with self.engine.connect() as conn:
                rows = (await conn.execute(sa.select(key_col, secret_col).where(secret_col.is_not(None)))).all()
            for key, ciphertext in rows:
                if self.keyring.is_current(ciphertext):
                    current += 1
                    continue
                async with self.engine.begin() as conn:
                    result = await conn.execute(
                        table.update()
                        .where(key_col == key, secret_col == ciphertext)
                        .values({secret_column: self.keyring.rotate(ciphertext)})
                    )
                rotated += result.rowcount
            counts[table.name] = RotationCount(rotated=rotated, already_current=current)
        return counts


def _personal(row: sa.Row[Any]) -> PersonalToken:
    return PersonalToken(
        id=row.id,
        user_id=row.user_id,
        label=row.label,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
