"""Registering tools, and the middleware around every tools/call.

Each tool is registered with honest annotations (with READ_ONLY set, tools that change data are
left out) and wrapped once: a failure becomes an actionable ToolError, and the kind of outcome is
written into the `ToolCall` the middleware opened for this call. The middleware sees every
tools/call, also those refused before a tool body runs (bad arguments, a missing key): it applies
the per-user rate limits, then counts, logs and audits the call (user, tool, outcome kind,
duration; never arguments or results).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from app.logs import user_id_var
from app.services import Services
from app.storage.store import AuditEvent
from app.tools.capabilities import offered
from app.tools.errors import as_tool_error
from app.tools.outcomes import outcome_of
from app.tools.resolvers import Resolvers, serving
from app.upstream.usage import current_tool

P = ParamSpec("P")
R = TypeVar("R")
# The SDK's words when a client answers a question with a form that is not the one asked for: they
# name our resolvers, not what the person should do.
_MALFORMED_ANSWER = re.compile(r"Resolver '[^']*' received (?:an accepted elicitation|a non-elicitation|a response)")
MALFORMED_ANSWER = (
    "Error executing tool {name}: the client's answer to the question did not fill in the form it was "
    "shown (a yes or no was expected), so nothing was done. Ask the person again; if it keeps happening, "
    "their Claude app needs an update."
)


@dataclass
class ToolCall:
    """One tools/call in flight: the middleware opens it, the tool's wrapper says how the body ended."""

    outcome: str | None = None
    # What an action did, for the person's own list of actions: recipients and subject, never bodies.
    summary: str | None = None


# The call the middleware is running; a tool body reports into it (also from a child task).
_current_call: ContextVar[ToolCall | None] = ContextVar("tool_call", default=None)


def report_action(summary: str) -> None:
    """Record what this tool call did, in one line the person will see on their account page."""
    call = _current_call.get()
    if call is not None:
        call.summary = " ".join(summary.split())[:300]


def reporting(tool: Callable[P, Awaitable[R]], account_url: str | None = None) -> Callable[P, Awaitable[R]]:
    """`tool`, failing only with actionable ToolErrors and reporting its outcome to the current call.

    Without `account_url`, the one of the server serving the call is named in the error.
    """

    @functools.wraps(tool)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await tool(*args, **kwargs)
        except BaseException as error:
            call = _current_call.get()
            if call is not None:
                call.outcome = outcome_of(error)
            if isinstance(error, ToolError) or not isinstance(error, Exception):
                raise
            raise as_tool_error(error, tool.__name__, account_url or serving().account_url) from error

    return wrapper


class ToolRegistrar:
    """`@tool(read_only=…)` registers a tool; the middleware it installs limits and records every call."""

    def __init__(self, mcp: MCPServer, services: Services, resolvers: Resolvers) -> None:
        self.mcp = mcp
        self.services = services
        self.resolvers = resolvers
        self.account_url = f"{services.settings.public_url}/account"
        self.mail_tools: set[str] = set()
        # Tools this way of reaching Google cannot serve (see `capabilities`), for whoami and the help page.
        self.left_out: set[str] = set()
        self.log = logging.getLogger("switchboard.tool")
        mcp.middleware.append(self.around_tool_call)

    def __call__(
        self,
        *,
        title: str,
        read_only: bool,
        destructive: bool = False,
        idempotent: bool = False,
        sends_mail: bool = False,
        sends: bool = False,
    ) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
        """`sends`: the tool sends mail itself (left out when MAIL_SEND_POLICY is drafts_only)."""

        def register(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            if not read_only and self.services.settings.read_only:
                return fn
            if sends and self.services.settings.mail_send_policy == "drafts_only":
                return fn
            if not offered(fn.__name__, self.services.settings.google_access):
                self.left_out.add(fn.__name__)
                return fn
            annotations = ToolAnnotations(
                read_only_hint=read_only,
                destructive_hint=destructive,
                idempotent_hint=idempotent,
                open_world_hint=True,
            )
            if sends_mail:
                self.mail_tools.add(fn.__name__)
            self.mcp.tool(title=title, annotations=annotations, structured_output=False)(
                reporting(fn, self.account_url)
            )
            return fn

        return register

    async def around_tool_call(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or not isinstance(ctx.params, Mapping):
            return await call_next(ctx)
        name = str(ctx.params.get("name", ""))[:100]
        token = get_access_token()
        user_id = token.subject if token else None
        client_id = token.client_id if token else None
        # Log lines and error reports from inside the call name the user (by id only); Google requests name the tool.
        user_token, tool_token = user_id_var.set(user_id), current_tool.set(name)
        try:
            return await self._tool_call(ctx, call_next, name, user_id, client_id)
        finally:
            current_tool.reset(tool_token)
            user_id_var.reset(user_token)

    async def _tool_call(
        self,
        ctx: ServerRequestContext[Any, Any],
        call_next: CallNext,
        name: str,
        user_id: str | None,
        client_id: str | None,
    ) -> HandlerResult:
        refusal = await self._check_limits(user_id, name in self.mail_tools)
        if refusal:
            self._record(name, user_id, "rate_limited", 0.0, client_id)
            return CallToolResult(content=[TextContent(type="text", text=refusal)], is_error=True)
        call = ToolCall()
        reset = _current_call.set(call)
        started = time.perf_counter()
        outcome = "error"
        try:
            with self.resolvers.serving():
                result = await call_next(ctx)
            failed = result.get("isError") if isinstance(result, dict) else getattr(result, "is_error", False)
            if failed:
                result = _plain_refusal(result, name)
            # No outcome from the body: it never ran (arguments or a resolver refused) or it succeeded.
            outcome = call.outcome or ("invalid_or_refused" if failed else "ok")
            return result
        except Exception:
            outcome = "invalid_request"
            raise
        finally:
            _current_call.reset(reset)
            if outcome == "needs_reconnect" and user_id:
                self.resolvers.forget_person(user_id)  # so whoami says so at once
            self._record(name, user_id, outcome, time.perf_counter() - started, client_id, call.summary)

    def _record(
        self,
        name: str,
        user_id: str | None,
        outcome: str,
        seconds: float,
        client_id: str | None,
        summary: str | None = None,
    ) -> None:
        self.services.metrics.record_tool(name, outcome, seconds)
        self.log.info(
            "tool %s %s",
            name,
            outcome,
            extra={"tool": name, "outcome": outcome, "duration_ms": round(seconds * 1000, 1), "user_id": user_id},
        )
        self.services.get_audit().add(
            AuditEvent(
                user_id=user_id,
                tool=name,
                outcome=outcome,
                duration_ms=int(seconds * 1000),
                created_at=datetime.now(UTC),
                client_id=client_id,
                summary=summary,
            )
        )

    async def _check_limits(self, user_id: str | None, sends_mail: bool) -> str | None:
        key = user_id or "anonymous"
        checks = [("tool calls", self.services.tool_limits, "minute")]
        if sends_mail:
            checks.append(("emails sent or drafted", self.services.mail_limits, "hour"))
        for label, buckets, period in checks:
            wait = await buckets.take(key)
            if wait:
                self.services.metrics.rate_limited.labels(bucket=label).inc()
                return (
                    f"Rate limit: at most {buckets.capacity} {label} per {period} for each person. "
                    f"Try again in {int(wait)} s."
                )
        return None


def _plain_refusal(result: HandlerResult, name: str) -> HandlerResult:
    """`result`, with the SDK's text for a malformed answer to a question said as what to do instead."""
    if isinstance(result, CallToolResult):
        texts = [part.text for part in result.content if isinstance(part, TextContent)]
        if any(_MALFORMED_ANSWER.search(text) for text in texts):
            return CallToolResult(
                content=[TextContent(type="text", text=MALFORMED_ANSWER.format(name=name))], is_error=True
            )
    elif isinstance(result, dict):
        content: Any = result.get("content") or []
        texts = [str(part.get("text", "")) for part in content if isinstance(part, dict)]
        if any(_MALFORMED_ANSWER.search(text) for text in texts):
            return {**result, "content": [{"type": "text", "text": MALFORMED_ANSWER.format(name=name)}]}
    return result
