"""Fault injection and a request log for the sandbox, as pure ASGI middleware.

Tests and the control API (`/_sandbox/...`) use a `FaultState` to slow paths down, make the next
N calls under a path fail the way the real service fails (or answer something unexpected), and
read back exactly what a client sent.
The state is a plain object: the sandbox loop reads it while a test thread may mutate it. Every
operation is a single list/dict step, which the GIL makes safe enough for a test double.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox.common import google_error

CONTROL_PREFIX = "/_sandbox"
# The MCP servers: `/{product}mcp/mcp/v1…` stands in for `https://{product}mcp.googleapis.com/mcp/v1…`.
_MCP_PATH = re.compile(r"^/(\w+)mcp/mcp/")

_GOOGLE_REASON = {
    401: "authError",
    403: "userRateLimitExceeded",
    429: "rateLimitExceeded",
    500: "backendError",
}
_GOOGLE_MESSAGE = {
    "authError": "Invalid Credentials",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "rateLimitExceeded": "Rate Limit Exceeded",
    "quotaExceeded": "Quota Exceeded",
    "dailyLimitExceeded": "Daily Limit Exceeded",
    "backendError": "Backend Error",
    "insufficientPermissions": "Request had insufficient authentication scopes.",
}
# The OAuth endpoints under /google answer RFC 6749 errors, not the Google API error envelope.
_OAUTH_ERROR = {
    400: "invalid_request",
    401: "invalid_client",
    403: "access_denied",
    429: "rate_limit_exceeded",
    500: "internal_failure",
    503: "temporarily_unavailable",
}
_OAUTH_DESCRIPTION = {"invalid_grant": "Token has been expired or revoked."}


@dataclass
class Failure:
    """The next `remaining` requests under `prefix` answer `status` instead of reaching the app."""

    prefix: str
    remaining: int
    status: int
    reason: str | None = None
    retry_after: str | None = None
    body: object = None  # answered as JSON instead of the service's error, when set


@dataclass
class LoggedRequest:
    """One request as the sandbox received it; `status` is filled in once the response starts."""

    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    status: int | None = None
    product: str | None = None  # MCP requests: the product whose server was called ("gmail", ...)
    rpc_method: str | None = None  # MCP requests: the JSON-RPC method ("tools/call", ...)
    tool: str | None = None  # MCP tools/call requests: the tool's name


def _mcp_fields(entry: LoggedRequest) -> None:
    """Note which MCP product, method and tool a request to an MCP server is about."""
    found = _MCP_PATH.match(entry.path)
    if found is None:
        return
    entry.product = found.group(1)
    try:
        message = json.loads(entry.body)
    except ValueError:
        return
    if isinstance(message, dict) and isinstance(message.get("method"), str):
        entry.rpc_method = message["method"]
        params = message.get("params")
        if entry.rpc_method == "tools/call" and isinstance(params, dict) and isinstance(params.get("name"), str):
            entry.tool = params["name"]


@dataclass
class FaultState:
    """Injected latency and failures, plus the log of requests seen."""

    latency: dict[str, float] = field(default_factory=dict)  # path prefix -> seconds
    failures: list[Failure] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    max_log: int = 5000

    def add_latency(self, prefix: str, seconds: float) -> None:
        """Delay every request under `prefix` (the longest matching prefix wins; "" is everything)."""
        self.latency[prefix] = seconds

    def fail_next(
        self, prefix: str, count: int, status: int, reason: str | None = None, retry_after: str | None = None
    ) -> None:
        """Make the next `count` requests under `prefix` fail with `status`."""
        self.failures.append(Failure(prefix, count, status, reason, retry_after))

    def answer_next(self, prefix: str, count: int, body: object, status: int = 200) -> None:
        """Make the next `count` requests under `prefix` answer `body` as JSON: an answer the client does not expect."""
        self.failures.append(Failure(prefix, count, status, body=body))

    def clear(self) -> None:
        """Forget all latency, pending failures and the request log."""
        self.latency.clear()
        self.failures.clear()
        self.log.clear()

    def requests(self, prefix: str = "") -> list[LoggedRequest]:
        """Logged requests whose path starts with `prefix`, oldest first."""
        return [entry for entry in list(self.log) if entry.path.startswith(prefix)]

    def mcp_calls(self, product: str | None = None) -> list[str]:
        """The tools called through the MCP servers (of one product, when given), oldest first."""
        return [entry.tool for entry in list(self.log) if entry.tool is not None and product in (None, entry.product)]

    def record(self, entry: LoggedRequest) -> None:
        """Append to the log, dropping the oldest entries beyond `max_log`."""
        self.log.append(entry)
        if len(self.log) > self.max_log:
            del self.log[: len(self.log) - self.max_log]

    def delay_for(self, path: str) -> float:
        """The latency configured for `path`."""
        matching = [prefix for prefix in self.latency if path.startswith(prefix)]
        return self.latency[max(matching, key=len)] if matching else 0.0

    def take_failure(self, path: str) -> Failure | None:
        """The first pending failure for `path`, with one use consumed."""
        for failure in list(self.failures):
            if failure.remaining > 0 and path.startswith(failure.prefix):
                failure.remaining -= 1
                if failure.remaining == 0:
                    self.failures.remove(failure)
                return failure
        return None


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def fault_response(failure: Failure, path: str) -> JSONResponse:
    """The error the real service behind `path` would send for this failure."""
    headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
    status = failure.status
    if failure.body is not None:
        return JSONResponse(failure.body, status, headers=headers)
    if path.startswith("/fathom"):
        # Fathom's error bodies are undocumented; clients branch on the status alone.
        return JSONResponse({"error": failure.reason or _phrase(status)}, status, headers=headers)
    if path.startswith("/google"):
        error = failure.reason or _OAUTH_ERROR.get(status, "invalid_request")
        description = _OAUTH_DESCRIPTION.get(error, _phrase(status))
        return JSONResponse({"error": error, "error_description": description}, status, headers=headers)
    reason = failure.reason or _GOOGLE_REASON.get(status)
    if status == 503:
        message = "The service is currently unavailable."
    else:
        message = _GOOGLE_MESSAGE.get(reason or "", _phrase(status))
    return google_error(status, message, reason, headers)


class SandboxFaults:
    """ASGI middleware: log each request, then apply the configured latency and failures."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        entry = LoggedRequest(scope["method"], path, scope["query_string"].decode("latin-1"), headers, body)
        _mcp_fields(entry)
        self.state.record(entry)

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        delay = self.state.delay_for(path)
        if delay > 0:
            await asyncio.sleep(delay)
        failure = self.state.take_failure(path)
        if failure is not None:
            await fault_response(failure, path)(scope, receive, logged_send)
            return

        # The body was consumed for the log; hand it to the app once, then pass through.
        await self.app(scope, _replay(body, receive), logged_send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` with the already-read body put back in front of it."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def again() -> Message:
        return pending.pop() if pending else await receive()

    return again
