"""What the sandbox Calendar MCP server's tools do, over the sandbox calendars (declared in `calendar_tools`).

Reads use the REST sandbox's event selection and free/busy (`sandbox.calendar.queries`), writes its
`sandbox.calendar.writes`, so an event made here is the one the REST API returns and guests see.
Events are shaped as Google's MCP reference shows them: `start`/`end` as DateOrDateTime, where an
all-day `date` is "an ISO 8601 formatted date at midnight UTC such as 2019-11-20T00:00:00Z".
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.calendar.events import render_event
from sandbox.calendar.queries import busy_intervals, searchable_text, select_events
from sandbox.calendar.series import EXPANSION_LIMIT
from sandbox.calendar.sharing import primary_calendar
from sandbox.calendar.times import format_time, parse_local, parse_rfc3339, time_value, zone_or_none
from sandbox.calendar.writes import check_writable, delete_event, find_calendar, find_event, insert_event, rewrite_event
from sandbox.mcp.arguments import plain_addresses
from sandbox.mcp.server import Call, ToolFailure, page
from sandbox.world import Calendar, World

_PRINCIPAL = ("email", "displayName", "self")
_ATTENDEE = (
    "id", "email", "displayName", "organizer", "self", "resource", "optionalAttendee", "responseStatus", "comment",
    "additionalGuests",
)  # fmt: skip
_COPIED = ("id", "status", "htmlLink", "created", "updated", "summary", "description", "location", "recurrence")
_DEFAULT_TYPES = ("default", "outOfOffice", "focusTime", "fromGmail")
_NOTIFY = {"NONE": "none", "EXTERNAL_ONLY": "externalOnly", "ALL": "all"}


def _when(value: dict[str, Any]) -> dict[str, Any]:
    if "date" in value:
        return {
            "date": f"{value['date']}T00:00:00Z",
            **({"timeZone": value["timeZone"]} if "timeZone" in value else {}),
        }
    return {key: value[key] for key in ("dateTime", "timeZone") if key in value}


def event_shape(event: dict[str, Any], calendar: Calendar, zone: ZoneInfo) -> dict[str, Any]:
    """An event as the Calendar MCP tools return it, for the owner of `calendar`, times in `zone`."""
    rendered = render_event(event, calendar.id, zone)
    shaped: dict[str, Any] = {key: rendered[key] for key in _COPIED if key in rendered}
    for key in ("creator", "organizer"):
        if key in rendered:
            shaped[key] = {k: rendered[key][k] for k in _PRINCIPAL if k in rendered[key]}
    for key in ("start", "end", "originalStartTime"):
        if key in rendered:
            shaped[key] = _when(rendered[key])
    if "recurringEventId" in rendered:
        shaped["recurringEventId"] = rendered["recurringEventId"]
    shaped["transparency"] = rendered.get("transparency", "opaque")
    shaped["visibility"] = rendered.get("visibility", "default")
    if rendered.get("attendees"):
        shaped["attendees"] = [{k: a[k] for k in _ATTENDEE if k in a} for a in rendered["attendees"]]
    shaped["eventType"] = rendered.get("eventType", "default")
    if rendered.get("hangoutLink"):
        shaped["conferenceUrl"] = rendered["hangoutLink"]
    if rendered.get("colorId"):
        shaped["colorId"] = rendered["colorId"]
    return shaped


def _zone(name: str | None, fallback: str) -> ZoneInfo:
    zone = zone_or_none(name or fallback)
    if zone is None:
        raise ToolFailure(f"Invalid time zone: {name}")
    return zone


def _instant(value: str, zone: ZoneInfo, name: str) -> datetime:
    """An ISO 8601 timestamp (offset optional: a local time is in `zone`; milliseconds ignored)."""
    moment = parse_rfc3339(value)
    local = parse_local(value) if moment is None else None
    if local is not None:
        moment = local.replace(tzinfo=zone)
    if moment is None:
        raise ToolFailure(
            f"Invalid value for {name}: {value!r}. Use an ISO 8601 timestamp such as 2026-06-03T10:00:00Z."
        )
    return moment.replace(microsecond=0)


class CalendarTools:
    """The Calendar MCP tools' behaviour over one world."""

    def __init__(self, world: World) -> None:
        self.world = world

    def _calendar(self, call: Call, calendar_id: str | None, *, write: bool = False) -> Calendar:
        calendar = find_calendar(self.world, call.caller.person, calendar_id or "primary")
        if calendar is None:
            raise ToolFailure("Not Found")
        if write:
            check_writable(calendar)
        return calendar

    def list_calendars(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendars = sorted(
            self.world.calendars.get(call.caller.person.email, {}).values(),
            key=lambda c: (not c.primary, c.summary.lower(), c.id),
        )
        chunk, token = page(calendars, min(args.get("pageSize") or 100, 250), args.get("pageToken"))
        shaped = [{"id": c.id, "summary": c.summary, "timeZone": c.time_zone} for c in chunk]
        return {"calendars": shaped} | ({"nextPageToken": token} if token else {})

    def _events(self, calendar: Calendar, zone: ZoneInfo, args: dict[str, Any]) -> list[dict[str, Any]]:
        now = self.world.now()
        lower = _instant(args["startTime"], zone, "startTime") if args.get("startTime") else None
        upper = _instant(args["endTime"], zone, "endTime") if args.get("endTime") else None
        if lower is None and upper is None:
            lower = now
        if lower is not None and upper is not None and upper < lower:
            raise ToolFailure("startTime must be less than or equal to endTime.")
        horizon = upper or max(now, lower or now) + EXPANSION_LIMIT
        return select_events(calendar, lower, upper, horizon, single=True, show_deleted=False)

    def list_events(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, args.get("calendarId"))
        zone = _zone(args.get("timeZone"), calendar.time_zone)
        types = args.get("eventTypeFilter") or _DEFAULT_TYPES
        terms = (args.get("fullText") or "").lower().split()
        found = [
            e
            for e in self._events(calendar, zone, args)
            if e.get("eventType", "default") in types and all(t in searchable_text(e) for t in terms)
        ]
        cal_zone = ZoneInfo(calendar.time_zone)
        order = args.get("orderBy", "default")
        if order == "lastModified":
            found.sort(key=lambda e: (str(e.get("updated", "")), e["id"]))
        else:
            found.sort(key=lambda e: (time_value(e["start"], cal_zone), e["id"]), reverse=order == "startTimeDesc")
        chunk, token = page(found, min(args.get("pageSize") or 250, 2500), args.get("pageToken"))
        updated = max((str(e["updated"]) for e in calendar.events.values() if "updated" in e), default="")
        body: dict[str, Any] = {"summary": calendar.summary, "updated": updated, "timeZone": calendar.time_zone}
        body |= {"accessRole": calendar.access_role, "events": [event_shape(e, calendar, zone) for e in chunk]}
        return body | ({"nextPageToken": token} if token else {})

    def search_events(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, "primary")
        zone = _zone(args.get("timeZone"), calendar.time_zone)
        terms = args["query"].lower().split()
        scored = [(sum(t in searchable_text(e) for t in terms), e) for e in self._events(calendar, zone, args)]
        cal_zone = ZoneInfo(calendar.time_zone)
        ranked = sorted(
            (pair for pair in scored if pair[0]), key=lambda p: (-p[0], time_value(p[1]["start"], cal_zone))
        )
        chunk, token = page([e for _, e in ranked], min(args.get("pageSize") or 10, 50), args.get("pageToken"))
        return {"events": [event_shape(e, calendar, zone) for e in chunk]} | ({"nextPageToken": token} if token else {})

    def get_event(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, args.get("calendarId"))
        zone = _zone(args.get("timeZone"), calendar.time_zone)
        return event_shape(find_event(calendar, args["eventId"]), calendar, zone)

    def suggest_time(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        person = call.caller.person
        own = primary_calendar(self.world, person.email)
        zone = _zone(args.get("timeZone"), own.time_zone if own else person.time_zone)
        lower, upper = _instant(args["startTime"], zone, "startTime"), _instant(args["endTime"], zone, "endTime")
        if upper <= lower:
            raise ToolFailure("The specified time range is empty.")
        prefs = args.get("preferences", {})
        busy: list[tuple[datetime, datetime]] = []
        for email in args["attendeeEmails"]:
            busy += busy_intervals(self.world, person, email, lower, upper) or []
        call.extra_requests = len(args["attendeeEmails"])  # one free/busy read per calendar
        length = timedelta(minutes=args.get("durationMinutes") or 30)
        slots: list[dict[str, Any]] = []
        for start, end in _free(lower, upper, busy, zone, prefs):
            if end - start >= length and len(slots) < (prefs.get("pageSize") or 5):
                minutes = int((end - start).total_seconds() // 60)
                slots.append(
                    {
                        "startTime": format_time(start, zone),
                        "endTime": format_time(end, zone),
                        "durationMinutes": minutes,
                    }
                )
        return {"timeSlots": slots}

    def _body(self, args: dict[str, Any], base: dict[str, Any], zone_name: str) -> dict[str, Any]:
        """A Calendar API event body: `base` with the tool's arguments written over it."""
        body = copy.deepcopy(base)
        plain_addresses(args, "attendeeEmails")
        for key in ("summary", "description", "location", "visibility", "colorId"):
            if key in args:
                body[key] = args[key]
        for key, field in (("startTime", "start"), ("endTime", "end")):
            if key in args:
                body[field] = (
                    {"date": args[key][:10]} if args.get("allDay") else {"dateTime": args[key], "timeZone": zone_name}
                )
        if "recurrenceData" in args:
            body["recurrence"] = args["recurrenceData"]
        if "attendeeEmails" in args:
            kept = {str(a.get("email", "")).lower(): a for a in body.get("attendees", [])}
            body["attendees"] = [kept.get(email.lower(), {"email": email}) for email in args["attendeeEmails"]]
        if args.get("addGoogleMeetUrl"):
            key = {"type": "hangoutsMeet"}
            body["conferenceData"] = {"createRequest": {"requestId": uuid.uuid4().hex, "conferenceSolutionKey": key}}
        return body

    def create_event(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        zone = _zone(args["timeZone"], calendar.time_zone)
        body = self._body(args, {}, args["timeZone"])
        event = insert_event(self.world, call.caller.person, calendar, body, conference_version=1)
        return event_shape(event, calendar, zone)

    def update_event(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        old = find_event(calendar, args["eventId"])
        zone_name = args.get("timeZone") or old["start"].get("timeZone") or calendar.time_zone
        body = self._body(args, old, zone_name)
        event = rewrite_event(self.world, call.caller.person, calendar, args["eventId"], body, conference_version=1)
        return event_shape(event, calendar, _zone(zone_name, calendar.time_zone))

    def delete_event(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        delete_event(self.world, self._calendar(call, args.get("calendarId"), write=True), args["eventId"])
        return {}

    def respond_to_event(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        body = copy.deepcopy(find_event(calendar, args["eventId"]))
        mine = [a for a in body.get("attendees", []) if str(a.get("email", "")).lower() == calendar.id.lower()]
        if not mine or mine[0].get("organizer"):
            raise ToolFailure("You are not a guest of this event, so there is nothing to respond to.")
        mine[0]["responseStatus"] = args["responseStatus"]
        if "comment" in args:
            mine[0]["comment"] = args["comment"]
        event = rewrite_event(self.world, call.caller.person, calendar, args["eventId"], body)
        return event_shape(event, calendar, ZoneInfo(calendar.time_zone))

    # Approval questions: Google's own facts about the event, read from the calendar.

    def _guests(self, call: Call, attendees: list[dict[str, Any]]) -> list[str]:
        me = call.caller.person.email.lower()
        return [str(a["email"]) for a in attendees if str(a.get("email", "")).lower() != me]

    def asks_to_create(self, call: Call, args: dict[str, Any]) -> str | None:
        plain_addresses(args, "attendeeEmails")
        guests = self._guests(call, [{"email": e} for e in args.get("attendeeEmails", [])])
        if not guests:
            return None
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        return (
            f'Create the event "{args["summary"]}" from {args["startTime"]} to {args["endTime"]} ({args["timeZone"]}) '
            f"on the calendar {calendar.summary} and invite {', '.join(guests)}?"
        )

    def asks_to_update(self, call: Call, args: dict[str, Any]) -> str | None:
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        old = find_event(calendar, args["eventId"])
        new = self._body(args, old, args.get("timeZone") or old["start"].get("timeZone") or calendar.time_zone)
        guests = self._guests(call, new.get("attendees", []))
        if not guests:
            return None
        changed = ", ".join(sorted(k for k in args if k not in ("eventId", "calendarId"))) or "nothing"
        title, invited = old.get("summary", ""), ", ".join(guests)
        return f'Update the event "{title}" ({_when_text(old)}), changing {changed}, for the guests {invited}?'

    def asks_to_delete(self, call: Call, args: dict[str, Any]) -> str:
        calendar = self._calendar(call, args.get("calendarId"), write=True)
        event = find_event(calendar, args["eventId"])
        guests = self._guests(call, event.get("attendees", []))
        invited = f" Its guests ({', '.join(guests)}) will see it cancelled." if guests else ""
        return f'Delete the event "{event.get("summary", "")}" ({_when_text(event)}) from {calendar.summary}?{invited}'


def _when_text(event: dict[str, Any]) -> str:
    start = event.get("start", {})
    return str(start.get("dateTime") or start.get("date") or "")


def _free(
    lower: datetime, upper: datetime, busy: list[tuple[datetime, datetime]], zone: ZoneInfo, prefs: dict[str, Any]
) -> list[tuple[datetime, datetime]]:
    """Free periods in the window, within the preferred hours of each day and off weekends if asked."""
    opens, closes = _hour(prefs.get("startHour")) or time.min, _hour(prefs.get("endHour"))
    free: list[tuple[datetime, datetime]] = []
    day = lower.astimezone(zone).date()
    while datetime.combine(day, time.min, zone) < upper:
        if not (prefs.get("excludeWeekends") and day.weekday() >= 5):
            begin = max(lower, datetime.combine(day, opens, zone))
            finish = (
                datetime.combine(day, closes, zone)
                if closes
                else datetime.combine(day + timedelta(days=1), time.min, zone)
            )
            cursor = begin
            for b_start, b_end in sorted(busy):
                if b_end <= cursor or b_start >= min(finish, upper):
                    continue
                if b_start > cursor:
                    free.append((cursor, b_start))
                cursor = max(cursor, b_end)
            if cursor < min(finish, upper):
                free.append((cursor, min(finish, upper)))
        day += timedelta(days=1)
    return free


def _hour(value: str | None) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise ToolFailure(f"Invalid hour {value!r}: use HH:MM, such as 09:00.") from None
