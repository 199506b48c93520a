"""Calendar tools under GOOGLE_ACCESS=mcp: read through Google's Calendar MCP server, changed through it, and
Google's own question about guests or a deletion reaching the person once."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.tools.format import day, span
from sandbox.seed import ALICE
from sandbox.seed.people import BEN, CARMEN
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, mcp_tools, rest_calls
from tests.tools.test_sending_through_google import Asked

pytestmark = pytest.mark.parametrize("google_access", ["mcp"])
EVENT_ID = re.compile(r"event_id=(\w+)")


def _zone(stack: Stack) -> ZoneInfo:
    return ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)


def _events(stack: Stack) -> dict[str, dict[str, Any]]:
    return stack.sandbox.world.calendars[ALICE][ALICE].events


def _seeded(stack: Stack, summary: str) -> dict[str, Any]:
    return next(event for event in _events(stack).values() if event.get("summary") == summary)


def _at(stack: Stack, days: int, hour: int) -> datetime:
    return datetime.combine(datetime.now(_zone(stack)).date() + timedelta(days=days), time(hour), _zone(stack))


async def test_calendars_events_and_one_event_are_read_through_google_with_no_rest_call(stack: Stack) -> None:
    renewal = _seeded(stack, "Globex renewal check-in")
    offsite = _seeded(stack, "Product offsite — Lisbon")
    first = date.fromisoformat(offsite["start"]["date"])
    last = date.fromisoformat(offsite["end"]["date"]) - timedelta(days=1)
    async with mcp_session(stack, ALICE) as alice:
        calendars = await alice.ok("calendar_list_calendars")
        week = await alice.ok("calendar_list_events")
        lisbon = await alice.ok(
            "calendar_list_events", {"start": first.isoformat(), "end": last.isoformat(), "query": "offsite"}
        )
        detail = await alice.ok("calendar_get_event", {"event_id": renewal["id"]})
    # Google's list names no access role: none is shown rather than one guessed.
    assert calendars.splitlines()[1] == f"- {ALICE} (primary) · calendar_id={ALICE} · America/New_York"
    assert "(times in America/New_York; all-day dates inclusive)" in week and "OVERLAPS" in week
    assert f"- «Product offsite — Lisbon» · all day {day(first)} → {day(last)}\n" in lisbon
    assert detail.startswith("«Globex renewal check-in»\nWhen: ")
    assert "Your response: needsAction (answer with calendar_respond)" in detail
    assert re.search(r"- .*<priya\.raman@globex\.example> — accepted · EXTERNAL$", detail, re.M)
    assert "Meet: https://meet.google.com/" in detail
    assert rest_calls(stack) == []
    assert set(mcp_tools(stack)) == {"calendar.list_calendars", "calendar.list_events", "calendar.get_event"}


async def test_free_time_comes_from_googles_suggest_time_and_says_what_it_cannot_know(stack: Stack) -> None:
    start = _at(stack, 7, 0)
    async with mcp_session(stack, ALICE) as alice:
        found = await alice.ok(
            "calendar_find_free_time",
            {
                "attendees": [BEN],
                "duration_minutes": 30,
                "window_start": start.isoformat(),
                "window_end": (start + timedelta(days=3)).isoformat(),
            },
        )
    assert found.splitlines()[0].startswith(f"Free 30 min for you, {BEN}: weekdays 09:00–17:00 America/New_York")
    assert "Google's suggest_time does not say whose calendar it could not see" in found
    [call] = [r for r in stack.sandbox.faults.requests("/calendarmcp/") if r.tool == "suggest_time"]
    assert '"attendeeEmails":["primary","' + BEN + '"]' in call.body.decode().replace(" ", "")
    assert '"excludeWeekends":true' in call.body.decode().replace(" ", "") and rest_calls(stack) == []
    for slot in re.findall(r"^  - (.*)$", found, re.M):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d–\d\d:\d\d \(\w{3}\)", slot), slot


async def test_an_event_without_guests_is_made_at_once_and_changed_and_answered_through_google(stack: Stack) -> None:
    start = _at(stack, 9, 15)
    async with mcp_session(stack, ALICE) as alice:
        made = await alice.ok(
            "calendar_create_event",
            {"summary": "Focus: pricing", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        )
        event_id = EVENT_ID.search(made).group(1)  # type: ignore[union-attr]
        moved = await alice.ok(
            "calendar_update_event", {"event_id": event_id, "start": (start + timedelta(hours=2)).isoformat()}
        )
        invitation = _seeded(stack, "Globex renewal check-in")
        answered = await alice.ok("calendar_respond", {"event_id": invitation["id"], "response": "tentative"})
    assert made.startswith(f"Created «Focus: pricing»: {span(start, start + timedelta(hours=1), _zone(stack))}")
    later = start + timedelta(hours=2)
    assert f"Updated «Focus: pricing» (start, end): {span(later, later + timedelta(hours=1), _zone(stack))}" in moved
    assert answered.startswith("Responded tentative to «Globex renewal check-in»")
    mine = next(a for a in _events(stack)[invitation["id"]]["attendees"] if a["email"] == ALICE)
    assert mine["responseStatus"] == "tentative"
    assert rest_calls(stack) == []
    assert {"calendar.create_event", "calendar.update_event", "calendar.respond_to_event"} <= set(mcp_tools(stack))


async def test_inviting_guests_is_asked_once_with_googles_question_and_switchboards_note(stack: Stack) -> None:
    start = _at(stack, 11, 10)
    arguments = {
        "summary": "Renewal pricing",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "attendees": [CARMEN, "stranger@outside.example"],
    }
    person = Asked("accept")
    async with mcp_session(stack, ALICE, elicitation=person) as alice:
        made = await alice.ok("calendar_create_event", arguments)
    [question] = person.shown
    assert question.splitlines()[0] == (
        "Note: stranger@outside.example is a new external recipient (outside your domain, never written to before)."
    )
    assert "Google asks:" in question and "invite " in question and "stranger@outside.example" in question
    assert "Guests: " in made and "stranger@outside.example" in made
    created = next(e for e in _events(stack).values() if e.get("summary") == "Renewal pricing")
    assert {a["email"] for a in created["attendees"]} >= {CARMEN, "stranger@outside.example"}
    assert rest_calls(stack) == []


@pytest.mark.parametrize("action", ["decline", "cancel"])
async def test_a_no_at_googles_question_creates_nothing_and_says_so(stack: Stack, action: str) -> None:
    start = _at(stack, 12, 10)
    arguments = {
        "summary": "Not to be",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "attendees": [CARMEN],
    }
    before = len(_events(stack))
    async with mcp_session(stack, ALICE, elicitation=Asked(action)) as alice:
        said = await alice.ok("calendar_create_event", arguments)
    verb = "declined" if action == "decline" else "cancelled"
    assert said == f"Not done: the person {verb} at Google's question to create this event. Nothing was changed."
    assert len(_events(stack)) == before


async def test_deleting_is_asked_by_google_once_and_a_client_that_cannot_ask_is_told_before_anything(
    stack: Stack,
) -> None:
    start = _at(stack, 13, 10)
    person = Asked("accept")
    async with mcp_session(stack, ALICE, elicitation=person) as alice:
        made = await alice.ok(
            "calendar_create_event",
            {"summary": "Short-lived", "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat()},
        )
        event_id = EVENT_ID.search(made).group(1)  # type: ignore[union-attr]
        deleted = await alice.ok("calendar_delete_event", {"event_id": event_id})
    [question] = person.shown
    assert question.startswith("Google asks:") and "Short-lived" in question
    assert deleted.startswith("Deleted «Short-lived»: ")
    assert _events(stack)[event_id].get("status") == "cancelled"
    standup = _seeded(stack, "Globex renewal check-in")
    calls = len(mcp_tools(stack))
    async with mcp_session(stack, ALICE) as plain:  # no form elicitation: Google's question cannot be shown
        refused = await plain.error("calendar_delete_event", {"event_id": standup["id"]})
        guests = await plain.error(
            "calendar_create_event",
            {
                "summary": "X",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "attendees": [BEN],
            },
        )
    assert "Google asks the person before an event is deleted, and this client cannot show" in refused
    assert "Google asks the person before an event with guests is made or changed" in guests
    assert standup.get("status") != "cancelled"
    assert [t for t in mcp_tools(stack)[calls:] if t.endswith(("delete_event", "create_event"))] == []
    assert rest_calls(stack) == []
