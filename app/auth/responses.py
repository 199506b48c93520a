"""OAuth error answers (RFC 6749 §5.2 shape), never cached, shared by every endpoint we serve ourselves."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer …` header value; None for any other scheme or none."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def oauth_error(
    error: str, description: str, status_code: int = 400, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """`{"error": …, "error_description": …}` with no-store caching headers (plus any given)."""
    return JSONResponse(
        {"error": error, "error_description": description}, status_code, headers={**NO_STORE, **(headers or {})}
    )
