"""Account tools: who is signed in, what is connected, what needs reconnecting."""

from typing import Annotated

from mcp.server.mcpserver.resolve import Resolve

from app.auth.google_signin import missing_capabilities
from app.storage.store import User
from app.tools.context import Resolvers, ToolRegistrar


def register_account_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    store = resolvers.services.get_store
    account_url = resolvers.account_url

    @tool(read_only=True, idempotent=True)
    async def whoami(user: Annotated[User, Resolve(resolvers.user)]) -> str:
        """Who is signed in, what is connected (Google scopes, Fathom) and what needs reconnecting."""
        grant = await store().get_google_grant(user.id)
        last4 = await store().fathom_key_last4(user.id)
        lines = [f"Signed in as {user.name} <{user.email}>."]
        todo: list[str] = []
        if grant is None:
            lines.append("Google: not connected.")
            todo.append(f"Connect Google at {account_url}")
        elif grant.status != "active":
            lines.append("Google: needs reconnect (access expired or was revoked).")
            todo.append(f"Reconnect Google at {account_url}")
        else:
            lines.append("Google: connected — scopes: " + ", ".join(grant.scopes))
            missing = missing_capabilities(grant.scopes)
            if missing:
                todo.append(f"Not granted: {'; '.join(missing)}. Grant at {account_url}")
        if last4:
            lines.append(f"Fathom: connected (key ending …{last4}).")
        else:
            lines.append("Fathom: not connected.")
            todo.append(f"Optional: add a Fathom API key at {account_url} for meeting tools")
        lines.append("Needs attention: " + ("; ".join(todo) if todo else "nothing."))
        return "\n".join(lines)
