"""Time handling shared by the sandbox calendar modules: RFC 3339 in and out, IANA zones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)
_LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$")


def parse_rfc3339(value: str) -> datetime | None:
    """An aware datetime from an RFC 3339 timestamp with a mandatory offset, else None."""
    if not _RFC3339.match(value):
        return None
    try:
        return datetime.fromisoformat(_trim_fraction(value.upper()))
    except ValueError:
        return None


def parse_local(value: str) -> datetime | None:
    """A naive datetime from an RFC 3339 timestamp that lacks an offset, else None."""
    if not _LOCAL.match(value):
        return None
    try:
        return datetime.fromisoformat(_trim_fraction(value))
    except ValueError:
        return None


def _trim_fraction(value: str) -> str:
    # Python parses at most microseconds; Google accepts nanoseconds.
    return re.sub(r"(\.\d{6})\d+", r"\1", value)


def zone_or_none(name: object) -> ZoneInfo | None:
    """The named IANA zone, or None when the name is not one."""
    if not isinstance(name, str) or not name or name.startswith(("/", ".")):
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        return None


def format_time(moment: datetime, zone: ZoneInfo) -> str:
    """RFC 3339 in `zone` as Google writes it: seconds precision, `Z` for a zero offset."""
    local = moment.astimezone(zone)
    if local.utcoffset() == timedelta(0):
        return local.strftime("%Y-%m-%dT%H:%M:%SZ")
    return local.isoformat(timespec="seconds")


def format_stamp(moment: datetime) -> str:
    """A server timestamp (`created`, `updated`, freeBusy bounds): UTC with milliseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def time_value(when: dict[str, Any], zone: ZoneInfo) -> datetime:
    """An event time as an instant; all-day dates are midnight in `zone` (the calendar's)."""
    if "date" in when:
        return datetime.combine(date.fromisoformat(when["date"]), datetime.min.time(), zone)
    parsed = parse_rfc3339(when["dateTime"])
    if parsed is None:
        raise ValueError(f"stored dateTime without offset: {when['dateTime']!r}")
    return parsed
