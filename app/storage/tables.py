"""SQLAlchemy Core tables. Secrets are only ever stored encrypted (`*_ciphertext`) or hashed (`*_hash`)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def _user_fk(nullable: bool = False) -> sa.Column[object]:
    return sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=nullable)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("google_sub", sa.String(255), nullable=False, unique=True),
    sa.Column("email", sa.String(320), nullable=False, index=True),
    sa.Column("name", sa.String(255), nullable=False, server_default=""),
    sa.Column("domain", sa.String(255), nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),  # active | revoked
    _ts("created_at"),
    _ts("last_active_at", nullable=True),
    # The id_token's `hd` at the last sign-in (None: not a Workspace account, or not signed in since).
    sa.Column("hosted_domain", sa.String(255), nullable=True),
    # Browser sessions carry the generation they began in; bumping it ends every one of them.
    sa.Column("session_generation", sa.Integer, nullable=False, server_default="0"),
    # The person chose to have every email saved as a draft rather than sent.
    sa.Column("always_draft", sa.Boolean, nullable=False, server_default=sa.false()),
)

google_grants = sa.Table(
    "google_grants",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("token_ciphertext", sa.Text, nullable=False),
    sa.Column("scopes", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),  # active | needs_reconnect
    # Bumped on every token write: concurrent refreshers compare-and-set on it.
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    # The Google OAuth client the grant was made for; another client cannot use it (set at start-up for older grants).
    sa.Column("client_id", sa.String(200), nullable=True),
    _ts("created_at"),
    _ts("updated_at"),
)

fathom_keys = sa.Table(
    "fathom_keys",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("key_ciphertext", sa.Text, nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
)

# A Fathom OAuth grant, the alternative to a pasted key (a person has one or the other).
fathom_grants = sa.Table(
    "fathom_grants",
    metadata,
    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("token_ciphertext", sa.Text, nullable=False),  # access and refresh token, expires_at
    sa.Column("scope", sa.Text, nullable=False, server_default=""),
    sa.Column("status", sa.String(20), nullable=False, server_default="active"),  # active | needs_reconnect
    # Bumped on every token write: Fathom's refresh tokens work once, so refreshers compare-and-set.
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    _ts("created_at"),
    _ts("updated_at"),
)

oauth_clients = sa.Table(
    "oauth_clients",
    metadata,
    sa.Column("client_id", sa.String(2048), primary_key=True),
    sa.Column("metadata_json", sa.Text, nullable=False),  # RFC 7591 client metadata, without the secret
    sa.Column("secret_ciphertext", sa.Text, nullable=True),
    sa.Column("source", sa.String(10), nullable=False),  # dcr | cimd
    _ts("created_at"),
    _ts("fetched_at", nullable=True),
)

authorization_codes = sa.Table(
    "authorization_codes",
    metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True),
    sa.Column("client_id", sa.String(2048), nullable=False),
    _user_fk(),
    sa.Column("redirect_uri", sa.Text, nullable=False),
    sa.Column("redirect_uri_provided_explicitly", sa.Boolean, nullable=False),
    sa.Column("code_challenge", sa.String(128), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False, server_default=""),
    sa.Column("resource", sa.Text, nullable=True),
    _ts("expires_at"),
    _ts("used_at", nullable=True),
    _ts("created_at"),
)

oauth_tokens = sa.Table(
    "oauth_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),  # access | refresh
    _user_fk(),
    sa.Column("client_id", sa.String(2048), nullable=False),
    sa.Column("scopes", sa.Text, nullable=False, server_default=""),
    sa.Column("resource", sa.Text, nullable=True),
    sa.Column("family_id", sa.String(36), nullable=False, index=True),
    sa.Column("code_hash", sa.String(64), nullable=True, index=True),
    _ts("expires_at"),
    _ts("created_at"),
    _ts("rotated_at", nullable=True),  # refresh tokens: replaced by a newer one
    _ts("revoked_at", nullable=True),
    sa.Index("ix_oauth_tokens_user", "user_id"),
)

personal_tokens = sa.Table(
    "personal_tokens",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    _user_fk(),
    sa.Column("label", sa.String(200), nullable=False),
    _ts("created_at"),
    _ts("expires_at"),
    _ts("last_used_at", nullable=True),
    _ts("revoked_at", nullable=True),
    sa.Index("ix_personal_tokens_user", "user_id"),
)

device_authorizations = sa.Table(
    "device_authorizations",
    metadata,
    sa.Column("device_code_hash", sa.String(64), primary_key=True),
    sa.Column("user_code", sa.String(16), nullable=False, unique=True),
    sa.Column("client_label", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),  # pending|approved|denied|used
    _user_fk(nullable=True),
    sa.Column("interval", sa.Integer, nullable=False, server_default="5"),
    _ts("expires_at"),
    _ts("last_polled_at", nullable=True),
    _ts("created_at"),
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.String(36), nullable=True, index=True),
    sa.Column("tool", sa.String(100), nullable=False),
    sa.Column("outcome", sa.String(30), nullable=False),  # ok | tool_error | needs_reconnect | ...
    sa.Column("duration_ms", sa.Integer, nullable=False),
    _ts("created_at"),
    # Which app made the call: an OAuth client id, or personal:<token id> for a personal token.
    sa.Column("client_id", sa.String(255), nullable=True),
    # For actions (sent, drafted, trashed, events changed): recipients and subject, never bodies; encrypted.
    sa.Column("summary_ciphertext", sa.Text, nullable=True),
    sa.Index("ix_audit_events_created_at", "created_at"),
    sa.Index("ix_audit_events_user_id_created_at", "user_id", "created_at"),
)

ENCRYPTED_COLUMNS: tuple[tuple[sa.Table, str, str], ...] = (
    (google_grants, "user_id", "token_ciphertext"),
    (fathom_keys, "user_id", "key_ciphertext"),
    (fathom_grants, "user_id", "token_ciphertext"),
    (oauth_clients, "client_id", "secret_ciphertext"),
    (audit_events, "id", "summary_ciphertext"),
)
