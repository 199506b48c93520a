"""Switchboard as an MCP client of Google's Workspace MCP servers (Gmail, Calendar, People).

Google requires AI agents to reach Workspace data through these servers. Each product has one
server; most have two toolsets: `/mcp/v1`, where an action that needs the person's approval
answers with a form to show them (stateless form elicitation, protocol 2026-07-28), and
`/mcp/v1self` for clients that cannot show one. The process holds one SDK client per product and
toolset for its whole life, over one pooled HTTP transport; the person whose call it is reaches
the transport through a context variable (the SDK sends each request in its sender's context), so
their Google access token rides that one request, refreshed once after a 401 exactly as for REST.

Google reports most failures as tool results (`isError`) with its own wording; `call` turns them
into the same few errors the REST clients raise, plus `AgentClientRefused` (the OAuth client was not
created as an AI-powered agent's) and `QuotaSpent` (the project's daily request budget is gone).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import httpx2
from mcp import Client, MCPError
from mcp.client.session import ClientRequestContext
from mcp.client.streamable_http import streamable_http_client
from mcp_types import (
    CallToolResult,
    ElicitRequestParams,
    ElicitResult,
    InputRequiredResult,
    TextContent,
)

from app.upstream.errors import (
    AgentClientRefused,
    BadRequest,
    MissingScope,
    NotFound,
    QuotaSpent,
    RateLimited,
    UpstreamError,
    UpstreamUnavailable,
    retry_after_seconds,
)
from app.upstream.google_auth import GoogleCredentials
from app.upstream.retry import DEFAULT_POLICY, RetryPolicy
from app.upstream.usage import NAMES, GoogleUsage, quota_reset

logger = logging.getLogger(__name__)

Product = Literal["gmail", "calendar", "people"]
Toolset = Literal["v1", "v1self"]
PROTOCOL = "2026-07-28"
# Products whose server has only /mcp/v1 and never asks for approval.
WITHOUT_SELF: frozenset[Product] = frozenset({"people"})
PACIFIC = ZoneInfo("America/Los_Angeles")  # Google's quota day ends at midnight Pacific time
CALL_TIMEOUT = 60.0
# Google's words for its refusals, as its servers put them in a tool result (matched case-insensitively).
_NOT_AGENTIC = "the caller does not have permission"
_SCOPES = "insufficient authentication scopes"
_QUOTA = ("quota exceeded", "resource_exhausted", "requests per day")
_RATE = ("rate limit", "too many requests")
_NOT_FOUND = ("not found", "does not exist")
_DECLINED = "did not allow"
_NO_CONFIRMATION = "requires user confirmation"


@dataclass(frozen=True)
class Approval:
    """Google asks the person before it acts: its form exactly as it sent it, and the state to answer it with."""

    key: str
    message: str
    requested_schema: dict[str, Any]
    request_state: str | None


@dataclass(frozen=True)
class ApprovalAnswer:
    """The person's answer to one `Approval`, sent back with that approval's own request state."""

    approval: Approval
    action: Literal["accept", "decline", "cancel"]
    content: dict[str, Any] | None = None


@dataclass
class _Exchange:
    """What one call's HTTP exchange learned, shared with the transport through `_EXCHANGE`."""

    credentials: GoogleCredentials
    user_id: str
    token: str
    safe_to_repeat: bool
    policy: RetryPolicy
    product: Product
    usage: GoogleUsage | None
    status: int | None = None
    retry_after: float | None = None
    failure: UpstreamError | None = None  # a refresh that failed during the exchange


_EXCHANGE: ContextVar[_Exchange | None] = ContextVar("google_mcp_exchange", default=None)


class _PersonAuth(httpx2.Auth):
    """The calling person's Google token on each request; one refresh after a 401; rate limits retried."""

    async def async_auth_flow(self, request: httpx2.Request) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        exchange = _EXCHANGE.get()
        if exchange is None:
            raise RuntimeError("a Google MCP request outside GoogleMcp.call")
        request.headers["Authorization"] = f"Bearer {exchange.token}"
        _count(exchange, request)
        response = yield request
        if response.status_code == 401:
            # Expired or revoked early: one refresh, one more try (a 401 did nothing, even for a send).
            # Nothing may be raised here, inside the shared transport: a failed refresh is kept for `call`.
            try:
                exchange.token = await exchange.credentials.access_token(exchange.user_id, rejected=exchange.token)
            except UpstreamError as error:
                exchange.failure = error
                exchange.status = response.status_code
                return
            request.headers["Authorization"] = f"Bearer {exchange.token}"
            _count(exchange, request)
            response = yield request
        started, attempt = time.monotonic(), 1
        while _retryable(response, exchange.safe_to_repeat) and attempt < exchange.policy.attempts:
            delay = retry_after_seconds(response) or exchange.policy.backoff(attempt)
            if time.monotonic() - started + delay > exchange.policy.total_time:
                break
            await response.aclose()
            await asyncio.sleep(delay)
            attempt += 1
            _count(exchange, request)
            response = yield request
        exchange.status = response.status_code
        exchange.retry_after = retry_after_seconds(response)


# Called with every answer Google's MCP servers give (e.g. to count them by product and status).
ResponseHook = Callable[[httpx2.Response], Awaitable[None]]


def _count(exchange: _Exchange, request: httpx2.Request) -> None:
    """One request to Google's MCP server, named by its JSON-RPC method and tool (the SDK's mcp-* headers)."""
    if exchange.usage is not None:
        method, name = request.headers.get("mcp-method", "mcp"), request.headers.get("mcp-name", "")
        exchange.usage.record(exchange.product, f"{method} {name}".strip(), exchange.user_id)


def _retryable(response: httpx2.Response, safe_to_repeat: bool) -> bool:
    """429 never did anything; a 5xx may have, so only a read is sent again."""
    return response.status_code == 429 or (safe_to_repeat and response.status_code in (500, 502, 503, 504))


async def _never_asked(context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
    """Declares form elicitation to `/mcp/v1`; approvals come back as results and are relayed by hand."""
    return ElicitResult(action="cancel")


class GoogleMcp:
    """The process's clients of Google's MCP servers, one per product and toolset, opened by the lifespan."""

    def __init__(
        self,
        transport: httpx2.AsyncBaseTransport,
        urls: Mapping[Product, str],
        policy: RetryPolicy = DEFAULT_POLICY,
        usage: GoogleUsage | None = None,
        event_hooks: Mapping[str, list[ResponseHook]] | None = None,
    ) -> None:
        self._transport = transport
        self._hooks = dict(event_hooks or {})
        self.urls = dict(urls)
        self.policy = policy
        self.usage = usage
        self._clients: dict[tuple[Product, Toolset], Client] = {}
        self._stack = AsyncExitStack()
        # When Google last refused this deployment's OAuth client as not an AI-powered agent's (for /health).
        self.refused_client_at: datetime | None = None

    def endpoint(self, product: Product, toolset: Toolset) -> str:
        return f"{self.urls[product].rstrip('/')}/mcp/{toolset}"

    async def open(self) -> None:
        """Open every client (no request leaves: the protocol version is pinned, not negotiated)."""
        http = await self._stack.enter_async_context(
            httpx2.AsyncClient(
                transport=self._transport, auth=_PersonAuth(), timeout=CALL_TIMEOUT, event_hooks=self._hooks
            )
        )
        for product in self.urls:
            toolsets: tuple[Toolset, ...] = ("v1",) if product in WITHOUT_SELF else ("v1", "v1self")
            for toolset in toolsets:
                client = Client(
                    streamable_http_client(self.endpoint(product, toolset), http_client=http, terminate_on_close=False),
                    mode=PROTOCOL,
                    cache=None,  # answers are per person: never served from a shared cache
                    elicitation_callback=_never_asked if toolset == "v1" else None,
                    read_timeout_seconds=CALL_TIMEOUT,
                )
                self._clients[(product, toolset)] = await self._stack.enter_async_context(client)

    async def close(self) -> None:
        await self._stack.aclose()
        self._clients.clear()

    async def call(
        self,
        product: Product,
        tool: str,
        arguments: Mapping[str, Any],
        *,
        credentials: GoogleCredentials,
        user_id: str,
        toolset: Toolset = "v1",
        read_only: bool = True,
        answer: ApprovalAnswer | None = None,
    ) -> dict[str, Any] | Approval:
        """Call `tool` for this person; its structured result, or the approval Google asks for first.

        Raises:
            UpstreamError: one of its kinds, with a message the person can act on.
        """
        client = self._clients.get((product, "v1" if product in WITHOUT_SELF else toolset))
        if client is None:
            raise RuntimeError(f"no client of Google's {product} MCP server is open")
        service = NAMES[product]
        if self.usage is not None:
            await self.usage.admit(product, user_id)
        token = await credentials.access_token(user_id)
        exchange = _Exchange(
            credentials, user_id, token, safe_to_repeat=read_only, policy=self.policy, product=product, usage=self.usage
        )
        reset = _EXCHANGE.set(exchange)
        try:
            result = await client.session.call_tool(
                tool,
                dict(arguments),
                input_responses=(
                    {answer.approval.key: ElicitResult(action=answer.action, content=answer.content)}
                    if answer is not None
                    else None
                ),
                request_state=answer.approval.request_state if answer is not None else None,
                allow_input_required=True,
            )
        except MCPError as error:
            raise self._transport_error(exchange, service, error) from error
        except httpx2.TransportError as error:
            raise UpstreamUnavailable(f"{service} could not be reached ({type(error).__name__}); try again.") from error
        finally:
            _EXCHANGE.reset(reset)
        if isinstance(result, InputRequiredResult):
            return _approval(result, service)
        if result.is_error:
            raise self._tool_error(service, _text(result))
        return _structured(result, service)

    def _transport_error(self, exchange: _Exchange, service: str, error: MCPError) -> UpstreamError:
        status = exchange.status
        if exchange.failure is not None:
            return exchange.failure
        if status == 401:
            return exchange.credentials.reconnect_error(f"{service} no longer accepts your Google sign-in.")
        if status == 403:
            self.refused_client_at = datetime.now(UTC)
            return AgentClientRefused(_refusal_text(service), service=service)
        if status == 429:
            return RateLimited(
                f"{service} is rate-limiting your account; try again in a minute.",
                service=service,
                retry_after=exchange.retry_after,
            )
        if status is not None and status >= 500:
            return UpstreamUnavailable(
                f"{service} is unavailable right now (HTTP {status}); try again.", service=service
            )
        return BadRequest(f"{service} refused the request: {error.error.message}", service=service)

    def _tool_error(self, service: str, text: str) -> UpstreamError:
        lowered = text.lower()
        if _NOT_AGENTIC in lowered:
            self.refused_client_at = datetime.now(UTC)
            return AgentClientRefused(_refusal_text(service), service=service)
        if _SCOPES in lowered:
            return MissingScope(f"You have not given Switchboard permission to use {service}.", service=service)
        if any(word in lowered for word in _QUOTA):
            return QuotaSpent(service, quota_reset())
        if any(word in lowered for word in _RATE):
            return RateLimited(f"{service} is rate-limiting your account; try again in a minute.", service=service)
        if _NO_CONFIRMATION in lowered:
            return BadRequest(
                f"{service} asks the person to approve this, and this client cannot show Google's question: nothing "
                f"was done. The person can do it in {service} itself, or from a client that can ask them.",
                service=service,
            )
        if _DECLINED in lowered:
            return BadRequest(
                f"The person did not allow it at {service}'s question; nothing was done.", service=service
            )
        if any(word in lowered for word in _NOT_FOUND):
            return NotFound(f"{service} could not find it: check the id. ({_one_line(text)})", service=service)
        return BadRequest(f"{service} refused the request: {_one_line(text)}", service=service)


def _refusal_text(service: str) -> str:
    return (
        f"{service} refused this deployment's Google OAuth client: Google's MCP servers accept only a client "
        'created with "Use this client for an AI-powered agent". Tell your Switchboard administrator: '
        "they create such a client in the same Cloud project (README, Google Cloud setup) and set "
        "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET to it."
    )


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + " …"


def _text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


def _structured(result: CallToolResult, service: str) -> dict[str, Any]:
    """The tool's structured result; older servers put the same JSON in one text block."""
    if isinstance(result.structured_content, dict):
        return result.structured_content
    text = _text(result).strip()
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise UpstreamUnavailable(f"{service} answered with something that is not JSON; try again.") from error
    if not isinstance(parsed, dict):
        raise UpstreamUnavailable(f"{service} answered with an unexpected shape; try again.")
    return parsed


def _approval(result: InputRequiredResult, service: str) -> Approval:
    """The one form Google asks the person to fill before it acts."""
    requests = result.input_requests or {}
    forms = [(key, request) for key, request in requests.items() if request.method == "elicitation/create"]
    if len(forms) != 1 or len(requests) != 1:
        raise UpstreamUnavailable(f"{service} asked for something Switchboard cannot relay; nothing was done.")
    key, request = forms[0]
    params = request.params
    mode = getattr(params, "mode", "form")
    message = getattr(params, "message", None)
    schema = getattr(params, "requested_schema", None)
    if mode != "form" or not isinstance(message, str) or not isinstance(schema, dict):
        raise UpstreamUnavailable(f"{service} asked for an approval Switchboard cannot show; nothing was done.")
    return Approval(key=key, message=message, requested_schema=dict(schema), request_state=result.request_state)


@dataclass
class GoogleMcpCaller:
    """One person's calls to Google's MCP servers: their credentials and the toolset their client allows."""

    mcp: GoogleMcp
    credentials: GoogleCredentials
    user_id: str
    toolset: Toolset = "v1"

    async def read(self, product: Product, tool: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """A call that changes nothing and never needs approval."""
        result = await self.mcp.call(
            product, tool, arguments, credentials=self.credentials, user_id=self.user_id, toolset=self.toolset
        )
        if isinstance(result, Approval):
            raise UpstreamUnavailable(
                f"{NAMES[product]} asked for an approval to read this; open it in Google instead."
            )
        return result

    async def act(
        self, product: Product, tool: str, arguments: Mapping[str, Any], answer: ApprovalAnswer | None = None
    ) -> dict[str, Any] | Approval:
        """A call that changes something: its result, or the approval Google wants first."""
        return await self.mcp.call(
            product,
            tool,
            arguments,
            credentials=self.credentials,
            user_id=self.user_id,
            toolset=self.toolset,
            read_only=False,
            answer=answer,
        )


@dataclass(frozen=True)
class GooglePlan:
    """One call that may need approval: whose, which tool and arguments, and Switchboard's notes for the person."""

    google: GoogleMcpCaller
    product: Product
    tool: str
    arguments: dict[str, Any]
    notes: tuple[str, ...] = ()
