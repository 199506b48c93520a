"""Online backup of the SQLite database (consistent while the server writes)."""

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup cannot be made; the message says why."""


def backup_sqlite(database_url: str, target: Path) -> int:
    """Copy the database to `target` with SQLite's online backup API; returns the copy's size."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError("backup copies SQLite databases; for PostgreSQL use pg_dump (see README: Backups)")
    source_path = Path(url.database or "")
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist: create it first, or choose another path")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy, pages=1024)
        check = copy.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
    finally:
        copy.close()
        source.close()
    return target.stat().st_size
