"""INSERT … ON CONFLICT DO UPDATE on both backends: one statement, so replicas racing to create the
same row cannot both insert (a select-then-insert would let one fail with an integrity error)."""

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    values: Mapping[str, Any],
    conflict: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert `values`, or on a conflict over `conflict` columns apply `update` to the existing row."""
    insert = postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)
    await conn.execute(insert.values(**values).on_conflict_do_update(index_elements=list(conflict), set_=dict(update)))
