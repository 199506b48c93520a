"""Reading the times and dates a model writes: RFC 3339 (with or without offset) and plain dates."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.mcpserver.exceptions import ToolError

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_EXAMPLE = '"2026-11-24 09:30" (in the time zone), "2026-11-24T09:30:00-05:00" or "2026-11-24"'
# The weekday answers print after a time ("2026-11-24 09:30 (Tue)"): accepted back and ignored.
WEEKDAY = re.compile(r"\s*\(?(mon|tue|wed|thu|fri|sat|sun)[a-z]*\)?$", re.IGNORECASE)


class GuessedZone(ZoneInfo):
    """A zone used because the person's own could not be read; answers say so (`zone_label`)."""

    why: str


def guessed_zone(key: str, why: str) -> GuessedZone:
    """`key` as a stand-in for the person's zone, for one call, with the reason answers give."""
    zone = GuessedZone.no_cache(key)  # its own instance: the reason belongs to this call only
    zone.why = why
    return zone


def zone_label(zone: ZoneInfo) -> str:
    """The zone as answers name it ("times in …"): its name, and when it is a guess, why."""
    return f"{zone.key} — {zone.why}" if isinstance(zone, GuessedZone) else zone.key


def times_in(zone: ZoneInfo) -> str:
    """` (times in America/New_York)` after the times of an answer that names no zone elsewhere; a guess says why."""
    return f" (times in {zone_label(zone)})"


def refuse_guessed_zone(zone: ZoneInfo, *values: str | None) -> None:
    """Refuse to place wall-clock times without an offset in a zone that is only a guess."""
    if not isinstance(zone, GuessedZone):
        return
    for value in values:
        if value and not is_date(value) and _has_no_offset(value):
            raise ToolError(
                f"{value!r} has no UTC offset and {zone.why}, so its time is unknown. Give an offset "
                '(e.g. "2026-11-24T09:30:00-05:00") or time_zone (e.g. "America/New_York").'
            )


def _has_no_offset(value: str) -> bool:
    try:
        return datetime.fromisoformat(WEEKDAY.sub("", value.strip()).replace("z", "Z")).tzinfo is None
    except ValueError:
        return False  # not a time at all: parse_when says so


def is_date(value: str) -> bool:
    return bool(DATE.match(WEEKDAY.sub("", value.strip())))


def parse_day(value: str) -> date:
    """A `YYYY-MM-DD` date; ToolError with an example otherwise."""
    text = WEEKDAY.sub("", value.strip())
    if DATE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise ToolError(f'{value!r} is not a date: write it as YYYY-MM-DD, e.g. "2026-11-24".')


def parse_zone(name: str) -> ZoneInfo:
    """An IANA time zone; ToolError with an example otherwise."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolError(f'{name!r} is not a time zone: use an IANA name such as "America/New_York".') from None


def at_local(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`day` at wall-clock `clock` in `zone` (a time skipped by a DST change lands just after it)."""
    moment = datetime.combine(day, clock, zone)
    return moment.astimezone(ZoneInfo("UTC")).astimezone(zone)


def parse_when(value: str, zone: ZoneInfo, end_of_day: bool = False) -> datetime:
    """An aware datetime from RFC 3339 (offset optional: then it is in `zone`) or a date.

    A date means the start of that day in `zone`, or with `end_of_day` its end (the next midnight),
    so that a range "2026-11-24 to 2026-11-24" covers the whole day.
    """
    text = WEEKDAY.sub("", value.strip())
    if is_date(text):
        day = parse_day(text)
        return at_local(day + timedelta(days=1) if end_of_day else day, time(0), zone)
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ToolError(f"{value!r} is not a time. Examples: {TIME_EXAMPLE}.") from None
    if moment.tzinfo is not None:
        return moment
    local = moment.replace(tzinfo=zone)
    if local.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None) != moment:
        raise ToolError(f"{value} does not exist in {zone.key} (the clocks skip it for daylight saving).")
    return local
