"""The `switchboard` command as an operator meets it."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import httpx2
import pytest

from app.cli import main
from app.crypto import generate_key
from sandbox.persistence import load_world
from sandbox.seed import ALICE, BEN
from sandbox.serving import free_port
from tests.support.oauth_client import Browser
from tests.support.oauth_flow import Flow, mcp_request
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


def run_together(commands: list[list[str]], env: dict[str, str], cwd: Path) -> list[tuple[int, str, str]]:
    """Run independent commands at once: (exit code, stdout, stderr) of each, in order."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=child_env(HOME=str(cwd), PYTHONPATH=str(ROOT)) | env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    outputs = [process.communicate(timeout=60) for process in started]
    return [(process.returncode, *output) for process, output in zip(started, outputs, strict=True)]


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


def test_database_commands_explain_a_missing_key_sandbox_or_directory_without_talking_of_starting(
    tmp_path: Path,
) -> None:
    no_key, no_sandbox, migrated, versioned = run_together(
        [["users", "list"], ["users", "list", "--sandbox"], ["migrate"], ["--version"]], {}, tmp_path
    )
    assert no_key == (
        2,
        "",
        "switchboard users list: TOKEN_ENCRYPTION_KEY is not set: run this with the TOKEN_ENCRYPTION_KEY and "
        "DATABASE_URL the server uses (a new key cannot read what the server stored)\n",
    )
    assert no_sandbox == (
        2,
        "",
        "switchboard users list: there is no sandbox here (data/sandbox-secrets.json does not exist): "
        "run `switchboard serve --sandbox` in this directory first\n",
    )
    assert migrated[:2] == (
        0,
        "creating a new SQLite database at data/switchboard.db (DATABASE_URL is not set)\n"
        "database schema is up to date\n",
    )
    assert versioned == (0, f"switchboard {version('switchboard')}\n", "")
    into_nowhere = run(["backup", "missing/copy.db"], {}, tmp_path)
    assert (into_nowhere.returncode, into_nowhere.stderr) == (
        2,
        "switchboard backup: the directory missing does not exist: create it first, or choose another path\n",
    )
    assert not (tmp_path / "missing").exists()


COMMANDS = [
    ["serve"],
    ["sandbox"],
    ["gen-key"],
    ["rotate-keys"],
    ["migrate"],
    ["backup"],
    ["users", "list"],
    ["users", "revoke"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: switchboard {' '.join(command)}")


class SandboxRun:
    """`switchboard serve --sandbox` as a child process in `cwd`, on a fixed port so its MCP URL stays the same."""

    def __init__(self, cwd: Path, port: int, **env: str) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / "serve.log"
        self.log.write_text("")
        env = child_env(HOME=str(cwd), PYTHONPATH=str(ROOT), PUBLIC_URL=self.url, LOG_FORMAT="text") | env
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "serve", "--sandbox", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not self._healthy():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)
        found = re.findall(r"sandbox Google, Gmail, Calendar and Fathom at (http://\S+)\)", self.log.read_text())
        self.sandbox_url = found[0]

    def _healthy(self) -> bool:
        try:
            return httpx2.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx2.HTTPError:
            return False

    def lines(self, prefix: str) -> list[str]:
        """The log's messages that start with `prefix`, without time and logger."""
        messages = [line.split(": ", 1)[-1] for line in self.log.read_text().splitlines()]
        return [message for message in messages if message.startswith(prefix)]

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


async def test_serve_sandbox_restarted_on_its_data_keeps_google_connections_message_ids_and_sessions(
    tmp_path: Path,
) -> None:
    port = free_port()
    browser = Browser(ALICE)
    read = {"name": "gmail_read_message", "arguments": {}}
    first = SandboxRun(tmp_path, port)
    try:
        target = SimpleNamespace(url=first.url, mcp_url=f"{first.url}/mcp")
        async with httpx2.AsyncClient(timeout=15) as http:
            flow = Flow(target, http)  # type: ignore[arg-type]  # a Stack in all but name
            await flow.register()
            reached = await flow.authorize(browser)
            token = (await flow.exchange(reached["code"])).json()["access_token"]
        account = await browser.http.get(f"{first.url}/account")
        admin = await browser.http.get(f"{first.url}/admin")
        search = {"name": "gmail_search", "arguments": {"query": "in:inbox", "max_results": 1}}
        hits = (await mcp_request(target.mcp_url, token, "tools/call", search)).json()["result"]
        read["arguments"] = {"message_id": re.findall(r"message_id=(\S+)", hits["content"][0]["text"])[0]}
        before = (await mcp_request(target.mcp_url, token, "tools/call", read)).json()["result"]
    finally:
        assert first.stop() == -signal.SIGTERM
    world = load_world(tmp_path / "data" / "sandbox-state.json")
    assert world is not None
    fathom_key = world.people[ALICE].fathom_key
    assert fathom_key and fathom_key not in first.log.read_text()
    assert first.lines("sandbox mode: seeded a new sandbox around")
    assert first.lines("sandbox mode: admin") == [f"sandbox mode: admin: {ALICE} (set ADMIN_EMAILS to choose others)"]
    assert account.status_code == 200 and admin.status_code == 200
    assert f"Sandbox: your sample Fathom key is\n    <code>{fathom_key}</code>" in account.text
    assert 'action="/account/fathom/connect"' in account.text  # the sandbox's Fathom OAuth app is registered

    second = SandboxRun(tmp_path, port, ADMIN_EMAILS=BEN)
    try:
        # Google's access tokens run out within the hour; the app must then refresh with what it holds.
        assert httpx2.post(f"{second.sandbox_url}/_sandbox/expire-tokens").status_code == 200
        after = (await mcp_request(target.mcp_url, token, "tools/call", read)).json()["result"]
        refused = await browser.http.get(f"{second.url}/admin")
    finally:
        second.stop()
        await browser.aclose()
    assert "expired or was revoked" not in after["content"][0]["text"]
    assert after == before and after["isError"] is False
    assert second.lines("sandbox mode: resumed") == [
        "sandbox mode: resumed the sandbox saved in data/sandbox-state.json "
        f"(sample data laid out around {world.anchor:%Y-%m-%d %H:%M} UTC); --reset-sandbox starts a new one"
    ]
    assert second.lines("sandbox mode: admin") == [f"sandbox mode: admins (ADMIN_EMAILS): {BEN}"]
    assert refused.status_code == 403 and "ADMIN_EMAILS" in refused.text

    elsewhere, sandboxed = run_together([["users", "list"], ["users", "list", "--sandbox"]], {}, tmp_path)
    assert elsewhere[0] == 2
    assert elsewhere[2].endswith("; for the data of `switchboard serve --sandbox` here, add --sandbox\n")
    assert sandboxed[0] == 0 and sandboxed[1].startswith(f"{ALICE}\tactive\tlast active ")
