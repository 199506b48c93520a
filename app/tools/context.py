"""What every tool stands on: the caller (only ever from the verified token), their upstream clients,
their time zone, and the translation of failures into actionable ToolErrors.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.elicitation import AcceptedElicitation
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from app.auth.revocations import Revocations
from app.crypto import KeyRingError
from app.services import Services
from app.storage.store import AuditEvent, User
from app.upstream.calendar import CalendarClient
from app.upstream.errors import MissingScope, NeedsReconnect, RateLimited, UpstreamError
from app.upstream.fathom import FathomClient
from app.upstream.gmail import GmailClient
from app.upstream.gmail_compose import InvalidAddress
from app.upstream.google_api import GoogleApi

logger = logging.getLogger(__name__)

# The SDK wraps every resolved value in `AcceptedElicitation[Any]`; pydantic caches that parametrised
# class only while something references it, so without this it is rebuilt on every tool call.
_RESOLVED_VALUE_MODEL = AcceptedElicitation[Any]

P = ParamSpec("P")
R = TypeVar("R")

GMAIL_READ = ("https://mail.google.com/", "https://www.googleapis.com/auth/gmail.")
CALENDAR_ANY = ("https://www.googleapis.com/auth/calendar",)
ZONE_TTL = 600.0
USER_TTL = 5.0


@dataclass(frozen=True)
class Connections:
    google_status: str | None
    scopes: list[str]
    fathom_last4: str | None


class Resolvers:
    """Per-request resolvers (`Annotated[GmailClient, Resolve(resolvers.gmail)]`) for the signed-in user."""

    def __init__(self, services: Services, revocations: Revocations) -> None:
        self.services = services
        self.account_url = f"{services.settings.public_url}/account"
        self._zones: dict[str, tuple[ZoneInfo, float]] = {}
        # The token was just verified; the profile behind it changes rarely. Cleared on any revocation.
        self._users: dict[str, tuple[User, float]] = {}
        self._connections: dict[str, tuple[Connections, float]] = {}
        revocations.on_revoke(self.forget)

    async def user(self) -> User:
        """The user named by this request's verified bearer token; nothing else selects a user."""
        token = get_access_token()
        if token is None or not token.subject:
            raise ToolError("Not signed in: reconnect Switchboard in Claude.")
        cached = self._users.get(token.subject)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        user = await self.services.get_store().get_user(token.subject)
        if user is None:
            raise ToolError(f"Your Switchboard account no longer exists; sign in again at {self.account_url}")
        if len(self._users) > 10_000:
            self._users.clear()
        self._users[user.id] = (user, time.monotonic() + USER_TTL)
        return user

    async def connections(self, user: User) -> Connections:
        """Google grant status and scopes and the Fathom key's last 4, cached for a few seconds.

        Only a hint for messages and checks before calling out: the credentials layer reads the
        grant itself, so a grant revoked in the meantime is still refused with a reconnect message.
        """
        cached = self._connections.get(user.id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        status, scopes, last4 = await self.services.get_store().connections(user.id)
        found = Connections(google_status=status, scopes=scopes, fathom_last4=last4)
        if len(self._connections) > 10_000:
            self._connections.clear()
        self._connections[user.id] = (found, time.monotonic() + USER_TTL)
        return found

    def forget(self) -> None:
        self._users.clear()
        self._connections.clear()

    async def _google(self, base_url: str, service: str, scope_prefixes: tuple[str, ...]) -> tuple[User, GoogleApi]:
        user = await self.user()
        grant = await self.connections(user)
        if grant.google_status is None:
            raise ToolError(f"Google is not connected for {user.email}. Connect it at {self.account_url}")
        if grant.google_status != "active":
            raise ToolError(
                f"Google access for {user.email} has expired or was revoked. Reconnect at {self.account_url}"
            )
        if not any(scope.startswith(scope_prefixes) for scope in grant.scopes):
            raise ToolError(
                f"You have not given Switchboard permission to use {service}. "
                f"Grant it at {self.account_url} (sign in again and tick every box)."
            )
        api = GoogleApi(self.services.get_http(), self.services.get_credentials(), user.id, base_url, service)
        return user, api

    async def gmail(self) -> GmailClient:
        _user, api = await self._google(self.services.settings.gmail_api_base, "Gmail", GMAIL_READ)
        return GmailClient(api)

    async def calendar(self) -> CalendarClient:
        _user, api = await self._google(self.services.settings.calendar_api_base, "Google Calendar", CALENDAR_ANY)
        return CalendarClient(api)

    async def fathom(self) -> FathomClient:
        user = await self.user()
        key = await self.services.get_store().get_fathom_key(user.id)
        if key is None:
            raise ToolError(f"Fathom is not connected. Add your Fathom API key at {self.account_url}")
        return FathomClient(self.services.get_http(), key, self.services.settings.fathom_api_base)

    async def time_zone(self) -> ZoneInfo:
        """The user's primary-calendar time zone (cached a few minutes); UTC when unknown."""
        user = await self.user()
        cached = self._zones.get(user.id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        zone = ZoneInfo("UTC")
        try:
            calendars = await (await self.calendar()).list_calendars()
            primary = next((c for c in calendars if c.primary), None)
            if primary and primary.time_zone:
                zone = ZoneInfo(primary.time_zone)
        except (ToolError, UpstreamError, ZoneInfoNotFoundError):
            logger.info("time zone unknown for user %s; using UTC", user.id)
        self._zones[user.id] = (zone, time.monotonic() + ZONE_TTL)
        return zone


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
    """Decorate a tool so every failure reaches the model as a ToolError saying what to do."""

    def decorate(tool: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(tool)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return await tool(*args, **kwargs)
            except ToolError:
                raise
            except UpstreamError as error:
                raise ToolError(tool_error_message(error, account_url)) from error
            except InvalidAddress as error:
                raise ToolError(f"{error}. Give addresses like name@example.com.") from error
            except KeyRingError as error:
                raise ToolError(f"Your stored credentials cannot be read; reconnect at {account_url}") from error
            except Exception as error:  # top-level handler: a bug must still give the person a next step
                reference = uuid.uuid4().hex[:8]
                logger.exception("tool %s failed unexpectedly (ref %s)", tool.__name__, reference)
                raise ToolError(
                    f"Switchboard hit an unexpected error (ref {reference}). Try again; if it keeps happening, "
                    "tell your Switchboard admin the reference."
                ) from error

        return wrapper

    return decorate


def outcome_of(error: BaseException | None) -> str:
    """The audit outcome kind of a finished tool call (never its content)."""
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


# The outcome a tool's own wrapper observed, handed to the audit middleware around it. A mutable
# holder, so a tool running in a child task can still report to the middleware's context.
_outcome: ContextVar[list[str] | None] = ContextVar("tool_outcome", default=None)


class ToolRegistrar:
    """Registers tools with honest annotations; with READ_ONLY set, tools that change data are left out.

    Every call is translated (failures become actionable ToolErrors). An MCP middleware around
    every tools/call — so it also sees calls refused before the tool body runs (bad arguments, a
    missing key) — applies the per-user rate limits and counts, logs and audits the call (user,
    tool, outcome kind, duration; never arguments or results).
    """

    def __init__(self, mcp: MCPServer, services: Services) -> None:
        self.mcp = mcp
        self.services = services
        self.translate = translate_errors(f"{services.settings.public_url}/account")
        self.mail_tools: set[str] = set()
        self.log = logging.getLogger("switchboard.tool")
        mcp.middleware.append(self.around_tool_call)

    def reports_outcome(self, fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            holder = _outcome.get()
            try:
                return await fn(*args, **kwargs)
            except BaseException as error:
                if holder is not None:
                    holder.append(outcome_of(error))
                raise

        return wrapper

    async def around_tool_call(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or not isinstance(ctx.params, Mapping):
            return await call_next(ctx)
        name = str(ctx.params.get("name", ""))[:100]
        token = get_access_token()
        user_id = token.subject if token else None
        refusal = self._check_limits(user_id, name in self.mail_tools)
        if refusal:
            self._record(name, user_id, "rate_limited", 0.0)
            return CallToolResult(content=[TextContent(type="text", text=refusal)], is_error=True)
        holder: list[str] = []
        reset = _outcome.set(holder)
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await call_next(ctx)
            failed = result.get("isError") if isinstance(result, dict) else getattr(result, "is_error", False)
            outcome = holder[0] if holder else ("invalid_or_refused" if failed else "ok")
            return result
        except Exception:
            outcome = "invalid_request"
            raise
        finally:
            _outcome.reset(reset)
            self._record(name, user_id, outcome, time.perf_counter() - started)

    def _record(self, name: str, user_id: str | None, outcome: str, seconds: float) -> None:
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
            )
        )

    def _check_limits(self, user_id: str | None, sends_mail: bool) -> str | None:
        key = user_id or "anonymous"
        checks = [("tool calls", self.services.tool_limits, "minute")]
        if sends_mail:
            checks.append(("emails sent or drafted", self.services.mail_limits, "hour"))
        for label, buckets, period in checks:
            wait = buckets.take(key)
            if wait:
                self.services.metrics.rate_limited.labels(bucket=label).inc()
                return (
                    f"Rate limit: at most {buckets.capacity} {label} per {period} for each person. "
                    f"Try again in {int(wait)} s."
                )
        return None

    def __call__(
        self, *, read_only: bool, destructive: bool = False, idempotent: bool = False, sends_mail: bool = False
    ) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]:
        def register(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            if not read_only and self.services.settings.read_only:
                return fn
            annotations = ToolAnnotations(
                read_only_hint=read_only,
                destructive_hint=destructive,
                idempotent_hint=idempotent,
                open_world_hint=True,
            )
            if sends_mail:
                self.mail_tools.add(fn.__name__)
            wrapped = self.reports_outcome(self.translate(fn))
            self.mcp.tool(annotations=annotations, structured_output=False)(wrapped)
            return fn

        return register
