"""What a person's work costs in Google requests, under both ways of reaching Google, side by side.

Switchboard runs as its own process against the sandbox; a real MCP client (the SDK's, answering
Google's approval questions) does each task as one person. Requests are read from Switchboard's
own counter (`switchboard_google_requests_total` on /metrics, where every Google request is counted
as it leaves: a batch of 25 gets is 25), before and after each task.
Run: uv run python -m bench.quota
Goals (each backend): gmail_search 1 request, reading a thread 1, whoami 0 while warm,
attention_digest <= 3 Gmail + 1 Calendar, meeting_prep <= 4 in all; a person-day (the daily
briefing, 15 searches, 10 thread reads, 3 drafts, 1 send, 5 calendar looks, 2 meeting preps,
1 follow-up) <= 60 Gmail and <= 20 Calendar requests, so Google's Standard tier (5,000 requests per
day per project per product) serves 80 people.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx2
from mcp import Client, types
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from prometheus_client.parser import text_string_to_metric_families

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from bench.fixtures import prepare
from bench.processes import process
from sandbox.seed import ALICE
from sandbox.seed.people import BEN
from sandbox.server import SandboxServer
from sandbox.serving import free_port

STANDARD_TIER = 5000  # requests per day, per project, per product
METRICS_TOKEN = secrets.token_urlsafe(16)  # this run's only
PRODUCTS = ("gmail", "calendar", "people")


async def _accept(_context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    """The person says yes to every question (Switchboard's, and Google's relayed once): every box ticked."""
    schema = getattr(params, "requested_schema", None) or {}
    properties: dict[str, dict[str, object]] = schema.get("properties", {})
    content: dict[str, str | int | float | bool | list[str] | None] = {
        name: True for name, spec in properties.items() if spec.get("type") == "boolean"
    }
    return types.ElicitResult(action="accept", content=content)


@dataclass
class Person:
    client: Client
    http: httpx2.AsyncClient
    base: str
    spent: dict[str, Counter[str]] = field(default_factory=dict[str, Counter[str]])

    async def requests(self) -> Counter[str]:
        """Google requests so far, by product, as Switchboard counted them."""
        response = await self.http.get(f"{self.base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        response.raise_for_status()
        totals: Counter[str] = Counter()
        for family in text_string_to_metric_families(response.text):
            if family.name == "switchboard_google_requests":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        totals[sample.labels["product"]] += int(sample.value)
        return totals

    async def call(self, name: str, arguments: dict[str, object] | None = None) -> str:
        result = await self.client.call_tool(name, arguments or {})
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        if result.is_error:
            raise AssertionError(f"{name} failed: {text[:300]}")
        return text

    async def task(self, label: str, work: Callable[[], Awaitable[object]]) -> Counter[str]:
        """Run `work`, recording (and returning) the Google requests it made by product."""
        before = await self.requests()
        await work()
        after = await self.requests()
        spent = Counter({product: after[product] - before[product] for product in PRODUCTS})
        self.spent[label] = spent
        return spent


def _days_on(days: int) -> str:
    """The date `days` from today (a calendar look from now to the end of that day)."""
    return (date.today() + timedelta(days=days)).isoformat()


async def tasks(person: Person) -> None:
    """Each task once, warm (the person's token, profile and time zone already read)."""
    call = person.call
    await call("whoami")
    await call("calendar_list_events")
    found = await call("gmail_search", {"query": "in:inbox", "max_results": 20})
    threads = list(dict.fromkeys(re.findall(r"thread_id=(\S+)", found)))
    listing = await call("calendar_list_events")  # a week from now
    events = re.findall(r"event_id=(\S+)", listing)
    meetings = await call("fathom_list_meetings")
    recordings = re.findall(r"recording_id=(\d+)", meetings)
    assert threads and events and recordings, (found[:200], listing[:200], meetings[:200])
    await person.task("whoami (warm)", lambda: call("whoami"))
    await person.task("gmail_search", lambda: call("gmail_search", {"query": "from:priya", "max_results": 10}))
    await person.task("gmail_read_thread", lambda: call("gmail_read_thread", {"thread_id": threads[0]}))
    await person.task("attention_digest", lambda: call("attention_digest"))
    await person.task("meeting_prep", lambda: call("meeting_prep", {"event_id": events[0]}))

    async def day() -> None:
        await call("attention_digest")  # the daily briefing: digest, today's events, action items
        await call("calendar_list_events", {"end": _days_on(0)})
        await call("fathom_action_items")
        for n in range(15):
            await call("gmail_search", {"query": ["in:inbox", "is:unread", "from:priya", "newer_than:7d"][n % 4]})
        for n in range(10):
            await call("gmail_read_thread", {"thread_id": threads[n % len(threads)]})
        for n in range(3):
            await call("gmail_draft", {"to": [BEN], "subject": f"Notes {n}", "body": "Three points."})
        await call("gmail_send", {"to": [BEN], "subject": "Numbers", "body": "The numbers, as promised."})
        for n in range(5):
            await call("calendar_list_events", {"end": _days_on(n)})
        for n in range(2):
            await call("meeting_prep", {"event_id": events[n % len(events)]})
        await call("meeting_follow_up", {"recording_id": int(recordings[0])})

    await person.task("person-day", day)


async def measure(sandbox: SandboxServer, tmp: Path, access: str) -> dict[str, Counter[str]]:
    directory = tmp / access
    directory.mkdir()
    prepared = await prepare(directory, sandbox_url=sandbox.base_url, emails=[ALICE])
    engine = create_engine(prepared.env["DATABASE_URL"])
    try:
        store = Store(engine, KeyRing([prepared.env["TOKEN_ENCRYPTION_KEY"]]))
        user = await store.get_user_by_email(ALICE)
        key = sandbox.world.people[ALICE].fathom_key
        assert user is not None and key is not None
        await store.set_fathom_key(user.id, key)
    finally:
        await engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = prepared.env | sandbox.settings_env() | {"PUBLIC_URL": base, "GOOGLE_ACCESS": access}
    env |= {"METRICS_TOKEN": METRICS_TOKEN}
    with process(["-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env, f"{base}/health"):
        headers = {"Authorization": f"Bearer {prepared.tokens[0]}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            transport = streamable_http_client(f"{base}/mcp", http_client=http)
            async with Client(transport, elicitation_callback=_accept) as client:
                person = Person(client, http, base)
                await tasks(person)
    return person.spent


# Each task's goal, as printed and as checked.
GOALS: dict[str, tuple[str, Callable[[Counter[str]], bool]]] = {
    "whoami (warm)": ("0", lambda c: c.total() == 0),
    "gmail_search": ("1", lambda c: c["gmail"] == 1 and c.total() == 1),
    "gmail_read_thread": ("1", lambda c: c["gmail"] == 1 and c.total() == 1),
    "attention_digest": ("<= 3 Gmail + 1 Calendar", lambda c: c["gmail"] <= 3 and c["calendar"] <= 1),
    "meeting_prep": ("<= 4", lambda c: c.total() <= 4),
    "person-day": ("<= 60 Gmail, <= 20 Calendar", lambda c: c["gmail"] <= 60 and c["calendar"] <= 20),
}


def _spent(counts: Counter[str]) -> str:
    return " + ".join(f"{counts[p]} {p}" for p in PRODUCTS if counts[p]) or "0"


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp, SandboxServer() as sandbox:
        results = {access: await measure(sandbox, Path(tmp), access) for access in ("rest", "mcp")}
    print(f"{'Google requests':<20}" + "".join(f"{access:>34}" for access in results) + "   goal")
    for task, (goal, met) in GOALS.items():
        cells = [f"{_spent(spent[task])} ({'met' if met(spent[task]) else 'NOT met'})" for spent in results.values()]
        print(f"{task:<20}" + "".join(f"{cell:>34}" for cell in cells) + f"   {goal}")
    for access, spent in results.items():
        day = spent["person-day"]
        served = min(STANDARD_TIER // max(1, day[p]) for p in PRODUCTS if day[p]) if day.total() else 0
        print(
            f"{access}: a person-day is {_spent(day)} requests; the Standard tier ({STANDARD_TIER:,} a day per"
            f" product) serves {served} such people (goal >= 80: {'met' if served >= 80 else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
