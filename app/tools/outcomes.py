"""The kind of outcome a tool call had, for metrics, logs and the audit (never its content)."""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from app.upstream.errors import MissingScope, NeedsReconnect, RateLimited, UpstreamError


def outcome_of(error: BaseException | None) -> str:
    """The audit outcome kind of a finished tool call."""
    if error is None:
        return "ok"
    cause = error.__cause__ if isinstance(error, ToolError) else error
    if isinstance(cause, NeedsReconnect):
        return "needs_reconnect"
    if isinstance(cause, MissingScope):
        return "missing_scope"
    if isinstance(cause, RateLimited):
        return "rate_limited"
    if isinstance(cause, UpstreamError):
        return "upstream_error"
    if isinstance(error, ToolError) and cause is None:
        return "tool_error"
    return "error"
