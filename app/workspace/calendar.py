"""Calendars and events as the tools see them, and what a calendar backend offers.

Google's Calendar REST API and its Calendar MCP server describe an event with the same field names
(`summary`, `start`, `attendees`, `organizer`, …), so the product's `Event` (declared beside the REST
client, `app.upstream.calendar`) is read from either; each backend evens out where its wire differs
(the MCP server's all-day dates and Meet link). What a backend cannot know is left empty, never guessed.

Changes are given the same way: `fields` of an event in those names (`summary`, `start`/`end` as
`{"dateTime", "timeZone"}` or `{"date"}`, `attendees` as `{"email", …}` entries, `recurrence`,
`conferenceData` asking for a Meet link). Where Google itself asks the person before a change (its
MCP servers), a backend plans the change (`plan_*` gives a `GooglePlan` that the tool's approvals
relay makes) instead of making it; the REST backend plans nothing and changes the event when told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from app.upstream.calendar import Attendee, CalendarEntry, Event, EventList, EventTime
from app.upstream.google_mcp import GooglePlan

__all__ = [
    "Attendee", "Calendar", "CalendarEntry", "Event", "EventList", "EventTime", "FreeTime", "Interval", "Notify",
]  # fmt: skip

Interval = tuple[datetime, datetime]
Notify = Literal["all", "externalOnly", "none"]  # who Google emails about a change
Response = Literal["accepted", "declined", "tentative"]


@dataclass(frozen=True)
class FreeTime:
    """What a backend knows of when people are free in a window.

    Either each person's busy intervals (`busy`; None for a calendar the person cannot see), from
    which the tool finds the free slots itself, or free periods the backend chose (`slots`), with a
    note of what it could not account for.
    """

    busy: dict[str, list[Interval] | None] = field(default_factory=dict[str, list[Interval] | None])
    slots: list[Interval] | None = None
    note: str = ""


class Calendar(Protocol):
    """One person's calendars through one backend."""

    # Whether Google itself asks the person before guests are invited or told, or an event is deleted.
    google_asks: bool

    async def list_calendars(self) -> list[CalendarEntry]:
        """Every calendar on the person's list; the primary one marked."""
        ...

    async def list_events(
        self,
        calendar_id: str = "primary",
        *,
        time_min: datetime | None = None,
        time_max: datetime | None = None,
        query: str | None = None,
        max_results: int = 50,
        page_token: str | None = None,
        time_zone: str | None = None,
    ) -> EventList:
        """Single events (a series expanded into its occurrences) in the window, by start time."""
        ...

    async def get_event(self, event_id: str, calendar_id: str = "primary", *, time_zone: str | None = None) -> Event:
        """One event; NotFound when there is none."""
        ...

    async def free_time(
        self,
        people: Sequence[str],
        begin: datetime,
        finish: datetime,
        zone: ZoneInfo,
        duration_minutes: int,
        hours: tuple[time, time],
    ) -> FreeTime:
        """When `people` (the person first) are free between `begin` and `finish`, on weekdays within `hours`."""
        ...

    # Changes. `notes` are Switchboard's lines for the person, shown above Google's own question.

    def plan_create(
        self, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        """The call that creates the event where Google asks first; None where `create_event` does it."""
        ...

    def plan_update(
        self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        """The call that changes the event where Google asks first; None where `update_event` does it."""
        ...

    def plan_delete(self, event_id: str, calendar_id: str, notify: Notify, notes: Sequence[str]) -> GooglePlan | None:
        """The call that deletes the event where Google asks first; None where `delete_event` does it."""
        ...

    def planned_event(self, result: dict[str, Any]) -> Event:
        """The event in the result of a planned create or update."""
        ...

    async def create_event(self, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        """Create the event (only where `plan_create` plans nothing)."""
        ...

    async def update_event(self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        """Change only `fields` of the event (only where `plan_update` plans nothing)."""
        ...

    async def delete_event(self, event_id: str, calendar_id: str, notify: Notify) -> None:
        """Delete the event (only where `plan_delete` plans nothing)."""
        ...

    async def respond(self, event: Event, calendar_id: str, response: Response, comment: str | None) -> None:
        """Answer the person's invitation to `event`; nobody else's entry changes."""
        ...
