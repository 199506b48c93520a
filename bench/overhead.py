"""Switchboard's per-call overhead against a bare MCP SDK server, measured side by side with wrk.

(a) a bare MCPServer with an echo tool; (b) Switchboard's whoami with a valid bearer token
(token verification, the user lookup, audit, metrics, logs). Same protocol version, same load:
16 connections for 10 s each, on the same machine.
Run: uv run python -m bench.overhead   (needs wrk: apt-get install wrk)
Goals: throughput ratio b/a >= 0.70, p50 within 2 ms of bare.
"""

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2

from bench.fixtures import prepare
from bench.processes import process
from sandbox.serving import free_port

DURATION = "10s"
CONNECTIONS = 16
PROTOCOL = "2025-06-18"


def call_body(tool: str, arguments: dict[str, str]) -> str:
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    )


def lua(body: str, token: str | None) -> str:
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL,
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def check(url: str, body: str, token: str | None) -> None:
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": PROTOCOL}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx2.post(url, content=body, headers=headers | {"Content-Type": "application/json"}, timeout=10)
    result = response.json()["result"]
    if response.status_code != 200 or result.get("isError"):
        raise RuntimeError(f"{url} did not answer the call: {response.text[:300]}")


def wrk(url: str, script: Path) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


async def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        prepared = await prepare(directory)
        bare_port, app_port = free_port(), free_port()
        results: dict[str, dict[str, float]] = {}
        with process(["-m", "bench.bare_server", str(bare_port)], ready_url=f"http://127.0.0.1:{bare_port}/mcp"):
            url = f"http://127.0.0.1:{bare_port}/mcp"
            body = call_body("echo", {"text": "hello"})
            check(url, body, None)
            (directory / "bare.lua").write_text(lua(body, None))
            results["bare MCPServer echo"] = wrk(url, directory / "bare.lua")
        env = prepared.env | {"PUBLIC_URL": f"http://127.0.0.1:{app_port}"}
        args = ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(app_port)]
        with process(args, env, ready_url=f"http://127.0.0.1:{app_port}/health"):
            url = f"http://127.0.0.1:{app_port}/mcp"
            body = call_body("whoami", {})
            check(url, body, prepared.tokens[0])
            (directory / "app.lua").write_text(lua(body, prepared.tokens[0]))
            results["Switchboard whoami (bearer)"] = wrk(url, directory / "app.lua")
    print(f"{CONNECTIONS} connections, {DURATION} each, protocol {PROTOCOL}, wrk on the same machine")
    for name, r in results.items():
        print(
            f"  {name:<30} {r['rps']:8.0f} req/s   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms"
            f"   errors {r['errors']:.0f}"
        )
    bare, app = results["bare MCPServer echo"], results["Switchboard whoami (bearer)"]
    ratio = app["rps"] / bare["rps"]
    delta = app["p50"] - bare["p50"]
    print(f"throughput ratio b/a = {ratio:.2f} (goal >= 0.70: {'met' if ratio >= 0.70 else 'NOT met'})")
    print(f"p50 difference = {delta:+.2f} ms (goal <= 2 ms: {'met' if delta <= 2 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
