"""The sandbox Google Calendar API, driven over HTTP the way a Calendar client drives Google."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sandbox.calendar.api import create_calendar_app
from sandbox.world import Calendar, Person, World

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"
TEAM = "c_team@group.calendar.google.com"
HOLIDAYS = "en.usa#holiday@group.v.calendar.google.com"


class Sandbox:
    """A small world with the Calendar app mounted where the combined server mounts it."""

    def __init__(self) -> None:
        self.world = World(anchor=datetime(2024, 10, 28, 12, tzinfo=UTC), domain="example.com")
        for email, name, zone in (
            (ALICE, "Alice Adams", "America/New_York"),
            (BOB, "Bob Brown", "Europe/London"),
            (CAROL, "Carol Chen", "America/New_York"),
        ):
            self.world.people[email] = Person(email, name, email, zone)
            self.world.calendars[email] = {email: Calendar(email, email, zone, primary=True)}
        alice = self.world.calendars[ALICE]
        alice[TEAM] = Calendar(TEAM, "Team", "America/New_York", access_role="writer")
        alice[HOLIDAYS] = Calendar(HOLIDAYS, "Holidays in United States", "America/New_York", access_role="reader")
        self.app = create_calendar_app(self.world)
        self.client = TestClient(Starlette(routes=[Mount("/calendar/v3", self.app)]))
        self.tokens = {
            email: self.world.issue_access_token(email, [CALENDAR_SCOPE], None).token for email in self.world.people
        }

    def call(self, method: str, path: str, who: str = ALICE, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, "/calendar/v3" + path, headers=headers, **kwargs)

    def insert(self, body: dict[str, Any], who: str = ALICE, calendar: str = "primary", **params: Any) -> Any:
        response = self.call("POST", f"/calendars/{quote(calendar)}/events", who, json=body, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def events(self, who: str = ALICE, calendar: str = "primary", **params: Any) -> Any:
        response = self.call("GET", f"/calendars/{quote(calendar, safe='')}/events", who, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def timed(summary: str, start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


def test_calendar_list_puts_primary_first_with_google_fields(sandbox: Sandbox) -> None:
    body = sandbox.call("GET", "/users/me/calendarList").json()

    assert body["kind"] == "calendar#calendarList"
    assert "nextSyncToken" in body
    first, *others = body["items"]
    assert first["id"] == ALICE and first["primary"] is True and first["accessRole"] == "owner"
    assert first["kind"] == "calendar#calendarListEntry" and first["timeZone"] == "America/New_York"
    assert {"backgroundColor", "foregroundColor", "selected", "defaultReminders"} <= first.keys()
    assert {c["id"] for c in others} == {TEAM, HOLIDAYS}
    assert all("primary" not in c for c in others)


def test_calendar_list_filters_by_min_access_role_and_pages(sandbox: Sandbox) -> None:
    writable = sandbox.call("GET", "/users/me/calendarList", params={"minAccessRole": "writer"}).json()
    page = sandbox.call("GET", "/users/me/calendarList", params={"maxResults": 2}).json()
    rest = sandbox.call("GET", "/users/me/calendarList", params={"pageToken": page["nextPageToken"]}).json()
    bad = sandbox.call("GET", "/users/me/calendarList", params={"minAccessRole": "admin"})

    assert {c["id"] for c in writable["items"]} == {ALICE, TEAM}
    assert len(page["items"]) == 2 and len(rest["items"]) == 1 and "nextPageToken" not in rest
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["location"] == "minAccessRole"


def test_calendar_ids_are_url_encoded_in_paths_and_unknown_ones_are_404(sandbox: Sandbox) -> None:
    entry = sandbox.call("GET", f"/users/me/calendarList/{quote(TEAM, safe='')}").json()
    calendar = sandbox.call("GET", f"/calendars/{quote(HOLIDAYS, safe='')}").json()
    missing = sandbox.call("GET", f"/calendars/{quote(BOB, safe='')}/events")

    assert entry["id"] == TEAM and entry["accessRole"] == "writer"
    assert calendar == calendar | {"kind": "calendar#calendar", "id": HOLIDAYS, "timeZone": "America/New_York"}
    assert missing.status_code == 404
    assert missing.json()["error"]["errors"][0]["reason"] == "notFound"


def test_requests_without_a_valid_token_get_google_401(sandbox: Sandbox) -> None:
    response = sandbox.client.get("/calendar/v3/users/me/calendarList", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401


def test_read_only_token_can_list_but_not_insert(sandbox: Sandbox) -> None:
    sandbox.tokens[ALICE] = sandbox.world.issue_access_token(ALICE, [READONLY_SCOPE], None).token

    listed = sandbox.call("GET", "/calendars/primary/events")
    inserted = sandbox.call(
        "POST", "/calendars/primary/events", json=timed("x", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z")
    )

    assert listed.status_code == 200
    assert inserted.status_code == 403
    assert inserted.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


def test_time_min_bounds_event_end_and_time_max_bounds_event_start(sandbox: Sandbox) -> None:
    sandbox.insert(timed("morning", "2024-11-01T09:00:00-04:00", "2024-11-01T10:00:00-04:00"))
    sandbox.insert(timed("noon", "2024-11-01T12:00:00-04:00", "2024-11-01T13:00:00-04:00"))
    sandbox.insert(timed("evening", "2024-11-01T18:00:00-04:00", "2024-11-01T19:00:00-04:00"))

    def window(time_min: str, time_max: str) -> list[str]:
        items = sandbox.events(timeMin=time_min, timeMax=time_max, singleEvents="true", orderBy="startTime")["items"]
        return [e["summary"] for e in items]

    # An event ending exactly at timeMin, or starting exactly at timeMax, is outside.
    assert window("2024-11-01T10:00:00-04:00", "2024-11-01T18:00:00-04:00") == ["noon"]
    assert window("2024-11-01T09:59:59-04:00", "2024-11-01T18:00:01-04:00") == ["morning", "noon", "evening"]
    assert window("2024-11-01T13:30:00Z", "2024-11-01T16:30:00Z") == ["morning", "noon"]


def test_time_min_without_an_offset_is_a_bad_request(sandbox: Sandbox) -> None:
    response = sandbox.call("GET", "/calendars/primary/events", params={"timeMin": "2024-11-01T10:00:00"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Bad Request"


def test_list_renders_date_times_in_the_calendar_zone_or_the_requested_one(sandbox: Sandbox) -> None:
    sandbox.insert(timed("call", "2024-11-01T13:00:00Z", "2024-11-01T14:00:00Z"))

    default = sandbox.events()
    london = sandbox.events(timeZone="Europe/London")

    assert default["timeZone"] == "America/New_York"
    assert default["items"][0]["start"] == {"dateTime": "2024-11-01T09:00:00-04:00"}
    assert london["items"][0]["start"] == {"dateTime": "2024-11-01T13:00:00Z"}


def test_all_day_event_keeps_its_exclusive_end(sandbox: Sandbox) -> None:
    created = sandbox.insert({"summary": "offsite", "start": {"date": "2024-11-04"}, "end": {"date": "2024-11-06"}})

    on_last_day = sandbox.events(timeMin="2024-11-05T12:00:00-05:00", timeMax="2024-11-05T13:00:00-05:00")
    day_after = sandbox.events(timeMin="2024-11-06T00:00:00-05:00", timeMax="2024-11-06T23:00:00-05:00")

    assert created["start"] == {"date": "2024-11-04"} and created["end"] == {"date": "2024-11-06"}
    assert [e["end"] for e in on_last_day["items"]] == [{"date": "2024-11-06"}]
    assert day_after["items"] == []


def test_weekly_series_expands_in_its_own_zone_across_the_november_dst_change(sandbox: Sandbox) -> None:
    master = sandbox.insert(
        {
            "summary": "standup",
            "start": {"dateTime": "2024-10-28T09:00:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2024-10-28T09:30:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10"],
        }
    )

    listed = sandbox.events(
        timeMin="2024-10-27T00:00:00Z", timeMax="2024-11-12T00:00:00Z", singleEvents="true", orderBy="startTime"
    )["items"]
    in_utc = sandbox.events(
        timeMin="2024-10-27T00:00:00Z", timeMax="2024-11-12T00:00:00Z", singleEvents="true", timeZone="UTC"
    )["items"]

    assert [e["id"] for e in listed] == [
        f"{master['id']}_20241028T130000Z",
        f"{master['id']}_20241104T140000Z",
        f"{master['id']}_20241111T140000Z",
    ]
    assert [e["start"]["dateTime"] for e in listed] == [
        "2024-10-28T09:00:00-04:00",
        "2024-11-04T09:00:00-05:00",
        "2024-11-11T09:00:00-05:00",
    ]
    assert [e["end"]["dateTime"] for e in in_utc] == [
        "2024-10-28T13:30:00Z",
        "2024-11-04T14:30:00Z",
        "2024-11-11T14:30:00Z",
    ]
    second = listed[1]
    assert second["recurringEventId"] == master["id"] and "recurrence" not in second
    assert second["originalStartTime"] == {"dateTime": "2024-11-04T09:00:00-05:00", "timeZone": "America/New_York"}
    assert second["iCalUID"] == master["iCalUID"]
    fetched = sandbox.call("GET", f"/calendars/primary/events/{second['id']}").json()
    assert fetched["start"] == second["start"]


def test_without_single_events_the_master_comes_back_with_its_recurrence(sandbox: Sandbox) -> None:
    sandbox.insert(
        {
            "summary": "1:1",
            "start": {"dateTime": "2024-10-01T10:00:00-04:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2024-10-01T10:30:00-04:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20241010T000000Z", "EXDATE:20241005T140000Z"],
        }
    )

    masters = sandbox.events(timeMin="2024-10-02T00:00:00Z", timeMax="2024-10-06T00:00:00Z")["items"]
    days = sandbox.events(timeMin="2024-10-01T00:00:00Z", timeMax="2024-10-31T00:00:00Z", singleEvents="true")
    after = sandbox.events(timeMin="2024-10-11T00:00:00Z", timeMax="2024-10-31T00:00:00Z")["items"]

    assert [m["recurrence"] for m in masters] == [
        ["RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20241010T000000Z", "EXDATE:20241005T140000Z"]
    ]
    assert [e["start"]["dateTime"][:10] for e in days["items"]] == [
        "2024-10-01",
        "2024-10-03",
        "2024-10-07",
        "2024-10-09",
    ]
    assert after == []


def test_order_by_start_time_without_single_events_is_refused(sandbox: Sandbox) -> None:
    response = sandbox.call("GET", "/calendars/primary/events", params={"orderBy": "startTime"})
    unknown = sandbox.call("GET", "/calendars/primary/events", params={"orderBy": "summary"})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The requested ordering is not available for the particular query."
    assert unknown.status_code == 400


def test_events_page_with_next_page_token_and_end_with_a_sync_token(sandbox: Sandbox) -> None:
    for day in range(1, 6):
        sandbox.insert(timed(f"day {day}", f"2024-11-0{day}T15:00:00Z", f"2024-11-0{day}T16:00:00Z"))

    first = sandbox.events(maxResults=2, singleEvents="true", orderBy="startTime")
    second = sandbox.events(maxResults=2, singleEvents="true", orderBy="startTime", pageToken=first["nextPageToken"])
    third = sandbox.events(maxResults=2, singleEvents="true", orderBy="startTime", pageToken=second["nextPageToken"])

    titles = [e["summary"] for page in (first, second, third) for e in page["items"]]
    assert titles == ["day 1", "day 2", "day 3", "day 4", "day 5"]
    assert "nextSyncToken" not in first and "nextPageToken" not in third and "nextSyncToken" in third

    sandbox.insert(timed("later", "2024-11-09T15:00:00Z", "2024-11-09T16:00:00Z"))
    changed = sandbox.events(syncToken=third["nextSyncToken"])
    assert [e["summary"] for e in changed["items"]] == ["later"]
    assert sandbox.call("GET", "/calendars/primary/events", params={"syncToken": "garbage"}).status_code == 410


def test_q_searches_summary_description_location_and_attendees(sandbox: Sandbox) -> None:
    sandbox.insert(timed("Budget review", "2024-11-01T15:00:00Z", "2024-11-01T16:00:00Z", location="Room 4"))
    sandbox.insert(
        timed(
            "Sync",
            "2024-11-02T15:00:00Z",
            "2024-11-02T16:00:00Z",
            attendees=[{"email": CAROL, "displayName": "Carol Chen"}],
        )
    )

    def search(q: str) -> list[str]:
        return [e["summary"] for e in sandbox.events(q=q)["items"]]

    assert search("budget") == ["Budget review"]
    assert search("room 4") == ["Budget review"]
    assert search("carol") == ["Sync"]
    assert search("budget carol") == []


def test_insert_fills_in_what_google_fills_in(sandbox: Sandbox) -> None:
    event = sandbox.insert(
        timed(
            "kickoff",
            "2024-11-01T09:00:00-04:00",
            "2024-11-01T10:00:00-04:00",
            attendees=[{"email": ALICE}, {"email": BOB}],
        )
    )

    assert event["kind"] == "calendar#event" and event["status"] == "confirmed" and event["sequence"] == 0
    assert event["iCalUID"] == f"{event['id']}@google.com"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert event["creator"] == {"email": ALICE, "self": True} and event["organizer"] == {"email": ALICE, "self": True}
    assert event["reminders"] == {"useDefault": True}
    assert event["created"].endswith("Z") and event["updated"].endswith("Z")
    me, bob = event["attendees"]
    assert me == {"email": ALICE, "responseStatus": "accepted", "organizer": True, "self": True}
    assert bob == {"email": BOB, "responseStatus": "needsAction"}
    assert "hangoutLink" not in event


def test_insert_with_a_meet_request_and_conference_version_1_gets_a_hangout_link(sandbox: Sandbox) -> None:
    request = {"createRequest": {"requestId": "req-1", "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
    body = timed("meet", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z", conferenceData=request)

    with_meet = sandbox.insert(body, conferenceDataVersion=1)
    without = sandbox.insert(body, conferenceDataVersion=0)

    data = with_meet["conferenceData"]
    assert with_meet["hangoutLink"].startswith("https://meet.google.com/")
    assert data["createRequest"]["status"] == {"statusCode": "success"}
    assert data["entryPoints"][0]["entryPointType"] == "video"
    assert data["entryPoints"][0]["uri"] == with_meet["hangoutLink"]
    assert data["conferenceSolution"]["key"] == {"type": "hangoutsMeet"}
    assert with_meet["hangoutLink"].endswith(data["conferenceId"])
    assert "hangoutLink" not in without and "conferenceData" not in without
    bad_version = sandbox.call("POST", "/calendars/primary/events", json=body, params={"conferenceDataVersion": 2})
    assert bad_version.status_code == 400


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (
            {"dateTime": "2024-11-01T10:00:00Z"},
            {"dateTime": "2024-11-01T09:00:00Z"},
            "The specified time range is empty.",
        ),
        ({"date": "2024-11-01"}, {"date": "2024-11-01"}, "The specified time range is empty."),
        (
            {"date": "2024-11-01"},
            {"dateTime": "2024-11-01T09:00:00Z"},
            "Start and end times must either both be date or both be dateTime.",
        ),
        (
            {"dateTime": "2024-11-01T09:00:00"},
            {"dateTime": "2024-11-01T10:00:00"},
            "Missing time zone definition for start time.",
        ),
        ({"dateTime": "2024-11-01T09:00:00Z"}, None, "Missing end time."),
    ],
)
def test_insert_refuses_bad_times(sandbox: Sandbox, start: Any, end: Any, message: str) -> None:
    response = sandbox.call("POST", "/calendars/primary/events", json={"start": start, "end": end})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_insert_checks_client_ids_send_updates_and_write_access(sandbox: Sandbox) -> None:
    body = timed("x", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z")

    chosen = sandbox.insert(body | {"id": "abcdef0123"}, sendUpdates="all")
    duplicate = sandbox.call("POST", "/calendars/primary/events", json=body | {"id": "abcdef0123"})
    bad_id = sandbox.call("POST", "/calendars/primary/events", json=body | {"id": "Not_Valid"})
    bad_send = sandbox.call("POST", "/calendars/primary/events", json=body, params={"sendUpdates": "everyone"})
    read_only = sandbox.call("POST", f"/calendars/{quote(HOLIDAYS, safe='')}/events", json=body)

    assert chosen["id"] == "abcdef0123"
    assert sandbox.app.state.send_updates["abcdef0123"] == "all"
    assert duplicate.status_code == 409
    assert bad_id.status_code == 400 and bad_id.json()["error"]["message"] == "Invalid resource id value."
    assert bad_send.status_code == 400
    assert read_only.status_code == 403


def test_an_invitation_lands_in_the_attendee_calendar_awaiting_a_reply(sandbox: Sandbox) -> None:
    event = sandbox.insert(
        timed(
            "review",
            "2024-11-01T09:00:00Z",
            "2024-11-01T10:00:00Z",
            attendees=[{"email": BOB}, {"email": "x@else.com"}],
        )
    )

    copy = sandbox.call("GET", f"/calendars/primary/events/{event['id']}", BOB).json()

    assert copy["organizer"] == {"email": ALICE}
    assert copy["attendees"][0] == {"email": BOB, "responseStatus": "needsAction", "self": True}
    assert copy["start"] == {"dateTime": "2024-11-01T09:00:00Z"}  # Bob's calendar is in London


def test_an_attendee_reply_reaches_the_organizer_copy(sandbox: Sandbox) -> None:
    event = sandbox.insert(
        timed("review", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z", attendees=[{"email": BOB}, {"email": CAROL}])
    )
    bobs = sandbox.call("GET", f"/calendars/primary/events/{event['id']}", BOB).json()
    replied = [a | {"responseStatus": "accepted"} if a.get("self") else a for a in bobs["attendees"]]

    patched = sandbox.call("PATCH", f"/calendars/primary/events/{event['id']}", BOB, json={"attendees": replied})

    assert patched.status_code == 200
    statuses = {
        who: {
            a["email"]: a["responseStatus"]
            for a in sandbox.call("GET", f"/calendars/primary/events/{event['id']}", who).json()["attendees"]
        }
        for who in (ALICE, CAROL)
    }
    assert statuses[ALICE] == {BOB: "accepted", CAROL: "needsAction"}
    assert statuses[CAROL] == {BOB: "accepted", CAROL: "needsAction"}


def test_organizer_patch_reschedules_everyone_and_bumps_sequence(sandbox: Sandbox) -> None:
    event = sandbox.insert(timed("review", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z", attendees=[{"email": BOB}]))

    renamed = sandbox.call("PATCH", f"/calendars/primary/events/{event['id']}", json={"summary": "Review"}).json()
    moved = sandbox.call(
        "PATCH",
        f"/calendars/primary/events/{event['id']}",
        json={"start": {"dateTime": "2024-11-01T11:00:00Z"}, "end": {"dateTime": "2024-11-01T12:00:00Z"}},
    ).json()
    bobs = sandbox.call("GET", f"/calendars/primary/events/{event['id']}", BOB).json()

    assert renamed["sequence"] == 0 and moved["sequence"] == 1
    assert moved["summary"] == "Review"
    assert bobs["summary"] == "Review" and bobs["start"] == {"dateTime": "2024-11-01T11:00:00Z"}
    missing = sandbox.call("PATCH", "/calendars/primary/events/unknown0000", json={"summary": "x"})
    assert missing.status_code == 404


def test_put_replaces_the_event(sandbox: Sandbox) -> None:
    event = sandbox.insert(timed("review", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z", location="Room 1"))

    replaced = sandbox.call(
        "PUT",
        f"/calendars/primary/events/{event['id']}",
        json=timed("Review", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z"),
    ).json()

    assert replaced["summary"] == "Review" and "location" not in replaced
    assert replaced["id"] == event["id"] and replaced["created"] == event["created"]


def test_delete_answers_204_then_410_and_cancels_the_attendee_copy(sandbox: Sandbox) -> None:
    event = sandbox.insert(timed("review", "2024-11-01T09:00:00Z", "2024-11-01T10:00:00Z", attendees=[{"email": BOB}]))
    path = f"/calendars/primary/events/{event['id']}"

    first = sandbox.call("DELETE", path, params={"sendUpdates": "none"})
    again = sandbox.call("DELETE", path)
    fetched = sandbox.call("GET", path).json()
    bobs = sandbox.call("GET", path, BOB).json()
    unknown = sandbox.call("DELETE", "/calendars/primary/events/nosuchevent")

    assert first.status_code == 204 and first.content == b""
    assert again.status_code == 410
    assert again.json()["error"]["message"] == "Resource has been deleted"
    assert again.json()["error"]["errors"][0]["reason"] == "deleted"
    assert fetched["status"] == "cancelled" and bobs["status"] == "cancelled"
    assert sandbox.events()["items"] == [] and sandbox.events(BOB)["items"] == []
    assert [e["id"] for e in sandbox.events(showDeleted="true")["items"]] == [event["id"]]
    assert unknown.status_code == 404
    assert sandbox.app.state.send_updates[event["id"]] == "none"


def test_deleting_one_instance_removes_only_that_occurrence(sandbox: Sandbox) -> None:
    master = sandbox.insert(
        {
            "summary": "standup",
            "start": {"dateTime": "2024-11-04T09:00:00-05:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2024-11-04T09:15:00-05:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        }
    )

    deleted = sandbox.call("DELETE", f"/calendars/primary/events/{master['id']}_20241105T140000Z")
    left = sandbox.events(singleEvents="true", timeMin="2024-11-01T00:00:00Z", timeMax="2024-11-30T00:00:00Z")
    raw = sandbox.events(timeMin="2024-11-01T00:00:00Z", timeMax="2024-11-30T00:00:00Z")

    assert deleted.status_code == 204
    assert [e["id"][-16:] for e in left["items"]] == ["20241104T140000Z", "20241106T140000Z"]
    # without singleEvents Google lists the series plus its cancelled instance
    assert {(e["id"], e["status"]) for e in raw["items"]} == {
        (f"{master['id']}_20241105T140000Z", "cancelled"),
        (master["id"], "confirmed"),
    }


def test_free_busy_merges_overlaps_and_reports_unknown_calendars(sandbox: Sandbox) -> None:
    sandbox.insert(timed("a", "2024-11-01T13:00:00Z", "2024-11-01T14:00:00Z"))
    sandbox.insert(timed("b", "2024-11-01T13:30:00Z", "2024-11-01T15:00:00Z"))
    sandbox.insert(timed("c", "2024-11-01T17:00:00Z", "2024-11-01T19:00:00Z"))
    sandbox.insert(timed("free", "2024-11-01T20:00:00Z", "2024-11-01T21:00:00Z", transparency="transparent"))
    sandbox.insert(timed("bob's", "2024-11-01T16:00:00Z", "2024-11-01T16:30:00Z"), who=BOB)

    body = {
        "timeMin": "2024-11-01T12:00:00Z",
        "timeMax": "2024-11-01T18:00:00Z",
        "items": [{"id": "primary"}, {"id": BOB}, {"id": "nobody@else.com"}],
    }
    response = sandbox.call("POST", "/freeBusy", json=body).json()

    assert response["kind"] == "calendar#freeBusy"
    assert response["timeMin"] == "2024-11-01T12:00:00.000Z" and response["timeMax"] == "2024-11-01T18:00:00.000Z"
    assert response["calendars"]["primary"] == {
        "busy": [
            {"start": "2024-11-01T13:00:00Z", "end": "2024-11-01T15:00:00Z"},
            {"start": "2024-11-01T17:00:00Z", "end": "2024-11-01T18:00:00Z"},
        ]
    }
    assert response["calendars"][BOB] == {"busy": [{"start": "2024-11-01T16:00:00Z", "end": "2024-11-01T16:30:00Z"}]}
    assert response["calendars"]["nobody@else.com"] == {
        "errors": [{"domain": "global", "reason": "notFound"}],
        "busy": [],
    }


def test_free_busy_ignores_declined_invitations_and_expands_series(sandbox: Sandbox) -> None:
    event = sandbox.insert(
        timed("declined", "2024-11-01T13:00:00Z", "2024-11-01T14:00:00Z", attendees=[{"email": BOB}])
    )
    bobs = sandbox.call("GET", f"/calendars/primary/events/{event['id']}", BOB).json()
    declined = [a | {"responseStatus": "declined"} for a in bobs["attendees"]]
    sandbox.call("PATCH", f"/calendars/primary/events/{event['id']}", BOB, json={"attendees": declined})
    sandbox.insert(
        {
            "summary": "daily",
            "start": {"dateTime": "2024-10-01T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2024-10-01T09:30:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=DAILY"],
        },
        who=BOB,
    )

    body = {"timeMin": "2024-11-01T00:00:00Z", "timeMax": "2024-11-02T00:00:00Z", "items": [{"id": BOB}]}
    response = sandbox.call("POST", "/freeBusy", json=body | {"timeZone": "Europe/London"}).json()

    assert response["calendars"][BOB]["busy"] == [{"start": "2024-11-01T09:00:00Z", "end": "2024-11-01T09:30:00Z"}]


def test_free_busy_refuses_long_and_empty_ranges(sandbox: Sandbox) -> None:
    too_long = {"timeMin": "2024-01-01T00:00:00Z", "timeMax": "2024-06-01T00:00:00Z", "items": [{"id": ALICE}]}
    empty = {"timeMin": "2024-01-02T00:00:00Z", "timeMax": "2024-01-01T00:00:00Z", "items": [{"id": ALICE}]}

    long_response = sandbox.call("POST", "/freeBusy", json=too_long)
    empty_response = sandbox.call("POST", "/freeBusy", json=empty)

    assert long_response.status_code == 400
    assert long_response.json()["error"]["errors"][0]["reason"] == "timeRangeTooLong"
    assert empty_response.status_code == 400


def test_monthly_all_day_series_uses_date_instance_ids(sandbox: Sandbox) -> None:
    master = sandbox.insert(
        {
            "summary": "month end",
            "start": {"date": "2024-10-25"},
            "end": {"date": "2024-10-26"},
            "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"],
        }
    )

    items = sandbox.events(singleEvents="true", orderBy="startTime", timeMin="2024-10-01T00:00:00Z")["items"]

    assert [e["id"] for e in items] == [f"{master['id']}_{day}" for day in ("20241025", "20241129", "20241227")]
    assert items[1]["start"] == {"date": "2024-11-29"} and items[1]["end"] == {"date": "2024-11-30"}
    assert items[1]["originalStartTime"] == {"date": "2024-11-29"}


def test_patching_one_instance_changes_only_that_occurrence(sandbox: Sandbox) -> None:
    master = sandbox.insert(
        {
            "summary": "standup",
            "start": {"dateTime": "2024-11-04T09:00:00-05:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2024-11-04T09:15:00-05:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
            "attendees": [{"email": BOB}],
        }
    )
    instance = f"{master['id']}_20241105T140000Z"

    patched = sandbox.call("PATCH", f"/calendars/primary/events/{instance}", json={"summary": "demo day"}).json()
    mine = sandbox.events(singleEvents="true", timeMin="2024-11-01T00:00:00Z", timeMax="2024-11-30T00:00:00Z")
    bobs = sandbox.events(BOB, singleEvents="true", timeMin="2024-11-01T00:00:00Z", timeMax="2024-11-30T00:00:00Z")

    assert patched["id"] == instance and patched["recurringEventId"] == master["id"]
    for listing in (mine, bobs):
        assert [e["summary"] for e in listing["items"]] == ["standup", "demo day", "standup"]
    assert sandbox.call("GET", f"/calendars/primary/events/{master['id']}_20241105T150000Z").status_code == 404
