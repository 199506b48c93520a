"""Store methods for the account and admin pages: usage summaries, and disconnecting a person entirely.

Usage is counted from audit events (tool name and outcome only, never content); "an error" is any
outcome other than "ok". Days are UTC calendar days on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from app.storage import tables as t


@dataclass(frozen=True)
class UserUsage:
    """One row of the admin's users table."""

    user_id: str
    email: str
    name: str
    status: str  # the user's: active | revoked
    grant_status: str | None  # the Google grant's: active | needs_reconnect; None when not connected
    grant_updated_at: datetime | None
    fathom_connected: bool
    last_active_at: datetime | None
    calls: int
    errors: int


@dataclass(frozen=True)
class DayUsage:
    day: date
    calls: int
    errors: int


@dataclass(frozen=True)
class Disconnected:
    """What `disconnect_user` removed."""

    google_grant: bool
    fathom_key: bool
    fathom_grant: bool
    oauth_tokens: int
    authorization_codes: int
    personal_tokens: int


def _error_count() -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((t.audit_events.c.outcome != "ok", 1), else_=0)), 0)


def latest(*times: datetime | None) -> datetime | None:
    return max((when for when in times if when is not None), default=None)


def ended_sessions() -> dict[str, Any]:
    """Column values for `users` that end every browser session of the row's person."""
    return {"session_generation": t.users.c.session_generation + 1}


class AdminStore:
    """Mixed into `Store`; relies on its `engine`."""

    engine: AsyncEngine

    def _utc_day(self, column: sa.ColumnElement[datetime]) -> sa.ColumnElement[Any]:
        if self.engine.dialect.name == "postgresql":
            # A literal, not a bound parameter: GROUP BY must repeat the very same expression.
            return sa.func.date(sa.func.timezone(sa.literal_column("'UTC'"), column))
        return sa.func.date(column)  # SQLite keeps naive UTC text, which date() reads as is

    async def user_usage(self, since: datetime) -> list[UserUsage]:
        """Every user with their connections and tool calls / errors since `since`, by email.

        Last active is the later of the recorded last-active time (written in batches, so it trails
        by up to a batch) and the person's latest counted call: never behind the calls beside it.
        """
        events = t.audit_events
        counts = (
            sa.select(
                events.c.user_id,
                sa.func.count().label("calls"),
                _error_count().label("errors"),
                sa.func.max(events.c.created_at).label("last_call_at"),
            )
            .where(events.c.created_at >= since, events.c.user_id.is_not(None))
            .group_by(events.c.user_id)
            .subquery()
        )
        users, grants, keys, fathom = t.users, t.google_grants, t.fathom_keys, t.fathom_grants
        query = (
            sa.select(
                users,
                grants.c.status.label("grant_status"),
                grants.c.updated_at.label("grant_updated_at"),
                sa.func.coalesce(keys.c.user_id, fathom.c.user_id).label("fathom_user_id"),
                sa.func.coalesce(counts.c.calls, 0).label("calls"),
                sa.func.coalesce(counts.c.errors, 0).label("errors"),
                counts.c.last_call_at,
            )
            .select_from(
                users.outerjoin(grants, grants.c.user_id == users.c.id)
                .outerjoin(keys, keys.c.user_id == users.c.id)
                .outerjoin(fathom, fathom.c.user_id == users.c.id)
                .outerjoin(counts, counts.c.user_id == users.c.id)
            )
            .order_by(users.c.email)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            UserUsage(
                user_id=row.id,
                email=row.email,
                name=row.name,
                status=row.status,
                grant_status=row.grant_status,
                grant_updated_at=row.grant_updated_at,
                fathom_connected=row.fathom_user_id is not None,
                last_active_at=latest(row.last_active_at, row.last_call_at),
                calls=int(row.calls),
                errors=int(row.errors),
            )
            for row in rows
        ]

    async def daily_usage(self, since: datetime) -> list[DayUsage]:
        """Tool calls and errors per UTC day since `since`, oldest first; days without calls are absent."""
        events = t.audit_events
        day = self._utc_day(events.c.created_at).label("day")
        query = (
            sa.select(day, sa.func.count().label("calls"), _error_count().label("errors"))
            .where(events.c.created_at >= since)
            .group_by("day")
            .order_by("day")
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        # SQLite answers "YYYY-MM-DD" text, PostgreSQL a date: both print the same.
        return [DayUsage(date.fromisoformat(str(row.day)), int(row.calls), int(row.errors)) for row in rows]

    async def disconnect_user(self, user_id: str) -> Disconnected:
        """Delete every credential of the user in one transaction and mark them revoked.

        Removes the Google grant, the Fathom key or OAuth grant, all OAuth tokens and authorization codes, personal
        tokens and device sign-ins. The user row and their audit events (no secrets) remain.
        """
        async with self.engine.begin() as conn:
            grant = await conn.execute(t.google_grants.delete().where(t.google_grants.c.user_id == user_id))
            key = await conn.execute(t.fathom_keys.delete().where(t.fathom_keys.c.user_id == user_id))
            fathom_grant = await conn.execute(t.fathom_grants.delete().where(t.fathom_grants.c.user_id == user_id))
            tokens = await conn.execute(t.oauth_tokens.delete().where(t.oauth_tokens.c.user_id == user_id))
            codes = await conn.execute(t.authorization_codes.delete().where(t.authorization_codes.c.user_id == user_id))
            personal = await conn.execute(t.personal_tokens.delete().where(t.personal_tokens.c.user_id == user_id))
            await conn.execute(t.device_authorizations.delete().where(t.device_authorizations.c.user_id == user_id))
            await conn.execute(
                t.users.update().where(t.users.c.id == user_id).values(status="revoked", **ended_sessions())
            )
        return Disconnected(
            google_grant=grant.rowcount > 0,
            fathom_key=key.rowcount > 0,
            fathom_grant=fathom_grant.rowcount > 0,
            oauth_tokens=tokens.rowcount,
            authorization_codes=codes.rowcount,
            personal_tokens=personal.rowcount,
        )
