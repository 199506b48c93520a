"""Connecting a sandbox person's Google account the way sign-in does, for tests below the auth layer."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx2

from app.config import DEFAULT_SCOPES
from app.sandbox.world import SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, Person
from app.storage.store import Store, User
from app.upstream.google_auth import with_expiry


async def connect_google(
    store: Store, sandbox_url: str, email: str, scopes: str = DEFAULT_SCOPES, person: Person | None = None
) -> User:
    """Run the authorization-code flow against the sandbox Google and store the grant.

    With the sandbox `person`, the user is stored as signing in would store them (their Google sub and name).
    """
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = "http://localhost/auth/callback"
    async with httpx2.AsyncClient(base_url=sandbox_url, timeout=10) as client:
        response = await client.get(
            "/google/o/oauth2/v2/auth",
            params={
                "client_id": SANDBOX_CLIENT_ID,
                "redirect_uri": redirect_uri,
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
        assert response.status_code == 302, response.text
        code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
        token = await client.post(
            "/google/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
                "client_id": SANDBOX_CLIENT_ID,
                "client_secret": SANDBOX_CLIENT_SECRET,
            },
        )
        assert token.status_code == 200, token.text
    body = with_expiry(token.json())
    if person is None:
        user = await store.upsert_user(
            google_sub=f"sub-{email}", email=email, name=email.split("@")[0], domain=email.split("@")[1]
        )
    else:
        user = await store.upsert_user(
            google_sub=person.sub, email=email, name=person.name, domain=person.hd or email.rpartition("@")[2]
        )
    await store.save_google_grant(user.id, body, body["scope"].split())
    return user
