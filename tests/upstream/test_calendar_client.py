"""CalendarClient against the sandbox Calendar API over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from app.upstream.errors import NotFound
from tests.upstream.conftest import Connected


async def test_the_calendar_list_includes_the_primary_calendar_with_its_time_zone(alice: Connected) -> None:
    calendars = await alice.calendar().list_calendars()
    primary = [c for c in calendars if c.primary]
    assert len(primary) == 1
    assert primary[0].id == alice.user.email
    assert primary[0].time_zone


async def test_the_coming_week_lists_single_events_in_start_order(alice: Connected) -> None:
    now = datetime.now(UTC)
    events = await alice.calendar().list_events(time_min=now, time_max=now + timedelta(days=7), max_results=250)
    assert events.items
    starts = [
        e.start.date_time or datetime.combine(e.start.date or date.min, datetime.min.time(), UTC) for e in events.items
    ]
    assert starts == sorted(starts)
    request = alice.sandbox.faults.requests("/calendar/v3/calendars/primary/events")[-1]
    assert "singleEvents=true" in request.query and "orderBy=startTime" in request.query


async def test_an_event_with_a_meet_link_is_created_with_conference_data_version_1(alice: Connected) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    body = {
        "summary": "Pricing review",
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(minutes=30)).isoformat(), "timeZone": "UTC"},
        "attendees": [{"email": "bob@acme.example"}],
        "conferenceData": {"createRequest": {"requestId": "r-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}},
    }
    event = await alice.calendar().insert_event(body, send_updates="none")
    assert event.meet_link and event.meet_link.startswith("https://meet.google.com/")
    request = alice.sandbox.faults.requests("/calendar/v3/calendars/primary/events")[-1]
    assert "conferenceDataVersion=1" in request.query and "sendUpdates=none" in request.query
    assert json.loads(request.body)["summary"] == "Pricing review"


async def test_an_all_day_event_keeps_its_exclusive_end_date(alice: Connected) -> None:
    day = date.today() + timedelta(days=3)
    body = {
        "summary": "Offsite",
        "start": {"date": day.isoformat()},
        "end": {"date": (day + timedelta(days=1)).isoformat()},
    }
    created = await alice.calendar().insert_event(body, send_updates="none")
    fetched = await alice.calendar().get_event(created.id)
    assert fetched.start.all_day and fetched.start.date == day
    assert fetched.end.date == day + timedelta(days=1)


async def test_deleting_twice_says_it_is_already_deleted(alice: Connected) -> None:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    body = {
        "summary": "Temp",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
    }
    event = await alice.calendar().insert_event(body, send_updates="none")
    await alice.calendar().delete_event(event.id, send_updates="none")
    with pytest.raises(NotFound, match="already been deleted"):
        await alice.calendar().delete_event(event.id, send_updates="none")


async def test_free_busy_reports_busy_intervals_for_colleagues(alice: Connected) -> None:
    now = datetime.now(UTC)
    result = await alice.calendar().free_busy(
        [alice.user.email, "nobody@elsewhere.example"], now, now + timedelta(days=5)
    )
    assert result[alice.user.email].busy
    assert result["nobody@elsewhere.example"].errors
