"""Browser plumbing shared by sign-in and the pages: templates, the session's user, CSRF, security headers,
and the 404 page."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from app.allowlist import stored_refusal
from app.config import Settings
from app.storage.store import Store, User

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC_DIR = Path(__file__).parent / "static"


def when(value: datetime | None, empty: str = "—") -> Markup | str:
    """A stored time for people: `<time>` reading `12 Nov 2025, 14:03 UTC`, which the page's script
    shows in the browser's own zone, named (`static/local-times.js`)."""
    if value is None:
        return empty
    utc = value.astimezone(UTC)
    stamp = utc.isoformat(timespec="seconds").replace("+00:00", "Z")
    return Markup('<time datetime="{}">{}</time>').format(stamp, f"{utc.day} {utc:%b %Y, %H:%M} UTC")


TEMPLATES.filters["when"] = when


def security_headers(nonce: str) -> dict[str, str]:
    """Headers for every HTML page: scripts only with this response's nonce, no framing, no referrer leaks.

    No `form-action`: the consent form's answer redirects to the MCP client, which Chromium would block.
    """
    policy = "; ".join(
        (
            "default-src 'self'",
            f"script-src 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    return {
        "Content-Security-Policy": policy,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
    }


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)


class AccessRefused(Exception):
    """The signed-in person is no longer on the allow-list; answered with the sign-in refusal page."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def start_session(request: Request, user: User) -> None:
    """A fresh session for the signed-in person (no fixation), valid until their sessions are ended."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["generation"] = user.session_generation


async def signed_in_user(request: Request, store: Store, settings: Settings) -> User | None:
    """The browser's signed-in person, or None when signed out.

    A session counts as signed out once the person is revoked or disconnected, or their sessions
    were ended (sign-out, offboarding) after it began.

    Raises:
        AccessRefused: the person is outside today's allow-list.
    """
    user_id = session_user_id(request)
    if user_id is None:
        return None
    user = await store.get_user(user_id)
    if user is None or user.status != "active" or request.session.get("generation") != user.session_generation:
        request.session.pop("user_id", None)
        return None
    reason = stored_refusal(settings, user.email, user.hosted_domain)
    if reason:
        raise AccessRefused(reason)
    return user


def session_user_id(request: Request) -> str | None:
    value = request.session.get("user_id")
    return value if isinstance(value, str) else None


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to return to after sign-in; anything else (open redirects) becomes `default`."""
    if not value:
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def flash(request: Request, message: str) -> None:
    """Keep a one-line notice for the next page this browser sees (after a redirect)."""
    request.session["flash"] = message


def pop_flash(request: Request) -> str | None:
    value = request.session.pop("flash", None)
    return value if isinstance(value, str) else None


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = TEMPLATES.get_template(template).render(
        request=request,
        csrf=csrf_token(request),
        signed_in=session_user_id(request) is not None,
        csp_nonce=nonce,
        **context,
    )
    headers = {"Cache-Control": "no-store", **security_headers(nonce)}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def message_page(request: Request, title: str, message: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """A simple page that says one thing (errors, refusals, confirmations)."""
    return render(request, "message.html", status_code=status_code, title=title, message=message, **extra)


REFUSAL_KEY = "sign_in_refused"  # the session's note of why its last sign-in was refused


def refusal_page(request: Request, reason: str, next_path: str = "/") -> HTMLResponse:
    """Sign-in refused, with the way out: Google's account chooser, to sign in with another account."""
    return message_page(
        request,
        "Sign-in refused",
        reason,
        status_code=403,
        action_url=f"/auth/login?account=choose&next={quote(next_path, safe='/')}",
        action_label="Sign in with another account",
        secondary_url="/help",
        secondary_label="Get help",
    )


async def access_refused(request: Request, exc: Exception) -> Response:
    """The sign-in refusal page, for a person whose session outlived their place on the allow-list."""
    reason = exc.reason if isinstance(exc, AccessRefused) else "You may not use this Switchboard."
    return refusal_page(request, reason)


async def not_found(request: Request, exc: Exception) -> Response:
    """Starlette's 404: a friendly page for a browser's navigation, the plain answer for everything else.

    Paths under `/.well-known/` are for programs probing for metadata, whatever they say they accept.
    """
    navigation = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
    if navigation and not request.url.path.startswith("/.well-known/"):
        return message_page(
            request,
            "Page not found",
            "There is nothing at this address. It may have moved, or the link may be mistyped.",
            status_code=404,
            action_url="/",
            action_label="Go to the start page",
        )
    if isinstance(exc, HTTPException):
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse("Not Found", status_code=404)
