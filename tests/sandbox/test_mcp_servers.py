"""What all of the sandbox's Google MCP servers do alike: auth, agentic clients, quotas, scopes, logs, faults."""

from __future__ import annotations

import httpx2
import pytest
from mcp.shared.exceptions import MCPError

from sandbox.mcp.server import CANNOT_CONFIRM, INSUFFICIENT_SCOPES, PERMISSION_DENIED
from sandbox.server import SandboxServer
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_PLAIN_CLIENT_ID, SANDBOX_PLAIN_CLIENT_SECRET
from tests.sandbox.mcp_client import ALICE, GMAIL, connect, endpoint, google_token, raw_call


async def test_a_request_without_a_token_is_answered_401_with_a_bearer_challenge(sandbox: SandboxServer) -> None:
    response = await raw_call(sandbox, "people", {})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="https://accounts.google.com/"')
    assert "error=" not in challenge, "no token is not an invalid token (RFC 6750)"
    assert f'resource_metadata="{sandbox.base_url}/peoplemcp/.well-known/oauth-protected-resource/mcp/v1"' in challenge
    assert response.json()["error"]["status"] == "UNAUTHENTICATED"


async def test_an_expired_or_revoked_token_is_answered_401_invalid_token(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    assert (await raw_call(sandbox, "people", {"authorization": f"Bearer {token}"})).status_code == 200
    sandbox.world.expire_all_access_tokens()
    expired = await raw_call(sandbox, "people", {"authorization": f"Bearer {token}"})
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]
    revoked = await google_token(sandbox)
    sandbox.world.revoke_grants_of(ALICE)
    assert (await raw_call(sandbox, "people", {"authorization": f"Bearer {revoked}"})).status_code == 401


async def test_the_protected_resource_metadata_names_the_sandbox_google_as_authorization_server(
    sandbox: SandboxServer,
) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.get(f"{sandbox.base_url}/gmailmcp/.well-known/oauth-protected-resource/mcp/v1")
    metadata = response.json()
    assert metadata["resource"] == endpoint(sandbox, "gmail")
    assert metadata["authorization_servers"] == [f"{sandbox.base_url}/google"]


async def test_a_client_not_made_for_an_ai_agent_lists_tools_but_every_call_is_refused(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox, client_id=SANDBOX_PLAIN_CLIENT_ID, client_secret=SANDBOX_PLAIN_CLIENT_SECRET)
    async with connect(sandbox, "people", token) as people:
        assert "get_user_profile" in await people.tool_names()
        assert await people.error("get_user_profile") == PERMISSION_DENIED
    async with connect(sandbox, "gmail", token) as gmail:
        assert await gmail.error("search_threads") == PERMISSION_DENIED
    assert sandbox.world.mcp_usage == {}, "a refused client spends no quota"


async def test_marking_a_client_as_not_agentic_through_the_control_api_refuses_its_tokens(
    sandbox: SandboxServer,
) -> None:
    token = await google_token(sandbox)
    async with httpx2.AsyncClient() as http:
        answer = await http.post(
            f"{sandbox.base_url}/_sandbox/oauth-clients", json={"client_id": SANDBOX_CLIENT_ID, "agent": False}
        )
    assert answer.json() == {"client_id": SANDBOX_CLIENT_ID, "agent": False, "project": "switchboard-sandbox"}
    async with connect(sandbox, "people", token) as people:
        assert await people.error("get_user_profile") == PERMISSION_DENIED


async def test_a_spent_daily_quota_refuses_further_calls_with_googles_quota_error(sandbox: SandboxServer) -> None:
    async with httpx2.AsyncClient() as http:
        await http.post(f"{sandbox.base_url}/_sandbox/mcp/quota", json={"product": "gmail", "limit": 4})
        token = await google_token(sandbox)
        async with connect(sandbox, "gmail", token) as gmail:
            threads = await gmail.ok("search_threads", {"pageSize": 2})
            assert len(threads["threads"]) == 2  # 1 request plus one per thread read
            await gmail.ok("list_labels")
            refused = await gmail.error("list_labels")
        report = (await http.get(f"{sandbox.base_url}/_sandbox/mcp/quota")).json()
    assert refused == (
        "Quota exceeded for quota metric 'Requests' and limit 'Requests per day' of service "
        "'gmailmcp.googleapis.com' for consumer 'project_number:switchboard-sandbox'."
    )
    assert report["usage"] == {"switchboard-sandbox": {"gmail": 4}}
    assert report["limits"]["gmail"] == 4 and report["limits"]["calendar"] == 5000


async def test_the_quota_is_counted_per_product(sandbox: SandboxServer) -> None:
    sandbox.world.mcp_limits["gmail"] = 0
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        assert (await gmail.error("list_labels")).startswith("Quota exceeded")
    async with connect(sandbox, "people", token) as people:
        assert await people.ok("get_user_profile") == {"name": "Alice Nguyen", "emailAddress": ALICE}


async def test_a_token_without_the_tools_scope_is_refused_the_call(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox, scopes=f"openid email {GMAIL.split()[0]}")  # gmail.readonly only
    drafts = dict(sandbox.world.mailboxes[ALICE].drafts)
    async with connect(sandbox, "gmail", token) as gmail:
        assert "create_draft" in await gmail.tool_names(), "tools/list does not depend on the token's scopes"
        await gmail.ok("list_labels")
        assert await gmail.error("create_draft", {"to": ["bob@example.com"]}) == INSUFFICIENT_SCOPES
    assert sandbox.world.mailboxes[ALICE].drafts == drafts


async def test_the_request_log_names_each_mcp_tool_called_and_no_rest_endpoint_is_hit(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    sandbox.faults.clear()
    async with connect(sandbox, "gmail", token) as gmail:
        await gmail.ok("search_threads", {"pageSize": 1})
        await gmail.ok("list_labels")
    async with connect(sandbox, "calendar", token) as calendar:
        await calendar.ok("list_calendars")
    assert sandbox.faults.mcp_calls() == ["search_threads", "list_labels", "list_calendars"]
    assert sandbox.faults.mcp_calls("calendar") == ["list_calendars"]
    rest = [e.path for e in sandbox.faults.requests() if e.product is None]
    assert rest == [], "nothing but the MCP servers was called"
    async with httpx2.AsyncClient() as http:
        logged = (await http.get(f"{sandbox.base_url}/_sandbox/requests?prefix=/gmailmcp")).json()["requests"]
    assert [(e["product"], e["tool"]) for e in logged if e["rpc_method"] == "tools/call"] == [
        ("gmail", "search_threads"),
        ("gmail", "list_labels"),
    ]


async def test_injected_failures_and_latency_apply_to_the_mcp_paths(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "people", token) as people:
        sandbox.faults.fail_next("/peoplemcp", 1, 503)
        with pytest.raises(MCPError):
            await people.call("get_user_profile")
        sandbox.faults.add_latency("/peoplemcp", 0.05)
        assert (await people.ok("get_user_profile"))["emailAddress"] == ALICE
    statuses = [e.status for e in sandbox.faults.requests("/peoplemcp") if e.tool == "get_user_profile"]
    assert statuses == [503, 200]


async def test_a_handshake_era_client_is_served_but_cannot_confirm_an_approval(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token, mode="legacy") as gmail:
        assert gmail.client.protocol_version == "2025-11-25"
        draft = await gmail.ok("create_draft", {"to": ["ben@acme.example"], "subject": "Hi"})
        assert await gmail.error("send_draft", {"draftId": draft["id"]}) == CANNOT_CONFIRM
    assert draft["id"] in sandbox.world.mailboxes[ALICE].drafts, "nothing was sent"
