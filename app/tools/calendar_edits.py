"""What calendar tools send to Google: event times (timed or all-day), guests, recurrence, Meet links."""

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.mcpserver.exceptions import ToolError

from app.tools.format import when
from app.tools.times import is_date, parse_day, parse_when, parse_zone, refuse_guessed_zone
from app.upstream.gmail_compose import parse_address
from app.workspace.calendar import Event

RECURRENCE_PREFIXES = ("RRULE:", "EXDATE:", "RDATE:")


def recurrence_lines(lines: list[str]) -> list[str]:
    cleaned = [line.strip() for line in lines if line.strip()]
    for line in cleaned:
        if not line.upper().startswith(RECURRENCE_PREFIXES):
            raise ToolError(
                f'{line!r} is not a recurrence line: use e.g. "RRULE:FREQ=WEEKLY;BYDAY=MO" (or EXDATE:/RDATE: lines).'
            )
    return cleaned


def guest_entry(value: str) -> dict[str, Any]:
    address = parse_address(value)
    entry: dict[str, Any] = {"email": address.addr_spec}
    if address.display_name:
        entry["displayName"] = address.display_name
    return entry


def meet_request() -> dict[str, Any]:
    return {"createRequest": {"requestId": uuid.uuid4().hex, "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


def timed_span(begin: datetime, finish: datetime, zone_name: str) -> dict[str, Any]:
    if finish <= begin:
        zone = ZoneInfo(zone_name)
        raise ToolError(f"The end ({when(finish, zone)}) must be after the start ({when(begin, zone)}).")
    return {
        "start": {"dateTime": begin.isoformat(), "timeZone": zone_name},
        "end": {"dateTime": finish.isoformat(), "timeZone": zone_name},
    }


def all_day_span(first: date, after_last: date) -> dict[str, Any]:
    """Whole days from `first` up to `after_last` (Google's exclusive end)."""
    if after_last <= first:
        last = after_last - timedelta(days=1)
        raise ToolError(f"The last day ({last}) is before the first day ({first}); the end date is inclusive.")
    return {"start": {"date": first.isoformat()}, "end": {"date": after_last.isoformat()}}


def zone_of(event: Event, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(event.start.time_zone) if event.start.time_zone else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def new_times(
    current: Event, start: str | None, end: str | None, time_zone: str | None, zone: ZoneInfo
) -> dict[str, Any]:
    """New `start`/`end` for an update; a start alone moves the event and keeps its length."""
    times = _times_for_update(current, start, end, time_zone, zone)
    if ("date" in times["start"]) != current.start.all_day:
        # Switching between all-day and timed: PATCH merges, so clear the other kind explicitly.
        cleared = {"dateTime": None} if "date" in times["start"] else {"date": None}
        times = {key: value | cleared for key, value in times.items()}
    return times


def _times_for_update(
    current: Event, start: str | None, end: str | None, time_zone: str | None, zone: ZoneInfo
) -> dict[str, Any]:
    if start and end and is_date(start) != is_date(end):
        raise ToolError("Give start and end both as dates (all-day) or both as times.")
    all_day = is_date(start) if start else is_date(end or "")
    if all_day:
        first = parse_day(start) if start else current.start.date
        if first is None:
            raise ToolError("This event has times, not dates: give start too to make it all-day.")
        if end:
            return all_day_span(first, parse_day(end) + timedelta(days=1))
        old = current.start.date, current.end.date
        length = old[1] - old[0] if current.start.all_day and old[0] and old[1] else timedelta(days=1)
        return all_day_span(first, first + length)
    event_zone = parse_zone(time_zone) if time_zone else zone_of(current, zone)
    refuse_guessed_zone(event_zone, start, end)
    old_start, old_end = current.start.date_time, current.end.date_time
    begin = parse_when(start, event_zone) if start else old_start
    finish = parse_when(end, event_zone) if end else None
    if finish is None and begin is not None and old_start is not None and old_end is not None:
        finish = begin + (old_end - old_start)
    if begin is None or finish is None:
        raise ToolError("This is an all-day event: give both start and end times to give it times.")
    return timed_span(begin, finish, event_zone.key)


def unique_addresses(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return list(seen.values())
