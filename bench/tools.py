"""The tool catalog's size as Claude receives it, and gmail_search for 50 hits through the whole stack.

Switchboard runs as its own process against the sandbox with 50 ms injected on every Gmail call.
Run: uv run python -m bench.tools
Goals: tools/list <= 18,000 characters of JSON, every tool titled; gmail_search (50 hits) <= 4x the injected latency.
"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
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


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        prepared = await prepare(Path(tmp), sandbox_url=sandbox.base_url, emails=[ALICE])
        port = free_port()
        env = (
            prepared.env
            | {k: v for k, v in sandbox.settings_env().items()}
            | {"PUBLIC_URL": f"http://127.0.0.1:{port}"}
        )
        with process(
            ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env,
            f"http://127.0.0.1:{port}/health",
        ):
            url = f"http://127.0.0.1:{port}/mcp"
            headers = HEADERS | {"Authorization": f"Bearer {prepared.tokens[0]}"}
            async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
                listed = await rpc(http, url, "tools/list", {})
                size = len(json.dumps(listed["tools"]))
                sandbox.faults.add_latency("/gmail", LATENCY)
                call = {"name": "gmail_search", "arguments": {"query": "", "max_results": 50}}
                first = await rpc(http, url, "tools/call", call)  # warm: token, time zone, connections
                text = first["content"][0]["text"]  # type: ignore[index]
                assert not first["isError"] and text.startswith(("50 message(s)", "First 50 of about")), text[:300]
                samples = []
                for _ in range(7):
                    started = time.perf_counter()
                    result = await rpc(http, url, "tools/call", call)
                    samples.append(time.perf_counter() - started)
                    assert not result["isError"]
    tools = len(listed["tools"])  # type: ignore[arg-type]
    median = statistics.median(samples)
    titled = all(tool.get("title") for tool in listed["tools"])  # type: ignore[union-attr]
    size_verdict = "met" if size <= 18_000 and titled else "NOT met"
    print(
        f"tools/list: {tools} tools, {size} characters of JSON (~{size // 4} tokens), every tool titled: {titled};"
        f" goal <= 18,000: {size_verdict}"
    )
    ratio = median / LATENCY
    fastest, slowest = min(samples) * 1000, max(samples) * 1000
    print(
        f"gmail_search, 50 hits, {LATENCY * 1000:.0f} ms per Gmail call: median {median * 1000:.0f} ms = {ratio:.1f}x"
        f" latency (min {fastest:.0f}, max {slowest:.0f}); goal <= 4x: {'met' if ratio <= 4 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
