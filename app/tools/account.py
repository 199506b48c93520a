"""Account tools: who is signed in and what is connected."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations
from pydantic import BaseModel

from app.services import Services
from app.tools.context import current_user


class WhoAmI(BaseModel):
    email: str
    name: str
    google: str
    google_scopes: list[str]
    fathom: str
    needs_attention: list[str]
    account_page: str


def register_account_tools(mcp: MCPServer, services: Services) -> None:
    account_url = f"{services.settings.public_url}/account"

    @mcp.tool(annotations=ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True))
    async def whoami() -> WhoAmI:
        """Who is signed in to Switchboard, what is connected (Google scopes, Fathom) and what needs reconnecting."""
        user = await current_user(services)
        store = services.get_store()
        grant = await store.get_google_grant(user.id)
        last4 = await store.fathom_key_last4(user.id)
        attention: list[str] = []
        if grant is None:
            google = "not connected"
            attention.append(f"Connect Google at {account_url}")
        elif grant.status != "active":
            google = "needs reconnect"
            attention.append(f"Reconnect Google at {account_url}")
        else:
            google = "connected"
        if last4 is None:
            attention.append(f"Optional: add a Fathom API key at {account_url} to use meeting tools")
        return WhoAmI(
            email=user.email,
            name=user.name,
            google=google,
            google_scopes=grant.scopes if grant else [],
            fathom=f"connected (key …{last4})" if last4 else "not connected",
            needs_attention=attention,
            account_page=account_url,
        )
