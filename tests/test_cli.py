"""The `switchboard` command as an operator meets it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.crypto import generate_key
from tests.support.process import ROOT, child_env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=child_env(HOME=str(cwd), PYTHONPATH=str(ROOT)) | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_without_secrets_stops_with_one_line_per_problem_and_no_traceback(tmp_path: Path) -> None:
    result = run(["serve"], {}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert [line.split()[1] for line in lines] == [
        "TOKEN_ENCRYPTION_KEY",
        "SESSION_SECRET",
        "GOOGLE_CLIENT_ID",
        "GOOGLE_CLIENT_SECRET",
    ]
    assert "switchboard gen-key" in result.stderr


def test_a_malformed_setting_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["migrate"], {"DATABASE_URL": "mysql://x/y"}, tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL: unsupported database scheme 'mysql'" in result.stderr


def test_gen_key_prints_a_usable_fernet_key(tmp_path: Path) -> None:
    result = run(["gen-key"], {}, tmp_path)
    key = result.stdout.strip()
    from cryptography.fernet import Fernet

    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"


def test_rotate_keys_prints_counts_and_users_commands_work(tmp_path: Path) -> None:
    env = {"TOKEN_ENCRYPTION_KEY": generate_key(), "DATABASE_URL": f"sqlite:///{tmp_path}/s.db"}
    assert run(["migrate"], env, tmp_path).returncode == 0
    rotated = run(["rotate-keys"], env, tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "google_grants: 0 re-encrypted, 0 already under the first key" in rotated.stdout
    assert run(["users", "list"], env, tmp_path).stdout.strip() == "no users yet"
    missing = run(["users", "revoke", "nobody@acme.example"], env, tmp_path)
    assert missing.returncode == 1 and "no user with email nobody@acme.example" in missing.stderr


COMMANDS = [["serve"], ["sandbox"], ["gen-key"], ["rotate-keys"], ["migrate"], ["users", "list"], ["users", "revoke"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: switchboard {' '.join(command)}")
