"""The calendar backend over the Calendar API's REST endpoints (`CalendarClient`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from app.upstream.calendar import CalendarClient
from app.upstream.google_mcp import GooglePlan
from app.workspace.calendar import CalendarEntry, Event, EventList, FreeTime, Interval, Notify, Response


class RestCalendar:
    """Calendars, events and free/busy, each through its own Calendar API endpoint."""

    google_asks = False

    def __init__(self, client: CalendarClient) -> None:
        self.client = client

    async def list_calendars(self) -> list[CalendarEntry]:
        return await self.client.list_calendars()

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
        return await self.client.list_events(
            calendar_id,
            time_min=time_min,
            time_max=time_max,
            query=query,
            max_results=max_results,
            page_token=page_token,
            time_zone=time_zone,
        )

    async def get_event(self, event_id: str, calendar_id: str = "primary", *, time_zone: str | None = None) -> Event:
        return await self.client.get_event(event_id, calendar_id, time_zone=time_zone)

    async def free_time(
        self,
        people: Sequence[str],
        begin: datetime,
        finish: datetime,
        zone: ZoneInfo,
        duration_minutes: int,
        hours: tuple[time, time],
    ) -> FreeTime:
        """Each person's busy intervals from one free/busy query; the tool finds the free slots."""
        answers = await self.client.free_busy(people, begin, finish, zone.key)
        by_address = {key.lower(): value for key, value in answers.items()}
        busy: dict[str, list[Interval] | None] = {}
        for email in people:
            answer = by_address.get(email.lower())
            known = answer is not None and not answer.errors
            busy[email] = [(i.start, i.end) for i in answer.busy] if answer is not None and known else None
        return FreeTime(busy=busy)

    def plan_create(
        self, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        return None

    def plan_update(
        self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify, notes: Sequence[str]
    ) -> GooglePlan | None:
        return None

    def plan_delete(self, event_id: str, calendar_id: str, notify: Notify, notes: Sequence[str]) -> GooglePlan | None:
        return None

    def planned_event(self, result: dict[str, Any]) -> Event:
        raise RuntimeError("the Calendar API plans no change: it makes it")

    async def create_event(self, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        return await self.client.insert_event(fields, calendar_id, send_updates=notify)

    async def update_event(self, event_id: str, fields: dict[str, Any], calendar_id: str, notify: Notify) -> Event:
        return await self.client.patch_event(event_id, fields, calendar_id, send_updates=notify)

    async def delete_event(self, event_id: str, calendar_id: str, notify: Notify) -> None:
        await self.client.delete_event(event_id, calendar_id, send_updates=notify)

    async def respond(self, event: Event, calendar_id: str, response: Response, comment: str | None) -> None:
        """A PATCH of the guest list as Google sent it, with only the person's own entry changed."""
        attendees: list[dict[str, Any]] = []
        for attendee in event.attendees:
            entry = attendee.wire()
            if attendee.self_:
                entry["responseStatus"] = response
                if comment is not None:
                    entry["comment"] = comment
            attendees.append(entry)
        await self.client.patch_event(event.id, {"attendees": attendees}, calendar_id)
