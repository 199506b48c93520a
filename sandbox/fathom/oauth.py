"""The sandbox's Fathom OAuth for third-party apps: authorize, token (code and refresh), revoke.

Mounted beside the API at `/fathom/external/v1/oauth2/…`, as Fathom serves it under
`fathom.video/external/v1/oauth2/…`. One scope, `public_api`; client credentials in the form (or
HTTP Basic); codes work once, for ten minutes, with the redirect URI they were issued for.
Refresh tokens rotate: each works once, and a spent or revoked one answers `invalid_grant`.
Fathom documents no revocation endpoint; the sandbox offers an RFC 7009 one at `/oauth2/revoke`.

Who signs in: `sandbox_login=<email>` on the authorize address, else `World.auto_approve_email`,
else a page lists the sandbox people who have Fathom.
"""

from __future__ import annotations

import base64
import secrets
import time
from html import escape
from urllib.parse import unquote_plus, urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.world import FathomAccessToken, FathomCode, FathomGrant, World

SCOPE = "public_api"
CODE_TTL = 600
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status, headers=_NO_STORE)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers={"X-Frame-Options": "DENY"})


def _field(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value else None


def oauth_routes(world: World) -> list[Route]:
    """The `/oauth2/*` routes over `world`."""

    async def authorize(request: Request) -> Response:
        query = request.query_params
        client_id, redirect_uri = query.get("client_id", ""), query.get("redirect_uri", "")
        if client_id not in world.fathom_clients:
            return _page("Unknown application", "<p>No Fathom app has this client_id.</p>", 400)
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
            return _page("Invalid redirect", f"<p>redirect_uri {escape(redirect_uri)} is not allowed.</p>", 400)

        def back(params: dict[str, str]) -> Response:
            state = query.get("state")
            separator = "&" if parts.query else "?"
            location = redirect_uri + separator + urlencode({**params, **({"state": state} if state else {})})
            return RedirectResponse(location, status_code=302)

        if query.get("response_type") != "code":
            return back({"error": "unsupported_response_type"})
        if query.get("scope") != SCOPE:
            return back({"error": "invalid_scope"})
        if query.get("sandbox_deny"):
            return back({"error": "access_denied"})
        email = query.get("sandbox_login") or world.auto_approve_email
        if email is None:
            return _chooser(request)
        if email not in world.people or world.people[email].fathom_key is None:
            return _page("No Fathom account", f"<p>{escape(email)} has no sandbox Fathom account.</p>", 400)
        code = secrets.token_urlsafe(32)
        world.fathom_codes[code] = FathomCode(code, client_id, redirect_uri, email, time.time() + CODE_TTL)
        return back({"code": code})

    def _chooser(request: Request) -> Response:
        carried = [(k, v) for k, v in request.query_params.multi_items() if not k.startswith("sandbox_")]
        hidden = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in carried)
        buttons = "".join(
            f'<button type="submit" name="sandbox_login" value="{escape(p.email)}">'
            f"Allow as {escape(p.name)} &lt;{escape(p.email)}&gt;</button>"
            for p in world.people.values()
            if p.fathom_key is not None
        )
        body = (
            "<p>Sandbox Fathom. An app asks to read your meetings, summaries and transcripts.</p>"
            f'<form method="get" action="{escape(request.url.path)}">{hidden}{buttons}'
            '<button type="submit" name="sandbox_deny" value="1">Cancel</button></form>'
        )
        return _page("Authorize app - Fathom", body)

    def authenticate_client(request: Request, form: FormData) -> str | JSONResponse:
        kind, _, credentials = request.headers.get("authorization", "").partition(" ")
        if kind.lower() == "basic":
            try:
                raw_id, _, raw_secret = base64.b64decode(credentials, validate=True).decode().partition(":")
            except ValueError:
                return _oauth_error(401, "invalid_client", "Client authentication failed.")
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        else:
            client_id, secret = _field(form, "client_id") or "", _field(form, "client_secret") or ""
        expected = world.fathom_clients.get(client_id)
        if expected is None or not secrets.compare_digest(secret.encode(), expected.encode()):
            return _oauth_error(401, "invalid_client", "Client authentication failed.")
        return client_id

    def issue(grant: FathomGrant) -> JSONResponse:
        access = FathomAccessToken(
            "fathom-at." + secrets.token_urlsafe(24),
            grant.email,
            grant.id,
            time.time() + world.fathom_access_token_ttl,
        )
        world.fathom_access_tokens[access.token] = access
        body = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": world.fathom_access_token_ttl,
            "refresh_token": grant.refresh_token,
            "scope": SCOPE,
        }
        return JSONResponse(body, headers=_NO_STORE)

    def exchange(form: FormData, client_id: str) -> Response:
        value, redirect_uri = _field(form, "code"), _field(form, "redirect_uri")
        if value is None or redirect_uri is None:
            return _oauth_error(400, "invalid_request", "code and redirect_uri are required.")
        code = world.fathom_codes.pop(value, None)  # spent by any attempt
        if code is None or code.expires_at <= time.time() or code.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "The authorization code is invalid or expired.")
        if code.redirect_uri != redirect_uri:
            return _oauth_error(400, "invalid_grant", "redirect_uri does not match the authorization request.")
        grant = FathomGrant(
            world.next_id("fathom-grant-"), code.email, client_id, "fathom-rt." + secrets.token_urlsafe(32)
        )
        world.fathom_grants[grant.id] = grant
        return issue(grant)

    def refresh(form: FormData, client_id: str) -> Response:
        value = _field(form, "refresh_token")
        if value is None:
            return _oauth_error(400, "invalid_request", "refresh_token is required.")
        grant = next((g for g in world.fathom_grants.values() if g.refresh_token == value), None)
        if grant is None or grant.revoked or grant.client_id != client_id:
            return _oauth_error(400, "invalid_grant", "The refresh token is invalid, used or revoked.")
        grant.refresh_token = "fathom-rt." + secrets.token_urlsafe(32)  # the old one is spent
        grant.refreshes += 1
        return issue(grant)

    async def token(request: Request) -> Response:
        form = await request.form()
        client_id = authenticate_client(request, form)
        if isinstance(client_id, JSONResponse):
            return client_id
        grant_type = _field(form, "grant_type")
        if grant_type == "authorization_code":
            return exchange(form, client_id)
        if grant_type == "refresh_token":
            return refresh(form, client_id)
        return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant_type or ''!r} is not supported.")

    async def revoke(request: Request) -> Response:
        form = await request.form()
        client_id = authenticate_client(request, form)
        if isinstance(client_id, JSONResponse):
            return client_id
        value = _field(form, "token")
        if value is None:
            return _oauth_error(400, "invalid_request", "token is required.")
        access = world.fathom_access_tokens.get(value)
        grant = world.fathom_grants.get(access.grant_id) if access is not None else None
        grant = grant or next((g for g in world.fathom_grants.values() if g.refresh_token == value), None)
        if grant is not None and grant.client_id == client_id:
            grant.revoked = True
        return JSONResponse({})  # RFC 7009: an unknown token is not an error

    return [
        Route("/oauth2/authorize", authorize, methods=["GET"]),
        Route("/oauth2/token", token, methods=["POST"]),
        Route("/oauth2/revoke", revoke, methods=["POST"]),
    ]


def revoke_fathom_grants_of(world: World, email: str) -> int:
    """Revoke every Fathom OAuth grant `email` gave (as removing the app in Fathom's settings would)."""
    grants = [g for g in world.fathom_grants.values() if g.email == email and not g.revoked]
    for grant in grants:
        grant.revoked = True
    return len(grants)
