"""On Railway, start-up says loudly when the SQLite database would be lost at the next deploy."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.railway import ephemeral_database_warning
from sandbox.server import SandboxServer
from tests.support.settings import make_settings
from tests.support.stack import running_stack

ON_RAILWAY = {"railway_environment": "production"}


def lost_at_deploy(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "DATA WILL BE LOST" in r.getMessage()]


def test_starting_on_railway_with_sqlite_outside_the_volume_logs_one_line_with_the_fix(
    tmp_path: Path, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    with running_stack(tmp_path, sandbox, **ON_RAILWAY):
        pass
    [line] = lost_at_deploy(caplog)
    assert "\n" not in line
    assert f"the SQLite database {tmp_path / 'switchboard.db'} is outside /data" in line
    assert "add a Railway Volume mounted at /data" in line
    assert "Railway PostgreSQL service" in line

    caplog.clear()
    with running_stack(tmp_path, sandbox):  # the same database, not on Railway: nothing to say
        pass
    assert lost_at_deploy(caplog) == []


def test_a_volume_directory_with_nothing_mounted_on_it_is_reported(tmp_path: Path) -> None:
    volume = tmp_path / "data"
    volume.mkdir()
    settings = make_settings(tmp_path, database_url=f"sqlite:///{volume / 'switchboard.db'}", **ON_RAILWAY)
    warning = ephemeral_database_warning(settings, volume)
    assert warning is not None
    assert f"is in {volume}, but no volume is mounted there" in warning


def test_sqlite_on_a_mounted_volume_postgresql_or_a_start_off_railway_is_not_reported(tmp_path: Path) -> None:
    mounted = Path("/")  # always a mount point, as a Railway Volume at /data is
    on_volume = make_settings(tmp_path, **ON_RAILWAY)
    assert ephemeral_database_warning(on_volume, mounted) is None
    postgres = make_settings(tmp_path, database_url="postgresql://u@db.railway.internal/railway", **ON_RAILWAY)
    assert ephemeral_database_warning(postgres) is None
    assert ephemeral_database_warning(make_settings(tmp_path)) is None
    in_memory = make_settings(tmp_path, database_url="sqlite+aiosqlite:///:memory:", **ON_RAILWAY)
    assert "in memory" in (ephemeral_database_warning(in_memory) or "")
