"""What every sandbox MCP server shares: bearer auth, the agentic-client rule, quotas, approvals, tool calls.

Each product (Gmail, Calendar, People) describes its tools as `Tool`s; `product_routes` serves them
as Google does: streamable HTTP, stateless, JSON responses, one lowlevel MCP server per toolset
(`/mcp/v1` with every tool, `/mcp/v1self` without the tools that always ask for approval).
A call that needs the person's approval answers with a form elicitation (protocol 2026-07-28's
`InputRequiredResult`); the SDK's `RequestStateBoundary` seals the state it carries to the tool
name, the arguments and the caller, so an answer cannot be replayed for another request.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.request_state import RequestStateBoundary, RequestStateSecurity
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types.jsonrpc import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from sandbox.calendar.events import EventError
from sandbox.calendar.params import ParamError
from sandbox.common import google_error
from sandbox.gmail.http import ApiError
from sandbox.mcp.arguments import ArgumentError, Schema, check
from sandbox.world import SANDBOX_PROJECT, GoogleAccessToken, Person, World

PERMISSION_DENIED = "The caller does not have permission"
CANNOT_CONFIRM = "This action requires user confirmation, which this client does not support"
NOT_ALLOWED = "The user did not allow this action."
INSUFFICIENT_SCOPES = "Request had insufficient authentication scopes."
_CALLER = "sandbox.mcp.caller"  # where the auth layer leaves the caller in the ASGI scope
_APPROVAL = "approval"  # the key of the approval form among a result's input requests
_QUOTA_ZONE = ZoneInfo("America/Los_Angeles")  # Google's quota day ends at midnight Pacific time


class ToolFailure(Exception):
    """A tool call Google answers with an error result (`isError: true`) carrying this text."""


@dataclass(frozen=True)
class Caller:
    """The person behind a request's bearer token, and the OAuth client and project it was issued to."""

    person: Person
    token: GoogleAccessToken
    client_id: str
    project: str


@dataclass
class Call:
    """One tool call: who makes it, and how many requests beyond the tool's own it costs."""

    world: World
    caller: Caller
    extra_requests: int = 0


Run = Callable[[Call, dict[str, Any]], dict[str, Any]]
Approval = Callable[[Call, dict[str, Any]], str | None]


@dataclass(frozen=True)
class Tool:
    """A tool as Google documents it; `asks` returns the approval question when a call needs one."""

    name: str
    description: str
    input_schema: Schema
    output_schema: Schema
    scopes: tuple[str, ...]  # a token needs one of them
    run: Run
    read_only: bool = False
    destructive: bool = False
    idempotent: bool = False
    asks: Approval | None = None
    always_asks: bool = False  # every call needs approval, so `/mcp/v1self` leaves the tool out
    cost: int = 1  # requests counted against the quota

    def listing(self) -> types.Tool:
        hints = types.ToolAnnotations(
            read_only_hint=self.read_only,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=False,
        )
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=hints,
        )


@dataclass(frozen=True)
class Product:
    """One of Google's MCP servers: its product name, service host, tools and toolsets."""

    name: str  # "gmail": served under /gmailmcp, counted in the quota as "gmail"
    service: str  # "gmailmcp.googleapis.com"
    tools: list[Tool]
    toolsets: tuple[str, ...] = ("v1", "v1self")


@dataclass
class Served:
    """The routes of every product's toolsets, and the session managers their lifespan must run."""

    routes: list[BaseRoute] = field(default_factory=list)
    managers: list[StreamableHTTPSessionManager] = field(default_factory=list)


def page(items: Sequence[Any], size: int, token: str | None) -> tuple[Sequence[Any], str | None]:
    """One page of `items` after the opaque `token`, and the token of the next page (None after the last)."""
    offset = 0
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode() + b"==").decode().removeprefix("o:"))
        except (ValueError, UnicodeDecodeError):
            raise ToolFailure("Invalid page token.") from None
    end = offset + max(size, 1)
    following = base64.urlsafe_b64encode(f"o:{end}".encode()).decode().rstrip("=") if end < len(items) else None
    return items[offset:end], following


def quota_day(world: World) -> str:
    """Today in Google's quota calendar (Pacific time)."""
    return world.now().astimezone(_QUOTA_ZONE).date().isoformat()


def usage(world: World) -> dict[str, dict[str, int]]:
    """Today's MCP requests per project and product (yesterday's are forgotten)."""
    today = quota_day(world)
    if world.mcp_usage_day != today:
        world.mcp_usage, world.mcp_usage_day = {}, today
    return world.mcp_usage


def _spend(world: World, product: Product, project: str, requests: int) -> None:
    counts = usage(world).setdefault(project, {})
    used = counts.get(product.name, 0)
    if used + requests > world.mcp_limits.get(product.name, 0):
        raise ToolFailure(
            f"Quota exceeded for quota metric 'Requests' and limit 'Requests per day' of service "
            f"'{product.service}' for consumer 'project_number:{project}'."
        )
    counts[product.name] = used + requests


def _failure_text(error: Exception) -> str:
    if isinstance(error, ApiError | ParamError):
        response = error.response
        try:
            body = json.loads(bytes(response.body))
        except ValueError:
            return "Request failed."
        return str(body.get("error", {}).get("message", "Request failed."))
    if isinstance(error, EventError):
        return error.message
    return str(error)


def _result(data: dict[str, Any]) -> types.CallToolResult:
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=data)


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)


def _caller_of(ctx: ServerRequestContext[Any, Any]) -> Caller:
    request = ctx.request
    caller = request.scope.get(_CALLER) if isinstance(request, Request) else None
    if not isinstance(caller, Caller):
        raise MCPError(code=INVALID_PARAMS, message="Request is missing required authentication credential.")
    return caller


def _principal(ctx: ServerRequestContext[Any, Any]) -> str | None:
    """What a sealed request state is bound to: the person and the OAuth client of the token."""
    request = ctx.request
    caller = request.scope.get(_CALLER) if isinstance(request, Request) else None
    return f"{caller.person.email}|{caller.client_id}" if isinstance(caller, Caller) else None


def _can_elicit(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Only a 2026-07-28 client that declared form elicitation can answer an approval statelessly."""
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    declared = ctx.session.client_capabilities
    elicitation = declared.elicitation if declared is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def _digest(question: str) -> str:
    return hashlib.sha256(question.encode()).hexdigest()[:32]


def _approval(
    ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams, question: str, toolset: str
) -> types.InputRequiredResult | types.CallToolResult | None:
    """Ask (an `InputRequiredResult`), refuse (an error result) or allow (None) a call that needs approval."""
    if toolset != "v1" or not _can_elicit(ctx):
        return _error(CANNOT_CONFIRM)
    answer = (params.input_responses or {}).get(_APPROVAL)
    state = params.request_state  # already verified and unsealed by the RequestStateBoundary
    asked = json.loads(state).get("asked") if state else None
    if isinstance(answer, types.ElicitResult) and asked == _digest(question):
        return None if answer.action == "accept" else _error(NOT_ALLOWED)
    form = types.ElicitRequestFormParams(message=question, requested_schema={"type": "object", "properties": {}})
    return types.InputRequiredResult(
        input_requests={_APPROVAL: types.ElicitRequest(params=form)},
        request_state=json.dumps({"asked": _digest(question)}),
    )


def _lowlevel_server(world: World, product: Product, toolset: str) -> Server[Any]:
    listed = [tool for tool in product.tools if toolset == "v1" or not tool.always_asks]
    by_name = {tool.name: tool for tool in listed}

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool.listing() for tool in listed])

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        caller = _caller_of(ctx)
        tool = by_name.get(params.name)
        if tool is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {params.name}")
        call = Call(world, caller)
        try:
            if caller.client_id not in world.agent_clients:
                raise ToolFailure(PERMISSION_DENIED)
            _spend(world, product, caller.project, tool.cost)
            if not set(tool.scopes) & set(caller.token.scopes):
                raise ToolFailure(INSUFFICIENT_SCOPES)
            arguments = check(tool.input_schema, params.arguments or {})
            question = tool.asks(call, arguments) if tool.asks is not None else None
            if question is not None:
                verdict = _approval(ctx, params, question, toolset)
                if verdict is not None:
                    return verdict
            data = tool.run(call, arguments)
            if call.extra_requests:
                counts = usage(world).setdefault(caller.project, {})
                counts[product.name] = counts.get(product.name, 0) + call.extra_requests
        except (ToolFailure, ArgumentError, ApiError, EventError, ParamError) as failure:
            return _error(_failure_text(failure))
        return _result(data)

    server: Server[Any] = Server(
        product.service,
        version=toolset,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        get_tool_input_schema=lambda name: by_name[name].input_schema if name in by_name else None,
    )
    security = RequestStateSecurity.ephemeral(ttl=900)
    security.bind_principal = _principal
    server.middleware.append(RequestStateBoundary(security, default_audience=f"{product.service}/mcp/{toolset}"))
    return server


class _Authenticated:
    """ASGI: let through requests bearing a live sandbox Google access token; 401 as Google answers otherwise."""

    def __init__(self, world: World, inner: StreamableHTTPASGIApp, metadata_url: str) -> None:
        self.world, self.inner, self.metadata_url = world, inner, metadata_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        kind, _, token = request.headers.get("authorization", "").partition(" ")
        found = self.world.person_for_access_token(token.strip()) if kind.lower() == "bearer" else None
        if found is None:
            await self._unauthorized(bool(token.strip()))(scope, receive, send)
            return
        person, live = found
        client_id = self.world.client_of(live)
        project = self.world.client_projects.get(client_id, SANDBOX_PROJECT)
        scope[_CALLER] = Caller(person, live, client_id, project)
        await self.inner(scope, receive, send)

    def _unauthorized(self, had_token: bool) -> Response:
        challenge = 'Bearer realm="https://accounts.google.com/"'
        if had_token:
            challenge += ', error="invalid_token"'
        challenge += f', resource_metadata="{self.metadata_url}"'
        message = (
            "Request had invalid authentication credentials. Expected OAuth 2 access token."
            if had_token
            else "Request is missing required authentication credential. Expected OAuth 2 access token."
        )
        response = google_error(401, message, "authError" if had_token else "required")
        response.headers["WWW-Authenticate"] = challenge
        return response


def product_routes(world: World, product: Product, base_url: str, served: Served) -> list[BaseRoute]:
    """The routes under `/{product}mcp`: each toolset, and its protected resource metadata (RFC 9728)."""
    routes: list[BaseRoute] = []
    prefix = f"{base_url}/{product.name}mcp"
    scopes = sorted({scope for tool in product.tools for scope in tool.scopes})
    for toolset in product.toolsets:
        manager = StreamableHTTPSessionManager(
            app=_lowlevel_server(world, product, toolset),
            json_response=True,
            stateless=True,
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        served.managers.append(manager)
        metadata_path = f"/.well-known/oauth-protected-resource/mcp/{toolset}"
        endpoint = _Authenticated(world, StreamableHTTPASGIApp(manager), prefix + metadata_path)
        routes.append(Route(f"/mcp/{toolset}", endpoint=endpoint, methods=["GET", "POST", "DELETE"]))
        resource = {
            "resource": f"{prefix}/mcp/{toolset}",
            "authorization_servers": [f"{base_url}/google"],
            "scopes_supported": scopes,
            "bearer_methods_supported": ["header"],
        }

        async def metadata(request: Request, body: dict[str, Any] = resource) -> Response:
            return JSONResponse(body)

        routes.append(Route(metadata_path, metadata, methods=["GET"]))
    return routes
