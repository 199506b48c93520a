"""The sandbox answers with the fields the real APIs document (../notes/upstream-apis.md), over real HTTP.

If one of these fails, the sandbox drifted from Google or Fathom and the clients could be
passing against something the real services never send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx2

from tests.upstream.conftest import Connected


async def _google(alice: Connected, base_key: str, path: str, **kw: object) -> dict:  # type: ignore[type-arg]
    token = await alice.credentials.access_token(alice.user.id)
    base = alice.sandbox.settings_env()[base_key]
    method = "POST" if "json" in kw else "GET"
    response = await alice.http.request(method, base + path, headers={"Authorization": f"Bearer {token}"}, **kw)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()


async def test_openid_discovery_lists_every_endpoint_the_client_uses(alice: Connected) -> None:
    doc = (await alice.http.get(alice.sandbox.settings_env()["GOOGLE_DISCOVERY_URL"])).json()
    for key in (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "revocation_endpoint",
        "jwks_uri",
    ):
        assert doc[key].startswith("http")
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert "S256" in doc["code_challenge_methods_supported"]


async def test_a_google_token_response_has_the_documented_fields(alice: Connected) -> None:
    grant = await alice.store.get_google_grant(alice.user.id)
    assert grant is not None
    for key in ("access_token", "expires_in", "refresh_token", "scope", "token_type"):
        assert key in grant.token
    assert grant.token["token_type"] == "Bearer"


async def test_gmail_list_and_message_resources(alice: Connected) -> None:
    listed = await _google(alice, "GMAIL_API_BASE", "/gmail/v1/users/me/messages", params={"maxResults": 3})
    assert {"messages", "resultSizeEstimate"} <= listed.keys()
    assert set(listed["messages"][0]) == {"id", "threadId"}
    message = await _google(alice, "GMAIL_API_BASE", f"/gmail/v1/users/me/messages/{listed['messages'][0]['id']}")
    for key in ("id", "threadId", "labelIds", "snippet", "historyId", "internalDate", "sizeEstimate", "payload"):
        assert key in message
    assert isinstance(message["historyId"], str) and isinstance(message["internalDate"], str)
    payload = message["payload"]
    for key in ("partId", "mimeType", "filename", "headers", "body"):
        assert key in payload
    assert {"name", "value"} == set(payload["headers"][0])


async def test_gmail_thread_labels_and_profile_resources(alice: Connected) -> None:
    listed = await _google(alice, "GMAIL_API_BASE", "/gmail/v1/users/me/messages", params={"maxResults": 1})
    thread = await _google(alice, "GMAIL_API_BASE", f"/gmail/v1/users/me/threads/{listed['messages'][0]['threadId']}")
    assert {"id", "historyId", "messages"} <= thread.keys()
    labels = await _google(alice, "GMAIL_API_BASE", "/gmail/v1/users/me/labels")
    assert all({"id", "name", "type"} <= label.keys() for label in labels["labels"])


async def test_calendar_list_events_and_free_busy_resources(alice: Connected) -> None:
    calendars = await _google(alice, "CALENDAR_API_BASE", "/users/me/calendarList")
    assert all({"id", "summary", "timeZone", "accessRole"} <= c.keys() for c in calendars["items"])
    now = datetime.now(UTC)
    events = await _google(
        alice,
        "CALENDAR_API_BASE",
        "/calendars/primary/events",
        params={
            "timeMin": now.isoformat(),
            "timeMax": (now + timedelta(days=7)).isoformat(),
            "singleEvents": "true",
            "orderBy": "startTime",
        },
    )
    event = events["items"][0]
    for key in ("id", "status", "htmlLink", "start", "end", "organizer"):
        assert key in event
    assert ("dateTime" in event["start"]) != ("date" in event["start"])
    busy = await _google(
        alice,
        "CALENDAR_API_BASE",
        "/freeBusy",
        json={
            "timeMin": now.isoformat(),
            "timeMax": (now + timedelta(days=2)).isoformat(),
            "items": [{"id": alice.user.email}],
        },
    )
    assert "busy" in busy["calendars"][alice.user.email]


async def test_fathom_meetings_summary_and_transcript_resources(alice: Connected) -> None:
    person = alice.sandbox.world.people[alice.user.email]
    headers = {"X-Api-Key": person.fathom_key or ""}
    base = alice.sandbox.settings_env()["FATHOM_API_BASE"]
    async with httpx2.AsyncClient(timeout=10) as http:
        page = (await http.get(f"{base}/meetings", params={"include_action_items": "true"}, headers=headers)).json()
        assert {"limit", "next_cursor", "items"} <= page.keys()
        meeting = page["items"][0]
        for key in (
            "title",
            "meeting_title",
            "recording_id",
            "url",
            "share_url",
            "created_at",
            "scheduled_start_time",
            "scheduled_end_time",
            "recording_start_time",
            "recording_end_time",
            "calendar_invitees_domains_type",
            "transcript_language",
            "calendar_invitees",
            "recorded_by",
            "action_items",
        ):
            assert key in meeting, key
        assert isinstance(meeting["recording_id"], int)
        assert {"name", "email", "email_domain", "is_external", "matched_speaker_display_name"} <= meeting[
            "calendar_invitees"
        ][0].keys()
        summary = (await http.get(f"{base}/recordings/{meeting['recording_id']}/summary", headers=headers)).json()
        assert {"template_name", "markdown_formatted"} <= summary["summary"].keys()
        transcript = (await http.get(f"{base}/recordings/{meeting['recording_id']}/transcript", headers=headers)).json()
        line = transcript["transcript"][0]
        assert {"display_name", "matched_calendar_invitee_email"} <= line["speaker"].keys()
        assert len(line["timestamp"].split(":")) == 3
        teams = (await http.get(f"{base}/teams", headers=headers)).json()
        assert "items" in teams and "next_cursor" in teams
