"""Optional error tracking: with SENTRY_DSN set, unexpected errors are reported to Sentry, scrubbed.

What leaves the process is what helps find a bug and nothing that belongs to a person: the
exception's type and stack frames (function, file, line), our own log line, the request's method
and path, the request id (to find the log line) and the user id. Never request bodies, query
strings, cookies, credentials, frame locals, or text that could quote someone's mail.
`sentry_sdk` is imported only when the DSN is set, so start-up without it costs nothing.
"""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from app.config import Settings
from app.logs import redact, request_id_var, user_id_var

# Request headers worth seeing beside an error; none carries a credential, an address or content.
SAFE_HEADERS = frozenset(
    {"user-agent", "content-type", "content-length", "accept", "mcp-protocol-version", "x-request-id"}
)
# Exceptions whose text describes the system, never the data it was handling. Every other
# exception's text is withheld, because so much of it quotes data: a pydantic ValidationError
# quotes the upstream input (a subject, a body), a ValueError the value it could not parse,
# SQLAlchemy the bound parameters (addresses), and even our own errors what a person typed
# (addresses, labels). The type and the frames still say where it failed.
SAFE_TEXT = frozenset(
    {
        ("builtins", name)
        for name in (
            "TimeoutError",
            "ConnectionError",
            "ConnectionRefusedError",
            "ConnectionResetError",
            "ConnectionAbortedError",
            "BrokenPipeError",
            "MemoryError",
            "RecursionError",
        )
    }
    | {("json.decoder", "JSONDecodeError"), ("asyncio.exceptions", "CancelledError")}
)
WITHHELD = "[withheld: the text may quote mail or account data]"
MAX_TEXT = 300
# Our loggers: their lines are kept free of mail and addresses (the log tests hold them to it).
OWN_LOGGERS = frozenset({"app", "switchboard"})


def start_error_tracking(settings: Settings, release: str) -> bool:
    """Turn Sentry on when SENTRY_DSN is set (it is process-wide); returns whether it is on."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.error_tracking_environment,
        release=f"switchboard@{release}",
        # What the SDK collects by itself (this replaces send_default_pii, which it deprecates).
        data_collection={
            "user_info": False,  # no email or IP address; scrub_event adds the user id
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(SAFE_HEADERS)}},
            "http_bodies": [],  # bodies carry mail and tool arguments
            "url_query_params": {"mode": "off"},  # OAuth codes and states
            "stack_frame_variables": False,  # frames' locals hold tokens and mail
            "database_query_data": False,
            "queues": False,
            "gen_ai": {"inputs": False, "outputs": False},
        },
        max_request_body_size="never",
        # Only the integrations named here: the automatic ones would record outgoing URLs (Gmail
        # search queries), SQL, Redis keys and MCP tool arguments as breadcrumbs and spans.
        auto_enabling_integrations=False,
        integrations=[
            StarletteIntegration(failed_request_status_codes={*range(500, 600)}),
            # Errors logged (logger.exception) become events; INFO lines become breadcrumbs.
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        # The SDK types events as TypedDicts; the scrubbers take them as the plain dicts they are.
        before_send=cast(Any, scrub_event),
        before_breadcrumb=cast(Any, scrub_breadcrumb),
    )
    return True


def scrub_event(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """What of an event may be sent: see the module docstring."""
    own = _is_own_logger(event.get("logger"))
    for exception in _values(event.get("exception")):
        key = (exception.get("module") or "builtins", exception.get("type"))
        text = exception.get("value")
        exception["value"] = _first_line(text) if key in SAFE_TEXT and isinstance(text, str) else WITHHELD
        _drop_locals(exception.get("stacktrace"))
    for thread in _values(event.get("threads")):
        _drop_locals(thread.get("stacktrace"))
    entry = event.get("logentry")
    if isinstance(entry, dict):
        entry.pop("params", None)
        # A library's log line keeps its template, without the arguments that could quote data.
        entry["formatted"] = _first_line(entry.get("formatted") if own else entry.get("message"))
    if not own and "logger" in event:
        event.pop("extra", None)  # a library's record attributes: anything at all
    if "request" in event:
        event["request"] = _scrub_request(event["request"])
    user = event.get("user")
    user_id = user_id_var.get() or (user.get("id") if isinstance(user, dict) else None)
    if user_id:
        event["user"] = {"id": str(user_id)}
    else:
        event.pop("user", None)
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs["values"] = [crumb for crumb in _values(crumbs) if scrub_breadcrumb(crumb, {}) is not None]
    return _redacted(event)


def scrub_breadcrumb(crumb: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any] | None:
    """Keep our own log lines, redacted; drop the rest (outgoing calls, library logs)."""
    if crumb.get("type") != "log" or not _is_own_logger(crumb.get("category")):
        return None
    crumb["message"] = _first_line(crumb.get("message"))
    return _redacted(crumb)


def _scrub_request(request: object) -> dict[str, Any]:
    """Method, path and harmless headers; no query string, cookies, body or client address."""
    if not isinstance(request, dict):
        return {}
    headers = request.get("headers")
    kept: dict[str, Any] = {"method": request.get("method")}
    if isinstance(headers, dict):
        kept["headers"] = {name: value for name, value in headers.items() if str(name).lower() in SAFE_HEADERS}
    url = request.get("url")
    if isinstance(url, str):
        parts = urlsplit(url)
        kept["url"] = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return kept


def _is_own_logger(name: object) -> bool:
    return isinstance(name, str) and name.split(".")[0] in OWN_LOGGERS


def _values(container: object) -> list[dict[str, Any]]:
    values = container.get("values") if isinstance(container, dict) else None
    return [value for value in values if isinstance(value, dict)] if isinstance(values, list) else []


def _drop_locals(stacktrace: object) -> None:
    frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    for frame in frames if isinstance(frames, list) else []:
        if isinstance(frame, dict):
            frame.pop("vars", None)


def _first_line(text: object) -> str:
    lines = str(text or "").strip().splitlines()
    return redact(lines[0])[:MAX_TEXT] if lines else ""


def _redacted(value: Any) -> Any:
    """`value` with `redact()` applied to every string in it, however deep."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value
