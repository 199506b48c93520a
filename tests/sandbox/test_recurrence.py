"""The sandbox's recurrence expansion: wall-clock times across DST, RDATE/EXDATE, Google's liberties."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from sandbox.calendar.recurrence import RecurrenceError, occurrences, parse_recurrence

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
FAR = datetime(2030, 1, 1, tzinfo=UTC)


def expand(lines: list[str], start: datetime | date, zone: ZoneInfo = NY, before: datetime = FAR) -> list[str]:
    found = occurrences(parse_recurrence(lines, zone), start, zone, before)
    return [s.isoformat() for s in found]


def test_a_weekly_meeting_keeps_its_wall_clock_time_across_the_spring_forward_change() -> None:
    starts = expand(["RRULE:FREQ=WEEKLY;COUNT=3"], datetime(2027, 3, 7, 9, 0, tzinfo=NY))
    assert starts == ["2027-03-07T09:00:00-05:00", "2027-03-14T09:00:00-04:00", "2027-03-21T09:00:00-04:00"]


def test_a_daily_time_the_change_skips_takes_the_offset_from_before_the_gap() -> None:
    starts = expand(["RRULE:FREQ=DAILY;COUNT=3"], datetime(2027, 3, 13, 2, 30, tzinfo=NY))
    moments = [datetime.fromisoformat(s).astimezone(UTC).isoformat() for s in starts]
    # 02:30 does not exist on 14 March in New York: read with EST it is 07:30 UTC (03:30 EDT).
    assert moments == ["2027-03-13T07:30:00+00:00", "2027-03-14T07:30:00+00:00", "2027-03-15T06:30:00+00:00"]


def test_extra_and_excluded_dates_in_another_zone_are_matched_by_instant() -> None:
    lines = [
        "RRULE:FREQ=DAILY;COUNT=4",
        "RDATE;TZID=Europe/Berlin:20270325T150000",
        "EXDATE:20270313T150000Z",  # 10:00 in New York that Saturday (EDT starts on the 14th)
    ]
    starts = expand(lines, datetime(2027, 3, 12, 10, 0, tzinfo=NY))
    assert starts == [
        "2027-03-12T10:00:00-05:00",
        "2027-03-14T10:00:00-04:00",
        "2027-03-15T10:00:00-04:00",
        "2027-03-25T15:00:00+01:00",
    ]


def test_a_date_only_until_on_a_timed_series_includes_that_whole_day() -> None:
    starts = expand(["RRULE:FREQ=DAILY;UNTIL=20270103"], datetime(2027, 1, 1, 18, 0, tzinfo=NY))
    assert [s[:10] for s in starts] == ["2027-01-01", "2027-01-02", "2027-01-03"]


def test_dtstart_is_the_first_instance_even_off_the_rule_and_an_exdate_removes_it() -> None:
    wednesday = datetime(2027, 1, 6, 9, 0, tzinfo=NY)
    assert expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"], wednesday)[0] == "2027-01-06T09:00:00-05:00"
    assert expand(["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2", "EXDATE:20270106T140000Z"], wednesday) == [
        "2027-01-11T09:00:00-05:00",
        "2027-01-18T09:00:00-05:00",
    ]


def test_an_all_day_series_yields_dates_with_the_last_friday_of_each_month() -> None:
    lines = ["RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", "EXDATE;VALUE=DATE:20270226"]
    assert expand(lines, date(2027, 1, 29), BERLIN) == ["2027-01-29", "2027-03-26"]


def test_expansion_stops_before_the_bound() -> None:
    before = datetime(2027, 1, 3, 23, 0, tzinfo=UTC)  # 18:00 in New York on the 3rd: that start is not before it
    assert expand(["RRULE:FREQ=DAILY"], datetime(2027, 1, 1, 18, 0, tzinfo=NY), before=before) == [
        "2027-01-01T18:00:00-05:00",
        "2027-01-02T18:00:00-05:00",
    ]


@pytest.mark.parametrize(
    "lines",
    [
        ["RRULE:FREQ=SOMETIMES"],
        ["RRULE:FREQ=WEEKLY;BYDAY=XX"],
        ["RRULE:FREQ=DAILY;UNTIL=tomorrow"],
        ["EXDATE:20270101T090000Z"],
        ["VEVENT:nonsense"],
        ["RDATE;TZID=Mars/Olympus:20270101T090000"],
    ],
)
def test_lines_that_cannot_be_expanded_are_refused(lines: list[str]) -> None:
    with pytest.raises(RecurrenceError):
        parse_recurrence(lines, NY)
