"""Helpers shared by the sandbox's Google-shaped apps: error bodies and bearer authentication."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from sandbox.world import Person, World

GMAIL_SCOPES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.modify",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
)
GMAIL_WRITE_SCOPES = (
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.modify",
)
CALENDAR_SCOPES = (
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.readonly",
    "https://www.googleapis.com/auth/calendar.events",
)
CALENDAR_WRITE_SCOPES = (
    "https://www.googleapis.com/auth/calendar",
    "https://www.googleapis.com/auth/calendar.events",
)

_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_DEFAULT_REASON = {
    400: "badRequest",
    401: "authError",
    403: "forbidden",
    404: "notFound",
    409: "duplicate",
    410: "deleted",
    429: "rateLimitExceeded",
    500: "backendError",
    503: "backendError",
}


def google_error(
    code: int, message: str, reason: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A Google-API-shaped error: {"error": {"code", "message", "status", "errors": [...]}}."""
    body = {
        "error": {
            "code": code,
            "message": message,
            "status": _STATUS_TEXT.get(code, "UNKNOWN"),
            "errors": [
                {
                    "domain": "global",
                    "reason": reason or _DEFAULT_REASON.get(code, "error"),
                    "message": message,
                }
            ],
        }
    }
    all_headers = dict(headers or {})
    if code == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"')
    return JSONResponse(body, status_code=code, headers=all_headers)


def authenticate(request: Request, world: World, scopes: tuple[str, ...]) -> Person | JSONResponse:
    """The person behind the request's Google bearer token, or the error Google would send.

    `scopes` lists the scopes of which the token must hold at least one.
    """
    header = request.headers.get("authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token:
        return google_error(
            401,
            "Request is missing required authentication credential. Expected OAuth 2 access token.",
            "required",
        )
    found = world.person_for_access_token(token.strip())
    if found is None:
        return google_error(
            401,
            "Request had invalid authentication credentials. Expected OAuth 2 access token.",
            "authError",
        )
    person, access = found
    if not any(scope in access.scopes for scope in scopes):
        return google_error(403, "Request had insufficient authentication scopes.", "insufficientPermissions")
    return person
