"""Engine creation and schema migrations (Alembic, run in-process at start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant: serialises concurrent migrations from replicas starting together on PostgreSQL.
_MIGRATION_LOCK_ID = 0x5B0A2D


def create_engine(database_url: str, *, schema: str | None = None) -> AsyncEngine:
    """An async engine: SQLite in WAL mode with foreign keys on, or PostgreSQL via asyncpg.

    `schema` (PostgreSQL only) puts every table in that schema, which the tests use for isolation.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # pysqlite opens a transaction only for writes, and every write here commits or rolls back
        # inside `engine.begin()`: the pool's rollback-on-return would only cost a thread hop.
        engine = create_async_engine(url, connect_args={"timeout": 15}, pool_reset_on_return=None)

        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            cursor.close()

        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    server_settings = {"application_name": "switchboard"}
    # libpq's `?options=-csearch_path=x` has no asyncpg equivalent; translate it.
    options = url.query.get("options")
    if isinstance(options, str) and options.startswith("-csearch_path="):
        server_settings["search_path"] = options.removeprefix("-csearch_path=")
        url = url.difference_update_query(["options"])
    if schema:
        server_settings["search_path"] = schema
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=True, pool_recycle=1800, connect_args=connect_args
    )


def head_revision() -> str:
    """The newest migration's id (files are named `<revision>_<slug>.py`, numbered in order)."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _current(connection: sa.Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: sa.Connection, revision: str) -> None:
    if revision == "head" and _current(connection) == head_revision():
        return  # already current: skip loading Alembic (a third of a second at start-up)
    from alembic import command  # only needed when there is something to migrate
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    command.upgrade(config, revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to `revision`; safe to call from several processes at once."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
