"""Free-slot search: the pure computation behind `calendar_find_free_time`."""

import math
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError

from app.tools.times import at_local

Interval = tuple[datetime, datetime]
WORKING_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_working_hours(value: str) -> tuple[time, time]:
    """`"09:00-17:00"` as (opening, closing); ToolError with an example otherwise."""
    match = WORKING_HOURS.match(value)
    if match:
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        if h1 < 24 and (h2 < 24 or (h2, m2) == (24, 0)) and m1 < 60 and m2 < 60 and (h1, m1) < (h2, m2):
            closing = time(23, 59, 59) if h2 == 24 else time(h2, m2)
            return time(h1, m1), closing
    raise ToolError(f'{value!r} is not a range of working hours: write it like "09:00-17:00".')


def round_up(moment: datetime, step: timedelta) -> datetime:
    """`moment` rounded up to the next multiple of `step` (counted from midnight UTC)."""
    seconds = step.total_seconds()
    stamp = moment.timestamp()
    return datetime.fromtimestamp(math.ceil(stamp / seconds) * seconds, moment.tzinfo)


def free_slots(
    busy: Sequence[Interval],
    window_start: datetime,
    window_end: datetime,
    duration: timedelta,
    zone: ZoneInfo,
    hours: tuple[time, time] = (time(9), time(17)),
    step: timedelta = timedelta(minutes=30),
) -> list[Interval]:
    """Every slot of `duration` inside working hours on weekdays (wall clock in `zone`) that overlaps no busy interval.

    Candidates start at the later of the window start and the day's opening and advance by `step`.
    """
    slots: list[Interval] = []
    day: date = window_start.astimezone(zone).date()
    last: date = window_end.astimezone(zone).date()
    ordered = sorted(busy)
    while day <= last:
        if day.weekday() < 5:
            opening, closing = at_local(day, hours[0], zone), at_local(day, hours[1], zone)
            cursor = max(opening, window_start)
            finish = min(closing, window_end)
            while cursor + duration <= finish:
                end = cursor + duration
                if not any(start < end and cursor < stop for start, stop in ordered):
                    slots.append((cursor, end))
                cursor += step
        day += timedelta(days=1)
    return slots


def working_days_end(start: datetime, zone: ZoneInfo, hours: tuple[time, time], days: int = 5) -> datetime:
    """The closing time of the `days`-th working day from `start` (today counts while it has working time left)."""
    local = start.astimezone(zone)
    current = local.date()
    if local.weekday() >= 5 or local.time() >= hours[1]:
        current += timedelta(days=1)
    counted = 0
    while True:
        if current.weekday() < 5:
            counted += 1
            if counted == days:
                return at_local(current, hours[1], zone)
        current += timedelta(days=1)


def spread(slots: Sequence[Interval], zone: ZoneInfo, limit: int = 10) -> list[Interval]:
    """Up to `limit` slots shared out over the days that have any, each day's spread from morning to evening."""
    by_day: dict[date, list[Interval]] = {}
    for slot in slots:
        by_day.setdefault(slot[0].astimezone(zone).date(), []).append(slot)
    days = sorted(by_day)[:limit]
    chosen: list[Interval] = []
    for index, found_day in enumerate(days):
        share = limit // len(days) + (1 if index < limit % len(days) else 0)
        chosen += _evenly(by_day[found_day], share)
    return sorted(chosen)


def _evenly(items: Sequence[Interval], count: int) -> list[Interval]:
    """`count` items from first to last at even steps (all of them when there are no more)."""
    if count >= len(items):
        return list(items)
    if count == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (count - 1))] for i in range(count)]
