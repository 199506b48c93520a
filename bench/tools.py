"""The tool catalog's size as Claude receives it, and gmail_search for 50 hits through the whole stack,
under both ways of reaching Google (GOOGLE_ACCESS=rest and mcp), side by side in one run.

Switchboard runs as its own process against the sandbox with 50 ms injected on every Gmail call
(the REST API and Google's Gmail MCP server alike).
Run: uv run python -m bench.tools
Goals: tools/list <= 18,000 characters of JSON, every tool titled; gmail_search (50 hits) <= 4x the injected latency.
"""

import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from bench.fixtures import prepare
from bench.processes import process
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.serving import free_port

LATENCY = 0.050
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}


async def rpc(http: httpx2.AsyncClient, url: str, method: str, params: dict[str, object]) -> dict[str, object]:
    response = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    response.raise_for_status()
    return response.json()["result"]


@dataclass
class Measured:
    tools: int
    size: int
    titled: bool
    samples: list[float]


async def measure(sandbox: SandboxServer, tmp: Path, access: str) -> Measured:
    """tools/list and gmail_search (50 hits) from a Switchboard process reaching Google as `access` says."""
    (tmp / access).mkdir()
    prepared = await prepare(tmp / access, sandbox_url=sandbox.base_url, emails=[ALICE])
    port = free_port()
    env = prepared.env | sandbox.settings_env() | {"PUBLIC_URL": f"http://127.0.0.1:{port}", "GOOGLE_ACCESS": access}
    sandbox.faults.clear()
    with process(
        ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        f"http://127.0.0.1:{port}/health",
    ):
        url = f"http://127.0.0.1:{port}/mcp"
        headers = HEADERS | {"Authorization": f"Bearer {prepared.tokens[0]}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            listed = await rpc(http, url, "tools/list", {})
            sandbox.faults.add_latency("/gmail", LATENCY)  # the REST API and the MCP server (/gmailmcp) alike
            call: dict[str, object] = {"name": "gmail_search", "arguments": {"query": "", "max_results": 50}}
            first = await rpc(http, url, "tools/call", call)  # warm: token, time zone, connections
            text = first["content"][0]["text"]  # type: ignore[index]
            assert not first["isError"] and re.match(r"(First )?50 (of about \d+ )?(message|thread)", text), text[:300]
            samples: list[float] = []
            for _ in range(7):
                started = time.perf_counter()
                result = await rpc(http, url, "tools/call", call)
                samples.append(time.perf_counter() - started)
                assert not result["isError"]
    tools: list[dict[str, object]] = listed["tools"]  # type: ignore[assignment]
    return Measured(len(tools), len(json.dumps(tools)), all(tool.get("title") for tool in tools), samples)


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        results = {access: await measure(sandbox, Path(tmp), access) for access in ("rest", "mcp")}
    print(f"{'GOOGLE_ACCESS':<14} {'tools':>5} {'tools/list chars':>17} {'gmail_search 50 (median)':>25}")
    for access, m in results.items():
        median = statistics.median(m.samples)
        print(f"{access:<14} {m.tools:>5} {m.size:>17,} {median * 1000:>14.0f} ms = {median / LATENCY:.1f}x")
    for access, m in results.items():
        median = statistics.median(m.samples)
        size_verdict = "met" if m.size <= 18_000 and m.titled else "NOT met"
        speed_verdict = "met" if median / LATENCY <= 4 else "NOT met"
        print(
            f"{access}: every tool titled: {m.titled}; tools/list <= 18,000: {size_verdict}; "
            f"gmail_search {median / LATENCY:.1f}x the {LATENCY * 1000:.0f} ms per Gmail call "
            f"(min {min(m.samples) * 1000:.0f}, max {max(m.samples) * 1000:.0f} ms), <= 4x: {speed_verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
