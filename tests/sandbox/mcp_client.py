"""Driving the sandbox's Google MCP servers with the MCP SDK's own client, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.client import ConnectMode
from mcp.client.streamable_http import streamable_http_client

from sandbox.identity.consent import google_tokens
from sandbox.server import SandboxServer
from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

ALICE = "alice@acme.example"
_AUTH = "https://www.googleapis.com/auth/"
GMAIL = f"{_AUTH}gmail.readonly {_AUTH}gmail.compose {_AUTH}gmail.modify"
CALENDAR = f"{_AUTH}calendar.events {_AUTH}calendar.calendarlist.readonly {_AUTH}calendar.events.freebusy"
PEOPLE = f"{_AUTH}contacts.readonly {_AUTH}directory.readonly"
ALL = f"openid email profile {GMAIL} {CALENDAR} {PEOPLE}"
Answer = Literal["accept", "decline", "cancel"]


async def google_token(
    sandbox: SandboxServer,
    email: str = ALICE,
    scopes: str = ALL,
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
) -> str:
    """An access token from the sandbox Google, as the authorization-code flow issues it."""
    body = await google_tokens(sandbox.base_url, email, scopes, client_id, client_secret)
    return str(body["access_token"])


def endpoint(sandbox: SandboxServer, product: str, toolset: str = "v1") -> str:
    return f"{sandbox.base_url}/{product}mcp/mcp/{toolset}"


@dataclass
class McpClient:
    """A connected client, the approval questions it was asked, and shortcuts for tool calls."""

    client: Client
    asked: list[str] = field(default_factory=list)

    async def call(self, name: str, arguments: dict[str, Any] | None = None) -> types.CallToolResult:
        return await self.client.call_tool(name, arguments or {})

    async def ok(self, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """A successful call's structured result."""
        result = await self.call(name, arguments)
        assert not result.is_error, result.content
        assert result.structured_content is not None
        return result.structured_content

    async def error(self, name: str, arguments: dict[str, Any] | None = None) -> str:
        """A refused call's text."""
        result = await self.call(name, arguments)
        assert result.is_error, result.structured_content
        return "\n".join(part.text for part in result.content if isinstance(part, types.TextContent))

    async def tool_names(self) -> list[str]:
        return [tool.name for tool in (await self.client.list_tools()).tools]


@asynccontextmanager
async def connect(
    sandbox: SandboxServer,
    product: str,
    token: str,
    *,
    toolset: str = "v1",
    answer: Answer | None = "accept",
    mode: ConnectMode = "auto",
    seconds: float = 30,
) -> AsyncIterator[McpClient]:
    """A client of one MCP server; with `answer`, it declares form elicitation and answers every approval so."""
    holder: list[McpClient] = []

    async def approve(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        holder[0].asked.append(params.message)
        return types.ElicitResult(action=answer or "cancel", content={} if answer == "accept" else None)

    with anyio.fail_after(seconds):
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=15) as http:
            transport = streamable_http_client(endpoint(sandbox, product, toolset), http_client=http)
            async with Client(transport, elicitation_callback=approve if answer else None, mode=mode) as client:
                holder.append(McpClient(client))
                yield holder[0]


async def raw_call(
    sandbox: SandboxServer, product: str, headers: dict[str, str], name: str = "get_user_profile"
) -> Any:
    """One 2026-07-28 tools/call posted by hand, to see the HTTP answer itself."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": name,
            "arguments": {},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    wire = {
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
        **headers,
    }
    async with httpx2.AsyncClient(timeout=15) as http:
        return await http.post(endpoint(sandbox, product), json=body, headers=wire)
