"""Browser plumbing shared by sign-in and the pages: templates, the session's user, CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
STATIC_DIR = Path(__file__).parent / "static"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, submitted: object) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)


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


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(
        request=request, csrf=csrf_token(request), signed_in=session_user_id(request) is not None, **context
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def message_page(request: Request, title: str, message: str, status_code: int = 200, **extra: Any) -> HTMLResponse:
    """A simple page that says one thing (errors, refusals, confirmations)."""
    return render(request, "message.html", status_code=status_code, title=title, message=message, **extra)
