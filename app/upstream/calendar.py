"""CalendarClient: the Google Calendar API v3 endpoints we use, with typed events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date as Date
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.upstream.google_api import GoogleApi, path_segment

SendUpdates = Literal["all", "externalOnly", "none"]


class _Resource(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class EventTime(_Resource):
    """`dateTime` (RFC 3339) for timed events, `date` for all-day ones (end date exclusive)."""

    date_time: datetime | None = None
    date: Date | None = None
    time_zone: str | None = None

    @property
    def all_day(self) -> bool:
        return self.date is not None and self.date_time is None


class Attendee(_Resource):
    # Unknown fields are kept so an attendee list can be written back exactly as Google sent it.
    model_config = ConfigDict(extra="allow")

    email: str = ""
    display_name: str | None = None
    response_status: str = "needsAction"
    self_: bool = Field(False, alias="self")
    organizer: bool = False
    optional: bool = False
    resource: bool = False
    comment: str | None = None

    def wire(self) -> dict[str, Any]:
        """This entry as Google sent it (for a PATCH of `attendees` that must not change it)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


class Person(_Resource):
    email: str = ""
    display_name: str | None = None
    self_: bool = Field(False, alias="self")


class EntryPoint(_Resource):
    entry_point_type: str = ""
    uri: str = ""


class ConferenceData(_Resource):
    entry_points: list[EntryPoint] = Field(default_factory=list)
    conference_id: str | None = None


class Event(_Resource):
    id: str
    status: str = "confirmed"
    html_link: str | None = None
    summary: str | None = None
    description: str | None = None
    location: str | None = None
    start: EventTime = Field(default_factory=EventTime)
    end: EventTime = Field(default_factory=EventTime)
    attendees: list[Attendee] = Field(default_factory=list)
    organizer: Person | None = None
    creator: Person | None = None
    hangout_link: str | None = None
    conference_data: ConferenceData | None = None
    recurrence: list[str] = Field(default_factory=list)
    recurring_event_id: str | None = None
    transparency: str | None = None
    event_type: str | None = None
    updated: datetime | None = None

    def me(self) -> Attendee | None:
        return next((a for a in self.attendees if a.self_), None)

    @property
    def meet_link(self) -> str | None:
        if self.hangout_link:
            return self.hangout_link
        if self.conference_data:
            for entry in self.conference_data.entry_points:
                if entry.entry_point_type == "video":
                    return entry.uri
        return None


class EventList(_Resource):
    items: list[Event] = Field(default_factory=list)
    next_page_token: str | None = None
    time_zone: str | None = None


class CalendarEntry(_Resource):
    id: str
    summary: str = ""
    time_zone: str | None = None
    access_role: str = "reader"
    primary: bool = False


class BusyInterval(_Resource):
    start: datetime
    end: datetime


class FreeBusyCalendar(_Resource):
    busy: list[BusyInterval] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


def _cal(calendar_id: str) -> str:
    return path_segment(calendar_id, "calendar")


def _event(event_id: str) -> str:
    return path_segment(event_id, "event")


def rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("calendar times need a time zone")
    return moment.isoformat()


class CalendarClient:
    """The Calendar API for one user."""

    def __init__(self, api: GoogleApi) -> None:
        self.api = api

    async def list_calendars(self) -> list[CalendarEntry]:
        entries: list[CalendarEntry] = []
        page: str | None = None
        for _ in range(10):  # bounded: nobody has 2,500 calendars
            params: dict[str, Any] = {"maxResults": 250}
            if page:
                params["pageToken"] = page
            body = await self.api.get_json("/users/me/calendarList", params=params)
            entries += [CalendarEntry.model_validate(item) for item in body.get("items", [])]
            page = body.get("nextPageToken")
            if not page:
                break
        return entries

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
        """Single events (recurrences expanded) ordered by start time."""
        params: dict[str, Any] = {
            "singleEvents": "true",
            "orderBy": "startTime",
            "maxResults": max(1, min(max_results, 2500)),
        }
        if time_min:
            params["timeMin"] = rfc3339(time_min)
        if time_max:
            params["timeMax"] = rfc3339(time_max)
        if query:
            params["q"] = query
        if page_token:
            params["pageToken"] = page_token
        if time_zone:
            params["timeZone"] = time_zone
        return await self.api.get_model(f"/calendars/{_cal(calendar_id)}/events", EventList, params=params)

    async def get_event(self, event_id: str, calendar_id: str = "primary", *, time_zone: str | None = None) -> Event:
        params = {"timeZone": time_zone} if time_zone else None
        body = await self.api.get_json(
            f"/calendars/{_cal(calendar_id)}/events/{_event(event_id)}", params=params, what=f"event {event_id}"
        )
        return Event.model_validate(body)

    async def insert_event(
        self, body: dict[str, Any], calendar_id: str = "primary", *, send_updates: SendUpdates = "all"
    ) -> Event:
        """Create an event; `conferenceDataVersion=1` so a Meet `createRequest` is honoured."""
        result = await self.api.call_json(
            "POST",
            f"/calendars/{_cal(calendar_id)}/events",
            params={"conferenceDataVersion": 1, "sendUpdates": send_updates},
            body=body,
            idempotent=False,
        )
        return Event.model_validate(result)

    async def patch_event(
        self,
        event_id: str,
        changes: dict[str, Any],
        calendar_id: str = "primary",
        *,
        send_updates: SendUpdates = "all",
    ) -> Event:
        result = await self.api.call_json(
            "PATCH",
            f"/calendars/{_cal(calendar_id)}/events/{_event(event_id)}",
            params={"conferenceDataVersion": 1, "sendUpdates": send_updates},
            body=changes,
            what=f"event {event_id}",
        )
        return Event.model_validate(result)

    async def delete_event(
        self, event_id: str, calendar_id: str = "primary", *, send_updates: SendUpdates = "all"
    ) -> None:
        await self.api.call_json(
            "DELETE",
            f"/calendars/{_cal(calendar_id)}/events/{_event(event_id)}",
            params={"sendUpdates": send_updates},
            what=f"event {event_id}",
        )

    async def free_busy(
        self, calendar_ids: Sequence[str], time_min: datetime, time_max: datetime, time_zone: str | None = None
    ) -> dict[str, FreeBusyCalendar]:
        body: dict[str, Any] = {
            "timeMin": rfc3339(time_min),
            "timeMax": rfc3339(time_max),
            "items": [{"id": cid} for cid in calendar_ids],
        }
        if time_zone:
            body["timeZone"] = time_zone
        result = await self.api.call_json("POST", "/freeBusy", body=body)
        calendars = result.get("calendars", {})
        return {cid: FreeBusyCalendar.model_validate(value) for cid, value in calendars.items()}
