"""A sandbox person's Google consent without a browser: the tokens sign-in would store, for tests and benchmarks."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET

REDIRECT_URI = "http://localhost/auth/callback"


class ConsentError(RuntimeError):
    """The sandbox refused a step of the authorization-code flow."""


async def google_tokens(
    sandbox_url: str,
    email: str,
    scopes: str,
    client_id: str = SANDBOX_CLIENT_ID,
    client_secret: str = SANDBOX_CLIENT_SECRET,
) -> dict[str, Any]:
    """Run the authorization-code flow (PKCE, offline access) for `email`; returns Google's token response.

    `client_id` picks the OAuth client (default: the sandbox's agentic client).
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    async with httpx2.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        authorized = await client.get(
            "/google/o/oauth2/v2/auth",
            params={
                "client_id": client_id,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": scopes,
                "state": "s",
                "access_type": "offline",
                "prompt": "consent",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "sandbox_login": email,
            },
        )
        if authorized.status_code != 302:
            raise ConsentError(f"authorize answered {authorized.status_code}: {authorized.text[:300]}")
        code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
        token = await client.post(
            "/google/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
                "client_id": client_id,
                "client_secret": client_secret,
            },
        )
        if token.status_code != 200:
            raise ConsentError(f"token answered {token.status_code}: {token.text[:300]}")
    body: dict[str, Any] = token.json()
    return body
