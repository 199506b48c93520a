"""The sandbox calendar's read queries: `events.list` (windows, search, expansion, paging) and `freeBusy`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from sandbox.calendar.events import etag_for, render_event
from sandbox.calendar.params import (
    ParamError,
    bad_request,
    decode_token,
    encode_token,
    get_bool,
    get_enum,
    get_int,
    get_time,
    invalid_parameter,
    page_offset,
)
from sandbox.calendar.series import EXPANSION_LIMIT, instances, is_master
from sandbox.calendar.sharing import primary_calendar
from sandbox.calendar.times import format_stamp, format_time, parse_rfc3339, time_value, zone_or_none
from sandbox.common import google_error
from sandbox.world import Calendar, Person, World

# Google refuses free/busy windows longer than about three months.
FREEBUSY_MAX_RANGE = timedelta(days=93)
_SYNC_EXCLUSIVE = ("timeMin", "timeMax", "q", "orderBy", "iCalUID", "updatedMin")


def list_events(world: World, calendar: Calendar, params: QueryParams) -> JSONResponse:
    """`GET calendars/{id}/events`."""
    time_min, time_max = get_time(params, "timeMin"), get_time(params, "timeMax")
    if time_min and time_max and time_max <= time_min:
        raise bad_request("The specified time range is empty.", "timeRangeEmpty")
    single = get_bool(params, "singleEvents", False)
    show_deleted = get_bool(params, "showDeleted", False)
    order_by = get_enum(params, "orderBy", ("startTime", "updated"))
    if order_by == "startTime" and not single:
        raise bad_request("The requested ordering is not available for the particular query.")
    max_results = get_int(params, "maxResults", 250, 1, 2500)
    zone = zone_or_none(params.get("timeZone", calendar.time_zone))
    if zone is None:
        raise ParamError(invalid_parameter("timeZone", "Invalid time zone definition."))
    since = get_time(params, "updatedMin")
    sync_token = params.get("syncToken")
    if sync_token is not None:
        if any(params.get(name) is not None for name in _SYNC_EXCLUSIVE):
            raise bad_request("Sync token cannot be used with other query parameters.", "invalid")
        since = _sync_time(sync_token, calendar)
        show_deleted, order_by = True, "updated"
    now = world.now()
    horizon = time_max or max(now, time_min or now) + EXPANSION_LIMIT
    selected = [
        event
        for event in select_events(calendar, time_min, time_max, horizon, single=single, show_deleted=show_deleted)
        if _wanted(event, params.get("q"), params.get("iCalUID"), since)
    ]
    cal_zone = ZoneInfo(calendar.time_zone)
    if order_by == "updated":
        selected.sort(key=lambda e: (str(e.get("updated", "")), e["id"]))
    else:
        selected.sort(key=lambda e: (time_value(e["start"], cal_zone), e["id"]))
    offset = page_offset(params.get("pageToken"))
    page = selected[offset : offset + max_results]
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": etag_for(now),
        "summary": calendar.summary,
        "updated": max((str(e["updated"]) for e in calendar.events.values() if "updated" in e), default=None)
        or format_stamp(now),
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
    }
    if offset + max_results < len(selected):
        body["nextPageToken"] = encode_token({"o": offset + max_results})
    else:
        body["nextSyncToken"] = encode_token({"c": calendar.id, "t": format_stamp(now)})
    body["items"] = [render_event(event, calendar.id, zone) for event in page]
    return JSONResponse(body)


def select_events(
    calendar: Calendar,
    lower: datetime | None,
    upper: datetime | None,
    horizon: datetime,
    *,
    single: bool,
    show_deleted: bool,
) -> list[dict[str, Any]]:
    """Stored events (or, with `single`, generated instances) overlapping the window.

    `horizon` bounds recurrence expansion when the window has no upper end.
    """
    cal_zone = ZoneInfo(calendar.time_zone)
    found: list[dict[str, Any]] = []
    for event in calendar.events.values():
        cancelled = event.get("status") == "cancelled"
        # Google lists cancelled instances of a series when both flags are off, so clients can hide them.
        if cancelled and not show_deleted and (single or "recurringEventId" not in event):
            continue
        if is_master(event) and not cancelled:
            expanded = [i for i in instances(event, calendar, lower, horizon) if i["id"] not in calendar.events]
            if single:
                found.extend(expanded)
            elif expanded or (lower is None and upper is None):
                found.append(event)
            continue
        start, end = time_value(event["start"], cal_zone), time_value(event["end"], cal_zone)
        if (lower is None or end > lower) and (upper is None or start < upper):
            found.append(event)
    return found


def _wanted(event: dict[str, Any], q: str | None, ical_uid: str | None, since: datetime | None) -> bool:
    if ical_uid is not None and event.get("iCalUID") != ical_uid:
        return False
    if since is not None:
        updated = parse_rfc3339(str(event.get("updated", "")))
        if updated is None or updated < since:
            return False
    return not q or all(term in searchable_text(event) for term in q.lower().split())


def searchable_text(event: dict[str, Any]) -> str:
    """What a free-text search looks in: title, description, location and the people, lower-cased."""
    people = [event.get("organizer", {}), event.get("creator", {}), *event.get("attendees", [])]
    fields = [event.get(k, "") for k in ("summary", "description", "location")]
    fields += [str(p.get(k, "")) for p in people for k in ("email", "displayName")]
    return " ".join(str(f) for f in fields).lower()


def _sync_time(token: str, calendar: Calendar) -> datetime:
    data = decode_token(token)
    moment = parse_rfc3339(str(data.get("t", ""))) if data and data.get("c") == calendar.id else None
    if moment is None:
        message = "Sync token is no longer valid, a full sync is required."
        raise ParamError(google_error(410, message, "fullSyncRequired"))
    return moment


def free_busy(world: World, person: Person, body: object) -> JSONResponse:
    """`POST freeBusy`: merged busy intervals per requested calendar."""
    if not isinstance(body, dict):
        raise bad_request("Parse Error", "parseError")
    for name in ("timeMin", "timeMax"):
        if not isinstance(body.get(name), str):
            raise bad_request(f"Missing {name} parameter.", "required")
    time_min, time_max = parse_rfc3339(body["timeMin"]), parse_rfc3339(body["timeMax"])
    if time_min is None or time_max is None:
        raise bad_request()
    if time_max <= time_min:
        raise bad_request("The specified time range is empty.", "timeRangeEmpty")
    if time_max - time_min > FREEBUSY_MAX_RANGE:
        raise bad_request("The requested time range is too long.", "timeRangeTooLong")
    zone = zone_or_none(body.get("timeZone") or "UTC")
    items = body.get("items", [])
    if zone is None or not isinstance(items, list):
        raise bad_request("Invalid Value", "invalid")
    calendars: dict[str, Any] = {}
    for item in items:
        calendar_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        busy = busy_intervals(world, person, calendar_id, time_min, time_max)
        if busy is None:
            calendars[calendar_id] = {"errors": [{"domain": "global", "reason": "notFound"}], "busy": []}
            continue
        calendars[calendar_id] = {
            "busy": [{"start": format_time(s, zone), "end": format_time(e, zone)} for s, e in busy]
        }
    return JSONResponse(
        {
            "kind": "calendar#freeBusy",
            "timeMin": format_stamp(time_min),
            "timeMax": format_stamp(time_max),
            "calendars": calendars,
        }
    )


def busy_intervals(
    world: World, person: Person, calendar_id: str, lower: datetime, upper: datetime
) -> list[tuple[datetime, datetime]] | None:
    """The busy time of a calendar `person` may ask about (theirs, a colleague's), or None when there is none."""
    calendar = _free_busy_calendar(world, person, calendar_id)
    return None if calendar is None else _busy(calendar, lower, upper)


def _free_busy_calendar(world: World, person: Person, calendar_id: str) -> Calendar | None:
    own = world.calendars.get(person.email, {})
    if calendar_id == "primary":
        return primary_calendar(world, person.email)
    if calendar_id in own:
        return own[calendar_id]
    if calendar_id.lower() in {email.lower() for email in world.people}:
        return primary_calendar(world, calendar_id)
    shared = [cals[calendar_id] for cals in world.calendars.values() if calendar_id in cals]
    return shared[0] if shared else None


def _busy(calendar: Calendar, lower: datetime, upper: datetime) -> list[tuple[datetime, datetime]]:
    """Opaque, live, not-declined time in the window, clipped and merged."""
    cal_zone = ZoneInfo(calendar.time_zone)
    spans: list[tuple[datetime, datetime]] = []
    for event in select_events(calendar, lower, upper, upper, single=True, show_deleted=False):
        if event.get("transparency") == "transparent" or _declined_by_owner(event, calendar):
            continue
        start, end = time_value(event["start"], cal_zone), time_value(event["end"], cal_zone)
        spans.append((max(start, lower), min(end, upper)))
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _declined_by_owner(event: dict[str, Any], calendar: Calendar) -> bool:
    return any(
        str(a.get("email", "")).lower() == calendar.id.lower() and a.get("responseStatus") == "declined"
        for a in event.get("attendees", [])
    )
