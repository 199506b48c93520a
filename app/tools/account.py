"""Account tools: who is signed in, what is connected, what needs reconnecting."""

from datetime import UTC, datetime
from typing import Annotated

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve

from app.auth.google_signin import missing_capabilities
from app.installers import RENEW_WITHIN, install_commands, time_left
from app.storage.store import User
from app.tools.capabilities import missing_line
from app.tools.composing import send_as_line
from app.tools.outbound import Outbound
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers
from app.upstream.errors import UpstreamError


def personal_token_expiry(token: AccessToken | None, public_url: str) -> tuple[str | None, str | None]:
    """For a personal (installer) token: when it expires, and in its last days how to renew it.

    Connector tokens are renewed by Claude itself, so there is nothing to say about them.
    """
    if token is None or not token.client_id.startswith("personal:") or token.expires_at is None:
        return None, None
    expires = datetime.fromtimestamp(token.expires_at, UTC)
    remaining = expires - datetime.now(UTC)
    line = f"This personal access token (from the installer) expires {expires.day} {expires:%b %Y, %H:%M} UTC"
    line += f" ({time_left(remaining)})."
    if remaining > RENEW_WITHIN:
        return line, None
    commands = install_commands(public_url)
    return line, (
        "Renew the personal access token before it expires: run the installer again on this computer — "
        f"`{commands.sh}` (macOS, Linux) or `{commands.ps}` (Windows PowerShell) — then restart Claude Desktop"
    )


async def _send_as(resolvers: Resolvers, user: User) -> list[str]:
    """The "Send as" line, or nothing when Gmail's settings cannot be read (never a failed whoami)."""
    try:
        entries = await resolvers.send_as(user, await resolvers.gmail())
    except (UpstreamError, ToolError):
        return []
    return [send_as_line(entries)] if entries else []


ACCESS_LINES = {
    "mcp": "Google reached through: Google's Workspace MCP servers.",
    "rest": "Google reached through: Google's REST APIs (Google closes them to AI agents from 2027-02-01).",
}


def register_account_tools(tool: ToolRegistrar, resolvers: Resolvers, outbound: Outbound) -> None:
    account_url = resolvers.account_url
    public_url = resolvers.services.settings.public_url

    @tool(title="Account and connections", read_only=True, idempotent=True)
    async def whoami(user: Annotated[User, Resolve(resolvers.user)]) -> str:
        """Who is signed in, what is connected (Google scopes, Fathom), what needs reconnecting, the send policy."""
        found = await resolvers.connections(user)
        status, scopes = found.google, found.scopes
        lines = [f"Signed in as {user.name} <{user.email}>."]
        todo: list[str] = []
        if status == "not_connected":
            lines.append("Google: not connected.")
            todo.append(f"Connect Google at {account_url}")
        elif found.google_new_client:
            lines.append("Google: needs reconnect once (Switchboard moved to a new Google sign-in client).")
            todo.append(f"Reconnect Google at {account_url}")
        elif status == "needs_reconnect":
            lines.append("Google: needs reconnect (access expired or was revoked).")
            todo.append(f"Reconnect Google at {account_url}")
        else:
            lines.append("Google: connected — scopes: " + ", ".join(scopes))
            missing = missing_capabilities(scopes)
            if missing:
                todo.append(f"Not granted: {'; '.join(missing)}. Grant at {account_url}")
            if resolvers.access.kind == "rest":  # Google's MCP servers give no send-as addresses
                lines += await _send_as(resolvers, user)
        fathom, fathom_todo = found.fathom(account_url)
        lines.append(fathom)
        todo += [fathom_todo] if fathom_todo else []
        expiry, renew = personal_token_expiry(get_access_token(), public_url)
        lines.append(outbound.policy_line(user.always_draft))
        lines.append(ACCESS_LINES[resolvers.access.kind])
        left_out = missing_line(tool.left_out)
        lines += [left_out] if left_out else []
        lines += [expiry] if expiry else []
        todo += [renew] if renew else []
        lines.append("Connections needing attention: " + ("; ".join(todo) if todo else "none."))
        return "\n".join(lines)
