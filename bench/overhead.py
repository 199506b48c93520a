"""Switchboard's per-call overhead against a bare MCP SDK server, measured side by side with wrk.

(a) a bare MCPServer with an echo tool; (b) Switchboard's whoami with a valid bearer token
(token verification, the caller's profile and connections, audit, metrics, logs). Same protocol
version, same load (16 connections), on the same machine; both servers stay up and are loaded in
alternating rounds, and the median round counts (the machine is noisy).
Run: uv run python -m bench.overhead [--rounds 5] [--seconds 5]   (needs wrk: apt-get install wrk)
Goals: throughput ratio b/a >= 0.85 (median of the rounds).
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx2

from bench import wrk
from bench.fixtures import prepare
from bench.processes import process
from sandbox.serving import free_port

CONNECTIONS = 16
RATIO_GOAL = 0.85


def check(url: str, request: wrk.Request) -> None:
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": wrk.PROTOCOL}
    if request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    response = httpx2.post(url, content=request.body, headers=headers | {"Content-Type": "application/json"})
    if response.status_code != 200 or response.json()["result"].get("isError"):
        raise RuntimeError(f"{url} did not answer the call: {response.text[:300]}")


async def main(rounds: int, seconds: int) -> int:
    if not wrk.available():
        print("wrk is not installed: apt-get install wrk")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        prepared = await prepare(Path(tmp))
        bare_port, app_port = free_port(), free_port()
        bare_url, app_url = f"http://127.0.0.1:{bare_port}/mcp", f"http://127.0.0.1:{app_port}/mcp"
        env = prepared.env | {"PUBLIC_URL": f"http://127.0.0.1:{app_port}"}
        serve = ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(app_port)]
        echo = wrk.tool_call("echo", {"text": "hello"})
        whoami = wrk.tool_call("whoami", {}, prepared.tokens[0])
        with (
            process(["-m", "bench.bare_server", str(bare_port)], ready_url=bare_url) as bare,
            process(serve, env, ready_url=f"http://127.0.0.1:{app_port}/health") as app,
        ):
            check(bare_url, echo)
            check(app_url, whoami)
            wrk.run(bare_url, [echo], connections=CONNECTIONS, seconds=1)  # warm-up
            wrk.run(app_url, [whoami], connections=CONNECTIONS, seconds=1)
            rows: list[tuple[wrk.WrkResult, float, wrk.WrkResult, float]] = []
            for _ in range(rounds):
                a, a_cpu = wrk.cpu_per_call(bare_url, [echo], bare.pid, connections=CONNECTIONS, seconds=seconds)
                b, b_cpu = wrk.cpu_per_call(app_url, [whoami], app.pid, connections=CONNECTIONS, seconds=seconds)
                rows.append((a, a_cpu, b, b_cpu))
    print(f"{CONNECTIONS} connections, {rounds} alternating rounds of {seconds} s, protocol {wrk.PROTOCOL}, wrk")
    print("  round   bare echo req/s  CPU/call   whoami req/s  CPU/call   ratio   p50 bare / whoami")
    ratios = []
    for index, (a, a_cpu, b, b_cpu) in enumerate(rows, 1):
        ratio = b.rps / a.rps
        ratios.append(ratio)
        print(
            f"  {index:5d}   {a.rps:15.0f}  {a_cpu:6.2f} ms  {b.rps:13.0f}  {b_cpu:6.2f} ms   {ratio:5.2f}"
            f"   {a.p50_ms:5.2f} / {b.p50_ms:5.2f} ms"
        )
    errors = sum(a.errors + b.errors for a, _, b, _ in rows)
    median = statistics.median(ratios)
    verdict = "met" if median >= RATIO_GOAL else "NOT met"
    print(f"throughput ratio whoami/echo: median {median:.2f} (goal >= {RATIO_GOAL}: {verdict}); errors {errors}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.rounds, options.seconds)))
