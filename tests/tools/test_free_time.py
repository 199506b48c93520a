"""The pure time helpers behind the calendar tools: free-slot search and reading times and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from app.tools.free_time import free_slots, parse_working_hours, round_up, spread, working_days_end
from app.tools.times import parse_day, parse_when

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
HALF_HOUR = timedelta(minutes=30)


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = NY) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


def starts(slots: list[tuple[datetime, datetime]], zone: ZoneInfo = NY) -> list[str]:
    return [f"{s.astimezone(zone):%a %H:%M}" for s, _e in slots]


def test_slots_step_through_working_hours_and_skip_busy_time() -> None:
    monday = date(2026, 11, 30)
    busy = [(at(monday, 10), at(monday, 11, 15)), (at(monday, 12), at(monday, 12, 15))]
    slots = free_slots(busy, at(monday, 0), at(monday, 23), HALF_HOUR, NY, (time(9), time(13)))
    assert starts(slots) == ["Mon 09:00", "Mon 09:30", "Mon 11:30", "Mon 12:30"]
    assert all(end - start == HALF_HOUR for start, end in slots)


def test_the_first_candidate_is_the_window_start_when_it_falls_inside_the_day() -> None:
    monday = date(2026, 11, 30)
    slots = free_slots([], at(monday, 15, 45), at(monday, 23), timedelta(minutes=45), NY)
    assert starts(slots) == ["Mon 15:45", "Mon 16:15"]


def test_weekends_are_skipped() -> None:
    friday = date(2026, 11, 27)
    slots = free_slots([], at(friday, 16), at(friday + timedelta(days=3), 10), HALF_HOUR, NY)
    assert starts(slots) == ["Fri 16:00", "Fri 16:30", "Mon 09:00", "Mon 09:30"]


def test_an_all_day_busy_block_takes_the_whole_day_even_from_another_zone() -> None:
    tuesday = date(2026, 12, 1)
    own_day = (at(tuesday, 0), at(tuesday + timedelta(days=1), 0))
    slots = free_slots([own_day], at(tuesday, 0), at(tuesday + timedelta(days=1), 10), HALF_HOUR, NY)
    assert starts(slots) == ["Wed 09:00", "Wed 09:30"]
    # A colleague's all-day block in London runs 19:00 to 19:00 New York time.
    london_day = (at(tuesday, 0, zone=LONDON), at(tuesday + timedelta(days=1), 0, zone=LONDON))
    slots = free_slots([london_day], at(tuesday, 0), at(tuesday, 23), HALF_HOUR, NY, (time(16), time(20)))
    assert starts(slots) == ["Tue 19:00", "Tue 19:30"]


def test_working_hours_follow_the_wall_clock_across_a_dst_change() -> None:
    friday, monday = date(2026, 10, 30), date(2026, 11, 2)  # New York leaves DST on Sunday 1 November
    slots = free_slots([], at(friday, 16, 30), at(monday, 9, 30), HALF_HOUR, NY)
    assert starts(slots) == ["Fri 16:30", "Mon 09:00"]
    assert [s.astimezone(UTC).hour for s, _e in slots] == [20, 14]
    assert [s.astimezone(NY).utcoffset() for s, _e in slots] == [timedelta(hours=-4), timedelta(hours=-5)]


def test_spring_forward_in_london_keeps_nine_oclock_local() -> None:
    friday, monday = date(2026, 3, 27), date(2026, 3, 30)
    slots = free_slots(
        [], at(friday, 9, zone=LONDON), at(monday, 10, zone=LONDON), HALF_HOUR, LONDON, (time(9), time(10))
    )
    assert starts(slots, LONDON) == ["Fri 09:00", "Fri 09:30", "Mon 09:00", "Mon 09:30"]
    assert [s.astimezone(UTC).hour for s, _e in slots] == [9, 9, 8, 8]


def test_spread_shares_the_limit_across_days() -> None:
    monday = date(2026, 11, 30)
    slots = free_slots([], at(monday, 0), at(monday + timedelta(days=4), 23), HALF_HOUR, NY)
    assert len(slots) == 5 * 16
    shown = spread(slots, NY, 10)
    # Two a day, one at each end of the working day, rather than the first two mornings' slots.
    assert starts(shown) == [f"{d} {h}" for d in ("Mon", "Tue", "Wed", "Thu", "Fri") for h in ("09:00", "16:30")]
    assert starts(spread(slots, NY, 7)) == [
        "Mon 09:00", "Mon 16:30", "Tue 09:00", "Tue 16:30", "Wed 09:00", "Thu 09:00", "Fri 09:00"
    ]  # fmt: skip
    assert starts(spread(slots, NY, 15))[:3] == ["Mon 09:00", "Mon 13:00", "Mon 16:30"]
    assert spread([], NY) == []


@pytest.mark.parametrize(
    ("now", "last_day"),
    [
        (datetime(2026, 11, 29, 10, 0, tzinfo=NY), date(2026, 12, 4)),  # Sunday: Monday to Friday
        (datetime(2026, 11, 30, 8, 0, tzinfo=NY), date(2026, 12, 4)),  # Monday morning counts Monday
        (datetime(2026, 11, 30, 17, 30, tzinfo=NY), date(2026, 12, 7)),  # Monday after hours: from Tuesday
        (datetime(2026, 12, 4, 16, 0, tzinfo=NY), date(2026, 12, 10)),  # Friday afternoon through Thursday
    ],
)
def test_the_default_window_is_the_next_five_working_days(now: datetime, last_day: date) -> None:
    assert working_days_end(now, NY, (time(9), time(17))) == at(last_day, 17)


def test_working_hours_and_rounding() -> None:
    assert parse_working_hours("08:30-18:00") == (time(8, 30), time(18))
    assert parse_working_hours(" 9:00 - 24:00 ") == (time(9), time(23, 59, 59))
    for bad in ("9-5", "17:00-09:00", "09:00-25:00", "nine to five"):
        with pytest.raises(ToolError, match='like "09:00-17:00"'):
            parse_working_hours(bad)
    assert round_up(datetime(2026, 11, 24, 21, 1, 5, tzinfo=NY), timedelta(minutes=15)) == at(
        date(2026, 11, 24), 21, 15
    )
    assert round_up(at(date(2026, 11, 24), 21, 15), timedelta(minutes=15)) == at(date(2026, 11, 24), 21, 15)


def test_times_are_read_with_an_offset_in_the_given_zone_or_as_whole_days() -> None:
    assert parse_when("2026-11-24T09:30:00-08:00", NY) == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert parse_when("2026-11-24T14:30:00Z", NY) == datetime(2026, 11, 24, 14, 30, tzinfo=UTC)
    assert parse_when("2026-11-24T09:30", NY).isoformat() == "2026-11-24T09:30:00-05:00"
    assert parse_when("2026-07-01", NY).isoformat() == "2026-07-01T00:00:00-04:00"
    assert parse_when("2026-11-24", NY, end_of_day=True).isoformat() == "2026-11-25T00:00:00-05:00"
    assert parse_day(" 2026-12-01 ") == date(2026, 12, 1)


def test_bad_times_and_dates_are_refused_with_an_example() -> None:
    with pytest.raises(
        ToolError, match=r"'tomorrow 9am' is not a time\. Examples: \"2026-11-24 09:30\" \(in the time zone\)"
    ):
        parse_when("tomorrow 9am", NY)
    with pytest.raises(ToolError, match=r"write it as YYYY-MM-DD, e\.g\. \"2026-11-24\""):
        parse_day("2026-02-30")
    with pytest.raises(ToolError, match="does not exist in America/New_York"):
        parse_when("2026-03-08T02:30", NY)  # skipped by the spring-forward change
