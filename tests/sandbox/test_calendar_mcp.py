"""The sandbox Calendar MCP server, driven by the MCP SDK's client over HTTP, against the same calendars as REST."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from sandbox.mcp.server import CANNOT_CONFIRM, NOT_ALLOWED
from sandbox.server import SandboxServer
from tests.sandbox.mcp_client import ALICE, connect, google_token

BEN = "ben@acme.example"
EVENT_FIELDS = {
    "id", "status", "htmlLink", "created", "updated", "summary", "description", "location", "creator", "organizer",
    "start", "end", "recurrence", "recurringEventId", "originalStartTime", "transparency", "visibility",
    "attendees", "eventType", "conferenceUrl", "colorId",
}  # fmt: skip


def tomorrow(sandbox: SandboxServer, hour: int) -> str:
    day = (sandbox.world.now() + timedelta(days=1)).date()
    return f"{day.isoformat()}T{hour:02d}:00:00"


def in_zone(local: str, zone: str) -> str:
    """A local time as Google writes it in `zone` (with that zone's offset on that day)."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).isoformat()


async def rest_event(sandbox: SandboxServer, token: str, event_id: str, owner: str = "primary") -> Any:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.get(f"{sandbox.base_url}/calendar/v3/calendars/{owner}/events/{event_id}")
    return response.json()


async def test_v1self_leaves_out_deleting_events(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        everything = set(await calendar.tool_names())
    async with connect(sandbox, "calendar", token, toolset="v1self", answer=None) as calendar:
        restricted = set(await calendar.tool_names())
        with pytest.raises(MCPError, match="Unknown tool: delete_event"):
            await calendar.call("delete_event", {"eventId": "x"})
    assert everything == {
        "list_calendars", "list_events", "search_events", "get_event", "suggest_time", "create_event",
        "update_event", "delete_event", "respond_to_event",
    }  # fmt: skip
    assert restricted == everything - {"delete_event"}


async def test_list_events_shapes_events_as_googles_mcp_reference_does(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        calendars = await calendar.ok("list_calendars")
        listed = await calendar.ok("list_events", {"pageSize": 5, "orderBy": "startTime"})
        zurich = await calendar.ok("list_events", {"pageSize": 1, "timeZone": "Europe/Zurich"})
    assert calendars["calendars"][0] == {"id": ALICE, "summary": ALICE, "timeZone": "America/New_York"}
    assert listed["timeZone"] == "America/New_York" and listed["accessRole"] == "owner"
    assert 0 < len(listed["events"]) <= 5 and "nextPageToken" in listed
    starts = [datetime.fromisoformat(e["start"].get("dateTime") or e["start"]["date"]) for e in listed["events"]]
    assert starts == sorted(starts)
    for event in listed["events"]:
        assert set(event) <= EVENT_FIELDS
        assert event["organizer"].keys() <= {"email", "displayName", "self"}
    assert zurich["events"][0]["start"]["dateTime"].endswith(("+01:00", "+02:00"))


async def test_an_all_day_event_has_its_date_at_midnight_utc(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    day = tomorrow(sandbox, 0)
    following = (datetime.fromisoformat(day) + timedelta(days=1)).isoformat()
    async with connect(sandbox, "calendar", token) as calendar:
        made = await calendar.ok(
            "create_event",
            {"summary": "Off", "startTime": f"{day}Z", "endTime": f"{following}Z", "timeZone": "UTC", "allDay": True},
        )
    assert made["start"] == {"date": f"{day[:10]}T00:00:00Z"}
    assert made["end"] == {"date": f"{following[:10]}T00:00:00Z"}


async def test_an_event_without_guests_is_created_at_once_and_rest_sees_it(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        made = await calendar.ok(
            "create_event",
            {
                "summary": "Focus",
                "startTime": tomorrow(sandbox, 14),
                "endTime": tomorrow(sandbox, 15),
                "timeZone": "Europe/Paris",
                "addGoogleMeetUrl": True,
            },
        )
    assert calendar.asked == []
    assert made["start"] == {"dateTime": in_zone(tomorrow(sandbox, 14), "Europe/Paris"), "timeZone": "Europe/Paris"}
    assert made["conferenceUrl"].startswith("https://meet.google.com/")
    assert (await rest_event(sandbox, token, made["id"]))["summary"] == "Focus"


async def test_inviting_guests_asks_first_and_the_guest_gets_the_event(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    arguments = {
        "summary": "Planning",
        "startTime": tomorrow(sandbox, 10),
        "endTime": tomorrow(sandbox, 11),
        "timeZone": "America/New_York",
        "attendeeEmails": [BEN],
    }
    async with connect(sandbox, "calendar", token) as calendar:
        made = await calendar.ok("create_event", arguments)
    assert calendar.asked == [
        f'Create the event "Planning" from {arguments["startTime"]} to {arguments["endTime"]} (America/New_York) '
        f"on the calendar {ALICE} and invite {BEN}?"
    ]
    assert [a["email"] for a in made["attendees"]] == [BEN]
    assert made["id"] in sandbox.world.calendars[BEN][BEN].events


async def test_inviting_guests_is_refused_on_v1self_and_when_declined(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    arguments = {
        "summary": "Planning",
        "startTime": tomorrow(sandbox, 10),
        "endTime": tomorrow(sandbox, 11),
        "timeZone": "America/New_York",
        "attendeeEmails": [BEN],
    }
    before = set(sandbox.world.calendars[ALICE][ALICE].events)
    async with connect(sandbox, "calendar", token, toolset="v1self", answer=None) as calendar:
        assert await calendar.error("create_event", arguments) == CANNOT_CONFIRM
    async with connect(sandbox, "calendar", token, answer="decline") as calendar:
        assert await calendar.error("create_event", arguments) == NOT_ALLOWED
        assert await calendar.error("create_event", {**arguments, "attendeeEmails": ["Ben <ben@acme.example>"]})
    assert set(sandbox.world.calendars[ALICE][ALICE].events) == before


async def test_deleting_an_event_asks_with_the_events_own_title_and_guests(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        made = await calendar.ok(
            "create_event",
            {
                "summary": "Retro",
                "startTime": tomorrow(sandbox, 16),
                "endTime": tomorrow(sandbox, 17),
                "timeZone": "America/New_York",
                "attendeeEmails": [BEN],
            },
        )
        assert await calendar.ok("delete_event", {"eventId": made["id"]}) == {}
        gone = await calendar.ok("get_event", {"eventId": made["id"]})
    assert calendar.asked[1] == (
        f'Delete the event "Retro" ({in_zone(tomorrow(sandbox, 16), "America/New_York")}) from {ALICE}? '
        f"Its guests ({BEN}) will see it cancelled."
    )
    assert gone["status"] == "cancelled"
    assert sandbox.world.calendars[BEN][BEN].events[made["id"]]["status"] == "cancelled"


async def test_updating_only_changes_the_given_fields(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        made = await calendar.ok(
            "create_event",
            {"summary": "Solo", "startTime": tomorrow(sandbox, 9), "endTime": tomorrow(sandbox, 10), "timeZone": "UTC"},
        )
        moved = await calendar.ok("update_event", {"eventId": made["id"], "location": "Room 4"})
        refused = await calendar.error("update_event", {"eventId": made["id"], "summary": 7})
    assert calendar.asked == [], "no guests, nothing to approve"
    assert moved["location"] == "Room 4" and moved["summary"] == "Solo" and moved["start"] == made["start"]
    assert refused == "Invalid value at 'summary' (TYPE_STRING), 7"


async def test_a_guest_responds_and_the_organizer_sees_the_answer(sandbox: SandboxServer) -> None:
    alice = await google_token(sandbox)
    async with connect(sandbox, "calendar", alice) as calendar:
        made = await calendar.ok(
            "create_event",
            {
                "summary": "Sync",
                "startTime": tomorrow(sandbox, 11),
                "endTime": tomorrow(sandbox, 12),
                "timeZone": "America/New_York",
                "attendeeEmails": [BEN],
            },
        )
    ben = await google_token(sandbox, BEN)
    async with connect(sandbox, "calendar", ben) as calendar:
        answered = await calendar.ok("respond_to_event", {"eventId": made["id"], "responseStatus": "declined"})
        wrong = await calendar.error("respond_to_event", {"eventId": made["id"], "responseStatus": "maybe"})
    assert [a["responseStatus"] for a in answered["attendees"] if a["email"] == BEN] == ["declined"]
    assert wrong == "Invalid value at 'response_status' (enum), \"maybe\""
    organizer_copy = await rest_event(sandbox, alice, made["id"])
    assert [a["responseStatus"] for a in organizer_copy["attendees"] if a["email"] == BEN] == ["declined"]


async def test_suggest_time_finds_common_free_slots_within_the_preferred_hours(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    day = tomorrow(sandbox, 0)[:10]
    async with connect(sandbox, "calendar", token) as calendar:
        await calendar.ok(
            "create_event",
            {"summary": "Busy", "startTime": f"{day}T09:00:00", "endTime": f"{day}T12:00:00", "timeZone": "UTC"},
        )
        found = await calendar.ok(
            "suggest_time",
            {
                "attendeeEmails": ["primary", BEN],
                "startTime": f"{day}T00:00:00Z",
                "endTime": f"{day}T23:59:00Z",
                "timeZone": "UTC",
                "durationMinutes": 60,
                "preferences": {"startHour": "08:00", "endHour": "18:00", "pageSize": 3},
            },
        )
    slots = found["timeSlots"]
    assert 0 < len(slots) <= 3
    for slot in slots:
        start, end = datetime.fromisoformat(slot["startTime"]), datetime.fromisoformat(slot["endTime"])
        assert slot["durationMinutes"] == (end - start).total_seconds() // 60 >= 60
        assert start.hour >= 8 and (end.hour, end.minute) <= (18, 0)
        assert end.hour <= 9 or start.hour >= 12, "not while Alice is busy"
    assert sandbox.world.mcp_usage["switchboard-sandbox"]["calendar"] == 1 + 2 + 1, "free/busy is read per attendee"


async def test_search_events_finds_the_primary_calendars_events_by_topic(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "calendar", token) as calendar:
        found = await calendar.ok("search_events", {"query": "standup"})
        nothing = await calendar.ok("search_events", {"query": "zebra-unicorn"})
        missing = await calendar.error("search_events", {})
    assert found["events"] and all("standup" in e["summary"].lower() for e in found["events"][:1])
    assert nothing == {"events": []}
    assert missing == "Invalid argument: 'query' is required."
