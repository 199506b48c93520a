"""The sandbox People MCP server, driven by the MCP SDK's client over HTTP."""

from __future__ import annotations

import httpx2

from sandbox.mcp.server import INSUFFICIENT_SCOPES
from sandbox.server import SandboxServer
from tests.sandbox.mcp_client import ALICE, connect, google_token


async def test_people_has_only_the_v1_toolset_with_three_tools(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "people", token) as people:
        assert await people.tool_names() == ["search_directory_people", "search_contacts", "get_user_profile"]
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.post(f"{sandbox.base_url}/peoplemcp/mcp/v1self", json={})
    assert response.status_code == 404


async def test_search_contacts_matches_names_addresses_and_organizations(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "people", token) as people:
        by_name = await people.ok("search_contacts", {"query": "priya"})
        by_org = await people.ok("search_contacts", {"query": "globex", "maxResults": 1})
        by_address = await people.ok("search_contacts", {"query": "raj.patel@"})
    assert by_name == {"results": [{"name": "Priya Raman", "email": "priya.raman@globex.example"}]}
    assert len(by_org["results"]) == 1
    assert by_address["results"][0]["name"] == "Raj Patel"


async def test_search_directory_people_finds_colleagues_and_not_for_personal_accounts(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "people", token) as people:
        found = await people.ok("search_directory_people", {"query": "Ben"})
        unknown = await people.error("search_directory_people", {"query": "Ben", "pageSize": 3})
    assert {"name": "Ben Okafor", "email": "ben@acme.example"} in found["results"]
    assert unknown == 'Invalid JSON payload received. Unknown name "pageSize": Cannot find field.'
    consumer = await google_token(sandbox, "sam.rivera@gmail.example")
    async with connect(sandbox, "people", consumer) as people:
        refused = await people.error("search_directory_people", {"query": "Ben"})
    assert refused == "This feature is only available for Google Workspace accounts."


async def test_get_user_profile_names_the_tokens_owner(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "people", token) as people:
        assert await people.ok("get_user_profile") == {"name": "Alice Nguyen", "emailAddress": ALICE}
    contacts_only = await google_token(sandbox, scopes="openid https://www.googleapis.com/auth/contacts.readonly")
    async with connect(sandbox, "people", contacts_only) as people:
        assert await people.error("get_user_profile") == INSUFFICIENT_SCOPES
        assert await people.error("search_directory_people", {"query": "Ben"}) == INSUFFICIENT_SCOPES
