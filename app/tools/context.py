"""Who is calling (only ever from the verified token) and turning upstream failures into ToolErrors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.exceptions import ToolError

from app.services import Services
from app.storage.store import User
from app.upstream.errors import MissingScope, NeedsReconnect, RateLimited, UpstreamError

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


async def current_user(services: Services) -> User:
    """The user named by this request's verified bearer token; nothing else selects a user."""
    token = get_access_token()
    if token is None or not token.subject:
        raise ToolError("Not signed in: reconnect Switchboard in Claude.")
    user = await services.get_store().get_user(token.subject)
    if user is None:
        raise ToolError(f"Your Switchboard account no longer exists; sign in again at {services.settings.public_url}")
    return user


def tool_error_message(error: UpstreamError, account_url: str) -> str:
    message = str(error)
    if isinstance(error, MissingScope):
        return f"{message} Grant it at {account_url} (sign in again and tick every box)."
    if isinstance(error, NeedsReconnect) and error.service == "Fathom":
        return f"{message} Replace your Fathom API key at {account_url}"
    if isinstance(error, NeedsReconnect) and account_url not in message:
        return f"{message} Reconnect at {account_url}"
    if isinstance(error, RateLimited) and error.retry_after:
        return f"{message} (retry after {int(error.retry_after)} s)"
    return message


def translate_errors(account_url: str) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Decorate a tool so every upstream failure reaches the model as an actionable ToolError."""

    def decorate(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(tool)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await tool(*args, **kwargs)
            except UpstreamError as error:
                raise ToolError(tool_error_message(error, account_url)) from error

        return wrapper

    return decorate
