"""The OAuth authorization server's HTTP surface: the SDK's routes plus what the SDK leaves to us.

Added on top of `create_auth_routes`: metadata advertising public clients (`none`), Client ID
Metadata Documents and RFC 9207 `iss`; a guard refusing token requests that are not urlencoded
(RFC 6749 §3.2) or name any resource other than `$PUBLIC_URL/mcp` (RFC 8707 `invalid_target`);
and our own `/authorize` and `/revoke` (app.auth.handlers).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import parse_qs

from mcp.server.auth.routes import build_metadata, create_auth_routes
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from pydantic import AnyHttpUrl
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.busy import DatabaseBusyGuard
from app.auth.handlers import authorization_route, revocation_route
from app.auth.provider import SwitchboardAuthProvider, same_resource
from app.auth.registration import RegistrationGuard
from app.auth.responses import oauth_error
from app.config import Settings
from app.serving import BODY_LIMITS, read_within, replaying

FORM_URLENCODED = "application/x-www-form-urlencoded"


def is_form_urlencoded(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == FORM_URLENCODED


def request_state_key(session_secret: str) -> bytes:
    """The MCP request-state sealing key, derived from SESSION_SECRET so every replica shares it."""
    return hashlib.sha256(b"switchboard/request-state/" + session_secret.encode()).digest()


def authorization_metadata(settings: Settings) -> dict[str, Any]:
    registration, revocation = ClientRegistrationOptions(enabled=True), RevocationOptions(enabled=True)
    metadata = build_metadata(AnyHttpUrl(settings.public_url), None, registration, revocation)
    body = metadata.model_dump(mode="json", exclude_none=True)
    body["issuer"] = settings.public_url  # exact string: no trailing slash added by URL parsing
    body["token_endpoint_auth_methods_supported"] = ["client_secret_post", "client_secret_basic", "none"]
    body["revocation_endpoint_auth_methods_supported"] = ["client_secret_post", "client_secret_basic", "none"]
    body["client_id_metadata_document_supported"] = True
    body["authorization_response_iss_parameter_supported"] = True
    return body


class ResourceIndicatorGuard:
    """Refuse token requests whose `resource` is not this server's MCP endpoint, then replay the body."""

    def __init__(self, app: ASGIApp, mcp_url: str) -> None:
        self.app = app
        self.mcp_url = mcp_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if not is_form_urlencoded(Headers(scope=scope).get("content-type", "")):
            # RFC 6749 §3.2: token requests are urlencoded; any other encoding would skip the check below.
            await oauth_error("invalid_request", f"send the body as {FORM_URLENCODED}")(scope, receive, send)
            return
        body = await read_within(scope, receive, send, BODY_LIMITS["/token"])
        if body is None:
            return
        resources = parse_qs(body.decode("latin-1")).get("resource", [])
        if any(not same_resource(r, self.mcp_url) for r in resources):
            await oauth_error("invalid_target", f"tokens are only issued for {self.mcp_url}")(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


def authorization_server_routes(provider: SwitchboardAuthProvider, settings: Settings) -> list[BaseRoute]:
    """RFC 8414 metadata, /authorize, /token, /register, /revoke at the origin root."""
    routes = create_auth_routes(
        provider,
        AnyHttpUrl(settings.public_url),
        client_registration_options=ClientRegistrationOptions(enabled=True),
        revocation_options=RevocationOptions(enabled=True),
    )
    metadata = json.dumps(authorization_metadata(settings)).encode()

    async def metadata_endpoint(_request: Request) -> Response:
        return Response(
            metadata,
            media_type="application/json",
            headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
        )

    result: list[BaseRoute] = []
    for route in routes:
        if route.path == "/.well-known/oauth-authorization-server":
            result.append(Route(route.path, metadata_endpoint, methods=["GET", "OPTIONS"]))
        elif route.path == "/token":
            result.append(
                Route(
                    "/token",
                    DatabaseBusyGuard(ResourceIndicatorGuard(route.app, settings.mcp_url), provider.services.running),
                    methods=["POST", "OPTIONS"],
                )
            )
        elif route.path == "/authorize":
            result.append(authorization_route(provider))
        elif route.path == "/revoke":
            result.append(revocation_route(provider))
        elif route.path == "/register":
            guard = RegistrationGuard(route.app, provider.services.shared)
            result.append(Route("/register", guard, methods=["POST", "OPTIONS"]))
        else:
            result.append(route)
    return result
