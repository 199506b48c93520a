"""Switchboard as an MCP client of Google's servers: tokens, refusals, quota and approvals, against the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx2
import pytest

from app.upstream.errors import AgentClientRefused, NeedsReconnect, NotFound, QuotaSpent
from app.upstream.google_mcp import Approval, ApprovalAnswer, GoogleMcp, GoogleMcpCaller, quota_reset
from app.upstream.transport import AiohttpTransport
from sandbox.world import SANDBOX_CLIENT_ID
from tests.upstream.conftest import FAST, Connected

PACIFIC = ZoneInfo("America/Los_Angeles")


@asynccontextmanager
async def _google(alice: Connected) -> AsyncIterator[GoogleMcp]:
    """The clients, opened and closed in the test's own task (the SDK's transports need that)."""
    env = alice.sandbox.settings_env()
    mcp = GoogleMcp(
        AiohttpTransport(),
        {"gmail": env["GMAIL_MCP_BASE"], "calendar": env["CALENDAR_MCP_BASE"], "people": env["PEOPLE_MCP_BASE"]},
        FAST,
    )
    await mcp.open()
    try:
        yield mcp
    finally:
        await mcp.close()


def _caller(google: GoogleMcp, alice: Connected, toolset: str = "v1") -> GoogleMcpCaller:
    return GoogleMcpCaller(google, alice.credentials, alice.user.id, toolset)  # type: ignore[arg-type]  # a Literal


def _mcp_calls(alice: Connected) -> list[str]:
    return [r.path for r in alice.sandbox.faults.requests() if "mcp/mcp/" in r.path]


async def test_a_call_carries_the_persons_own_token_and_reads_the_structured_result(alice: Connected) -> None:
    async with _google(alice) as google:
        found = await _caller(google, alice).read("gmail", "search_threads", {"pageSize": 2})
        assert len(found["threads"]) == 2 and found["threads"][0]["messages"][0]["id"]
        (request,) = [r for r in alice.sandbox.faults.requests("/gmailmcp/mcp/v1") if r.rpc_method == "tools/call"]
        grant = await alice.store.get_google_grant(alice.user.id)
        assert grant is not None and request.headers["authorization"] == f"Bearer {grant.token['access_token']}"
        assert request.headers["mcp-protocol-version"] == "2026-07-28"


async def test_concurrent_people_share_the_one_client_and_each_sends_their_own_token(alice: Connected) -> None:
    async with _google(alice) as google:
        profile = await _caller(google, alice).read("people", "get_user_profile", {})
        assert profile["emailAddress"] == "alice@acme.example"


async def test_an_expired_token_is_refreshed_once_and_the_call_goes_through(alice: Connected) -> None:
    async with _google(alice) as google:
        alice.sandbox.world.expire_all_access_tokens()
        await _caller(google, alice).read("gmail", "list_labels", {})
        tokens = [r for r in alice.sandbox.faults.requests("/google/token") if b"refresh_token" in r.body]
        assert len(tokens) == 1


async def test_a_revoked_grant_asks_the_person_to_reconnect(alice: Connected) -> None:
    async with _google(alice) as google:
        alice.sandbox.world.revoke_grants_of("alice@acme.example")
        for _ in range(2):  # the shared client stays usable after a failed refresh
            with pytest.raises(NeedsReconnect):
                await _caller(google, alice).read("gmail", "list_labels", {})


async def test_a_client_not_made_for_an_agent_is_named_for_the_administrator(alice: Connected) -> None:
    async with _google(alice) as google:
        async with httpx2.AsyncClient() as http:
            await http.post(
                f"{alice.sandbox.base_url}/_sandbox/oauth-clients",
                json={"client_id": SANDBOX_CLIENT_ID, "agent": False},
            )
        with pytest.raises(AgentClientRefused, match='created with "Use this client for an AI-powered agent"'):
            await _caller(google, alice).read("gmail", "list_labels", {})
        assert google.refused_client_at is not None


async def test_a_spent_daily_quota_says_when_google_resets_it(alice: Connected) -> None:
    async with _google(alice) as google:
        alice.sandbox.world.mcp_limits["gmail"] = 0
        with pytest.raises(QuotaSpent) as raised:
            await _caller(google, alice).read("gmail", "list_labels", {})
        assert raised.value.resets_at == quota_reset()
        assert "midnight Pacific time" in str(raised.value) and "Do not retry" in str(raised.value)
        assert len(_mcp_calls(alice)) == 1, "a spent day is not retried"


def test_googles_day_resets_at_the_next_pacific_midnight_across_daylight_saving() -> None:
    assert quota_reset(datetime(2027, 3, 14, 12, tzinfo=UTC)) == datetime(2027, 3, 15, tzinfo=PACIFIC)
    assert quota_reset(datetime(2027, 3, 15, 6, 59, tzinfo=UTC)) == datetime(2027, 3, 15, tzinfo=PACIFIC)
    assert quota_reset(datetime(2027, 11, 7, 7, 30, tzinfo=UTC)) == datetime(2027, 11, 8, tzinfo=PACIFIC)


async def test_an_unknown_thread_is_not_found(alice: Connected) -> None:
    async with _google(alice) as google:
        with pytest.raises(NotFound):
            await _caller(google, alice).read("gmail", "get_thread", {"threadId": "ffffffffffffffff"})


async def test_an_approval_is_handed_back_and_only_an_accepted_answer_acts(alice: Connected) -> None:
    async with _google(alice) as google:
        caller = _caller(google, alice)
        draft = await caller.act(
            "gmail", "create_draft", {"to": ["ben@acme.example"], "subject": "Hi", "body": "Hello"}
        )
        assert isinstance(draft, dict)
        asked = await caller.act("gmail", "send_draft", {"draftId": draft["id"]})
        assert isinstance(asked, Approval) and "ben@acme.example" in asked.message
        declined = ApprovalAnswer(asked, "decline")
        with pytest.raises(Exception, match="did not allow"):
            await caller.act("gmail", "send_draft", {"draftId": draft["id"]}, declined)
        assert draft["id"] in {d.id for d in alice.sandbox.world.mailboxes["alice@acme.example"].drafts.values()}
        again = await caller.act("gmail", "send_draft", {"draftId": draft["id"]})
        assert isinstance(again, Approval)
        sent = await caller.act("gmail", "send_draft", {"draftId": draft["id"]}, ApprovalAnswer(again, "accept", {}))
        assert isinstance(sent, dict) and sent["id"]


async def test_without_elicitation_the_self_toolset_has_no_send(alice: Connected) -> None:
    async with _google(alice) as google:
        with pytest.raises(Exception, match="send_draft"):
            await _caller(google, alice, "v1self").act("gmail", "send_draft", {"draftId": "r1"})
