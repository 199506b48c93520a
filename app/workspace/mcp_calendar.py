"""The calendar backend over Google's Calendar MCP server (`calendarmcp.googleapis.com`).

Google's MCP reference describes events with the REST API's field names, with two differences read
here: an all-day `date` is "an ISO 8601 formatted date at midnight UTC such as 2019-11-20T00:00:00Z",
and the Meet link is `conferenceUrl`. Its calendar list names no primary calendar (the primary one
is the calendar whose id is the person's address) and no access role. There is no free/busy tool:
free time comes from `suggest_time`, which gives free periods but not whose calendar it could not see.

Changes are `create_event`, `update_event` and `delete_event`, which Google's `/mcp/v1` may answer
with an approval to ask the person (inviting guests, deleting), so they are planned, never made here;
`respond_to_event` answers an invitation. Guests are plain addresses (no names), a timed event cannot
become all-day there or back, and an all-day event's dates cannot be moved (`update_event` has no
`allDay`): such a change is refused, saying so, rather than made wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.upstream.calendar import rfc3339
from app.upstream.errors import BadRequest, UpstreamUnavailable
from app.upstream.google_mcp import Approval, GoogleMcpCaller, GooglePlan
from app.workspace.calendar import CalendarEntry, Event, EventList, FreeTime, Interval, Notify, Response

CALENDAR_PAGES = 5
MAX_EVENTS = 2500  # list_events' largest pageSize
SUGGESTIONS = 40  # free periods asked of suggest_time; the tool shows them spread over the days
UNSEEN = (
    "Google's suggest_time does not say whose calendar it could not see: a guest whose calendar is "
    "hidden from you may be busy at these times."
)


_LEVELS: dict[Notify, str] = {"all": "ALL", "externalOnly": "EXTERNAL_ONLY", "none": "NONE"}
CANNOT = "Google's Calendar MCP server cannot {what}; the person can do it in Google Calendar."


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class McpCalendarEntry(_Shape):
    id: str
    summary: str = ""
    description: str = ""
    time_zone: str | None = None


class _Calendars(_Shape):
    calendars: list[McpCalendarEntry] = Field(default_factory=list)
    next_page_token: str | None = None


class _Events(_Shape):
    events: list[dict[str, Any]] = Field(default_factory=list)
    next_page_token: str | None = None
    time_zone: str | None = None


class _Slot(_Shape):
    start_time: datetime
    end_time: datetime


class _Slots(_Shape):
    time_slots: list[_Slot] = Field(default_factory=list)


def _when(value: Any) -> Any:
    """A start or end as the REST API gives it: an all-day date as a date, not a midnight-UTC timestamp."""
    if isinstance(value, dict) and isinstance(day := value.get("date"), str):
        return {**value, "date": day[:10]}
    return value


def event_of(shape: dict[str, Any]) -> Event:
    """One of Google's MCP event shapes as the product's `Event`."""
    fields = {
        key: _when(value) if key in ("start", "end", "originalStartTime") else value for key, value in shape.items()
    }
    if isinstance(url := fields.get("conferenceUrl"), str) and url:
        fields.setdefault("hangoutLink", url)
    return Event.model_validate(fields)


def _times(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    """`start`/`end` as create_event's or update_event's arguments."""
    start, end = fields.get("start"), fields.get("end")
    if start is None and end is None:
        return {}
    whens = [when for when in (start, end) if isinstance(when, dict)]
    if any(value is None for when in whens for value in when.values()):
        raise BadRequest(
            CANNOT.format(what="turn a timed event into an all-day one or back"), service="Google Calendar"
        )
    if any("date" in when for when in whens):
        if not (creating and isinstance(start, dict) and isinstance(end, dict)):
            raise BadRequest(CANNOT.format(what="move an all-day event's dates"), service="Google Calendar")
        return {"startTime": f"{start['date']}T00:00:00", "endTime": f"{end['date']}T00:00:00", "allDay": True}
    arguments: dict[str, Any] = {}
    for key, when in (("startTime", start), ("endTime", end)):
        if isinstance(when, dict):
            arguments[key] = when["dateTime"]
            arguments["timeZone"] = when.get("timeZone") or arguments.get("timeZone")
    return {key: value for key, value in arguments.items() if value is not None}


def event_arguments(fields: dict[str, Any], creating: bool) -> dict[str, Any]:
    """An event's `fields` (Google's event field names) as the Calendar MCP tools' arguments."""
    arguments: dict[str, Any] = {key: fields[key] for key in ("summary", "description", "location") if key in fields}
    arguments |= _times(fields, creating)
    if creating and "timeZone" not in arguments:
        arguments["timeZone"] = "UTC"  # an all-day event has no zone of its own; the tool requires one
    if "attendees" in fields:
        arguments["attendeeEmails"] = [str(entry["email"]) for entry in fields["attendees"]]
    if fields.get("recurrence"):
        arguments["recurrenceData"] = list(fields["recurrence"])
    if "conferenceData" in fields:
        arguments["addGoogleMeetUrl"] = True
    return arguments


def _timestamp(moment: datetime) -> str:
    return rfc3339(moment.replace(microsecond=0))


class McpCalendar:
    """A person's calendars through Google's Calendar MCP tools."""

    google_asks = True

    def __init__(self, google: GoogleMcpCaller, email: str) -> None:
        self.google = google
        self.email = email.lower()

    async def _entries(self) -> list[McpCalendarEntry]:
        found: list[McpCalendarEntry] = []
        token: str | None = None
        for _ in range(CALENDAR_PAGES):
            arguments = {"pageToken": token} if token else {}
            page = _Calendars.model_validate(await self.google.read("calendar", "list_calendars", arguments))
            found += page.calendars
            token = page.next_page_token
            if not token:
                break
        return found

    async def list_calendars(self) -> list[CalendarEntry]:
        return [
            CalendarEntry(
                id=entry.id,
                summary=entry.summary,
                time_zone=entry.time_zone,
                access_role="",
                primary=entry.id.lower() == self.email,
            )
            for entry in await self._entries()
        ]

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
        arguments: dict[str, Any] = {
            "calendarId": calendar_id,
            "orderBy": "startTime",
            "pageSize": max(1, min(max_results, MAX_EVENTS)),
        }
        if time_min:
            arguments["startTime"] = _timestamp(time_min)
        if time_max:
            arguments["endTime"] = _timestamp(time_max)
        if query:
            arguments["fullText"] = query
        if page_token:
            arguments["pageToken"] = page_token
        if time_zone:
            arguments["timeZone"] = time_zone
        page = _Events.model_validate(await self.google.read("calendar", "list_events", arguments))
        return EventList(
            items=[event_of(shape) for shape in page.events],
            next_page_token=page.next_page_token,
            time_zone=page.time_zone,
        )

    async def get_event(self, event_id: str, calendar_id: str = "primary", *, time_zone: str | None = None) -> Event:
        arguments: dict[str, Any] = {"eventId": event_id, "calendarId": calendar_id}
        if time_zone:
            arguments["timeZone"] = time_zone
        return event_of(await self.google.read("calendar", "get_event", arguments))

    async def free_time(
        self,
        people: Sequence[str],
        begin: datetime,
        finish: datetime,
        zone: ZoneInfo,
        duration_minutes: int,
        hours: tuple[time, time],
    ) -> FreeTime:
        """Free periods from one `suggest_time` over the person's primary calendar and the others'."""
        arguments: dict[str, Any] = {
            "attendeeEmails": ["primary", *people[1:]],
            "startTime": _timestamp(begin),
            "endTime": _timestamp(finish),
            "timeZone": zone.key,
            "durationMinutes": duration_minutes,
            "preferences": {
                "startHour": f"{hours[0]:%H:%M}",
                "endHour": f"{hours[1]:%H:%M}",
                "excludeWeekends": True,
                "pageSize": SUGGESTIONS,
            },
        }
        found = _Slots.model_validate(await self.google.read("calendar", "suggest_time", arguments))
        slots: list[Interval] = [(slot.start_time, slot.end_time) for slot in found.time_slots]
        return FreeTime(slots=slots, note=UNSEEN if len(people) > 1 else "")

    # Changes: planned for the approvals relay (see the module docstring).

    def _plan(self, tool: str, arguments: dict[str, Any], calendar_id: str, notes: Sequence[str]) -> GooglePlan:
        return GooglePlan(self.google, "calendar", tool, {**arguments, "calendarId": calendar_id}, tuple(notes))

    def plan_create(
        self, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        arguments = event_arguments(fields, creating=True) | {"notificationLevel": _LEVELS[notify]}
        return self._plan("create_event", arguments, calendar_id, notes)

    def plan_update(
        self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        arguments = {"eventId": event_id, **event_arguments(fields, creating=False)}
        return self._plan("update_event", arguments | {"notificationLevel": _LEVELS[notify]}, calendar_id, notes)

    def plan_delete(self, event_id: str, calendar_id: str, notify: Notify, notes: Sequence[str]) -> GooglePlan | None:
        arguments = {"eventId": event_id, "notificationLevel": _LEVELS[notify]}
        return self._plan("delete_event", arguments, calendar_id, notes)

    def planned_event(self, result: dict[str, Any]) -> Event:
        return event_of(result)

    async def create_event(self, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        raise RuntimeError("Google's Calendar MCP server may ask first: use plan_create")

    async def update_event(self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        raise RuntimeError("Google's Calendar MCP server may ask first: use plan_update")

    async def delete_event(self, event_id: str, calendar_id: str, notify: Notify) -> None:
        raise RuntimeError("Google's Calendar MCP server asks first: use plan_delete")

    async def respond(self, event: Event, calendar_id: str, response: Response, comment: str | None) -> None:
        arguments: dict[str, Any] = {"eventId": event.id, "calendarId": calendar_id, "responseStatus": response}
        if comment is not None:
            arguments["comment"] = comment
        if isinstance(await self.google.act("calendar", "respond_to_event", arguments), Approval):
            raise UpstreamUnavailable(
                "Google Calendar asked for an approval to answer this invitation; answer it in Google Calendar."
            )
