"""RFC 5545 recurrence for the sandbox calendar, expanded by `dateutil.rrule`.

An event's `recurrence` lines are RRULE, EXDATE and RDATE, as Google Calendar takes them. Rules are
expanded on the wall clock of the event's own time zone, so a 09:00 meeting stays at 09:00 across a
DST change (a wall time that a change skips resolves with the offset before the gap, as RFC 5545
asks). Two liberties Google takes are kept: a date-only UNTIL on a timed series ends after that whole
local day, and DTSTART is always the first instance even when the rule would not produce it.
Anything unparseable raises `RecurrenceError` rather than mis-expanding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

_STAMP = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
_UNTIL = re.compile(r"(?<![A-Z])UNTIL=([0-9TZ]+)")
_END_OF_DAY = time(23, 59, 59)

Start = datetime | date


class RecurrenceError(ValueError):
    """A recurrence line the sandbox cannot parse."""


@dataclass(frozen=True)
class Recurrence:
    """A parsed `recurrence` list: rule texts (checked to parse) plus explicit extra and excluded starts."""

    rules: tuple[str, ...]
    rdates: tuple[Start, ...]
    exdates: tuple[Start, ...]


def parse_recurrence(lines: list[str], zone: ZoneInfo) -> Recurrence:
    """Parse an event's `recurrence` lines; floating times are read in `zone`."""
    rules: list[str] = []
    rdates: list[Start] = []
    exdates: list[Start] = []
    for line in lines:
        name, _, value = line.partition(":")
        head, *params = name.split(";")
        head = head.upper()
        if head == "RRULE":
            rule = value.upper()
            _rule(rule, datetime(2000, 1, 1, 9, tzinfo=zone), zone)  # refuse what would not expand
            rules.append(rule)
        elif head in ("EXDATE", "RDATE"):
            tzid = next((p[5:] for p in params if p.upper().startswith("TZID=")), None)
            stamp_zone = _zone(tzid) if tzid else zone
            stamps = [_parse_stamp(v, stamp_zone) for v in value.split(",") if v]
            (exdates if head == "EXDATE" else rdates).extend(stamps)
        else:
            raise RecurrenceError(f"unsupported recurrence line {head!r}")
    if not rules and not rdates:
        raise RecurrenceError("no RRULE or RDATE")
    return Recurrence(tuple(rules), tuple(rdates), tuple(exdates))


def occurrences(recurrence: Recurrence, dtstart: Start, zone: ZoneInfo, before: datetime) -> list[Start]:
    """Every start of the series (aware datetimes, or dates for all-day) earlier than `before`, sorted."""
    timed = isinstance(dtstart, datetime)
    # All-day series expand as naive midnights; timed ones as aware wall-clock times in the event's zone.
    first = dtstart.astimezone(zone) if isinstance(dtstart, datetime) else _midnight(dtstart)
    series = rruleset()
    for text in recurrence.rules:
        series.rrule(_rule(text, first, zone))
    series.rdate(first)
    for extra in recurrence.rdates:
        series.rdate(_like(extra, first, zone))
    for excluded in recurrence.exdates:
        series.exdate(_like(excluded, first, zone))
    limit = before if timed else before.astimezone(zone).replace(tzinfo=None)
    found: list[Start] = []
    for start in series:
        if start >= limit:
            break
        found.append(start if timed else start.date())
    return found


def _rule(text: str, first: datetime, zone: ZoneInfo) -> rrule:
    """One RRULE, with UNTIL made the same kind as DTSTART so dateutil compares like with like."""

    def until(match: re.Match[str]) -> str:
        stamp = _parse_stamp(match.group(1), zone)
        if isinstance(stamp, datetime):
            moment = stamp
        else:  # a date: through the end of that local day
            moment = datetime.combine(stamp, _END_OF_DAY, zone)
        if first.tzinfo is None:
            return f"UNTIL={moment.astimezone(zone):%Y%m%dT%H%M%S}"
        return f"UNTIL={moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"

    try:
        parsed = rrulestr(_UNTIL.sub(until, text), dtstart=first)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(f"bad RRULE {text!r}: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise RecurrenceError(f"bad RRULE {text!r}")
    return parsed


def _like(stamp: Start, first: datetime, zone: ZoneInfo) -> datetime:
    """An EXDATE/RDATE value made the same kind as DTSTART so they compare."""
    if first.tzinfo is None:  # an all-day series
        return _midnight(stamp.astimezone(zone).date() if isinstance(stamp, datetime) else stamp)
    if isinstance(stamp, datetime):
        return stamp
    return datetime.combine(stamp, first.timetz())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def _parse_stamp(value: str, zone: tzinfo) -> Start:
    match = _STAMP.match(value.strip())
    if match is None:
        raise RecurrenceError(f"bad date-time {value!r}")
    day, clock, utc = match.groups()
    try:
        parsed_day = datetime.strptime(day, "%Y%m%d").date()
        if clock is None:
            return parsed_day
        local = datetime.combine(parsed_day, datetime.strptime(clock, "%H%M%S").time())
    except ValueError as exc:
        raise RecurrenceError(f"bad date-time {value!r}") from exc
    return local.replace(tzinfo=UTC if utc else zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise RecurrenceError(f"unknown TZID {name!r}") from exc
