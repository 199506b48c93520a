"""Calendar tools through a real MCP client over HTTP, against the sandbox Google Calendar."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from app.tools.format import day, span, when
from app.tools.times import parse_when
from sandbox.calendar.queries import free_busy
from sandbox.seed import ALICE
from sandbox.seed.people import BEN, CARMEN, DIETER
from tests.support.mcp_session import mcp_session
from tests.support.seeded_calendar import busy_events, last_listing_query
from tests.support.stack import Stack

EVENTS = "/calendar/v3/calendars/primary/events"
LA = ZoneInfo("America/Los_Angeles")
CLOCK = r"\d\d:\d\d(?:[+-]\d\d:\d\d)?"
SPAN = re.compile(rf"(\d{{4}}-\d\d-\d\d) ({CLOCK})–({CLOCK}) \((\w{{3}})\)")
EVENT_ID = re.compile(r"event_id=(\w+)")


def _zone(stack: Stack) -> ZoneInfo:
    return ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)


def _seeded(stack: Stack, summary: str) -> dict[str, Any]:
    """Alice's stored copy of a seeded event."""
    events = stack.sandbox.world.calendars[ALICE][ALICE].events.values()
    return next(event for event in events if event.get("summary") == summary)


def _later_day(stack: Stack, days: int) -> date:
    return datetime.now(_zone(stack)).date() + timedelta(days=days)


def _last(stack: Stack, method: str, path: str = EVENTS) -> tuple[dict[str, list[str]], Any]:
    request = [r for r in stack.sandbox.faults.requests(path) if r.method == method][-1]
    return parse_qs(request.query), json.loads(request.body) if request.body else None


async def test_calendars_are_listed_primary_first_with_zone_and_access_role(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("calendar_list_calendars")
    lines = text.splitlines()
    assert lines[0] == "2 calendar(s):"
    assert lines[1] == f"- {ALICE} (primary) · calendar_id={ALICE} · America/New_York · owner"
    assert lines[2].startswith("- «Team Offsites» · calendar_id=c_") and lines[2].endswith(
        "@group.calendar.google.com · America/New_York · owner"
    )


async def test_the_coming_week_shows_times_with_alices_offsets_her_answers_and_double_bookings(stack: Stack) -> None:
    zone = _zone(stack)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("calendar_list_events")
    assert "(times in America/New_York; all-day dates inclusive)" in text
    spans = SPAN.findall(text)
    assert len(spans) > 10
    for on, start, end, weekday in spans:  # wall-clock times in Alice's zone, read back as the same instant
        moment = parse_when(f"{on} {start}", zone)
        assert f"{moment:%a}" == weekday and when(moment, zone) == f"{on} {start} ({weekday})"
        assert parse_when(f"{on} {end}", zone) > moment
    query, _ = _last(stack, "GET")
    invitation = re.search(r"- «Initech pilot weekly check-in» · .*\n  (.*)", text)
    assert invitation and "you: needsAction" in invitation.group(1)
    busy = busy_events(stack.sandbox, ALICE, last_listing_query(stack.sandbox))
    check_in = next(event for event in busy if event.summary == "Initech pilot weekly check-in")
    clashing = [event.summary for event in busy if event != check_in and event.overlaps(check_in)]
    assert "Hiring sync — Senior PM" in clashing  # the seed double-books Alice that morning, whatever the date
    assert invitation.group(1).endswith(" · OVERLAPS " + ", ".join(f"«{title}»" for title in clashing))
    assert "recurring · organizer you" in text
    assert query["singleEvents"] == ["true"] and query["orderBy"] == ["startTime"]
    assert query["timeZone"] == ["America/New_York"] and query["maxResults"] == ["50"]
    # The week ends at the same time on Alice's clock seven days later (a DST change makes that 167 or 169 h).
    time_min, time_max = (datetime.fromisoformat(query[name][0]).astimezone(zone) for name in ("timeMin", "timeMax"))
    assert time_max.replace(tzinfo=None) - time_min.replace(tzinfo=None) == timedelta(days=7)


async def test_a_seeded_all_day_event_is_listed_with_its_inclusive_last_day(stack: Stack) -> None:
    offsite = _seeded(stack, "Product offsite — Lisbon")
    first = date.fromisoformat(offsite["start"]["date"])
    last = date.fromisoformat(offsite["end"]["date"]) - timedelta(days=1)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok(
            "calendar_list_events", {"start": first.isoformat(), "end": last.isoformat(), "query": "offsite"}
        )
    assert f"- «Product offsite — Lisbon» · all day {day(first)} → {day(last)}\n" in text
    assert "shows as free" in text


async def test_event_detail_marks_external_attendees_and_my_pending_answer(stack: Stack) -> None:
    renewal = _seeded(stack, "Globex renewal check-in")
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("calendar_get_event", {"event_id": renewal["id"]})
    assert text.startswith("«Globex renewal check-in»\nWhen: ")
    assert "Your response: needsAction (answer with calendar_respond)" in text
    assert "Walk through the 250-seat renewal proposal" in text
    assert re.search(r"- .*<priya\.raman@globex\.example> — accepted · EXTERNAL$", text, re.M)
    assert re.search(r"- .*<ben@acme\.example> — accepted · internal · organizer$", text, re.M)
    assert re.search(r"- .*<alice@acme\.example> — needsAction · internal · you$", text, re.M)
    assert "Meet: https://meet.google.com/" in text


async def test_creating_with_a_meet_link_and_guests_asks_google_for_a_conference_and_no_emails(stack: Stack) -> None:
    start = datetime.combine(_later_day(stack, 10), time(15), _zone(stack))
    arguments = {
        "summary": "Pricing review",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=45)).isoformat(),
        "attendees": [CARMEN, "Priya <priya.raman@globex.example>"],
        "add_meet_link": True,
        "send_updates": "none",
        "description": "Agenda: tiers",
    }
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("calendar_create_event", arguments)
        query, body = _last(stack, "POST")
        again = await alice.ok("calendar_create_event", arguments)
        _, second = _last(stack, "POST")
    shown = span(start, start + timedelta(minutes=45), _zone(stack))
    assert text.startswith(f"Created «Pricing review»: {shown} (times in America/New_York) · ")
    assert re.search(r"^Meet: https://meet\.google\.com/[a-z]{3}-[a-z]{4}-[a-z]{3}$", text, re.M)
    assert f"Guests: {CARMEN}, priya.raman@globex.example (nobody notified)" in text
    assert query["conferenceDataVersion"] == ["1"] and query["sendUpdates"] == ["none"]
    create = body["conferenceData"]["createRequest"]
    assert create["conferenceSolutionKey"] == {"type": "hangoutsMeet"} and create["requestId"]
    assert second["conferenceData"]["createRequest"]["requestId"] != create["requestId"]
    assert body["attendees"] == [{"email": CARMEN}, {"email": "priya.raman@globex.example", "displayName": "Priya"}]
    assert body["start"] == {"dateTime": start.isoformat(), "timeZone": "America/New_York"}
    assert EVENT_ID.search(again)


async def test_an_all_day_event_round_trips_with_inclusive_dates(stack: Stack) -> None:
    first = _later_day(stack, 20)
    last = first + timedelta(days=1)
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok(
            "calendar_create_event",
            {"summary": "Planning days", "start": first.isoformat(), "end": last.isoformat(), "all_day": True},
        )
        _, body = _last(stack, "POST")
        event_id = EVENT_ID.findall(created)[0]
        listed = await alice.ok("calendar_list_events", {"start": first.isoformat(), "end": last.isoformat()})
        detail = await alice.ok("calendar_get_event", {"event_id": event_id})
        single = await alice.ok(
            "calendar_create_event", {"summary": "Holiday", "start": last.isoformat(), "all_day": True}
        )
        _, single_body = _last(stack, "POST")
    shown = f"all day {day(first)} → {day(last)}"
    assert body["start"] == {"date": first.isoformat()}
    assert body["end"] == {"date": (last + timedelta(days=1)).isoformat()}  # Google's end is exclusive
    assert shown in created and f"- «Planning days» · {shown}\n  event_id={event_id}" in listed
    assert f"When: {shown}\n" in detail
    assert single_body["end"] == {"date": (last + timedelta(days=1)).isoformat()}
    assert f"«Holiday»: all day {day(last)} · event_id=" in single


async def test_an_event_set_in_los_angeles_time_shows_at_the_right_time_in_alices_zone(stack: Stack) -> None:
    zone, on = _zone(stack), _later_day(stack, 12)
    start = datetime.combine(on, time(9), LA)
    expected = f"{span(start, start + timedelta(hours=1), zone)} (America/Los_Angeles: 09:00–10:00)"
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok(
            "calendar_create_event",
            {
                "summary": "West coast sync",
                "start": f"{on}T09:00",
                "end": f"{on}T10:00",
                "time_zone": "America/Los_Angeles",
            },
        )
        _, body = _last(stack, "POST")
        event_id = EVENT_ID.findall(created)[0]
        listed = await alice.ok("calendar_list_events", {"start": on.isoformat(), "end": on.isoformat()})
        detail = await alice.ok("calendar_get_event", {"event_id": event_id})
    assert body["start"] == {"dateTime": start.isoformat(), "timeZone": "America/Los_Angeles"}
    assert expected in created and f"When: {expected}" in detail
    assert f"- «West coast sync» · {span(start, start + timedelta(hours=1), zone)}" in listed
    assert when(start, zone).startswith(f"{on} 12:00 (")  # 09:00 in LA is 12:00 in New York


async def test_adding_an_attendee_keeps_everyone_already_invited_exactly_as_they_were(stack: Stack) -> None:
    standup = _seeded(stack, "Product standup")
    before = [{k: v for k, v in a.items() if k != "self"} for a in standup["attendees"]]
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("calendar_update_event", {"event_id": standup["id"], "add_attendees": ["Dieter"]})
        text = await alice.ok(
            "calendar_update_event", {"event_id": standup["id"], "add_attendees": [DIETER], "send_updates": "none"}
        )
    assert "'Dieter' is not an email address — find it with contacts_search" in refused
    patches = [r for r in stack.sandbox.faults.requests("/calendar/v3/calendars/") if r.method == "PATCH"]
    assert len(patches) == 1
    query, body = _last(stack, "PATCH", f"{EVENTS}/{standup['id']}")
    assert set(body) == {"attendees"} and query["sendUpdates"] == ["none"]
    assert [{k: v for k, v in a.items() if k != "self"} for a in body["attendees"][:-1]] == before
    assert body["attendees"][-1] == {"email": DIETER}
    assert text.startswith("Updated «Product standup» (attendees; nobody notified): ")
    assert "\nChanged the whole series: RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH\n" in text
    assert f"\nGuests now: {ALICE}, {CARMEN}, emi@acme.example, {DIETER}" in text


async def test_moving_the_start_alone_keeps_the_length_and_patches_only_the_times(stack: Stack) -> None:
    zone, on = _zone(stack), _later_day(stack, 9)
    start = datetime.combine(on, time(10), zone)
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok(
            "calendar_create_event",
            {"summary": "Draft review", "start": f"{on}T10:00", "end": f"{on}T10:30", "send_updates": "none"},
        )
        event_id = EVENT_ID.findall(created)[0]
        text = await alice.ok("calendar_update_event", {"event_id": event_id, "start": f"{on}T14:00"})
    _, body = _last(stack, "PATCH", f"{EVENTS}/{event_id}")
    moved = start + timedelta(hours=4)
    assert body == {
        "start": {"dateTime": moved.isoformat(), "timeZone": "America/New_York"},
        "end": {"dateTime": (moved + timedelta(minutes=30)).isoformat(), "timeZone": "America/New_York"},
    }
    assert span(moved, moved + timedelta(minutes=30), zone) in text


async def test_an_all_day_event_given_times_becomes_a_timed_event(stack: Stack) -> None:
    zone, on = _zone(stack), _later_day(stack, 11)
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok("calendar_create_event", {"summary": "Block", "start": f"{on}", "all_day": True})
        event_id = EVENT_ID.findall(created)[0]
        text = await alice.ok(
            "calendar_update_event", {"event_id": event_id, "start": f"{on}T13:00", "end": f"{on}T14:00"}
        )
    _, body = _last(stack, "PATCH", f"{EVENTS}/{event_id}")
    assert body["start"]["date"] is None and body["end"]["date"] is None  # PATCH merges: the date must go
    start = datetime.combine(on, time(13), zone)
    assert f"Updated «Block» (start, end): {span(start, start + timedelta(hours=1), zone)}" in text


async def test_deleting_twice_says_clearly_that_it_is_already_deleted(stack: Stack) -> None:
    on = _later_day(stack, 8)
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok(
            "calendar_create_event", {"summary": "Temp hold", "start": f"{on}T16:00", "end": f"{on}T16:30"}
        )
        event_id = EVENT_ID.findall(created)[0]
        deleted = await alice.ok("calendar_delete_event", {"event_id": event_id, "send_updates": "none"})
        again = await alice.error("calendar_delete_event", {"event_id": event_id})
    assert deleted.startswith("Deleted «Temp hold»: ")
    assert again.endswith(f"Event {event_id} («Temp hold») has already been deleted; nothing to do.")
    deletes = [r for r in stack.sandbox.faults.requests(f"{EVENTS}/{event_id}") if r.method == "DELETE"]
    assert len(deletes) == 1 and parse_qs(deletes[0].query)["sendUpdates"] == ["none"]


async def test_responding_to_an_invitation_changes_only_alices_own_entry(stack: Stack) -> None:
    renewal = _seeded(stack, "Globex renewal check-in")
    before = {a["email"]: a for a in renewal["attendees"]}
    assert before[ALICE]["responseStatus"] == "needsAction"
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok(
            "calendar_respond", {"event_id": renewal["id"], "response": "declined", "comment": "Out that day"}
        )
    _, body = _last(stack, "PATCH", f"{EVENTS}/{renewal['id']}")
    assert set(body) == {"attendees"}
    sent = {a["email"]: a for a in body["attendees"]}
    assert sent.keys() == before.keys()
    for email, entry in sent.items():
        if email != ALICE:
            assert entry == before[email]
    assert sent[ALICE] == before[ALICE] | {"responseStatus": "declined", "comment": "Out that day"}
    assert text.startswith("Responded declined to «Globex renewal check-in»: ")
    organizer_copy = stack.sandbox.world.calendars[BEN][BEN].events[renewal["id"]]
    assert {a["email"]: a["responseStatus"] for a in organizer_copy["attendees"]}[ALICE] == "declined"


async def test_responding_to_my_own_solo_event_says_there_is_no_invitation(stack: Stack) -> None:
    on = _later_day(stack, 8)
    async with mcp_session(stack, ALICE) as alice:
        created = await alice.ok(
            "calendar_create_event", {"summary": "Focus", "start": f"{on}T08:00", "end": f"{on}T09:00"}
        )
        text = await alice.error("calendar_respond", {"event_id": EVENT_ID.findall(created)[0], "response": "accepted"})
    assert text.endswith("«Focus» has no invitation to answer: you organize it and are not on its guest list.")


async def test_free_time_avoids_everyones_busy_time_and_calls_external_availability_unknown(stack: Stack) -> None:
    zone, world = _zone(stack), stack.sandbox.world
    check_in = _seeded(stack, "Initech pilot weekly check-in")  # Alice is double-booked that morning
    first = datetime.fromisoformat(check_in["start"]["dateTime"]).astimezone(zone).date()
    window = {"window_start": first.isoformat(), "window_end": (first + timedelta(days=2)).isoformat()}
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok(
            "calendar_find_free_time",
            {"attendees": [CARMEN, "priya.raman@globex.example"], "duration_minutes": 30, **window},
        )
    _, asked = _last(stack, "POST", "/calendar/v3/freeBusy")
    assert [item["id"] for item in asked["items"]] == [ALICE, CARMEN, "priya.raman@globex.example"]
    assert "Availability unknown (calendar not visible to you) for: priya.raman@globex.example" in text
    assert text.startswith(f"Free 30 min for you, {CARMEN}: weekdays 09:00–17:00 America/New_York")
    slots = [
        (parse_when(f"{on} {a}", zone), parse_when(f"{on} {b}", zone))
        for on, a, b, _weekday in re.findall(rf"  - {SPAN.pattern}", text)
    ]
    assert 1 <= len(slots) <= 10
    oracle = free_busy(
        world,
        world.people[ALICE],
        {"timeMin": asked["timeMin"], "timeMax": asked["timeMax"], "items": [{"id": ALICE}, {"id": CARMEN}]},
    )
    busy = [
        (datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for calendar in json.loads(bytes(oracle.body))["calendars"].values()
        for b in calendar["busy"]
    ]
    assert any(start.astimezone(zone).date() == first for start, _end in busy)
    for start, end in slots:
        assert end - start == timedelta(minutes=30)
        local = start.astimezone(zone)
        assert local.weekday() < 5 and time(9) <= local.time() and end.astimezone(zone).time() <= time(17)
        assert not any(b_start < end and start < b_end for b_start, b_end in busy), (start, end)


async def test_bad_dates_are_refused_with_an_example_before_google_is_called(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        bad_time = await alice.error("calendar_list_events", {"start": "next tuesday"})
        bad_day = await alice.error(
            "calendar_create_event", {"summary": "Offsite", "start": "12/01/2026", "all_day": True}
        )
        backwards = await alice.error(
            "calendar_create_event",
            {"summary": "Oops", "start": "2026-12-01T10:00", "end": "2026-12-01T09:00"},
        )
    assert bad_time.endswith(
        "'next tuesday' is not a time. Examples: \"2026-11-24 09:30\" (in the time zone), "
        '"2026-11-24T09:30:00-05:00" or "2026-11-24".'
    )
    assert bad_day.endswith("'12/01/2026' is not a date: write it as YYYY-MM-DD, e.g. \"2026-11-24\".")
    assert "The end (2026-12-01 09:00 (Tue)) must be after the start (2026-12-01 10:00 (Tue))" in backwards
    assert [r for r in stack.sandbox.faults.requests(EVENTS) if r.method == "POST"] == []
