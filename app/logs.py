"""Structured logs: JSON in production, readable text locally; one line per request and per tool call.

Every record carries the request id (and the user id once known) from context variables. A
redaction filter scrubs anything shaped like a credential — our tokens, Google tokens, bearer
headers, OAuth codes — from every message, so a careless log call cannot leak one.
"""

import json
import logging
import re
import secrets
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[str | None] = ContextVar("user_id", default=None)

# Names of fields whose values are redacted (not themselves secrets), alone or as the last part of
# a longer name (`refresh_token`, `SESSION_SECRET`, `x-api-key`).
_SECRET_NAMES = "|".join(
    ["code", "token", "key", "secret", "password", "verifier", "authorization", "cookie", "session"]
)
_NAME = rf"(?<![\w-])(?:[A-Za-z0-9]+[_-])*(?:{_SECRET_NAMES})(?![\w-])"
# A value made only of digits is a status code or a count, never one of our credentials.
_NOT_A_NUMBER = r"(?!\d+(?![^\s&\"',}]))"
_SECRETS = re.compile(
    r"(?P<ours>\bsb[apr]_[A-Za-z0-9_-]{20,})"  # our access, refresh and personal tokens
    r"|(?P<google_access>\bya29\.[A-Za-z0-9._-]+)"
    r"|(?P<google_refresh>(?<![\w/])1//[A-Za-z0-9._-]{10,})"
    r"|(?P<client_secret>\bGOCSPX-[A-Za-z0-9_-]+)"
    r"|(?P<jwt>\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)"  # id_tokens
    r"|(?P<scheme>(?i:\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}))"
    # query strings and forms: name=value
    rf"|(?i:(?P<param>{_NAME}=){_NOT_A_NUMBER}[^&\s\"']+)"
    # dicts, JSON and headers: 'name': value, "name": "Bearer value"
    rf"|(?i:(?P<field>[\"']?{_NAME}[\"']?\s*:\s*){_NOT_A_NUMBER}"
    r"[\"']?(?:(?:bearer|basic)\s+)?[^\s\"',}]+[\"']?)"
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("param") or match.group("field")
        if name:  # keep the parameter's name, drop its value
            return f"{name}[redacted]"
        return "[redacted]"

    return _SECRETS.sub(replace, text)


class RedactingFilter(logging.Filter):
    """Scrubs credentials from the formatted message and from extra fields, and adds context ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.msg, record.args = redact(message), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        record.request_id = request_id_var.get()
        record.user_id = getattr(record, "user_id", None) or user_id_var.get()
        return True


class WithholdFailureText(logging.Filter):
    """Drops the quoted error from the SDK's INFO line "Tool … failed: …".

    A tool's error quotes what the person asked for (labels, addresses); the outcome is already
    logged, without arguments, by the tool layer.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING and isinstance(record.args, tuple) and str(record.msg).endswith(": %r"):
            record.msg, record.args = str(record.msg).removesuffix(": %r"), record.args[:-1]
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and value is not None and not key.startswith("_"):
                entry[key] = value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s")

    def format(self, record: logging.LogRecord) -> str:
        extras = {
            k: v
            for k, v in vars(record).items()
            if k not in _STANDARD_ATTRS and k != "context" and v is not None and not k.startswith("_")
        }
        record.context = (" " + " ".join(f"{k}={v}" for k, v in extras.items())) if extras else ""
        return super().format(record)


def configure_logging(level: str, fmt: str) -> None:
    """Install one handler on the root logger (idempotent); `fmt` is json, text or auto."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access", "httpx2", "httpcore2", "mcp.server.streamable_http", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # The SDK's debug logs carry whole JSON-RPC messages (tool arguments: mail bodies); never below INFO.
    for chatty in ("mcp", "aiosqlite", "asyncio"):
        logging.getLogger(chatty).setLevel(max(logging.INFO, root.level))
    sdk = logging.getLogger("mcp.server.mcpserver.server")
    if not any(isinstance(f, WithholdFailureText) for f in sdk.filters):
        sdk.addFilter(WithholdFailureText())


class RequestLogMiddleware:
    """Gives each request an id (echoed as X-Request-ID) and logs method, path, status and duration.

    Only the path is logged, never the query string (it can carry OAuth codes).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger("switchboard.request")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(8)
        token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            # Successful MCP calls are logged once, by the tool layer, with more to say.
            quiet = path in ("/health", "/metrics") or (path == "/mcp" and status < 400)
            if not quiet or self.logger.isEnabledFor(logging.DEBUG):
                self.logger.log(
                    logging.DEBUG if quiet else logging.INFO,
                    "%s %s %d",
                    scope.get("method", ""),
                    path,
                    status,
                    extra={"status": status, "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
                )
            request_id_var.reset(token)
            user_id_var.reset(user_token)
