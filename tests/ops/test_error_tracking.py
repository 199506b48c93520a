"""Error tracking: with SENTRY_DSN an unexpected error reaches Sentry, and nothing personal goes with it."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import sentry_sdk
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.error_tracking import SAFE_HEADERS, WITHHELD, scrub_event
from app.logs import request_id_var, user_id_var
from app.main import create_app
from sandbox.seed import ALICE
from sandbox.server import SandboxServer
from sandbox.serving import ThreadedServer
from tests.support.mcp_session import signed_in
from tests.support.settings import make_settings
from tests.support.stack import running_stack

MAIL_TEXT = "Keep the Nightingale merger quiet until Friday; the numbers are attached"
OAUTH_CODE = "4/0AbCdEf-oauth-code-value"
COOKIE = "cookie-value-9a8b7c6d5e4f"


class SentryIngest:
    """A loopback stand-in for Sentry: keeps every envelope POSTed to /api/<project>/envelope/."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        envelope = Route("/api/{project}/envelope/", self.receive, methods=["POST"])
        self.server = ThreadedServer(Starlette(routes=[envelope]))

    async def receive(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        self.envelopes.append(body)
        return Response(status_code=200)

    @property
    def dsn(self) -> str:
        return f"http://publickey@127.0.0.1:{self.server.port}/1"

    def events(self) -> list[dict[str, Any]]:
        """The event items of every envelope received."""
        found: list[dict[str, Any]] = []
        for envelope in self.envelopes:
            _header, _, rest = envelope.partition(b"\n")
            while rest.strip():
                line, _, rest = rest.partition(b"\n")
                item = json.loads(line)
                length = item.get("length")
                if length is None:
                    payload, _, rest = rest.partition(b"\n")
                else:
                    payload, rest = rest[:length], rest[length + 1 :]
                if item.get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def ingest() -> Iterator[SentryIngest]:
    ingest = SentryIngest()
    ingest.server.start()
    try:
        yield ingest
    finally:
        # sentry_sdk.init is process-wide: later tests in this worker must find it off again.
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.get_global_scope().set_client(None)
        ingest.server.stop()


async def test_an_unexpected_tool_error_reaches_sentry_without_a_token_code_key_or_mail_text(
    tmp_path: Path, sandbox: SandboxServer, ingest: SentryIngest
) -> None:
    with running_stack(tmp_path, sandbox, sentry_dsn=ingest.dsn, google_access="rest") as stack:
        token = await signed_in(stack, ALICE)
        # Gmail answers something unexpected: the parse error quotes the mail text it choked on.
        message = {"id": "m1", "threadId": "t1", "payload": MAIL_TEXT}
        sandbox.faults.answer_next("/gmail/gmail/v1/users/me/messages/", 1, message)
        headers = {"Authorization": f"Bearer {token}", "Cookie": f"switchboard_session={COOKIE}"}
        async with httpx2.AsyncClient(headers=headers, timeout=15) as http:
            transport = streamable_http_client(f"{stack.mcp_url}?code={OAUTH_CODE}", http_client=http)
            async with Client(transport) as client:
                result = await client.call_tool("gmail_read_message", {"message_id": "m1"})
        sentry_sdk.flush(timeout=5)
        secrets = [
            token,
            OAUTH_CODE,
            COOKIE,
            ALICE,
            *stack.settings.encryption_keys,
            stack.settings.session_secret,
            *sandbox.world.access_tokens,
            "Nightingale",
            "merger",
        ]
    text = "\n".join(getattr(part, "text", "") for part in result.content)
    assert result.is_error
    reference = re.findall(r"unexpected error \(ref (\w+)\)", text)[0]
    [event] = [e for e in ingest.events() if e.get("logger") == "app.tools.errors"]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ValidationError"
    assert exception["value"] == WITHHELD
    assert any(frame["function"] == "get_message" for frame in exception["stacktrace"]["frames"])
    assert event["logentry"]["formatted"] == f"tool gmail_read_message failed unexpectedly (ref {reference})"
    assert set(event["user"]) == {"id"} and event["user"]["id"]
    assert event["tags"]["request_id"]
    assert event["request"]["url"] == stack.mcp_url
    assert set(event["request"]) == {"method", "url", "headers"}
    assert "user-agent" in {name.lower() for name in event["request"]["headers"]}
    assert {name.lower() for name in event["request"]["headers"]} <= SAFE_HEADERS
    raw = b"".join(ingest.envelopes).decode()
    assert [secret for secret in secrets if secret and secret in raw] == []


def test_an_event_keeps_what_finds_the_bug_and_loses_what_belongs_to_someone() -> None:
    user, request = user_id_var.set("u-123"), request_id_var.set("req-abcdef12")
    try:
        event = scrub_event(
            {
                "logger": "sqlalchemy.engine",
                "logentry": {"message": "failed: %s", "params": ["bob@example.com"], "formatted": "failed: bob@..."},
                "extra": {"statement": "INSERT INTO users VALUES ('bob@example.com')"},
                "user": {"id": "u-123", "email": "bob@example.com", "ip_address": "10.0.0.1"},
                "request": {
                    "method": "GET",
                    "url": "https://team.example/auth/callback?code=4/0AbCdEf",
                    "query_string": "code=4/0AbCdEf&state=x",
                    "cookies": {"switchboard_session": "abc"},
                    "headers": {"Authorization": "Bearer sbp_" + "x" * 43, "User-Agent": "Claude"},
                    "data": {"body": "Dear Bob"},
                    "env": {"REMOTE_ADDR": "10.0.0.1"},
                },
                "exception": {
                    "values": [
                        {"type": "ValueError", "value": "invalid literal: 'Dear Bob'", "stacktrace": {"frames": []}},
                        {"type": "TimeoutError", "value": "timed out\nwith code=4/0AbCdEf", "stacktrace": {}},
                    ]
                },
                "breadcrumbs": {
                    "values": [
                        {"type": "log", "category": "app.tools.registrar", "message": "tool gmail_search ok"},
                        {"type": "log", "category": "httpx2", "message": "GET ...?q=from:bob"},
                        {"type": "http", "category": "httplib", "data": {"url": "https://gmail/?q=from:bob"}},
                    ]
                },
            },
            {},
        )
    finally:
        user_id_var.reset(user)
        request_id_var.reset(request)
    assert event["user"] == {"id": "u-123"}
    assert event["tags"] == {"request_id": "req-abcdef12"}
    assert event["request"] == {
        "method": "GET",
        "url": "https://team.example/auth/callback",
        "headers": {"User-Agent": "Claude"},
    }
    assert [e["value"] for e in event["exception"]["values"]] == [WITHHELD, "timed out"]
    assert event["logentry"] == {"message": "failed: %s", "formatted": "failed: %s"}
    assert "extra" not in event
    assert [crumb["message"] for crumb in event["breadcrumbs"]["values"]] == ["tool gmail_search ok"]


def test_without_a_dsn_error_tracking_stays_off(tmp_path: Path) -> None:
    create_app(make_settings(tmp_path))
    assert not sentry_sdk.is_initialized()


def test_events_are_filed_under_sentry_environment_else_railways_else_production(tmp_path: Path) -> None:
    assert make_settings(tmp_path, sentry_environment="staging").error_tracking_environment == "staging"
    assert make_settings(tmp_path, railway_environment="pr-12").error_tracking_environment == "pr-12"
    assert make_settings(tmp_path).error_tracking_environment == "production"
