"""Switchboard settings for tests: a temporary SQLite file and fresh secrets, plus any overrides."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.crypto import generate_key


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}",
        "token_encryption_key": generate_key(),
        "session_secret": generate_key(),
        "google_client_id": "test-client.apps.googleusercontent.com",
        "google_client_secret": "test-google-secret",
        "public_url": "http://localhost:8080",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings init kwargs
