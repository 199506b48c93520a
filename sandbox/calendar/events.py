"""Calendar event resources as Google keeps them: validation, normalisation and per-viewer rendering.

Events are stored in wire shape (`Calendar.events`); `dateTime` values carry an offset and are
re-rendered in the response's time zone. `self` flags are computed per calendar when rendering,
because the same event (same id) sits in the organizer's and every sandbox attendee's calendar.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import string
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.calendar.recurrence import RecurrenceError, parse_recurrence
from sandbox.calendar.times import (
    format_stamp,
    format_time,
    parse_local,
    parse_rfc3339,
    time_value,
    zone_or_none,
)
from sandbox.world import Calendar

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_RESPONSES = ("needsAction", "declined", "tentative", "accepted")
# Client-writable fields, in the order Google emits them.
_WRITABLE = (
    "summary", "description", "location", "colorId", "transparency", "visibility", "recurrence",
    "attendeesOmitted", "extendedProperties", "anyoneCanAddSelf", "guestsCanInviteOthers",
    "guestsCanModify", "guestsCanSeeOtherGuests", "privateCopy", "locked", "source", "attachments",
    "workingLocationProperties", "outOfOfficeProperties", "focusTimeProperties",
)  # fmt: skip
_ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
}
MEET_ICON = (
    "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
)


class EventError(Exception):
    """A request Google would refuse, with the status, message and reason it would send."""

    def __init__(self, code: int, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason


def event_zone(event: dict[str, Any], calendar: Calendar) -> ZoneInfo:
    """The zone an event's recurrence is expanded in: its start's timeZone, else the calendar's."""
    return zone_or_none(event["start"].get("timeZone")) or ZoneInfo(calendar.time_zone)


def etag_for(moment: datetime) -> str:
    return f'"{int(moment.timestamp() * 1_000_000)}"'


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def new_event_id() -> str:
    """A fresh id in Google's alphabet (base32hex, lowercase)."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(26))


def check_event_id(event_id: object) -> str:
    """A client-supplied id, if Google would accept it."""
    if not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
        raise EventError(400, "Invalid resource id value.", "invalid")
    return event_id


def normalize_time(raw: object, which: str) -> dict[str, Any]:
    """Validate an event `start`/`end` and store `dateTime` with an explicit offset."""
    if not isinstance(raw, dict) or (raw.get("date") is None and raw.get("dateTime") is None):
        raise EventError(400, f"Missing {which} time.", "required")
    tz_name = raw.get("timeZone")
    zone = zone_or_none(tz_name)
    if tz_name is not None and zone is None:
        raise EventError(400, f"Invalid time zone definition for {which} time.", "invalid")
    if raw.get("date") is not None:
        value = raw["date"]
        if not isinstance(value, str) or not _DATE.match(value) or raw.get("dateTime") is not None:
            raise EventError(400, f"Invalid {which} time.", "invalid")
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise EventError(400, f"Invalid {which} time.", "invalid") from exc
        return {"date": value, **({"timeZone": tz_name} if zone else {})}
    value = raw["dateTime"]
    moment = parse_rfc3339(value) if isinstance(value, str) else None
    local = parse_local(value) if isinstance(value, str) else None
    if local is not None:
        if zone is None:
            raise EventError(400, f"Missing time zone definition for {which} time.", "required")
        moment = local.replace(tzinfo=zone)
    if moment is None:
        raise EventError(400, f"Invalid {which} time.", "invalid")
    rendered = format_time(moment, zone) if zone else moment.replace(microsecond=0).isoformat()
    return {"dateTime": rendered, **({"timeZone": tz_name} if zone else {})}


def check_times(start: dict[str, Any], end: dict[str, Any], recurrence: object) -> None:
    """Refuse mixed kinds, an empty range and an unparseable or zone-less recurrence."""
    if ("date" in start) != ("date" in end):
        raise EventError(400, "Start and end times must either both be date or both be dateTime.", "invalid")
    zone = zone_or_none(start.get("timeZone")) or ZoneInfo("UTC")
    begin, finish = time_value(start, zone), time_value(end, zone)
    # Zero-length timed events are allowed; an all-day event needs at least one day.
    if finish < begin or ("date" in start and finish == begin):
        raise EventError(400, "The specified time range is empty.", "timeRangeEmpty")
    if recurrence is None:
        return
    if not isinstance(recurrence, list) or not all(isinstance(line, str) for line in recurrence):
        raise EventError(400, "Invalid recurrence rule.", "invalid")
    if "dateTime" in start and "timeZone" not in start:
        raise EventError(400, "Missing time zone definition for start time.", "required")
    try:
        parse_recurrence(list(recurrence), zone)
    except RecurrenceError as exc:
        raise EventError(400, "Invalid recurrence rule.", "invalid") from exc


def normalize_attendees(raw: object, organizer_email: str) -> list[dict[str, Any]]:
    """Dedupe by email, default responseStatus, mark the organizer (who has accepted)."""
    if not isinstance(raw, list):
        raise EventError(400, "Invalid Value", "invalid")
    attendees: dict[str, dict[str, Any]] = {}
    for entry in raw:
        email = entry.get("email") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(email, str) or "@" not in email:
            raise EventError(400, "Missing attendee email.", "required")
        attendee = {k: v for k, v in entry.items() if k not in ("self", "organizer", "id") and v is not None}
        attendee.setdefault("responseStatus", "needsAction")
        if attendee["responseStatus"] not in _RESPONSES:
            raise EventError(400, "Invalid attendee response status.", "invalid")
        if attendee["email"].lower() == organizer_email.lower():
            attendee["organizer"] = True
        attendees.setdefault(attendee["email"].lower(), attendee)
    return list(attendees.values())


def check_enums(body: dict[str, Any]) -> None:
    for name, allowed in _ENUMS.items():
        if body.get(name) is not None and body[name] not in allowed:
            raise EventError(400, "Invalid Value", "invalid")


def writable_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The client-settable part of a request body (server-managed fields are ignored, as Google does)."""
    return {name: body[name] for name in _WRITABLE if body.get(name) is not None}


def meet_conference(request_id: str) -> tuple[dict[str, Any], str]:
    """A freshly created Google Meet conference and its `hangoutLink`."""
    letters = string.ascii_lowercase
    code = "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    uri = f"https://meet.google.com/{code}"
    data = {
        "createRequest": {
            "requestId": request_id,
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [{"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"}],
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet", "iconUri": MEET_ICON},
        "conferenceId": code,
    }
    return data, uri


def render_event(event: dict[str, Any], calendar_id: str, zone: ZoneInfo) -> dict[str, Any]:
    """The event as the owner of `calendar_id` sees it, with dateTimes in `zone`."""
    out = copy.deepcopy(event)
    for key in ("start", "end", "originalStartTime"):
        when = out.get(key)
        if isinstance(when, dict) and "dateTime" in when:
            when["dateTime"] = format_time(time_value(when, zone), zone)
    for key in ("creator", "organizer"):
        if isinstance(out.get(key), dict):
            _set_self(out[key], calendar_id)
    for attendee in out.get("attendees", []):
        _set_self(attendee, calendar_id)
    return out


def _set_self(person: dict[str, Any], calendar_id: str) -> None:
    person.pop("self", None)
    if str(person.get("email", "")).lower() == calendar_id.lower():
        person["self"] = True


# The order Google emits event fields in; anything else follows.
_ORDER = (
    "kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description",
    "location", "colorId", "creator", "organizer", "start", "end", "endTimeUnspecified", "recurrence",
    "recurringEventId", "originalStartTime", "transparency", "visibility", "iCalUID", "sequence",
    "attendees", "attendeesOmitted", "extendedProperties", "hangoutLink", "conferenceData",
    "anyoneCanAddSelf", "guestsCanInviteOthers", "guestsCanModify", "guestsCanSeeOtherGuests",
    "privateCopy", "locked", "reminders", "source", "attachments", "eventType",
)  # fmt: skip


def ordered(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its keys in Google's order."""
    head = {key: event[key] for key in _ORDER if key in event}
    return head | {key: value for key, value in event.items() if key not in head}


def assemble_event(
    body: dict[str, Any],
    *,
    event_id: str,
    calendar: Calendar,
    actor_email: str,
    now: datetime,
    conference_version: int,
    existing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A complete stored event from a full request body (insert, update, or a merged patch)."""
    check_enums(body)
    start, end = normalize_time(body.get("start"), "start"), normalize_time(body.get("end"), "end")
    recurrence = body.get("recurrence")
    check_times(start, end, recurrence)
    if existing is not None:  # seeded events may lack some server fields: fall back sensibly
        organizer = existing.get("organizer") or {"email": calendar.id}
        creator = existing.get("creator") or dict(organizer)
    elif calendar.primary or calendar.id.lower() == actor_email.lower():
        organizer, creator = {"email": actor_email}, {"email": actor_email}
    else:  # an event on a secondary calendar is organized by that calendar
        organizer, creator = {"email": calendar.id, "displayName": calendar.summary}, {"email": actor_email}
    event: dict[str, Any] = writable_fields(body) | {
        "kind": "calendar#event",
        "etag": etag_for(now),
        "id": event_id,
        "status": body.get("status") or "confirmed",
        "htmlLink": html_link(event_id, calendar.id),
        "created": (existing or {}).get("created") or format_stamp(now),
        "updated": format_stamp(now),
        "creator": creator,
        "organizer": organizer,
        "start": start,
        "end": end,
        "iCalUID": _ical_uid(body, existing, event_id),
        "sequence": _sequence(existing, start, end, recurrence),
        "reminders": body.get("reminders") or {"useDefault": True},
        "eventType": body.get("eventType") or "default",
    }
    if existing is not None:
        for key in ("recurringEventId", "originalStartTime"):
            if key in existing:
                event[key] = existing[key]
    if body.get("attendees"):
        event["attendees"] = normalize_attendees(body["attendees"], organizer["email"])
        for attendee in event["attendees"]:
            if attendee.get("organizer") and existing is None:
                attendee["responseStatus"] = "accepted"
    conference = _conference(body, existing, conference_version)
    if conference is not None:
        event["conferenceData"] = conference
        video = [p["uri"] for p in conference.get("entryPoints", []) if p.get("entryPointType") == "video"]
        if conference.get("conferenceSolution", {}).get("key", {}).get("type") == "hangoutsMeet" and video:
            event["hangoutLink"] = video[0]
    return ordered(event)


def _ical_uid(body: dict[str, Any], existing: dict[str, Any] | None, event_id: str) -> str:
    if existing is not None:
        return str(existing.get("iCalUID") or f"{event_id}@google.com")
    given = body.get("iCalUID")
    return given if isinstance(given, str) and given else f"{event_id}@google.com"


def timing_key(start: dict[str, Any], end: dict[str, Any], recurrence: object) -> tuple[Any, ...]:
    """What identifies an event's timing, independent of how its dateTimes are rendered."""

    def when(value: dict[str, Any]) -> tuple[Any, ...]:
        if "date" in value:
            return ("date", value["date"])
        return ("dateTime", parse_rfc3339(value["dateTime"]), value.get("timeZone"))

    return when(start), when(end), recurrence


def _sequence(existing: dict[str, Any] | None, start: dict[str, Any], end: dict[str, Any], rec: Any) -> int:
    """Google bumps `sequence` when an event is rescheduled."""
    if existing is None:
        return 0
    before = timing_key(existing["start"], existing["end"], existing.get("recurrence"))
    previous = int(existing.get("sequence", 0))
    return previous + 1 if before != timing_key(start, end, rec) else previous


def _conference(body: dict[str, Any], existing: dict[str, Any] | None, version: int) -> dict[str, Any] | None:
    """Conference data per `conferenceDataVersion`: version 0 ignores the body's, as Google does."""
    previous: dict[str, Any] | None = existing.get("conferenceData") if existing else None
    if version == 0 or "conferenceData" not in body:
        return previous
    data = body["conferenceData"]
    if data is None:
        return None
    if not isinstance(data, dict):
        raise EventError(400, "Invalid Value", "invalid")
    create = data.get("createRequest")
    if create is None:
        return copy.deepcopy(data)
    request_id = create.get("requestId") if isinstance(create, dict) else None
    if not isinstance(request_id, str) or not request_id:
        raise EventError(400, "Invalid conference create request.", "invalid")
    if previous is not None and previous.get("createRequest", {}).get("requestId") == request_id:
        return previous  # the same request again: Google keeps the conference it made
    key = create.get("conferenceSolutionKey")
    if not isinstance(key, dict) or key.get("type") != "hangoutsMeet":
        raise EventError(400, "Invalid conference type value.", "invalid")
    return meet_conference(request_id)[0]
