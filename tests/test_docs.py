"""Every setting is documented where operators look: .env.example and the README."""

from __future__ import annotations

from pathlib import Path

from app.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_appears_in_env_example_and_readme() -> None:
    env_example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    names = [name.upper() for name in Settings.model_fields]
    missing_env = [n for n in names if f"\n{n}=" not in env_example]
    missing_readme = [n for n in names if f"`{n}`" not in readme]
    assert missing_env == []
    assert missing_readme == []


def test_the_readme_gives_the_two_quick_start_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "uv run switchboard serve --sandbox" in readme
    assert "uv run pytest" in readme
