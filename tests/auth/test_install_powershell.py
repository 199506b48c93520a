"""`irm …/install.ps1 | iex`: the Windows installer, checked without Windows.

No PowerShell runs here (none is packaged where this machine can install from), so the script is
parsed with the tree-sitter PowerShell grammar, its one substituted value is checked to stay a single
verbatim string, and the config editor it embeds runs under node the way the script runs it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import httpx2
import tree_sitter
import tree_sitter_powershell

from app.web.install import MCP_REMOTE_VERSION, POWERSHELL_QUOTES, render_powershell_script
from tests.support.stack import Stack

POWERSHELL = tree_sitter.Language(tree_sitter_powershell.language())


def parsed(script: str) -> tree_sitter.Node:
    tree = tree_sitter.Parser(POWERSHELL).parse(script.encode())
    broken = [node for node in walk(tree.root_node) if node.type == "ERROR" or node.is_missing]
    assert broken == [], [(node.start_point, node.text) for node in broken]
    return tree.root_node


def walk(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    found = [node]
    for child in node.children:
        found += walk(child)
    return found


def assigned(root: tree_sitter.Node, variable: str) -> tree_sitter.Node:
    """The string literal assigned to `$variable` at the top of the script."""
    [assignment] = [
        node
        for node in walk(root)
        if node.type == "assignment_expression" and node.children[0].text == f"${variable}".encode()
    ]
    [literal] = [node for node in walk(assignment.children[-1]) if node.type == "string_literal"]
    assert literal.text == assignment.children[-1].text, "the value is one string and nothing else"
    return literal


def verbatim_value(literal: tree_sitter.Node) -> str:
    """What PowerShell makes of a single-quoted string: doubled quote characters become one."""
    text = (literal.text or b"").decode()
    assert text[0] == "'" and text[-1] == "'"
    return re.sub(f"([{POWERSHELL_QUOTES}])\\1", r"\1", text[1:-1])


async def test_install_ps1_is_a_powershell_script_for_this_server_with_the_pinned_bridge(stack: Stack) -> None:
    async with httpx2.AsyncClient(base_url=stack.url, timeout=10) as http:
        response = await http.get("/install.ps1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    script = response.text
    assert script.isascii()  # Windows PowerShell 5.1 reads a script without a charset as Latin-1
    root = parsed(script)
    assert verbatim_value(assigned(root, "SwitchboardUrl")) == stack.url
    assert verbatim_value(assigned(root, "McpRemoteVersion")) == MCP_REMOTE_VERSION
    assert f"irm {stack.url}/install.ps1 | iex" in script
    assert f"& ([scriptblock]::Create((irm {stack.url}/install.ps1))) -Uninstall" in script
    # Run by `iex` in the person's own window: `exit` would close it.
    commands = [node.text for node in walk(root) if node.type == "flow_control_statement"]
    assert not [text for text in commands if text and text.lower().startswith(b"exit")]
    assert "device_name = [string]$env:COMPUTERNAME" in script
    assert "$Replaced 'windows'" in script


def test_the_url_in_install_ps1_stays_one_verbatim_string() -> None:
    hostile = "https://evil.example/$(Start-Process calc)'\u2019;`\"x\u2018\u201a\u201b"
    root = parsed(render_powershell_script(hostile + "\n"))
    assert verbatim_value(assigned(root, "SwitchboardUrl")) == hostile


def test_the_config_editor_in_install_ps1_runs_as_a_file_and_uninstalls(tmp_path: Path) -> None:
    script = render_powershell_script("https://team-mcp.example.com")
    embedded = script.split("$SwitchboardConfigJs = @'\n", 1)[1].split("\n'@\n", 1)[0]
    editor = tmp_path / "switchboard-config.js"
    editor.write_text(embedded)
    config = tmp_path / "Claude" / "claude_desktop_config.json"
    config.parent.mkdir()
    entry = {
        "command": "npx",
        "args": ["-y", f"mcp-remote@{MCP_REMOTE_VERSION}", "https://team-mcp.example.com/mcp"],
        "env": {"AUTH_HEADER": "Bearer sbp_old"},
    }
    # A BOM, as Notepad writes one, must not stop the editor.
    config.write_text("\ufeff" + json.dumps({"mcpServers": {"switchboard": entry, "files": {"command": "f"}}}))
    replaced = tmp_path / "replaced"

    def edit(mode: str, stdin: str = "") -> str:
        args = [mode, str(config), "https://team-mcp.example.com", MCP_REMOTE_VERSION, str(replaced), "windows"]
        done = subprocess.run(["node", str(editor), *args], input=stdin, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        return done.stdout

    edit("install", json.dumps({"access_token": "sbp_new"}))
    assert replaced.read_text() == "sbp_old"
    installed = json.loads(config.read_text())["mcpServers"]
    # Windows cannot start npx (a .cmd script) directly; cmd /c can.
    assert installed["switchboard"] == {
        "command": "cmd",
        "args": [
            "/c",
            "npx",
            "-y",
            f"mcp-remote@{MCP_REMOTE_VERSION}",
            "https://team-mcp.example.com/mcp",
            "--header",
            "Authorization:${AUTH_HEADER}",
        ],
        "env": {"AUTH_HEADER": "Bearer sbp_new"},
    }
    assert installed["files"] == {"command": "f"}

    replaced.unlink()
    out = edit("uninstall")
    assert "Removed the Switchboard entry" in out
    assert replaced.read_text() == "sbp_new"
    assert json.loads(config.read_text()) == {"mcpServers": {"files": {"command": "f"}}}
    assert len(list(config.parent.glob("*.bak-*"))) == 2
    assert "nothing to remove" in edit("uninstall")
