"""Small helpers shared by the seed modules: seeded randomness, id shapes, time arithmetic.

All randomness comes from `random.Random` instances derived from the seed, one stream per part of
the world, so adding content to one part (say, mail) does not reshuffle another (say, Fathom keys).
"""

from __future__ import annotations

import random
import string
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_BASE62 = string.ascii_letters + string.digits


def sub_rng(seed: int, part: str) -> random.Random:
    """A random stream for one part of the world; str seeds are hashed stably by `random`."""
    return random.Random(f"switchboard-sandbox:{seed}:{part}")


def hex_token(rng: random.Random, length: int) -> str:
    """Lowercase hex of the given length."""
    return f"{rng.getrandbits(length * 4):0{length}x}"


def base32hex_id(rng: random.Random, length: int = 26) -> str:
    """A Calendar-style event id: lowercase base32hex."""
    return "".join(rng.choice(_BASE32HEX) for _ in range(length))


def base62_token(rng: random.Random, length: int) -> str:
    """Letters and digits, like most opaque tokens."""
    return "".join(rng.choice(_BASE62) for _ in range(length))


def digits(rng: random.Random, length: int) -> str:
    """A numeric string that does not start with zero."""
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))


def iso_z(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z suffix, whole seconds (Fathom's shape)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms_z(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds (Calendar's created/updated shape)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def rfc3339_local(moment: datetime, time_zone: str) -> str:
    """RFC 3339 with the offset of `time_zone` at that moment; Google writes a zero offset as Z."""
    text = moment.astimezone(ZoneInfo(time_zone)).isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def local_date(moment: datetime, time_zone: str) -> date:
    """The calendar date of `moment` on the wall clock of `time_zone`."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def at_local(day: date, hour: int, minute: int, time_zone: str) -> datetime:
    """The UTC instant of a wall-clock time in a zone."""
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(time_zone))
    return wall.astimezone(UTC)


def business_day(start: date, offset: int) -> date:
    """The business day `offset` weekdays from `start` (0: `start` itself, moved forward off a weekend)."""
    day = start
    while day.weekday() >= 5:
        day += timedelta(days=1)
    step = 1 if offset >= 0 else -1
    remaining = abs(offset)
    while remaining:
        day += timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def working_time(
    rng: random.Random, anchor: datetime, min_hours_ago: float, max_hours_ago: float, time_zone: str
) -> datetime:
    """A whole-second moment `min_hours_ago`..`max_hours_ago` before `anchor`, preferably 8:00-19:00 local.

    Tries a few candidates and falls back to any moment in the window, so narrow windows still work.
    """
    zone = ZoneInfo(time_zone)
    candidate = anchor
    for _ in range(12):
        seconds = rng.randint(int(min_hours_ago * 3600), int(max_hours_ago * 3600))
        candidate = anchor - timedelta(seconds=seconds)
        local = candidate.astimezone(zone)
        if local.weekday() < 5 and 8 <= local.hour < 19:
            break
    return candidate


def working_before(moment: datetime, time_zone: str, rng: random.Random) -> datetime:
    """`moment`, or an earlier weekday working-hours moment if it falls at night or on a weekend."""
    local = moment.astimezone(ZoneInfo(time_zone))
    for _ in range(4):
        if local.weekday() < 5 and 8 <= local.hour < 19:
            break
        if local.weekday() < 5 and local.hour >= 19:
            local = local.replace(hour=rng.randint(16, 18), minute=rng.randint(0, 59))
        else:
            local = (local - timedelta(days=1)).replace(hour=rng.randint(15, 18), minute=rng.randint(0, 59))
    return local.astimezone(UTC)
