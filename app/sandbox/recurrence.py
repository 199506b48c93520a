"""RFC 5545 recurrence expansion for the sandbox calendar: the subset Google Calendar clients send.

Supported: RRULE with FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, COUNT, UNTIL, BYDAY (weekly days,
monthly ordinals such as 2TU or -1FR, a filter for daily), BYMONTHDAY (monthly), WKST; plus EXDATE and
RDATE lines. Rules are expanded on the wall clock of the event's own time zone, so a 09:00 meeting
stays at 09:00 across a DST change. Anything else raises `RecurrenceError` rather than mis-expanding.
"""

from __future__ import annotations

import calendar as stdcal
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_STAMP = re.compile(r"^(\d{8})(?:T(\d{6})(Z?))?$")
# A hard stop so a pathological rule cannot spin: ~27 years of daily periods.
_MAX_PERIODS = 10_000

Start = datetime | date


class RecurrenceError(ValueError):
    """A recurrence line the sandbox cannot parse or does not support."""


@dataclass(frozen=True)
class Rule:
    """One parsed RRULE."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: Start | None = None
    by_day: tuple[tuple[int, int], ...] = ()  # (ordinal or 0, weekday Monday=0)
    by_month_day: tuple[int, ...] = ()
    week_start: int = 0


@dataclass(frozen=True)
class Recurrence:
    """A parsed `recurrence` list: rules plus explicit extra and excluded starts."""

    rules: tuple[Rule, ...]
    rdates: tuple[Start, ...]
    exdates: tuple[Start, ...]


def parse_recurrence(lines: list[str], zone: ZoneInfo) -> Recurrence:
    """Parse an event's `recurrence` lines; floating times are read in `zone`."""
    rules: list[Rule] = []
    rdates: list[Start] = []
    exdates: list[Start] = []
    for line in lines:
        name, _, value = line.partition(":")
        head, *params = name.split(";")
        head = head.upper()
        if head == "RRULE":
            rules.append(_parse_rule(value, zone))
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
    starts: set[Start] = {dtstart}
    for rule in recurrence.rules:
        for start in _expand(rule, dtstart, zone):
            if _instant(start, zone) >= before:
                break
            starts.add(start)
    starts.update(_coerce(r, dtstart, zone) for r in recurrence.rdates)
    excluded = {_instant(_coerce(x, dtstart, zone), zone) for x in recurrence.exdates}
    kept = [s for s in starts if _instant(s, zone) < before and _instant(s, zone) not in excluded]
    return sorted(kept, key=lambda s: _instant(s, zone))


def _parse_rule(value: str, zone: ZoneInfo) -> Rule:
    parts: dict[str, str] = {}
    for item in value.upper().split(";"):
        key, sep, val = item.partition("=")
        if not sep or not val:
            raise RecurrenceError(f"malformed RRULE part {item!r}")
        parts[key] = val
    freq = parts.pop("FREQ", "")
    if freq not in _FREQS:
        raise RecurrenceError(f"unsupported FREQ {freq!r}")
    try:
        interval = int(parts.pop("INTERVAL", "1"))
        count = int(parts.pop("COUNT")) if "COUNT" in parts else None
        by_month_day = tuple(int(d) for d in parts.pop("BYMONTHDAY", "").split(",") if d)
    except ValueError as exc:
        raise RecurrenceError("non-integer RRULE value") from exc
    if interval < 1 or (count is not None and count < 1) or any(not 1 <= abs(d) <= 31 for d in by_month_day):
        raise RecurrenceError("RRULE value out of range")
    until = _parse_stamp(parts.pop("UNTIL"), zone) if "UNTIL" in parts else None
    by_day = tuple(_parse_by_day(d, freq) for d in parts.pop("BYDAY").split(",")) if "BYDAY" in parts else ()
    week_start = _WEEKDAYS.get(parts.pop("WKST", "MO"), -1)
    if week_start < 0 or parts:
        raise RecurrenceError(f"unsupported RRULE parts {sorted(parts)}")
    if (by_month_day and freq != "MONTHLY") or (by_day and freq == "YEARLY"):
        raise RecurrenceError("BYMONTHDAY/BYDAY are not supported with this FREQ")
    return Rule(freq, interval, count, until, by_day, by_month_day, week_start)


def _parse_by_day(value: str, freq: str) -> tuple[int, int]:
    match = _BYDAY.match(value)
    if match is None:
        raise RecurrenceError(f"bad BYDAY {value!r}")
    ordinal = int(match.group(1) or 0)
    if ordinal and (freq != "MONTHLY" or not 1 <= abs(ordinal) <= 5):
        raise RecurrenceError(f"unsupported BYDAY ordinal {value!r}")
    return ordinal, _WEEKDAYS[match.group(2)]


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


def _instant(start: Start, zone: ZoneInfo) -> datetime:
    """A start as an absolute instant; all-day starts are midnight in `zone`."""
    if isinstance(start, datetime):
        return start
    return datetime.combine(start, time(), zone)


def _coerce(stamp: Start, dtstart: Start, zone: ZoneInfo) -> Start:
    """Make an EXDATE/RDATE value the same kind as DTSTART so they compare."""
    if isinstance(dtstart, datetime):
        if isinstance(stamp, datetime):
            return stamp
        return datetime.combine(stamp, dtstart.astimezone(zone).time(), zone)
    return stamp.astimezone(zone).date() if isinstance(stamp, datetime) else stamp


def _expand(rule: Rule, dtstart: Start, zone: ZoneInfo) -> Iterator[Start]:
    """The rule's starts in order, honouring COUNT and UNTIL (DTSTART counts as the first)."""
    clock: time | None = None
    first_day: date = dtstart
    if isinstance(dtstart, datetime):
        local = dtstart.astimezone(zone)
        first_day, clock = local.date(), local.time()
    produced = 0
    for day in _days(rule, first_day):
        if day < first_day:
            continue
        # fold=0: a wall time in a DST gap or overlap resolves as RFC 5545 asks
        start: Start = datetime.combine(day, clock, zone) if clock is not None else day
        if rule.until is not None and _after_until(start, rule.until, zone):
            return
        yield start
        produced += 1
        if rule.count is not None and produced >= rule.count:
            return


def _after_until(start: Start, until: Start, zone: ZoneInfo) -> bool:
    if isinstance(until, datetime):
        return _instant(start, zone) > until
    local_day = start.astimezone(zone).date() if isinstance(start, datetime) else start
    return local_day > until


def _days(rule: Rule, first: date) -> Iterator[date]:
    """Candidate days period by period, each period's days sorted."""
    for period in range(_MAX_PERIODS):
        step = period * rule.interval
        if rule.freq == "DAILY":
            day = first + timedelta(days=step)
            if not rule.by_day or day.weekday() in {wd for _, wd in rule.by_day}:
                yield day
        elif rule.freq == "WEEKLY":
            week = first - timedelta(days=(first.weekday() - rule.week_start) % 7) + timedelta(weeks=step)
            weekdays = {wd for _, wd in rule.by_day} or {first.weekday()}
            yield from sorted(week + timedelta(days=(wd - rule.week_start) % 7) for wd in weekdays)
        elif rule.freq == "MONTHLY":
            months = first.year * 12 + first.month - 1 + step
            if months // 12 > 9999:
                return
            yield from _month_days(rule, months // 12, months % 12 + 1, first)
        else:
            year = first.year + step
            if year > 9999:
                return
            if first.month != 2 or first.day != 29 or stdcal.isleap(year):
                yield date(year, first.month, first.day)


def _month_days(rule: Rule, year: int, month: int, first: date) -> list[date]:
    length = stdcal.monthrange(year, month)[1]
    days: set[int] = set()
    for ordinal, weekday in rule.by_day:
        matching = [d for d in range(1, length + 1) if date(year, month, d).weekday() == weekday]
        if ordinal == 0:
            days.update(matching)
        elif abs(ordinal) <= len(matching):
            days.add(matching[ordinal - 1] if ordinal > 0 else matching[ordinal])
    for day in rule.by_month_day:
        resolved = day if day > 0 else length + 1 + day
        if 1 <= resolved <= length:
            days.add(resolved)
    if not rule.by_day and not rule.by_month_day and first.day <= length:
        days.add(first.day)
    return [date(year, month, d) for d in sorted(days)]
