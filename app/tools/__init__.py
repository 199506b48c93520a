"""The MCP tools Claude sees, registered on the server by `register_tools`."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from app.services import Services
from app.tools.account import register_account_tools

INSTRUCTIONS = (
    "Switchboard gives you the signed-in person's own Gmail, Google Calendar and Fathom meetings. "
    "Dates are RFC 3339 with offsets; results are bounded and say when they were truncated."
)


def register_tools(mcp: MCPServer, services: Services) -> None:
    register_account_tools(mcp, services)
