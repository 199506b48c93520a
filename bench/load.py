"""100 signed-in people using a mix of tools at once, against the sandbox with 30 ms upstream latency.

Switchboard and the sandbox each run as their own process; this process is the load (closed loop:
each simulated person calls the next tool as soon as the last one answered).
Run: uv run python -m bench.load [--users 100] [--seconds 60]
Goals: 0 errors; p99 <= 3x the upstream latency for single-call tools; server RSS <= 250 MB.
"""

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx2

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from bench.fixtures import prepare
from bench.processes import cpu_seconds, process, rss_mb
from sandbox.serving import free_port

LATENCY = 0.030
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
SINGLE_CALL = ("whoami", "gmail_read_message", "calendar_list_events", "fathom_list_meetings")
MIX = [
    ("gmail_search", 25),
    ("gmail_read_message", 15),
    ("gmail_read_thread", 10),
    ("calendar_list_events", 20),
    ("fathom_list_meetings", 10),
    ("whoami", 15),
    ("attention_digest", 5),
]


class Stats:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.examples: list[str] = []


async def call(
    http: httpx2.AsyncClient, url: str, token: str, name: str, arguments: dict[str, object]
) -> tuple[bool, str]:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
    response = await http.post(url, json=body, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        return False, f"HTTP {response.status_code}"
    result = response.json().get("result") or {}
    text = (result.get("content") or [{}])[0].get("text", "")
    return not result.get("isError"), text


async def person(
    http: httpx2.AsyncClient, url: str, token: str, fathom: bool, deadline: float, stats: Stats, rng: random.Random
) -> None:
    ok, text = await call(http, url, token, "gmail_search", {"query": "in:inbox", "max_results": 10})
    ids = [part.split("=", 1)[1] for part in text.split() if part.startswith("message_id=")]
    threads = [part.split("=", 1)[1] for part in text.split() if part.startswith("thread_id=")]
    names, weights = zip(*MIX, strict=True)
    while time.monotonic() < deadline:
        name = rng.choices(names, weights)[0]
        arguments: dict[str, object] = {}
        if name == "gmail_search":
            arguments = {
                "query": rng.choice(["in:inbox", "is:unread", "newer_than:7d", "has:attachment"]),
                "max_results": 10,
            }
        elif name == "gmail_read_message" and ids:
            arguments = {"message_id": rng.choice(ids)}
        elif name == "gmail_read_thread" and threads:
            arguments = {"thread_id": rng.choice(threads)}
        elif name in ("gmail_read_message", "gmail_read_thread") or (name == "fathom_list_meetings" and not fathom):
            name = "whoami"
        started = time.perf_counter()
        ok, text = await call(http, url, token, name, arguments)
        stats.latencies[name].append(time.perf_counter() - started)
        if not ok:
            stats.errors[name] += 1
            if len(stats.examples) < 5:
                stats.examples.append(f"{name}: {text[:200]}")


async def main(users: int, seconds: float) -> int:
    sandbox_port, app_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    with (
        tempfile.TemporaryDirectory() as tmp,
        process(
            ["-m", "app.cli", "sandbox", "--port", str(sandbox_port)], None, f"{sandbox_url}/_sandbox/accounts"
        ) as sandbox,
    ):
        accounts = httpx2.get(f"{sandbox_url}/_sandbox/accounts").json()
        people = accounts if isinstance(accounts, list) else accounts.get("accounts", [])
        workspace = [p for p in people if str(p["email"]).endswith("@acme.example")]
        prepared = await prepare(
            Path(tmp), users=users, sandbox_url=sandbox_url, emails=[p["email"] for p in workspace]
        )
        engine = create_engine(prepared.env["DATABASE_URL"])
        store = Store(engine, KeyRing([prepared.env["TOKEN_ENCRYPTION_KEY"]]))
        # Each sandbox person's Fathom key goes to one simulated person only: Fathom limits each key to
        # 60 calls a minute, and in life every person has their own key.
        with_fathom: set[str] = set()
        keys_given: set[str] = set()
        for user in await store.list_users():
            base = user.email.split("+", 1)[-1]
            key = next((p.get("fathom_key") for p in workspace if p["email"] == base), None)
            if key and key not in keys_given:
                keys_given.add(key)
                await store.set_fathom_key(user.id, key)
                with_fathom.add(user.id)
        prepared_fathom: list[bool] = []
        for plaintext in prepared.tokens:
            found = await store.find_personal_token(plaintext)
            prepared_fathom.append(found is not None and found.user_id in with_fathom)
        await engine.dispose()
        for prefix in ("/gmail", "/calendar", "/fathom"):
            httpx2.post(
                f"{sandbox_url}/_sandbox/latency", json={"prefix": prefix, "seconds": LATENCY}
            ).raise_for_status()
        env = prepared.env | {
            "PUBLIC_URL": f"http://127.0.0.1:{app_port}",
            "GOOGLE_DISCOVERY_URL": f"{sandbox_url}/google/.well-known/openid-configuration",
            "GMAIL_API_BASE": f"{sandbox_url}/gmail",
            "CALENDAR_API_BASE": f"{sandbox_url}/calendar/v3",
            "FATHOM_API_BASE": f"{sandbox_url}/fathom/external/v1",
        }
        args = ["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(app_port)]
        with process(args, env, f"http://127.0.0.1:{app_port}/health") as server:
            url = f"http://127.0.0.1:{app_port}/mcp"
            stats = Stats()
            rss: list[float] = []
            limits = httpx2.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
            async with httpx2.AsyncClient(headers=HEADERS, timeout=120, limits=limits) as http:
                deadline = time.monotonic() + seconds

                async def sample() -> None:
                    while time.monotonic() < deadline:
                        rss.append(rss_mb(server.pid))
                        await asyncio.sleep(1)

                rng = random.Random(7)
                cpu_before = cpu_seconds(server.pid), cpu_seconds(sandbox.pid)
                await asyncio.gather(
                    sample(),
                    *(
                        person(http, url, token, fathom, deadline, stats, random.Random(rng.random()))
                        for token, fathom in zip(prepared.tokens, prepared_fathom, strict=True)
                    ),
                )
                cpu = cpu_seconds(server.pid) - cpu_before[0], cpu_seconds(sandbox.pid) - cpu_before[1]
    total = sum(len(v) for v in stats.latencies.values())
    errors = sum(stats.errors.values())
    rate = total / seconds
    head = f"{users} people, {seconds:.0f} s, {LATENCY * 1000:.0f} ms upstream"
    print(f"{head}: {total} calls ({rate:.0f}/s), {errors} errors")
    for name, samples in sorted(stats.latencies.items()):
        ordered = sorted(samples)
        p50 = statistics.median(ordered) * 1000
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
        goal = f"  (single call: p99 {p99 / (LATENCY * 1000):.1f}x latency)" if name in SINGLE_CALL else ""
        print(
            f"  {name:<22} n={len(samples):6d}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  errors {stats.errors[name]}{goal}"
        )
    for example in stats.examples:
        print(f"  error example: {example}")
    print(f"CPU used during the run: Switchboard {cpu[0]:.1f} s, sandbox {cpu[1]:.1f} s (2 cores for everything)")
    verdict = "met" if max(rss) <= 250 else "NOT met"
    print(f"server RSS: max {max(rss):.0f} MB, end {rss[-1]:.0f} MB; goal <= 250 MB: {verdict}")
    print(f"errors: {errors} (goal 0: {'met' if errors == 0 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    sys.exit(asyncio.run(main(options.users, options.seconds)))
