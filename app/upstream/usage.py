"""Every request Switchboard makes to Google, counted at the one place it leaves the process.

Google's Standard tier allows each Cloud project 5,000 MCP requests a day per product (Gmail,
Calendar, People), and the REST APIs have per-user limits besides. Each request is counted here with
its product, its call (an MCP tool, or a REST method and endpoint), the Switchboard tool that caused
it and the person, for the day of Google's quota clock (it resets at midnight Pacific time). The
Prometheus counter carries no person; the per-person counts stay in this process's memory.
"""

from __future__ import annotations

import re
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PrometheusCounter

from app.upstream.errors import ShareSpent

if TYPE_CHECKING:
    from app.shared import SharedState

PACIFIC = ZoneInfo("America/Los_Angeles")
# The Switchboard tool whose call is running (set around each tools/call): what caused a request.
current_tool: ContextVar[str | None] = ContextVar("current_tool", default=None)
# Each product as the person reads its name.
NAMES = {"gmail": "Gmail", "calendar": "Google Calendar", "people": "Google People"}
SHARE_KEPT = 2 * 86400  # seconds a day's shared count is kept (past the day's end, whatever the replica's clock)
PRODUCTS = {"Gmail": "gmail", "Google Calendar": "calendar", "Google Contacts": "people", "Google People": "people"}
# Path segments that are ids, not endpoints: long hex or digits, emails, Google's opaque tokens.
_ID = re.compile(r"^(?:[0-9a-f]{10,}|\d+|[^/]*@[^/]*|[A-Za-z0-9_-]{20,}|r-?\d+)$")


def quota_day(now: datetime | None = None) -> date:
    """The day of Google's quota clock (Pacific time)."""
    return (now or datetime.now(UTC)).astimezone(PACIFIC).date()


def quota_reset(now: datetime | None = None) -> datetime:
    """When Google's quota day next starts: the coming midnight, Pacific time."""
    return datetime.combine(quota_day(now) + timedelta(days=1), dt_time(0), tzinfo=PACIFIC)


def endpoint(method: str, path: str) -> str:
    """`GET gmail/v1/users/me/messages/{id}`: a REST request named without the ids in it."""
    parts = [("{id}" if _ID.match(part) else part) for part in path.strip("/").split("/") if part]
    return f"{method} {'/'.join(parts)}"


@dataclass
class GoogleUsage:
    """Google requests by product, call and tool, and by person, for the current quota day."""

    registry: CollectorRegistry
    day: date = field(default_factory=quota_day)
    by_person: Counter[tuple[str, str]] = field(default_factory=Counter[tuple[str, str]])  # (user id, product)
    by_tool: Counter[tuple[str, str]] = field(default_factory=Counter[tuple[str, str]])  # (product, tool)

    # Each person's requests a day, per product (None: no limit), counted across replicas through `shared`.
    share: int | None = None
    shared: SharedState | None = None
    _admitted: Counter[tuple[str, str]] = field(default_factory=Counter[tuple[str, str]])  # (user id, product)
    _admitted_on: date = field(default_factory=quota_day)

    def __post_init__(self) -> None:
        self.requests = PrometheusCounter(
            "switchboard_google_requests_total",
            "Requests to Google by product, call (MCP tool or REST endpoint) and the Switchboard tool behind it",
            ["product", "call", "tool"],
            registry=self.registry,
        )

    def record(self, product: str, call: str, user_id: str | None, weight: int = 1) -> None:
        """Count `weight` requests (a batch of 25 gets is 25) of `product` for this person and tool."""
        today = quota_day()
        if today != self.day:
            self.day, self.by_person, self.by_tool = today, Counter(), Counter()
        tool = current_tool.get() or "(none)"
        self.requests.labels(product=product, call=call[:120], tool=tool).inc(weight)
        self.by_tool[(product, tool)] += weight
        if user_id is not None:
            self.by_person[(user_id, product)] += weight

    async def admit(self, product: str, user_id: str | None, weight: int = 1) -> None:
        """Count `weight` requests against this person's daily share of `product`; ShareSpent past it.

        Across replicas through Redis when it answers, else in this replica's memory.
        """
        if self.share is None or user_id is None:
            return
        today = quota_day()
        spent = None
        if self.shared is not None:
            spent = await self.shared.add(f"google-share:{today}:{user_id}:{product}", weight, SHARE_KEPT)
        if spent is None:
            if today != self._admitted_on:
                self._admitted_on, self._admitted = today, Counter()
            self._admitted[(user_id, product)] += weight
            spent = self._admitted[(user_id, product)]
        if spent > self.share:
            raise ShareSpent(NAMES.get(product, product), self.share, quota_reset())

    def person_today(self, user_id: str) -> dict[str, int]:
        """This person's requests today, by product."""
        if quota_day() != self.day:
            return {}
        return {product: n for (person, product), n in self.by_person.items() if person == user_id}

    def product_today(self) -> dict[str, int]:
        """Everyone's requests today through this process, by product."""
        if quota_day() != self.day:
            return {}
        totals: Counter[str] = Counter()
        for (_person, product), n in self.by_person.items():
            totals[product] += n
        return dict(totals)
