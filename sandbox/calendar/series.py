"""Recurring events in the sandbox calendar: instances of a master, their ids, and finding one by id.

An instance id is `{masterId}_{YYYYMMDDTHHMMSSZ}` (the original start in UTC) or `{masterId}_{YYYYMMDD}`
for all-day series, as Google forms them. A modified or cancelled instance is stored in
`Calendar.events` under its instance id (an "exception") and then replaces the generated one.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.calendar.events import event_zone, html_link, ordered
from sandbox.calendar.recurrence import RecurrenceError, Start, occurrences, parse_recurrence
from sandbox.calendar.times import format_time, time_value
from sandbox.world import Calendar

# Never expand further than this past the start of the window (or the series).
EXPANSION_LIMIT = timedelta(days=731)


def is_master(event: dict[str, Any]) -> bool:
    """A recurring event's master (not one of its instances)."""
    return bool(event.get("recurrence")) and "recurringEventId" not in event


def instance_id(master_id: str, start: Start) -> str:
    """Google's id for the instance of `master_id` originally starting at `start`."""
    if isinstance(start, datetime):
        return f"{master_id}_{start.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    return f"{master_id}_{start.strftime('%Y%m%d')}"


def instances(
    master: dict[str, Any], calendar: Calendar, lower: datetime | None, upper: datetime
) -> list[dict[str, Any]]:
    """The master's instances that end after `lower` and start before `upper`, in order."""
    zone = event_zone(master, calendar)
    cal_zone = ZoneInfo(calendar.time_zone)
    first = time_value(master["start"], cal_zone)
    # Bound the work: at most EXPANSION_LIMIT past the later of the window start and the series start.
    upper = min(upper, max(lower or first, first) + EXPANSION_LIMIT)
    try:
        recurrence = parse_recurrence(list(master["recurrence"]), zone)
    except RecurrenceError:
        return []  # seeded data the sandbox cannot expand: show nothing rather than guess
    length = time_value(master["end"], cal_zone) - first
    found: list[dict[str, Any]] = []
    for start in occurrences(recurrence, _dtstart(master, cal_zone), zone, upper):
        if lower is None or _end_instant(start, length, cal_zone) > lower:
            found.append(make_instance(master, calendar, start, length))
    return found


def _end_instant(start: Start, length: timedelta, cal_zone: ZoneInfo) -> datetime:
    if isinstance(start, datetime):
        return start + length
    # all-day: whole days on the calendar's wall clock, whatever DST does in between
    return datetime.combine(start + timedelta(days=round(length.total_seconds() / 86400)), time(), cal_zone)


def find_instance(calendar: Calendar, event_id: str) -> dict[str, Any] | None:
    """The generated instance `event_id` names, if its master is here and the series has it."""
    master_id, sep, stamp = event_id.rpartition("_")
    master = calendar.events.get(master_id) if sep else None
    if master is None or not is_master(master):
        return None
    original = _parse_stamp(stamp)
    if original is None:
        return None
    cal_zone = ZoneInfo(calendar.time_zone)
    moment = original if isinstance(original, datetime) else datetime.combine(original, datetime.min.time(), cal_zone)
    window = (moment - timedelta(seconds=1), moment + timedelta(days=1))
    for instance in instances(master, calendar, window[0], window[1]):
        if instance["id"] == event_id:
            return instance
    return None


def make_instance(master: dict[str, Any], calendar: Calendar, start: Start, length: timedelta) -> dict[str, Any]:
    """One generated instance of `master`: its own id, times and a pointer to the series."""
    instance = copy.deepcopy(master)
    del instance["recurrence"]
    instance["id"] = instance_id(master["id"], start)
    instance["htmlLink"] = html_link(instance["id"], calendar.id)
    if isinstance(start, datetime):
        zone = event_zone(master, calendar)
        begin: dict[str, Any] = {"dateTime": format_time(start, zone)}
        finish: dict[str, Any] = {"dateTime": format_time(start + length, zone)}
        for when, source in ((begin, master["start"]), (finish, master["end"])):
            if "timeZone" in source:
                when["timeZone"] = source["timeZone"]
    else:
        days = (date.fromisoformat(master["end"]["date"]) - date.fromisoformat(master["start"]["date"])).days
        begin = {"date": start.isoformat()}
        finish = {"date": (start + timedelta(days=days)).isoformat()}
    instance["start"], instance["end"] = begin, finish
    instance["recurringEventId"] = master["id"]
    instance["originalStartTime"] = dict(begin)
    return ordered(instance)


def _dtstart(master: dict[str, Any], cal_zone: ZoneInfo) -> Start:
    if "date" in master["start"]:
        return date.fromisoformat(master["start"]["date"])
    return time_value(master["start"], cal_zone)


def _parse_stamp(stamp: str) -> Start | None:
    try:
        if len(stamp) == 8:
            return datetime.strptime(stamp, "%Y%m%d").date()
        if len(stamp) == 16 and stamp.endswith("Z"):
            return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return None
