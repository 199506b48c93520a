"""Every failure of a tool becomes a ToolError that tells the person what to do next."""

from __future__ import annotations

import logging
import uuid

from mcp.server.mcpserver.exceptions import ToolError

from app.crypto import KeyRingError
from app.tools.format import one_line
from app.upstream.errors import MissingScope, NeedsReconnect, RateLimited, UpstreamError
from app.upstream.gmail_compose import BareName, InvalidAddress, UnsafeHeader

logger = logging.getLogger(__name__)


def tool_error_message(error: UpstreamError, account_url: str) -> str:
    message = str(error)
    if isinstance(error, MissingScope):
        return f"{message} Grant it at {account_url} (sign in again and tick every box)."
    if isinstance(error, NeedsReconnect) and error.service == "Fathom" and account_url not in message:
        return f"{message} Replace your Fathom API key at {account_url}"
    if isinstance(error, NeedsReconnect) and account_url not in message:
        return f"{message} Reconnect at {account_url}"
    if isinstance(error, RateLimited) and error.retry_after:
        return f"{message} (retry after {int(error.retry_after)} s)"
    return message


def as_tool_error(error: Exception, tool: str, account_url: str) -> ToolError:
    """The ToolError the model sees for `error`, raised by `tool` (call it while handling `error`)."""
    if isinstance(error, UpstreamError):
        # Its text may carry an id the model gave or Google's own words: one line, no fence marks of its own.
        return ToolError(one_line(tool_error_message(error, account_url), 2000))
    # These name the value refused, which may come from someone else's header (a reply to all): one line,
    # no fence marks of its own.
    if isinstance(error, BareName):
        return ToolError(one_line(f"{error} — find it with contacts_search, then give the address.", 1000))
    if isinstance(error, InvalidAddress):
        return ToolError(one_line(f"{error}. Give addresses like name@example.com.", 1000))
    if isinstance(error, UnsafeHeader):
        return ToolError(str(error))
    if isinstance(error, KeyRingError):
        return ToolError(f"Your stored credentials cannot be read; reconnect at {account_url}")
    # A bug must still give the person a next step.
    reference = uuid.uuid4().hex[:8]
    logger.exception("tool %s failed unexpectedly (ref %s)", tool, reference)
    return ToolError(
        f"Switchboard hit an unexpected error (ref {reference}). Try again; if it keeps happening, "
        "tell your Switchboard admin the reference."
    )
