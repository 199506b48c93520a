"""Railway: a start-up check that the SQLite database will survive the next deploy.

A Railway container's own filesystem is thrown away at every deploy; only a Railway Volume (mounted
at `/data` by our Dockerfile's default `DATABASE_URL`) or a PostgreSQL service keeps what people
connected.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from app.config import Settings

RAILWAY_VOLUME = Path("/data")
VOLUME_DATABASE_URL = "sqlite+aiosqlite:////data/switchboard.db"


def ephemeral_database_warning(settings: Settings, volume: Path = RAILWAY_VOLUME) -> str | None:
    """The one-line warning when, on Railway, the SQLite database is not on a volume; else None."""
    if not settings.railway_environment:
        return None
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        return None
    fix = (
        f"Fix: add a Railway Volume mounted at {volume} and keep DATABASE_URL={VOLUME_DATABASE_URL}, "
        "or set DATABASE_URL to a Railway PostgreSQL service's URL."
    )
    database = url.database or ""
    if not database or database == ":memory:":
        return f"DATA WILL BE LOST: on Railway the SQLite database is in memory. {fix}"
    path = Path(database).expanduser().absolute()
    if not path.is_relative_to(volume):
        return (
            f"DATA WILL BE LOST: on Railway the SQLite database {path} is outside {volume}, "
            f"in the container's own filesystem, which every deploy replaces. {fix}"
        )
    if not os.path.ismount(volume):
        return (
            f"DATA WILL BE LOST: on Railway the SQLite database {path} is in {volume}, but no volume is "
            f"mounted there, so every deploy replaces it. {fix}"
        )
    return None
