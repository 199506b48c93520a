"""The sandbox Fathom External API, driven over HTTP the way a Fathom client drives api.fathom.ai."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from sandbox.fathom.api import FathomLimits, create_fathom_app
from sandbox.world import FATHOM_SANDBOX_CLIENT_ID, FATHOM_SANDBOX_CLIENT_SECRET, FathomRecording, Person, World

BASE = "/fathom/external/v1"
T0 = datetime(2025, 3, 3, 15, tzinfo=UTC)


def recording(recording_id: int, recorder: Person, created: datetime, *invitees: str) -> FathomRecording:
    guests = [
        {
            "name": email.split("@")[0].title(),
            "email": email,
            "email_domain": email.split("@")[1],
            "is_external": not email.endswith("@acme.com"),
            "matched_speaker_display_name": None,
        }
        for email in (recorder.email, *invitees)
    ]
    meeting = {
        "title": f"Meeting {recording_id}",
        "meeting_title": f"Meeting {recording_id}",
        "recording_id": recording_id,
        "url": f"https://fathom.video/calls/{recording_id}",
        "share_url": f"https://fathom.video/share/{recording_id}",
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scheduled_start_time": (created - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "scheduled_end_time": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recording_start_time": (created - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recording_end_time": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "calendar_invitees_domains_type": (
            "one_or_more_external" if any(g["is_external"] for g in guests) else "only_internal"
        ),
        "transcript_language": "en",
        "calendar_invitees": guests,
        "recorded_by": {
            "name": recorder.name,
            "email": recorder.email,
            "email_domain": "acme.com",
            "team": recorder.fathom_team,
        },
    }
    line = {
        "speaker": {"display_name": recorder.name, "matched_calendar_invitee_email": recorder.email},
        "text": f"Welcome to meeting {recording_id}.",
        "timestamp": "00:00:05",
    }
    item = {"description": f"Follow up on {recording_id}", "user_generated": False, "completed": False}
    return FathomRecording(meeting, f"## Summary of {recording_id}", [line], [item])


class Sandbox:
    def __init__(self) -> None:
        self.world = World(anchor=T0, domain="acme.com")
        self.alice = self.person("alice@acme.com", "Alice Adams", "key-alice", "Sales")
        self.bob = self.person("bob@acme.com", "Bob Brown", "key-bob", "Sales")
        self.carol = self.person("carol@acme.com", "Carol Chen", "key-carol", "Engineering")
        self.dave = self.person("dave@acme.com", "Dave Diaz", "key-dave", None)
        self.world.fathom_teams = [
            {"name": "Sales", "created_at": "2024-01-10T12:00:00Z"},
            {"name": "Engineering", "created_at": "2024-02-10T12:00:00Z"},
        ]
        # Alice records 25 meetings an hour apart; every fifth has an outside guest.
        for n in range(25):
            guests = ("bob@acme.com", "pat@client.io") if n % 5 == 0 else ("bob@acme.com",)
            self.add(recording(1000 + n, self.alice, T0 - timedelta(hours=n), *guests))
        self.add(recording(2000, self.bob, T0 - timedelta(minutes=30), "ann@partner.org"))
        self.add(recording(2001, self.bob, T0 - timedelta(days=10)))
        self.add(recording(3000, self.carol, T0 - timedelta(minutes=10), "alice@acme.com"))
        self.add(recording(4000, self.dave, T0 - timedelta(minutes=5)))
        self.now = 0.0
        self.app = create_fathom_app(self.world, FathomLimits(clock=lambda: self.now))
        self.client = TestClient(Starlette(routes=[Mount(BASE, self.app)]))

    def person(self, email: str, name: str, key: str, team: str | None) -> Person:
        person = Person(email, name, email, "America/New_York", fathom_key=key, fathom_team=team)
        self.world.people[email] = person
        return person

    def add(self, rec: FathomRecording) -> None:
        self.world.recordings[rec.meeting["recording_id"]] = rec

    def get(self, path: str, key: str = "key-alice", params: Any = None) -> Any:
        return self.client.get(BASE + path, headers={"X-Api-Key": key}, params=params)

    def ids(self, key: str = "key-alice", params: Any = None) -> list[int]:
        """Every recording id the query returns, following cursors."""
        found: list[int] = []
        cursor: str | None = None
        while True:
            query = list(params or []) + ([("cursor", cursor)] if cursor else [])
            body = self.get("/meetings", key, query).json()
            found += [m["recording_id"] for m in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return found


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


def test_meetings_come_newest_first_in_pages_of_ten_until_next_cursor_is_null(sandbox: Sandbox) -> None:
    first = sandbox.get("/meetings").json()
    second = sandbox.get("/meetings", params={"cursor": first["next_cursor"]}).json()
    third = sandbox.get("/meetings", params={"cursor": second["next_cursor"]}).json()

    assert first["limit"] == 10 and len(first["items"]) == 10 and len(second["items"]) == 10
    assert len(third["items"]) == 7 and third["next_cursor"] is None
    ids = [m["recording_id"] for page in (first, second, third) for m in page["items"]]
    assert ids[:3] == [1000, 2000, 1001]  # T0, T0-30min, T0-1h
    assert ids[-1] == 2001
    assert len(set(ids)) == 27


def test_a_key_sees_its_own_and_its_teams_recordings_only(sandbox: Sandbox) -> None:
    assert set(sandbox.ids("key-bob")) == set(sandbox.ids("key-alice"))
    assert sandbox.ids("key-carol") == [3000]
    assert sandbox.ids("key-dave") == [4000]


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": "wrong"}, {"Authorization": "Bearer key-alice"}])
def test_a_missing_or_unknown_key_is_401(sandbox: Sandbox, headers: dict[str, str]) -> None:
    response = sandbox.client.get(BASE + "/meetings", headers=headers)

    assert response.status_code == 401
    assert "error" in response.json()


def test_created_after_and_before_bound_created_at_exclusively(sandbox: Sandbox) -> None:
    after = (T0 - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (T0 - timedelta(minutes=30)).isoformat()

    ids = sandbox.ids(params=[("created_after", after), ("created_before", before)])

    assert ids == [1001, 1002]


def test_recorded_by_and_teams_filters_accept_literal_and_encoded_brackets(sandbox: Sandbox) -> None:
    raw = sandbox.client.get(BASE + "/meetings?recorded_by[]=bob@acme.com", headers={"X-Api-Key": "key-alice"})
    encoded = sandbox.client.get(
        BASE + "/meetings?recorded_by%5B%5D=BOB%40acme.com&recorded_by%5B%5D=nobody%40acme.com",
        headers={"X-Api-Key": "key-alice"},
    )

    assert [m["recording_id"] for m in raw.json()["items"]] == [2000, 2001]
    assert [m["recording_id"] for m in encoded.json()["items"]] == [2000, 2001]
    assert sandbox.ids("key-carol", [("teams[]", "Engineering")]) == [3000]
    assert sandbox.ids("key-carol", [("teams[]", "Sales")]) == []
    assert len(sandbox.ids(params=[("teams[]", "Sales"), ("teams[]", "Engineering")])) == 27


def test_invitee_domain_filters(sandbox: Sandbox) -> None:
    by_domain = sandbox.ids(params=[("calendar_invitees_domains[]", "partner.org")])
    any_domain = sandbox.ids(
        params=[("calendar_invitees_domains[]", "partner.org"), ("calendar_invitees_domains[]", "CLIENT.io")]
    )
    external = sandbox.ids(params=[("calendar_invitees_domains_type", "one_or_more_external")])
    internal = sandbox.ids(params=[("calendar_invitees_domains_type", "only_internal")])
    everything = sandbox.ids(params=[("calendar_invitees_domains_type", "all")])
    by_meeting_type = sandbox.ids(params=[("meeting_type", "external")])

    assert by_domain == [2000]
    assert sorted(any_domain) == [1000, 1005, 1010, 1015, 1020, 2000]
    assert sorted(external) == sorted(any_domain)
    assert len(internal) == 21 and not set(internal) & set(external)
    assert len(everything) == 27
    assert by_meeting_type == external
    assert sandbox.ids(params=[("meeting_type", "internal")]) == internal


def test_include_flags_add_the_heavy_parts_and_leave_them_out_otherwise(sandbox: Sandbox) -> None:
    plain = sandbox.get("/meetings").json()["items"][0]
    full = sandbox.get(
        "/meetings",
        params={
            "include_transcript": "true",
            "include_summary": "true",
            "include_action_items": "true",
            "include_crm_matches": "true",
        },
    ).json()["items"][0]
    summary_only = sandbox.get("/meetings", params={"include_summary": "true", "include_transcript": "false"})

    assert not {"transcript", "default_summary", "action_items", "crm_matches"} & plain.keys()
    assert full["transcript"][0]["text"] == "Welcome to meeting 1000."
    assert full["default_summary"] == {"template_name": "general", "markdown_formatted": "## Summary of 1000"}
    assert full["action_items"][0]["description"] == "Follow up on 1000"
    assert full["crm_matches"] is None
    assert set(summary_only.json()["items"][0]) - set(plain) == {"default_summary"}


@pytest.mark.parametrize(
    "params",
    [
        {"created_after": "last tuesday"},
        {"created_before": "2025-13-01"},
        {"include_summary": "yes"},
        {"calendar_invitees_domains_type": "external"},
        {"meeting_type": "sales"},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJwYWdlX251bSI6MH0="},  # page 0
    ],
)
def test_bad_parameters_are_400(sandbox: Sandbox, params: dict[str, str]) -> None:
    response = sandbox.get("/meetings", params=params)

    assert response.status_code == 400
    assert "error" in response.json()


def test_summary_and_transcript_of_a_visible_recording(sandbox: Sandbox) -> None:
    summary = sandbox.get("/recordings/2000/summary").json()
    transcript = sandbox.get("/recordings/2000/transcript").json()

    assert summary == {"summary": {"template_name": "general", "markdown_formatted": "## Summary of 2000"}}
    assert transcript["transcript"][0]["speaker"]["matched_calendar_invitee_email"] == "bob@acme.com"


def test_someone_elses_recording_looks_missing(sandbox: Sandbox) -> None:
    others = sandbox.get("/recordings/3000/summary")  # Carol's, another team
    missing = sandbox.get("/recordings/9999/transcript")
    malformed = sandbox.get("/recordings/abc/summary")

    assert others.status_code == 404 and missing.status_code == 404
    assert others.json() == missing.json()
    assert malformed.status_code == 400


def test_teams_and_team_members(sandbox: Sandbox) -> None:
    teams = sandbox.get("/teams").json()
    sales = sandbox.get("/team_members", params={"team": "Sales"}).json()
    everyone = sandbox.get("/team_members").json()

    assert teams == {
        "limit": 10,
        "next_cursor": None,
        "items": [
            {"name": "Sales", "created_at": "2024-01-10T12:00:00Z"},
            {"name": "Engineering", "created_at": "2024-02-10T12:00:00Z"},
        ],
    }
    assert [(m["name"], m["email"]) for m in sales["items"]] == [
        ("Alice Adams", "alice@acme.com"),
        ("Bob Brown", "bob@acme.com"),
    ]
    assert {m["email"] for m in everyone["items"]} == {"alice@acme.com", "bob@acme.com", "carol@acme.com"}


def test_rate_limit_answers_429_with_retry_after_and_the_window_slides(sandbox: Sandbox) -> None:
    sandbox.app.state.limits.calls = 3
    sandbox.app.state.limits.window_seconds = 10.0

    ok = []
    for moment in (0.0, 2.0, 4.0):
        sandbox.now = moment
        ok.append(sandbox.get("/teams"))
    limited = sandbox.get("/teams")
    other_key = sandbox.get("/teams", key="key-carol")
    sandbox.now = 10.5  # the call at t=0 has left the window
    again = sandbox.get("/teams")

    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in ok] == ["2", "1", "0"]
    assert ok[0].headers["RateLimit-Limit"] == "3"
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "6"  # the t=0 call leaves the window at t=10
    assert "error" in limited.json()
    assert other_key.status_code == 200
    assert again.status_code == 200


def test_the_default_limit_is_sixty_calls_a_minute(sandbox: Sandbox) -> None:
    statuses = [sandbox.get("/teams").status_code for _ in range(61)]

    assert statuses[:60] == [200] * 60 and statuses[60] == 429


# -- OAuth for third-party apps ---------------------------------------------------------------

APP_REDIRECT = "https://app.example/fathom/callback"


def oauth_tokens(sandbox: Sandbox, email: str = "alice@acme.com") -> dict[str, Any]:
    """Alice allows the sandbox app; the token response for the code Fathom sends back."""
    authorized = sandbox.client.get(
        BASE + "/oauth2/authorize",
        params={
            "client_id": FATHOM_SANDBOX_CLIENT_ID,
            "redirect_uri": APP_REDIRECT,
            "response_type": "code",
            "scope": "public_api",
            "state": "st-1",
            "sandbox_login": email,
        },
        follow_redirects=False,
    )
    assert authorized.status_code == 302, authorized.text
    back = parse_qs(urlsplit(authorized.headers["location"]).query)
    assert back["state"] == ["st-1"]
    exchanged = token_request(sandbox, grant_type="authorization_code", code=back["code"][0], redirect_uri=APP_REDIRECT)
    assert exchanged.status_code == 200, exchanged.text
    return exchanged.json()


def token_request(sandbox: Sandbox, path: str = "/oauth2/token", **form: str) -> Any:
    data = {"client_id": FATHOM_SANDBOX_CLIENT_ID, "client_secret": FATHOM_SANDBOX_CLIENT_SECRET, **form}
    return sandbox.client.post(BASE + path, data=data)


def bearer_get(sandbox: Sandbox, path: str, token: str, params: Any = None) -> Any:
    return sandbox.client.get(BASE + path, headers={"Authorization": f"Bearer {token}"}, params=params)


def test_an_oauth_token_reads_the_same_meetings_as_the_persons_key_without_inline_summaries(
    sandbox: Sandbox,
) -> None:
    tokens = oauth_tokens(sandbox)
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "public_api" and tokens["expires_in"] > 0
    listed = bearer_get(sandbox, "/meetings", tokens["access_token"]).json()
    assert [m["recording_id"] for m in listed["items"]] == [
        m["recording_id"] for m in sandbox.get("/meetings").json()["items"]
    ]
    for include in ("include_summary", "include_transcript"):
        refused = bearer_get(sandbox, "/meetings", tokens["access_token"], {include: "true"})
        assert refused.status_code == 400 and "/recordings/" in refused.json()["error"]
    summary = bearer_get(sandbox, "/recordings/1000/summary", tokens["access_token"])
    assert summary.json()["summary"]["markdown_formatted"] == "## Summary of 1000"
    assert bearer_get(sandbox, "/teams", "fathom-at.not-issued").status_code == 401


def test_a_refresh_token_works_once_and_its_successor_then_works(sandbox: Sandbox) -> None:
    first = oauth_tokens(sandbox)
    second = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    again = token_request(sandbox, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    third = token_request(sandbox, grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200
    assert bearer_get(sandbox, "/teams", third.json()["access_token"]).status_code == 200


def test_an_expired_access_token_is_401_and_a_code_works_once_for_its_redirect_uri(sandbox: Sandbox) -> None:
    sandbox.world.fathom_access_token_ttl = 0
    tokens = oauth_tokens(sandbox)
    assert bearer_get(sandbox, "/teams", tokens["access_token"]).status_code == 401
    authorized = sandbox.client.get(
        BASE + "/oauth2/authorize",
        params={
            "client_id": FATHOM_SANDBOX_CLIENT_ID,
            "redirect_uri": APP_REDIRECT,
            "response_type": "code",
            "scope": "public_api",
            "sandbox_login": "bob@acme.com",
        },
        follow_redirects=False,
    )
    code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
    elsewhere = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri=APP_REDIRECT + "x")
    assert elsewhere.status_code == 400 and elsewhere.json()["error"] == "invalid_grant"
    spent = token_request(sandbox, grant_type="authorization_code", code=code, redirect_uri=APP_REDIRECT)
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    wrong_secret = sandbox.client.post(
        BASE + "/oauth2/token",
        data={"client_id": FATHOM_SANDBOX_CLIENT_ID, "client_secret": "nope", "grant_type": "refresh_token"},
    )
    assert wrong_secret.status_code == 401 and wrong_secret.json()["error"] == "invalid_client"


def test_revoking_ends_the_grant_its_access_tokens_and_its_refresh_token(sandbox: Sandbox) -> None:
    tokens = oauth_tokens(sandbox)
    assert bearer_get(sandbox, "/teams", tokens["access_token"]).status_code == 200
    assert token_request(sandbox, "/oauth2/revoke", token=tokens["refresh_token"]).status_code == 200
    assert bearer_get(sandbox, "/teams", tokens["access_token"]).status_code == 401
    refreshed = token_request(sandbox, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
