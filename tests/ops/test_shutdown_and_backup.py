"""A real server process: graceful shutdown finishes in-flight calls; backups are consistent copies."""

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx2

from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.serving import free_port
from tests.support.oauth_flow import Flow, mcp_request
from tests.support.process import ROOT, start_server
from tests.support.settings import make_settings


async def _token(server_url: str) -> str:
    target = SimpleNamespace(url=server_url, mcp_url=f"{server_url}/mcp")
    async with httpx2.AsyncClient(timeout=15) as http:
        tokens = await Flow(target, http).sign_in(ALICE)  # type: ignore[arg-type]
    return str(tokens["access_token"])


async def test_sigterm_lets_an_in_flight_tool_call_finish_then_exits_cleanly(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    port = free_port()
    upstream = {k.lower(): v for k, v in sandbox.settings_env().items()}
    settings = make_settings(tmp_path, public_url=f"http://127.0.0.1:{port}", google_access="rest", **upstream)
    server = start_server(settings, port, tmp_path / "server.log")
    try:
        token = await _token(server.url)
        sandbox.faults.add_latency("/gmail", 1.5)
        call = {"name": "gmail_search", "arguments": {"query": "in:inbox", "max_results": 1}}
        in_flight = asyncio.create_task(mcp_request(f"{server.url}/mcp", token, "tools/call", call))
        async with asyncio.timeout(10):
            while not sandbox.faults.requests("/gmail/gmail/v1/users/me/messages"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)  # until the call is waiting on Gmail
        exit_code = await asyncio.to_thread(server.stop)
        response = await asyncio.wait_for(in_flight, 10)
    finally:
        server.stop()
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["isError"] is False and "message(s) for 'in:inbox'" in result["content"][0]["text"]
    assert exit_code == -15  # uvicorn re-raises SIGTERM after its graceful shutdown
    log = (tmp_path / "server.log").read_text()
    assert "Application shutdown complete." in log
    assert "Traceback" not in log


def test_backup_copies_a_live_sqlite_database_and_refuses_postgres(tmp_path: Path) -> None:
    database = tmp_path / "live.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{database}"}
    target = tmp_path / "copies" / "backup.db"
    target.parent.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "backup", str(target)], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "backed up to" in result.stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM t").fetchone() == (1000,)
    again = subprocess.run(
        [sys.executable, "-m", "app.cli", "backup", str(target)], env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 2 and "exists; choose a new file name" in again.stderr
    env["DATABASE_URL"] = "postgresql://u@localhost/db"
    postgres = subprocess.run(
        [sys.executable, "-m", "app.cli", "backup", str(tmp_path / "x.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert postgres.returncode == 2 and "pg_dump" in postgres.stderr
