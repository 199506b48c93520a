"""The combined sandbox server, started for real on loopback and driven over HTTP."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from sandbox.persistence import load_world
from sandbox.server import SandboxServer
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Calendar, Mailbox, Person, World

REDIRECT = "http://localhost:8080/auth/callback"
SCOPE = "openid email profile https://www.googleapis.com/auth/gmail.modify https://www.googleapis.com/auth/calendar"
ADA = "ada@example.com"


def make_world() -> World:
    world = World(anchor=datetime(2026, 3, 2, 9, tzinfo=UTC), domain="example.com")
    ada = Person(ADA, "Ada Lovelace", "1001", "Europe/London", hd="example.com", fathom_key="fk-ada")
    world.people[ada.email] = ada
    world.mailboxes[ada.email] = Mailbox(owner=ada.email)
    world.calendars[ada.email] = {ada.email: Calendar(ada.email, ada.email, ada.time_zone, primary=True)}
    return world


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(make_world()) as server:
        yield server


@pytest.fixture
def http(sandbox: SandboxServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=sandbox.base_url, timeout=5) as client:
        yield client


def sign_in(http: httpx2.Client) -> dict[str, Any]:
    params = {
        "client_id": SANDBOX_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "access_type": "offline",
        "prompt": "consent",
        "sandbox_login": ADA,
    }
    redirect = http.get("/google/o/oauth2/v2/auth", params=params)
    assert redirect.status_code == 302
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = http.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert response.status_code == 200
    return response.json()


def test_discovery_names_the_servers_own_base_url(sandbox: SandboxServer, http: httpx2.Client) -> None:
    doc = http.get("/google/.well-known/openid-configuration").json()
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert doc["issuer"] == f"{sandbox.base_url}/google"
    assert doc["token_endpoint"] == f"{sandbox.base_url}/google/token"


def test_settings_env_points_every_upstream_at_the_sandbox(sandbox: SandboxServer, http: httpx2.Client) -> None:
    env = sandbox.settings_env()
    assert env["GOOGLE_CLIENT_ID"] == SANDBOX_CLIENT_ID
    assert env["GOOGLE_CLIENT_SECRET"] == SANDBOX_CLIENT_SECRET
    assert httpx2.get(env["GOOGLE_DISCOVERY_URL"]).status_code == 200
    assert env["GMAIL_API_BASE"] == f"{sandbox.base_url}/gmail"
    assert env["CALENDAR_API_BASE"] == f"{sandbox.base_url}/calendar/v3"
    assert env["FATHOM_API_BASE"] == f"{sandbox.base_url}/fathom/external/v1"


def test_a_signed_in_person_reaches_gmail_calendar_and_fathom(http: httpx2.Client) -> None:
    bearer = {"Authorization": f"Bearer {sign_in(http)['access_token']}"}
    assert http.get("/gmail/gmail/v1/users/me/labels", headers=bearer).status_code == 200
    assert http.get("/calendar/v3/users/me/calendarList", headers=bearer).status_code == 200
    assert http.get("/fathom/external/v1/teams", headers={"X-Api-Key": "fk-ada"}).status_code == 200


def test_injected_failures_reach_the_client_then_clear(http: httpx2.Client) -> None:
    bearer = {"Authorization": f"Bearer {sign_in(http)['access_token']}"}
    fail = {"prefix": "/gmail", "count": 1, "status": 429, "retry_after": 3}
    assert http.post("/_sandbox/fail", json=fail).status_code == 200
    failed = http.get("/gmail/gmail/v1/users/me/labels", headers=bearer)
    assert failed.status_code == 429
    assert failed.headers["retry-after"] == "3"
    assert http.get("/gmail/gmail/v1/users/me/labels", headers=bearer).status_code == 200


def test_request_log_shows_what_the_client_sent(http: httpx2.Client) -> None:
    bearer = {"Authorization": f"Bearer {sign_in(http)['access_token']}"}
    http.get("/calendar/v3/users/me/calendarList", headers=bearer, params={"maxResults": "5"})
    [logged] = http.get("/_sandbox/requests", params={"prefix": "/calendar"}).json()["requests"]
    assert logged["headers"]["authorization"] == bearer["Authorization"]
    assert logged["query"] == "maxResults=5"
    assert logged["status"] == 200
    [token_call] = http.get("/_sandbox/requests", params={"prefix": "/google/token"}).json()["requests"]
    assert "grant_type=authorization_code" in token_call["body"]
    assert http.post("/_sandbox/reset-faults").status_code == 200
    assert http.get("/_sandbox/requests").json()["requests"] == []


def test_control_api_expires_tokens_and_revokes_grants(http: httpx2.Client) -> None:
    tokens = sign_in(http)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.post("/_sandbox/expire-tokens").status_code == 200
    assert http.get("/google/v1/userinfo", headers=bearer).status_code == 401
    assert http.post("/_sandbox/revoke", json={"email": ADA}).status_code == 200
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = http.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
    assert refreshed.json()["error"] == "invalid_grant"
    assert http.post("/_sandbox/revoke", json={"email": "nobody@example.com"}).status_code == 404


def test_control_api_sets_latency_and_lists_accounts(sandbox: SandboxServer, http: httpx2.Client) -> None:
    assert http.post("/_sandbox/latency", json={"prefix": "/fathom", "seconds": 0.001}).status_code == 200
    assert sandbox.faults.latency == {"/fathom": 0.001}
    assert http.post("/_sandbox/latency", json={"prefix": "/fathom"}).status_code == 400
    [account] = http.get("/_sandbox/accounts").json()["accounts"]
    assert (account["email"], account["fathom_key"]) == (ADA, "fk-ada")


def test_stopped_server_refuses_connections() -> None:
    server = SandboxServer(make_world())
    server.start()
    url = server.base_url
    server.stop()
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(f"{url}/google/.well-known/openid-configuration", timeout=2)


def test_server_defaults_to_the_seeded_world() -> None:
    with SandboxServer() as server:
        accounts = httpx2.get(f"{server.base_url}/_sandbox/accounts").json()["accounts"]
    assert {account["email"] for account in accounts} == set(server.world.people)
    assert any(account["fathom_key"] for account in accounts)


def test_a_sandbox_restarted_on_its_state_file_keeps_its_signing_key_tokens_ids_and_changes(tmp_path: Path) -> None:
    state = tmp_path / "sandbox-state.json"
    raw = base64.urlsafe_b64encode(b"To: ben@example.com\r\nSubject: Kept across restarts\r\n\r\nHello").decode()
    with SandboxServer(make_world(), state_file=state) as first, httpx2.Client(base_url=first.base_url) as http:
        tokens = sign_in(http)
        me = {"Authorization": f"Bearer {tokens['access_token']}"}
        draft = http.post("/gmail/gmail/v1/users/me/drafts", json={"message": {"raw": raw}}, headers=me).json()
        keys = http.get("/google/oauth2/v3/certs").json()
        deadline = time.monotonic() + 5
        while draft["id"] not in (saved := load_world(state) or make_world()).mailboxes[ADA].drafts:
            assert time.monotonic() < deadline, "the draft was not saved while the sandbox ran"
            time.sleep(0.05)
        assert saved.signing_key is not None

    with SandboxServer(state_file=state) as second, httpx2.Client(base_url=second.base_url) as http:
        assert second.resumed
        assert http.get("/google/oauth2/v3/certs").json() == keys
        kept = http.get(f"/gmail/gmail/v1/users/me/drafts/{draft['id']}", headers=me)
        assert kept.status_code == 200, kept.text
        assert kept.json()["message"]["id"] == draft["message"]["id"]
        form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refreshed = http.post("/google/token", data=form, auth=(SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET))
        assert refreshed.status_code == 200, refreshed.text
        another = http.post("/gmail/gmail/v1/users/me/drafts", json={"message": {"raw": raw}}, headers=me).json()
        assert another["id"] != draft["id"] and another["message"]["id"] != draft["message"]["id"]
