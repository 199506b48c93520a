"""OAuth endpoints we serve ourselves where the SDK's handlers fall short of the RFCs.

`/authorize`: every error found before a person approved anything gets a page on our domain,
never an automatic redirect to a client's (possibly self-registered) URI (RFC 9700 §4.11.2).
The only redirects back to the client are the consent page's, and they carry `iss` (RFC 9207).

`/revoke` (RFC 7009): public clients name themselves by `client_id` alone; confidential clients
authenticate with their secret (HTTP Basic or in the body, RFC 6749 §2.3.1).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time
from urllib.parse import unquote

from mcp.server.auth.errors import stringify_pydantic_error
from mcp.server.auth.handlers.authorize import AuthorizationRequest
from mcp.server.auth.provider import AuthorizationParams, AuthorizeError
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, RequestBodyLimitMiddleware
from mcp.shared.auth import InvalidRedirectUriError, InvalidScopeError, OAuthClientInformationFull
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp

from app.auth.provider import SwitchboardAuthProvider, client_display_name
from app.auth.responses import NO_STORE, oauth_error
from app.browser import message_page


class ClientAuthenticationError(Exception):
    """The client did not prove who it is; the message says how."""


def _basic_credentials(header: str) -> tuple[str, str] | None:
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ClientAuthenticationError("the Basic authorization header is malformed") from exc
    client_id, separator, secret = decoded.partition(":")
    if not separator:
        raise ClientAuthenticationError("the Basic authorization header is malformed")
    return unquote(client_id), unquote(secret)


async def authenticated_client(
    provider: SwitchboardAuthProvider, request: Request, form: FormData
) -> OAuthClientInformationFull:
    """The client making this request: a confidential one proved by its secret, a public one by its id."""
    basic = _basic_credentials(request.headers.get("authorization", ""))
    form_id = form.get("client_id")
    form_id = form_id if isinstance(form_id, str) and form_id else None
    if basic is not None and form_id is not None and form_id != basic[0]:
        raise ClientAuthenticationError("client_id differs from the one in the Basic authorization header")
    client_id = basic[0] if basic is not None else form_id
    if not client_id:
        raise ClientAuthenticationError("client_id is required")
    client = await provider.get_client(client_id)
    if client is None:
        raise ClientAuthenticationError("unknown client_id")
    if client.token_endpoint_auth_method == "none":  # noqa: S105 - the public-client method, not a secret
        return client
    presented = basic[1] if basic is not None else form.get("client_secret")
    if not client.client_secret or not isinstance(presented, str) or not presented:
        raise ClientAuthenticationError("this client must authenticate with its client_secret")
    if not hmac.compare_digest(client.client_secret.encode(), presented.encode()):
        raise ClientAuthenticationError("invalid client_secret")
    if client.client_secret_expires_at and client.client_secret_expires_at < time.time():
        raise ClientAuthenticationError("the client_secret has expired")
    return client


async def _revoke(provider: SwitchboardAuthProvider, request: Request) -> Response:
    form = await request.form()
    try:
        client = await authenticated_client(provider, request, form)
    except ClientAuthenticationError as exc:
        return oauth_error("invalid_client", str(exc), 401)
    token = form.get("token")
    if not isinstance(token, str) or not token:
        return oauth_error("invalid_request", "token is required", 400)
    # RFC 7009 §2.2: the same answer whether or not the token existed or was this client's.
    await provider.revoke_issued_to(client.client_id, token)
    return Response(status_code=200, headers=NO_STORE)


def revocation_route(provider: SwitchboardAuthProvider) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _revoke(provider, request)

    app: ASGIApp = RequestBodyLimitMiddleware(request_response(endpoint), DEFAULT_MAX_REQUEST_BODY_SIZE)
    app = CORSMiddleware(
        app, allow_origins=["*"], allow_methods=["POST", "OPTIONS"], allow_headers=[MCP_PROTOCOL_VERSION_HEADER]
    )
    return Route("/revoke", app, methods=["POST", "OPTIONS"])


def _authorize_refused(request: Request, app_name: str | None, reason: str) -> Response:
    asking = f"“{app_name}”" if app_name else "The application"
    return message_page(
        request,
        "This connection request cannot be used",
        f"{asking} asked to connect in a way this server does not allow, so nothing was shared and you were "
        "not sent back to it. Start connecting again from Claude (or your MCP client); if this keeps happening, "
        "tell whoever maintains the application.",
        status_code=400,
        details=[reason],
    )


async def _authorize(provider: SwitchboardAuthProvider, request: Request) -> Response:
    params = request.query_params if request.method == "GET" else await request.form()
    client_id = params.get("client_id")
    client = await provider.get_client(client_id) if isinstance(client_id, str) and client_id else None
    if client is None:
        return _authorize_refused(request, None, "The application is not registered here (unknown client_id).")
    name = client_display_name(client)
    try:
        authorization = AuthorizationRequest.model_validate(dict(params))
        redirect_uri = client.validate_redirect_uri(authorization.redirect_uri)
        scopes = client.validate_scope(authorization.scope)
        target = await provider.authorize(
            client,
            AuthorizationParams(
                state=authorization.state,
                scopes=scopes,
                code_challenge=authorization.code_challenge,
                redirect_uri=redirect_uri,
                redirect_uri_provided_explicitly=authorization.redirect_uri is not None,
                resource=authorization.resource,
            ),
        )
    except ValidationError as exc:
        return _authorize_refused(request, name, stringify_pydantic_error(exc))
    except (InvalidRedirectUriError, InvalidScopeError) as exc:
        return _authorize_refused(request, name, exc.message)
    except AuthorizeError as exc:
        return _authorize_refused(request, name, exc.error_description or exc.error)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


def authorization_route(provider: SwitchboardAuthProvider) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _authorize(provider, request)

    app = RequestBodyLimitMiddleware(request_response(endpoint), DEFAULT_MAX_REQUEST_BODY_SIZE)
    return Route("/authorize", app, methods=["GET", "POST"])
