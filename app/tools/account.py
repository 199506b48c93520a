"""Account tools: who is signed in, what is connected, what needs reconnecting."""

from typing import Annotated

from mcp.server.mcpserver.resolve import Resolve

from app.auth.google_signin import missing_capabilities
from app.storage.store import User
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers


def register_account_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    account_url = resolvers.account_url

    @tool(title="Account and connections", read_only=True, idempotent=True)
    async def whoami(user: Annotated[User, Resolve(resolvers.user)]) -> str:
        """Who is signed in, what is connected (Google scopes, Fathom) and what needs reconnecting."""
        found = await resolvers.connections(user)
        status, scopes = found.google_status, found.scopes
        lines = [f"Signed in as {user.name} <{user.email}>."]
        todo: list[str] = []
        if status is None:
            lines.append("Google: not connected.")
            todo.append(f"Connect Google at {account_url}")
        elif status != "active":
            lines.append("Google: needs reconnect (access expired or was revoked).")
            todo.append(f"Reconnect Google at {account_url}")
        else:
            lines.append("Google: connected — scopes: " + ", ".join(scopes))
            missing = missing_capabilities(scopes)
            if missing:
                todo.append(f"Not granted: {'; '.join(missing)}. Grant at {account_url}")
        fathom, fathom_todo = found.fathom(account_url)
        lines.append(fathom)
        todo += [fathom_todo] if fathom_todo else []
        lines.append("Connections needing attention: " + ("; ".join(todo) if todo else "none."))
        return "\n".join(lines)
