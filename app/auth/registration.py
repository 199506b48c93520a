"""Bounds on dynamic client registration (RFC 7591): per-address rate and metadata sizes.

Anyone may register a client, so every field is bounded before the SDK's handler stores it, and
each client address may register only so fast. Claude registers a new client on every fresh
connection, so the rate allows a whole office behind one address.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.responses import oauth_error
from app.ratelimit import TokenBuckets, address_key
from app.serving import BODY_LIMITS, read_within, replaying
from app.shared import SharedState

logger = logging.getLogger(__name__)

REGISTRATION_BURST = 60  # registrations one address may make at once …
REGISTRATIONS_PER_MINUTE = 30  # … and then per minute
MAX_REDIRECT_URIS = 10
URI_MAX = 2048
NAME_MAX = 200
TEXT_LIMITS = {
    "client_name": NAME_MAX,
    "software_id": NAME_MAX,
    "software_version": NAME_MAX,
    "scope": 1000,
    "token_endpoint_auth_method": 100,
    "application_type": 100,
    "client_uri": URI_MAX,
    "logo_uri": URI_MAX,
    "tos_uri": URI_MAX,
    "policy_uri": URI_MAX,
    "jwks_uri": URI_MAX,
}
LIST_LIMITS = {  # name: (most entries, longest entry)
    "redirect_uris": (MAX_REDIRECT_URIS, URI_MAX),
    "contacts": (10, 320),
    "grant_types": (10, 200),
    "response_types": (10, 200),
}
JWKS_MAX = 8 * 1024


def metadata_problem(metadata: Any) -> tuple[str, str] | None:
    """The RFC 7591 error and description for metadata over our bounds, or None.

    Wrong types are left to the SDK's validation, which answers `invalid_client_metadata` itself.
    """
    if not isinstance(metadata, dict):
        return None
    for name, most in TEXT_LIMITS.items():
        value = metadata.get(name)
        if isinstance(value, str) and len(value) > most:
            return "invalid_client_metadata", f"{name} is longer than {most} characters"
    for name, (count, longest) in LIST_LIMITS.items():
        values = metadata.get(name)
        if not isinstance(values, list):
            continue
        error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
        if len(values) > count:
            return error, f"{name} has more than {count} entries"
        if any(isinstance(value, str) and len(value) > longest for value in values):
            return error, f"an entry of {name} is longer than {longest} characters"
    if "jwks" in metadata and len(json.dumps(metadata["jwks"])) > JWKS_MAX:
        return "invalid_client_metadata", f"jwks is larger than {JWKS_MAX // 1024} KiB"
    return None


class RegistrationGuard:
    """In front of the SDK's /register: refuse too many registrations per address and oversized metadata."""

    def __init__(self, app: ASGIApp, shared: SharedState | None = None) -> None:
        self.app = app
        self.per_address = TokenBuckets(
            REGISTRATION_BURST, REGISTRATION_BURST * 60 / REGISTRATIONS_PER_MINUTE, "registration", shared
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = await self.per_address.take(address_key(client[0] if client else None))
        if wait:
            logger.warning("client registration refused: too many from one address")
            description = f"too many client registrations from this address; retry in {wait:.0f} s"
            response = oauth_error("temporarily_unavailable", description, 429, {"Retry-After": str(int(wait))})
            await response(scope, receive, send)
            return
        body = await read_within(scope, receive, send, BODY_LIMITS["/register"])
        if body is None:
            return
        try:
            problem = metadata_problem(json.loads(body))
        except (ValueError, RecursionError):
            problem = None  # not JSON: the SDK's handler says so
        if problem is not None:
            error, description = problem
            await oauth_error(error, description)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)
