"""HTML pages of the sandbox Google sign-in: the account chooser with scope checkboxes, and errors.

The chooser is a single GET form back to the authorize URL: each account is a submit button named
`sandbox_login`, and each non-identity scope a ticked checkbox named `sandbox_scopes`, so a person
(or a test) can grant only some scopes, as Google's granular consent screen allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sandbox.world import Person

_STYLE = (
    "body{font-family:sans-serif;max-width:36rem;margin:3rem auto;color:#202124}"
    "button{display:block;width:100%;margin:.4rem 0;padding:.6rem;text-align:left}"
    "label{display:block;margin:.2rem 0;font-size:.9rem}.hint{font-weight:bold}"
)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    # Google's sign-in pages may not be framed; the sandbox keeps that property.
    return HTMLResponse(html, status_code=status_code, headers={"X-Frame-Options": "DENY"})


def error_page(status_code: int, error: str, detail: str) -> HTMLResponse:
    """Google's "Access blocked" page: shown instead of redirecting when the client can't be trusted."""
    body = (
        "<h1>Access blocked: Authorization Error</h1>"
        f"<p>{escape(detail)}</p><p><strong>Error {status_code}: {escape(error)}</strong></p>"
    )
    return _page(f"Error {status_code}: {error}", body, status_code)


def chooser_page(
    action: str,
    carried: Iterable[tuple[str, str]],
    people: Iterable[Person],
    optional_scopes: Iterable[str],
    login_hint: str | None,
) -> HTMLResponse:
    """The sandbox account chooser and consent screen."""
    hidden = "".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">' for name, value in carried)
    # Always sent, so "every box unticked" still reads as a choice rather than "grant everything".
    hidden += '<input type="hidden" name="sandbox_scopes" value="openid">'
    boxes = "".join(
        f'<label><input type="checkbox" name="sandbox_scopes" value="{escape(scope)}" checked> {escape(scope)}</label>'
        for scope in optional_scopes
    )
    buttons = "".join(
        f'<button type="submit" name="sandbox_login" value="{escape(person.email)}"'
        f"{' class=hint' if person.email == login_hint else ''}>"
        f"{escape(person.name)} &lt;{escape(person.email)}&gt;</button>"
        for person in people
    )
    body = (
        "<h1>Choose an account</h1><p>Sandbox Google sign-in. Nothing here is a real account.</p>"
        f'<form method="get" action="{escape(action)}">{hidden}'
        f"<fieldset><legend>Allow access to</legend>{boxes or '<p>Your basic profile only.</p>'}</fieldset>"
        f'{buttons}<button type="submit" name="sandbox_deny" value="1">Cancel</button></form>'
    )
    return _page("Sign in - Google Accounts", body)


async def avatar(request: Request) -> Response:
    """A stand-in for Google's profile pictures, which this machine cannot reach."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
        '<circle cx="48" cy="48" r="48" fill="#1a73e8"/></svg>'
    )
    return Response(svg, media_type="image/svg+xml")
