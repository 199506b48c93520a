"""100 signed-in people against the sandbox at 30 ms upstream latency, in two phases.

Switchboard and the sandbox each run as their own process; this process is the load.
- open loop, at a human pace: calls arrive as a Poisson process (20 calls/s in all, each from a
  random person), whatever the server's speed; p50/p99 per tool is what a person waits;
- closed loop: each person calls the next tool as soon as the last one answered; the throughput,
  and the server's CPU per tool call (from /proc), is what the machine can carry.
The mix is whoami, gmail_search (5 hits), calendar_list_events (a week) and gmail_list_labels.
Both ways of reaching Google (GOOGLE_ACCESS=rest and mcp) are loaded in one run, one after the
other against the same sandbox, and printed side by side.
Run: uv run python -m bench.load [--users 100] [--rate 20] [--seconds 30] [--profile out] [--google-access rest mcp]
Goals: 0 errors; open-loop p99 <= 3x the upstream latency for the tools that make at most one
upstream call; <= 2.75 ms of server CPU per tool call; server RSS <= 250 MB.

The CPU goal was set on a machine where a bare MCP SDK server spent 0.365 ms per echo call; the
same bare server is loaded the same way at the end of the run, and CPU per tool call is also given
as a multiple of its CPU per echo call (the goal is then 2.75 / 0.365 = 7.5x).
"""

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx2

from bench import wrk
from bench.fixtures import prepare
from bench.processes import cpu_seconds, process, rss_mb
from sandbox.server import settings_env
from sandbox.serving import free_port

LATENCY = 0.030
CPU_GOAL_MS = 2.75
# The bare SDK server's CPU per echo call where the goal was set, to carry the goal to this machine.
ECHO_WHERE_SET_MS = 0.365
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
# The tools that make at most one upstream call: their p99 goal is 3x the upstream latency.
ONE_UPSTREAM_CALL = ("whoami", "calendar_list_events", "gmail_list_labels")
MIX: dict[str, dict[str, object]] = {
    "whoami": {},
    "gmail_search": {"query": "in:inbox", "max_results": 5},
    "calendar_list_events": {},  # now to a week from now
    "gmail_list_labels": {},
}


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []

    @property
    def calls(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    async def call(self, http: httpx2.AsyncClient, url: str, token: str, name: str) -> None:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": MIX[name]}}
        started = time.perf_counter()
        try:
            response = await http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
            result = response.json().get("result") or {} if response.status_code == 200 else {}
            failure = f"HTTP {response.status_code}" if response.status_code != 200 else None
        except httpx2.HTTPError as error:
            result, failure = {}, f"{type(error).__name__}: {error}"
        self.latencies[name].append(time.perf_counter() - started)
        if failure is None and result.get("isError"):
            failure = str((result.get("content") or [{}])[0].get("text", ""))[:200]
        if failure is not None:
            self.errors[name] += 1
            if len(self.examples) < 5:
                self.examples.append(f"{name}: {failure}")

    def print_tools(self) -> None:
        for name, samples in sorted(self.latencies.items()):
            ordered = sorted(samples)
            p50 = statistics.median(ordered) * 1000
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
            goal = ""
            if name in ONE_UPSTREAM_CALL:
                ratio = p99 / (LATENCY * 1000)
                goal = f"  p99 = {ratio:.1f}x latency (goal <= 3x: {'met' if ratio <= 3 else 'NOT met'})"
            print(
                f"  {name:<22} n={len(samples):6d}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms"
                f"  errors {self.errors[name]}{goal}"
            )
        for example in self.examples:
            print(f"  error example: {example}")


async def open_loop(
    http: httpx2.AsyncClient, url: str, tokens: list[str], rate: float, seconds: float, rng: random.Random
) -> Stats:
    """Calls arrive at `rate` per second on average (exponential gaps), each from a random person."""
    stats = Stats()
    names = list(MIX)
    pending: set[asyncio.Task[None]] = set()
    deadline = time.monotonic() + seconds
    next_at = time.monotonic()
    while True:
        next_at += rng.expovariate(rate)
        if next_at >= deadline:
            break
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        task = asyncio.create_task(stats.call(http, url, rng.choice(tokens), rng.choice(names)))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    return stats


async def measured(
    pid: int, sandbox_pid: int, run: Callable[[], Awaitable[Stats]]
) -> tuple[Stats, float, float, float]:
    """Run one phase; the server's and the sandbox's CPU seconds, and the server's largest RSS, during it."""
    rss: list[float] = [rss_mb(pid)]
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            rss.append(rss_mb(pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    before = cpu_seconds(pid), cpu_seconds(sandbox_pid)
    stats = await run()
    cpu = cpu_seconds(pid) - before[0], cpu_seconds(sandbox_pid) - before[1]
    done.set()
    await sampler
    return stats, cpu[0], cpu[1], max(rss)


def bare_echo_cpu_ms(connections: int, seconds: int) -> float:
    """CPU per call of a bare MCP SDK server answering an echo tool, under the same closed loop."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    echo = wrk.tool_call("echo", {"text": "hello"})
    with process(["-m", "bench.bare_server", str(port)], ready_url=url) as bare:
        wrk.run(url, [echo], connections=connections, seconds=1)  # warm-up
        return wrk.cpu_per_call(url, [echo], bare.pid, connections=connections, seconds=seconds)[1]


def profiler(pid: int, seconds: float, output: str) -> subprocess.Popen[bytes] | None:
    if not shutil.which("py-spy"):
        print("py-spy is not installed (pip install py-spy): no profile taken")
        return None
    duration = str(max(1, int(seconds)))
    command = [
        "py-spy",
        "record",
        "--pid",
        str(pid),
        "--duration",
        duration,
        "--rate",
        "100",
        "--gil",
        "--format",
        "raw",
    ]
    return subprocess.Popen([*command, "--output", output], stdout=subprocess.DEVNULL)


@dataclass
class Options:
    users: int
    rate: float
    seconds: float
    profile: str | None
    backends: list[str]


@dataclass
class Run:
    """One backend's two phases, as measured."""

    idle: float
    opened: tuple[Stats, float, float, float]
    closed: wrk.WrkResult
    closed_cpu: tuple[float, float]
    closed_rss: float


async def run_backend(
    access: str, sandbox: subprocess.Popen[bytes], sandbox_url: str, tmp: Path, options: Options, emails: list[str]
) -> Run:
    """Switchboard reaching Google as `access` says, under both phases, against the running sandbox."""
    app_port = free_port()
    directory = tmp / access
    directory.mkdir()
    prepared = await prepare(directory, users=options.users, sandbox_url=sandbox_url, emails=emails)
    control = f"{sandbox_url}/_sandbox"
    httpx2.post(f"{control}/mcp/quota", json={"reset": True}).raise_for_status()
    env = (
        prepared.env
        | settings_env(sandbox_url)
        | {"PUBLIC_URL": f"http://127.0.0.1:{app_port}", "GOOGLE_ACCESS": access}
    )
    serve = ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(app_port)]
    with process(serve, env, f"http://127.0.0.1:{app_port}/health") as server:
        url = f"http://127.0.0.1:{app_port}/mcp"
        limits = httpx2.Limits(max_connections=options.users + 10, max_keepalive_connections=options.users + 10)
        rng = random.Random(7)
        async with httpx2.AsyncClient(headers=HEADERS, timeout=120, limits=limits) as http:
            # Warm-up: every person's first call (token, profile, Google token, time zone) once.
            idle = cpu_seconds(server.pid)
            await asyncio.sleep(5)
            idle = (cpu_seconds(server.pid) - idle) / 5
            warm = Stats()
            for name in MIX:
                await asyncio.gather(*(warm.call(http, url, token, name) for token in prepared.tokens))
            opened = await measured(
                server.pid,
                sandbox.pid,
                lambda: open_loop(http, url, prepared.tokens, options.rate, options.seconds, rng),
            )
        spy = profiler(server.pid, options.seconds, f"{options.profile}.{access}") if options.profile else None
        calls = [wrk.tool_call(name, arguments, token) for token in prepared.tokens for name, arguments in MIX.items()]
        cpu_before, sandbox_before = cpu_seconds(server.pid), cpu_seconds(sandbox.pid)
        closed = wrk.run(url, calls, connections=options.users, seconds=int(options.seconds))
        closed_cpu = cpu_seconds(server.pid) - cpu_before, cpu_seconds(sandbox.pid) - sandbox_before
        closed_rss = rss_mb(server.pid)
        if spy:
            spy.wait(30)
    return Run(idle, opened, closed, closed_cpu, closed_rss)


def report(access: str, run: Run, options: Options, echo_ms: float) -> None:
    latency_ms = LATENCY * 1000
    stats, cpu, sandbox_cpu, rss = run.opened
    closed, closed_cpu = run.closed, run.closed_cpu
    print(f"GOOGLE_ACCESS={access}")
    print(
        f"open loop: {options.users} people, {options.rate:g} calls/s offered for {options.seconds:.0f} s,"
        f" {latency_ms:.0f} ms upstream:"
    )
    print(f"  {stats.calls} calls ({stats.calls / options.seconds:.1f}/s), {stats.error_count} errors")
    stats.print_tools()
    print(
        f"  CPU: Switchboard {cpu:.1f} s = {cpu / max(1, stats.calls) * 1000:.2f} ms per call"
        f" (a server mostly idle between calls); sandbox {sandbox_cpu:.1f} s"
    )
    per_call = closed_cpu[0] / max(1, closed.requests) * 1000
    print(f"closed loop (wrk): {options.users} connections, {options.seconds:.0f} s, {latency_ms:.0f} ms upstream:")
    print(
        f"  {closed.requests} calls ({closed.rps:.0f}/s), {closed.errors} errors;"
        f" p50 {closed.p50_ms:.1f} ms, p99 {closed.p99_ms:.1f} ms"
    )
    print(f"  CPU: Switchboard {closed_cpu[0]:.1f} s, sandbox {closed_cpu[1]:.1f} s (2 cores for everything)")
    print(f"server idle before the load: {run.idle * 100:.1f}% of a core")
    print(
        f"server CPU per tool call: {per_call:.2f} ms"
        f" (goal <= {CPU_GOAL_MS} ms: {'met' if per_call <= CPU_GOAL_MS else 'NOT met'})"
    )
    ratio, goal = per_call / echo_ms, CPU_GOAL_MS / ECHO_WHERE_SET_MS
    print(
        f"  = {ratio:.1f}x the {echo_ms:.2f} ms a bare MCP SDK server spends per echo call here"
        f" (goal carried to this machine: <= {goal:.1f}x: {'met' if ratio <= goal else 'NOT met'})"
    )
    rss = max(rss, run.closed_rss)
    print(f"server RSS: max {rss:.0f} MB (goal <= 250 MB: {'met' if rss <= 250 else 'NOT met'})")
    errors = stats.error_count + closed.errors
    print(f"errors: {errors} (goal 0: {'met' if errors == 0 else 'NOT met'})")


def side_by_side(runs: dict[str, Run]) -> None:
    """The figures a comparison needs, one column per backend."""
    names = list(runs)
    print(f"{'side by side:':<32}" + "".join(f"{name:>14}" for name in names))
    rows: list[tuple[str, Callable[[Run], str]]] = [
        ("closed loop calls/s", lambda r: f"{r.closed.rps:.0f}"),
        ("CPU ms per call", lambda r: f"{r.closed_cpu[0] / max(1, r.closed.requests) * 1000:.2f}"),
        ("sandbox CPU ms/call", lambda r: f"{r.closed_cpu[1] / max(1, r.closed.requests) * 1000:.2f}"),
        ("closed p99 ms", lambda r: f"{r.closed.p99_ms:.1f}"),
        ("errors", lambda r: f"{r.opened[0].error_count + r.closed.errors}"),
    ]
    for tool in MIX:
        rows.append((f"open p99 {tool}", lambda r, tool=tool: f"{_p99(r.opened[0], tool):.1f}"))
    for label, value in rows:
        print(f"  {label:<30}" + "".join(f"{value(runs[name]):>14}" for name in names))


def _p99(stats: Stats, tool: str) -> float:
    ordered = sorted(stats.latencies.get(tool, [0.0]))
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


async def main(options: Options, tools: list[str]) -> int:
    for name in [name for name in MIX if name not in tools]:
        del MIX[name]
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    args = ["-m", "app.cli", "sandbox", "--port", str(sandbox_port)]
    runs: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp, process(args, None, f"{sandbox_url}/_sandbox/accounts") as sandbox:
        accounts = httpx2.get(f"{sandbox_url}/_sandbox/accounts").json()
        people = accounts if isinstance(accounts, list) else accounts.get("accounts", [])
        emails = [str(p["email"]) for p in people if str(p["email"]).endswith("@acme.example")]
        # Google's MCP servers and the REST APIs alike; the daily MCP budget is not what is measured here.
        for prefix in ("/gmail", "/calendar"):
            httpx2.post(
                f"{sandbox_url}/_sandbox/latency", json={"prefix": prefix, "seconds": LATENCY}
            ).raise_for_status()
        for product in ("gmail", "calendar", "people"):
            httpx2.post(
                f"{sandbox_url}/_sandbox/mcp/quota", json={"product": product, "limit": 10**9}
            ).raise_for_status()
        for access in options.backends:
            runs[access] = await run_backend(access, sandbox, sandbox_url, Path(tmp), options, emails)
    echo_ms = bare_echo_cpu_ms(options.users, max(3, int(options.seconds) // 3))
    for access, run in runs.items():
        report(access, run, options, echo_ms)
    if len(runs) > 1:
        side_by_side(runs)
    if options.profile:
        print(f"profiles of the closed loop (py-spy raw, collapsed stacks): {options.profile}.<backend>")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20, help="open loop: calls per second in all")
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--profile", help="write a py-spy profile of the server during the closed loop here")
    parser.add_argument("--tools", nargs="+", choices=list(MIX), default=list(MIX), help="a part of the mix only")
    parser.add_argument(
        "--google-access", nargs="+", choices=["rest", "mcp"], default=["rest", "mcp"], help="the backends to load"
    )
    given = parser.parse_args()
    options = Options(given.users, given.rate, given.seconds, given.profile, given.google_access)
    sys.exit(asyncio.run(main(options, given.tools)))
