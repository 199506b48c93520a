"""Store methods for the OAuth authorization server: clients, codes, tokens, device authorizations.

Every token and code is stored only as its SHA-256 hash. State changes that guard against replay
(spending a code, rotating a refresh token, polling a device code) are single conditional UPDATEs,
so two replicas racing on the same value cannot both win. Longer than the usual module because
the clients, codes, token families and device sign-ins share those guarantees and their records,
and reading them side by side is how one checks them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.crypto import KeyRing, hash_token, new_token
from app.storage import tables as t
from app.storage.clock import utcnow
from app.storage.upsert import upsert


@dataclass(frozen=True)
class ClientRecord:
    client_id: str
    metadata: dict[str, Any]
    secret: str | None
    source: str
    created_at: datetime
    fetched_at: datetime | None


@dataclass(frozen=True)
class CodeRecord:
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    redirect_uri_provided_explicitly: bool
    code_challenge: str
    scopes: list[str]
    resource: str | None
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True)
class TokenRecord:
    token_hash: str
    kind: str
    user_id: str
    client_id: str
    scopes: list[str]
    resource: str | None
    family_id: str
    expires_at: datetime
    rotated_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime


@dataclass(frozen=True)
class DeviceRecord:
    device_code_hash: str
    user_code: str
    client_label: str
    status: str
    user_id: str | None
    interval: int
    expires_at: datetime
    last_polled_at: datetime | None


@dataclass(frozen=True)
class ConnectedClient:
    client_id: str
    client_name: str
    first_authorized_at: datetime
    last_token_at: datetime


def _code(row: sa.Row[Any]) -> CodeRecord:
    return CodeRecord(
        code_hash=row.code_hash,
        client_id=row.client_id,
        user_id=row.user_id,
        redirect_uri=row.redirect_uri,
        redirect_uri_provided_explicitly=row.redirect_uri_provided_explicitly,
        code_challenge=row.code_challenge,
        scopes=row.scopes.split(),
        resource=row.resource,
        expires_at=row.expires_at,
        used_at=row.used_at,
    )


def _token(row: sa.Row[Any]) -> TokenRecord:
    return TokenRecord(
        token_hash=row.token_hash,
        kind=row.kind,
        user_id=row.user_id,
        client_id=row.client_id,
        scopes=row.scopes.split(),
        resource=row.resource,
        family_id=row.family_id,
        expires_at=row.expires_at,
        rotated_at=row.rotated_at,
        revoked_at=row.revoked_at,
    )


def _device(row: sa.Row[Any]) -> DeviceRecord:
    return DeviceRecord(
        device_code_hash=row.device_code_hash,
        user_code=row.user_code,
        client_label=row.client_label,
        status=row.status,
        user_id=row.user_id,
        interval=row.interval,
        expires_at=row.expires_at,
        last_polled_at=row.last_polled_at,
    )


class OAuthStore:
    """Mixed into `Store`; relies on its `engine` and `keyring`."""

    engine: AsyncEngine
    keyring: KeyRing

    # -- clients ------------------------------------------------------------------------------

    async def save_client(self, client_id: str, metadata: dict[str, Any], secret: str | None, source: str) -> None:
        """Insert or refresh a client (DCR registration or a fetched metadata document)."""
        now = utcnow()
        values = {
            "metadata_json": json.dumps(metadata),
            "secret_ciphertext": self.keyring.encrypt(secret) if secret else None,
            "source": source,
            "fetched_at": now if source == "cimd" else None,
        }
        async with self.engine.begin() as conn:
            await upsert(
                conn,
                t.oauth_clients,
                {"client_id": client_id, "created_at": now, **values},
                conflict=["client_id"],
                update=values,
            )

    async def get_client(self, client_id: str) -> ClientRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.oauth_clients).where(t.oauth_clients.c.client_id == client_id))
            ).first()
        if row is None:
            return None
        return ClientRecord(
            client_id=row.client_id,
            metadata=json.loads(row.metadata_json),
            secret=self.keyring.decrypt(row.secret_ciphertext) if row.secret_ciphertext else None,
            source=row.source,
            created_at=row.created_at,
            fetched_at=row.fetched_at,
        )

    # -- authorization codes ------------------------------------------------------------------

    async def create_authorization_code(
        self,
        *,
        client_id: str,
        user_id: str,
        redirect_uri: str,
        redirect_uri_provided_explicitly: bool,
        code_challenge: str,
        scopes: list[str],
        resource: str | None,
        ttl: timedelta,
    ) -> str:
        code = new_token()
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                t.authorization_codes.insert().values(
                    code_hash=hash_token(code),
                    client_id=client_id,
                    user_id=user_id,
                    redirect_uri=redirect_uri,
                    redirect_uri_provided_explicitly=redirect_uri_provided_explicitly,
                    code_challenge=code_challenge,
                    scopes=" ".join(scopes),
                    resource=resource,
                    expires_at=now + ttl,
                    created_at=now,
                )
            )
        return code

    async def find_authorization_code(self, code: str) -> CodeRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.authorization_codes).where(t.authorization_codes.c.code_hash == hash_token(code))
                )
            ).first()
        return _code(row) if row else None

    async def revoke_tokens_from_code(self, code_hash: str) -> int:
        """A spent code was presented again: kill everything issued from it (RFC 6749 §4.1.2)."""
        async with self.engine.begin() as conn:
            families = sa.select(t.oauth_tokens.c.family_id).where(t.oauth_tokens.c.code_hash == code_hash)
            result = await conn.execute(
                t.oauth_tokens.update()
                .where(t.oauth_tokens.c.family_id.in_(families), t.oauth_tokens.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return result.rowcount

    async def exchange_code(
        self, code: CodeRecord, access_ttl: timedelta, refresh_ttl: timedelta
    ) -> IssuedTokens | None:
        """Spend the code and issue a token pair; None when it was already spent (a replay)."""
        now = utcnow()
        async with self.engine.begin() as conn:
            spent = await conn.execute(
                t.authorization_codes.update()
                .where(t.authorization_codes.c.code_hash == code.code_hash, t.authorization_codes.c.used_at.is_(None))
                .values(used_at=now)
            )
            if spent.rowcount != 1:
                return None
            return await self._issue(
                conn,
                user_id=code.user_id,
                client_id=code.client_id,
                scopes=code.scopes,
                resource=code.resource,
                family_id=str(uuid.uuid4()),
                code_hash=code.code_hash,
                access_ttl=access_ttl,
                refresh_ttl=refresh_ttl,
            )

    async def _issue(
        self,
        conn: AsyncConnection,
        *,
        user_id: str,
        client_id: str,
        scopes: list[str],
        resource: str | None,
        family_id: str,
        code_hash: str | None,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        refresh_expires_at: datetime | None = None,
    ) -> IssuedTokens:
        now = utcnow()
        access, refresh = new_token("sba_"), new_token("sbr_")
        issued = IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=now + access_ttl,
            refresh_expires_at=refresh_expires_at or now + refresh_ttl,
        )
        common = {
            "user_id": user_id,
            "client_id": client_id,
            "scopes": " ".join(scopes),
            "resource": resource,
            "family_id": family_id,
            "code_hash": code_hash,
            "created_at": now,
        }
        await conn.execute(
            t.oauth_tokens.insert(),
            [
                {**common, "token_hash": hash_token(access), "kind": "access", "expires_at": issued.access_expires_at},
                {
                    **common,
                    "token_hash": hash_token(refresh),
                    "kind": "refresh",
                    "expires_at": issued.refresh_expires_at,
                },
            ],
        )
        return issued

    # -- tokens -------------------------------------------------------------------------------

    async def find_token(self, token: str) -> TokenRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(sa.select(t.oauth_tokens).where(t.oauth_tokens.c.token_hash == hash_token(token)))
            ).first()
        return _token(row) if row else None

    async def rotate_refresh_token(
        self, old: TokenRecord, scopes: list[str], access_ttl: timedelta
    ) -> IssuedTokens | None:
        """Replace a refresh token by a new pair in the same family.

        None when the old one was already rotated or revoked: that is a replay, and the caller
        revokes the whole family. The family keeps its original expiry (a sliding lifetime would let a
        stolen token live forever).
        """
        now = utcnow()
        async with self.engine.begin() as conn:
            rotated = await conn.execute(
                t.oauth_tokens.update()
                .where(
                    t.oauth_tokens.c.token_hash == old.token_hash,
                    t.oauth_tokens.c.rotated_at.is_(None),
                    t.oauth_tokens.c.revoked_at.is_(None),
                )
                .values(rotated_at=now)
            )
            if rotated.rowcount == 1:
                return await self._issue(
                    conn,
                    user_id=old.user_id,
                    client_id=old.client_id,
                    scopes=scopes,
                    resource=old.resource,
                    family_id=old.family_id,
                    code_hash=None,
                    access_ttl=access_ttl,
                    refresh_ttl=timedelta(0),
                    refresh_expires_at=old.expires_at,
                )
        return None

    async def revoke_family(self, family_id: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.oauth_tokens.update()
                .where(t.oauth_tokens.c.family_id == family_id, t.oauth_tokens.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        return result.rowcount

    async def revoke_client_for_user(self, user_id: str, client_id: str) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.oauth_tokens.update()
                .where(
                    t.oauth_tokens.c.user_id == user_id,
                    t.oauth_tokens.c.client_id == client_id,
                    t.oauth_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
        return result.rowcount

    async def connected_clients(self, user_id: str) -> list[ConnectedClient]:
        """OAuth clients holding live tokens of this user, for the account page."""
        tok = t.oauth_tokens
        query = (
            sa.select(
                tok.c.client_id,
                sa.func.min(tok.c.created_at).label("first"),
                sa.func.max(tok.c.created_at).label("last"),
                t.oauth_clients.c.metadata_json,
            )
            .select_from(tok.outerjoin(t.oauth_clients, t.oauth_clients.c.client_id == tok.c.client_id))
            .where(tok.c.user_id == user_id, tok.c.revoked_at.is_(None), tok.c.expires_at > utcnow())
            .group_by(tok.c.client_id, t.oauth_clients.c.metadata_json)
            .order_by(sa.func.max(tok.c.created_at).desc())
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        result: list[ConnectedClient] = []
        for row in rows:
            metadata = json.loads(row.metadata_json) if row.metadata_json else {}
            result.append(
                ConnectedClient(
                    client_id=row.client_id,
                    client_name=str(metadata.get("client_name") or row.client_id),
                    first_authorized_at=row.first,
                    last_token_at=row.last,
                )
            )
        return result

    async def prune_expired(self, before: datetime) -> int:
        """Delete codes, OAuth tokens and device requests that expired before `before` (useless now),
        and clients registered (or metadata documents fetched) before it that hold no code or token.
        """
        removed = 0
        async with self.engine.begin() as conn:
            for table in (t.authorization_codes, t.oauth_tokens, t.device_authorizations):
                result = await conn.execute(table.delete().where(table.c.expires_at < before))
                removed += result.rowcount
            clients = t.oauth_clients
            unused = clients.delete().where(
                clients.c.created_at < before,
                clients.c.client_id.not_in(sa.select(t.authorization_codes.c.client_id).distinct()),
                clients.c.client_id.not_in(sa.select(t.oauth_tokens.c.client_id).distinct()),
            )
            removed += (await conn.execute(unused)).rowcount
        return removed

    # -- device authorizations ----------------------------------------------------------------

    async def create_device_authorization(
        self, user_code: str, client_label: str, ttl: timedelta, interval: int
    ) -> str:
        device_code = new_token()
        now = utcnow()
        async with self.engine.begin() as conn:
            await conn.execute(
                t.device_authorizations.insert().values(
                    device_code_hash=hash_token(device_code),
                    user_code=user_code,
                    client_label=client_label[:200],
                    status="pending",
                    interval=interval,
                    expires_at=now + ttl,
                    created_at=now,
                )
            )
        return device_code

    async def find_device_by_user_code(self, user_code: str) -> DeviceRecord | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.device_authorizations).where(t.device_authorizations.c.user_code == user_code)
                )
            ).first()
        return _device(row) if row else None

    async def decide_device(self, user_code: str, user_id: str, approve: bool) -> bool:
        """Record the person's answer to a pending, unexpired device request."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.device_authorizations.update()
                .where(
                    t.device_authorizations.c.user_code == user_code,
                    t.device_authorizations.c.status == "pending",
                    t.device_authorizations.c.expires_at > utcnow(),
                )
                .values(status="approved" if approve else "denied", user_id=user_id)
            )
        return result.rowcount == 1

    async def poll_device(self, device_code: str) -> tuple[DeviceRecord | None, bool]:
        """Record a poll; returns the record and whether the client polled faster than its interval."""
        now = utcnow()
        code_hash = hash_token(device_code)
        async with self.engine.begin() as conn:
            row = (
                await conn.execute(
                    sa.select(t.device_authorizations).where(t.device_authorizations.c.device_code_hash == code_hash)
                )
            ).first()
            if row is None:
                return None, False
            record = _device(row)
            too_fast = record.last_polled_at is not None and now - record.last_polled_at < timedelta(
                seconds=record.interval
            )
            await conn.execute(
                t.device_authorizations.update()
                .where(t.device_authorizations.c.device_code_hash == code_hash)
                .values(last_polled_at=now)
            )
        return record, too_fast

    async def claim_approved_device(self, device_code: str) -> bool:
        """Mark an approved request as used, exactly once (the token is minted by the winner)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                t.device_authorizations.update()
                .where(
                    t.device_authorizations.c.device_code_hash == hash_token(device_code),
                    t.device_authorizations.c.status == "approved",
                )
                .values(status="used")
            )
        return result.rowcount == 1
