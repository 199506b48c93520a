"""`curl …/install.sh | bash` against the real server, and the real mcp-remote bridge it configures."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client, StdioServerParameters, types
from mcp.client.streamable_http import streamable_http_client

from app.auth import device
from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from app.web.install import MCP_REMOTE_VERSION, render_install_script
from sandbox.seed import ALICE
from tests.support.mcp_session import signed_in
from tests.support.oauth_flow import mcp_status
from tests.support.process import child_env
from tests.support.stack import Stack, both_backends

SCRIPT_TIMEOUT = 60

# Stands in for the person's browser: signs in at sandbox Google as Alice and presses a button.
OPENER = """\
import re
import sys
from urllib.parse import urljoin

import httpx2

url = sys.argv[1]
with httpx2.Client(timeout=15) as http:
    for _ in range(20):
        if "/o/oauth2/v2/auth" in url and "sandbox_login=" not in url:
            url += "&sandbox_login=" + {email!r}
        page = http.get(url)
        if not page.is_redirect:
            break
        url = urljoin(url, page.headers["location"])
    page.raise_for_status()
    form = dict(re.findall(r'name="(csrf|code)" value="([^"]*)"', page.text))
    http.post(urljoin(url, "/setup"), data={{**form, "decision": {decision!r}}}).raise_for_status()
"""


@pytest.fixture(autouse=True)
def short_poll_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device, "POLL_INTERVAL", 1)  # the script honours it; keep runs short


def write_opener(tmp_path: Path, decision: str) -> Path:
    opener = tmp_path / "opener"
    opener.write_text(f"#!{sys.executable}\n" + OPENER.format(email=ALICE, decision=decision))
    opener.chmod(opener.stat().st_mode | stat.S_IXUSR)
    return opener


async def run_installer(stack: Stack, env: dict[str, str], options: str = "") -> tuple[int, str, str]:
    """Run the documented one-liner (`| bash -s -- OPTIONS` with options); returns the exit code, stdout and stderr."""
    bash = shutil.which("bash")
    assert bash is not None
    process = await asyncio.create_subprocess_exec(
        bash,
        "-c",
        f"curl -sSL {stack.url}/install.sh | bash" + (f" -s -- {options}" if options else ""),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(SCRIPT_TIMEOUT):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def tool_names(stack: Stack, authorization: str) -> set[str]:
    async with asyncio.timeout(30):
        async with httpx2.AsyncClient(headers={"Authorization": authorization}, timeout=20) as http:
            async with Client(streamable_http_client(stack.mcp_url, http_client=http)) as client:
                return {tool.name for tool in (await client.list_tools()).tools}


def installer_env(tmp_path: Path, decision: str = "approve", **extra: str) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    opener = write_opener(tmp_path, decision)
    return child_env(HOME=str(home), SWITCHBOARD_OPENER=str(opener)) | extra


def switchboard_entry(config: dict[str, Any]) -> dict[str, Any]:
    return config["mcpServers"]["switchboard"]


async def test_install_sh_adds_switchboard_to_claude_desktop_keeping_everything_else(
    stack: Stack, tmp_path: Path
) -> None:
    env = installer_env(tmp_path)
    config_path = Path(env["HOME"]) / ".config" / "Claude" / "claude_desktop_config.json"
    config_path.parent.mkdir(parents=True)
    original = {"mcpServers": {"files": {"command": "files-server", "args": ["--root", "/"]}}, "theme": "dark"}
    config_path.write_text(json.dumps(original))

    code, out, err = await run_installer(stack, env)
    assert code == 0, out + err
    config = json.loads(config_path.read_text())
    entry = switchboard_entry(config)
    token = entry["env"]["AUTH_HEADER"].removeprefix("Bearer ")
    assert token.startswith("sbp_") and token not in out + err
    assert entry["command"] == "npx"
    assert entry["args"] == [
        "-y",
        f"mcp-remote@{MCP_REMOTE_VERSION}",
        stack.mcp_url,
        "--header",
        "Authorization:${AUTH_HEADER}",
        "--allow-http",
    ]
    assert config["mcpServers"]["files"] == original["mcpServers"]["files"]
    assert config["theme"] == "dark"
    backups = list(config_path.parent.glob("claude_desktop_config.json.bak-*"))
    assert [json.loads(b.read_text()) for b in backups] == [original]
    assert "Restart Claude Desktop" in out
    assert "What needs my attention today?" in out
    assert f"{stack.mcp_url}" in out and "Add custom connector" in out
    assert "whoami" in await tool_names(stack, entry["env"]["AUTH_HEADER"])

    code, out, err = await run_installer(stack, env)
    assert code == 0, out + err
    rerun = json.loads(config_path.read_text())
    assert switchboard_entry(rerun)["env"]["AUTH_HEADER"] != entry["env"]["AUTH_HEADER"]
    assert {key: value for key, value in rerun.items() if key != "mcpServers"} == {"theme": "dark"}
    assert set(rerun["mcpServers"]) == {"files", "switchboard"}
    assert len(list(config_path.parent.glob("claude_desktop_config.json.bak-*"))) == 2
    # The token the entry held before is revoked, never left live in a backup; the new one works.
    assert "Revoked the token this computer used before." in out
    assert await mcp_status(stack, token) == 401
    assert "whoami" in await tool_names(stack, switchboard_entry(rerun)["env"]["AUTH_HEADER"])


async def test_install_sh_leaves_a_token_for_another_server_alone(stack: Stack, tmp_path: Path) -> None:
    env = installer_env(tmp_path)
    config_path = Path(env["HOME"]) / ".config" / "Claude" / "claude_desktop_config.json"
    code, out, err = await run_installer(stack, env)
    assert code == 0, out + err
    config = json.loads(config_path.read_text())
    entry = switchboard_entry(config)
    token = entry["env"]["AUTH_HEADER"].removeprefix("Bearer ")
    entry["args"] = [arg.replace(stack.mcp_url, "https://other-team.example/mcp") for arg in entry["args"]]
    config_path.write_text(json.dumps(config))

    code, out, err = await run_installer(stack, env)
    assert code == 0, out + err
    assert "Revoked" not in out  # a token for another deployment is never sent here
    assert await mcp_status(stack, token) == 200


async def test_install_sh_uninstall_removes_only_its_entry_and_revokes_its_token(stack: Stack, tmp_path: Path) -> None:
    target = tmp_path / "Claude" / "claude_desktop_config.json"
    target.parent.mkdir()
    target.write_text(json.dumps({"mcpServers": {"files": {"command": "files-server"}}, "theme": "dark"}))
    env = installer_env(tmp_path, CLAUDE_CONFIG_PATH=str(target))
    code, out, err = await run_installer(stack, env)
    assert code == 0, out + err
    assert f"curl -sSL {stack.url}/install.sh | bash -s -- --uninstall" in out
    assert "The token is valid for 90 days: to renew it, run this installer again before then." in out
    token = switchboard_entry(json.loads(target.read_text()))["env"]["AUTH_HEADER"].removeprefix("Bearer ")
    # The token is named after this computer, as `uname -n` names it.
    engine = create_engine(stack.settings.database_url)
    try:
        personal = await Store(engine, KeyRing(stack.settings.encryption_keys)).find_personal_token(token)
    finally:
        await engine.dispose()
    assert personal is not None
    assert personal.label.startswith(f"Claude Desktop on {device.clean_device_name(os.uname().nodename)} (")

    code, out, err = await run_installer(stack, env, "--uninstall")
    assert code == 0, out + err
    assert json.loads(target.read_text()) == {"mcpServers": {"files": {"command": "files-server"}}, "theme": "dark"}
    assert "Revoked the token Claude Desktop used." in out
    assert await mcp_status(stack, token) == 401
    assert len(list(target.parent.glob("*.bak-*"))) == 2

    code, out, err = await run_installer(stack, env, "--uninstal")
    assert code == 1
    assert "the only option is --uninstall" in err


async def test_install_sh_creates_the_config_at_claude_config_path(stack: Stack, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "Claude" / "claude_desktop_config.json"
    code, out, err = await run_installer(stack, installer_env(tmp_path, CLAUDE_CONFIG_PATH=str(target)))
    assert code == 0, out + err
    assert set(json.loads(target.read_text())) == {"mcpServers"}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(target.parent.glob("*.bak-*"))
    assert not (tmp_path / "home" / ".config").exists()


async def test_install_sh_denied_in_the_browser_changes_nothing(stack: Stack, tmp_path: Path) -> None:
    env = installer_env(tmp_path, decision="deny")
    code, _out, err = await run_installer(stack, env)
    assert code == 1
    assert "denied in the browser" in err
    assert not (Path(env["HOME"]) / ".config").exists()


async def test_install_sh_without_node_says_how_to_install_it(stack: Stack, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "curl"):  # what `curl … | bash` itself needs, and no node
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    code, out, err = await run_installer(stack, installer_env(tmp_path, PATH=str(bin_dir)))
    assert code == 1
    assert "https://nodejs.org" in err and "brew install node" in err
    assert out == ""


async def test_install_sh_is_a_shell_script_with_the_pinned_bridge(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        response = await http.get("/install.sh")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-shellscript")
    script = response.text
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    assert f"SWITCHBOARD_URL={stack.url}\n" in script
    assert f"MCP_REMOTE_VERSION={MCP_REMOTE_VERSION}\n" in script
    assert "CLAUDE_CONFIG_PATH" in script


def test_install_sh_passes_shellcheck(tmp_path: Path) -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed")
    script = tmp_path / "install.sh"
    script.write_text(render_install_script("https://team-mcp.example.com"))
    checked = subprocess.run([shellcheck, str(script)], capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stdout.decode()


def test_the_url_in_install_sh_is_shell_quoted(tmp_path: Path) -> None:
    hostile = "https://evil.example/$(touch pwned)'`touch pwned`"
    script = render_install_script(hostile + "\n")
    line = next(line for line in script.splitlines() if line.startswith("SWITCHBOARD_URL="))
    shown = subprocess.run(
        ["bash", "-c", f'{line}\nprintf %s "$SWITCHBOARD_URL"'], cwd=tmp_path, capture_output=True, timeout=10
    )
    assert shown.stdout.decode() == hostile
    assert not (tmp_path / "pwned").exists()


@both_backends
async def test_mcp_remote_bridges_stdio_to_mcp_with_a_personal_token(stack: Stack, google_access: str) -> None:
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js) is not on PATH, so mcp-remote cannot run")
    token = await signed_in(stack, ALICE)
    bridge = StdioServerParameters(
        command="npx",
        args=[
            "-y",
            f"mcp-remote@{MCP_REMOTE_VERSION}",
            stack.mcp_url,
            "--allow-http",
            "--header",
            "Authorization:${AUTH_HEADER}",
        ],
        env={"AUTH_HEADER": f"Bearer {token}"},
    )
    async with asyncio.timeout(90), Client(bridge) as client:
        tools = await client.list_tools()
        found = await client.call_tool("gmail_search", {"query": "in:inbox", "max_results": 3})
    assert "whoami" in {tool.name for tool in tools.tools}
    text = found.content[0].text if isinstance(found.content[0], types.TextContent) else ""
    assert not found.is_error and "for 'in:inbox', newest first" in text, found
    if google_access == "mcp":
        rest = [
            r.path for r in stack.sandbox.faults.requests() if r.path.startswith(("/gmail/gmail/", "/calendar/v3/"))
        ]
        assert rest == [] and stack.sandbox.faults.requests("/gmailmcp/mcp/v1self")
