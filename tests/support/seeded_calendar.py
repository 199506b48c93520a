"""What the seeded calendar holds over a window, read from the sandbox itself.

The seed lays meetings out on business days around the moment the sandbox starts, so which meetings
share a morning depends on the weekday. Tests derive their expectations from here, never from a
fixed picture of "this week".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from starlette.datastructures import QueryParams

from sandbox.calendar.queries import list_events
from sandbox.server import SandboxServer

EVENTS = "/calendar/v3/calendars/primary/events"


@dataclass(frozen=True)
class Busy:
    """A timed event the person is busy for (not free, not declined)."""

    event_id: str
    summary: str
    start: datetime
    end: datetime

    def overlaps(self, other: Busy) -> bool:
        return self.start < other.end and other.start < self.end


def last_listing_query(sandbox: SandboxServer) -> dict[str, str]:
    """The query of the last events listing the product sent for the primary calendar, as Calendar's REST
    API takes it: the REST request itself, or the window of Google's MCP `list_events` call."""
    for request in reversed(sandbox.faults.requests()):
        if request.method == "GET" and request.path == EVENTS:
            return dict(parse_qsl(request.query))
        if request.product == "calendar" and request.tool == "list_events":
            arguments = json.loads(request.body)["params"]["arguments"]
            if arguments.get("calendarId", "primary") == "primary":
                window = {"timeMin": arguments.get("startTime"), "timeMax": arguments.get("endTime")}
                return {"singleEvents": "true", **{k: v for k, v in window.items() if v}}
    raise AssertionError("no events listing of the primary calendar was sent")


def busy_events(sandbox: SandboxServer, email: str, query: dict[str, str]) -> list[Busy]:
    """The events `email` is busy for in the sandbox's own answer to an events listing, in start order."""
    world = sandbox.world
    answer = list_events(world, world.calendars[email][email], QueryParams(query))
    busy: list[Busy] = []
    for event in json.loads(bytes(answer.body))["items"]:
        mine = next((a for a in event.get("attendees", []) if a.get("self")), None)
        if "dateTime" not in event["start"] or event.get("transparency") == "transparent":
            continue
        if mine is not None and mine.get("responseStatus") == "declined":
            continue
        start, end = (datetime.fromisoformat(event[edge]["dateTime"]) for edge in ("start", "end"))
        busy.append(Busy(event["id"], event["summary"], start, end))
    return busy


def double_bookings(busy: list[Busy]) -> list[tuple[Busy, Busy]]:
    """Every overlapping pair, the earlier-listed event first."""
    return [(a, b) for i, a in enumerate(busy) for b in busy[i + 1 :] if a.overlaps(b)]


def clash_groups(busy: list[Busy]) -> list[list[Busy]]:
    """Events joined by any chain of overlaps, each group in start order (a three-way clash is one group)."""
    group_of = {event.event_id: {event.event_id} for event in busy}
    for a, b in double_bookings(busy):
        merged = group_of[a.event_id] | group_of[b.event_id]
        for member in merged:
            group_of[member] = merged
    groups = {frozenset(ids) for ids in group_of.values() if len(ids) > 1}
    return [[event for event in busy if event.event_id in ids] for ids in groups]
