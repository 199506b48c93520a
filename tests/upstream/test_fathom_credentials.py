"""Fathom OAuth tokens across processes: refresh tokens that work once, rotated under a compare-and-set."""

from __future__ import annotations

import asyncio
import time

import httpx2
import pytest

from app.storage.db import create_engine
from app.storage.store import Store
from app.upstream.fathom import FathomClient, OAuthGrant
from app.upstream.fathom_auth import FathomCredentials, FathomOAuthConfig
from sandbox.seed import ALICE
from sandbox.server import SandboxServer, fathom_oauth_env
from tests.conftest import BACKENDS
from tests.support.fathom import fathom_oauth_tokens

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

REDIRECT = "http://localhost:8080/account/fathom/callback"
TOKEN_PATH = "/fathom/external/v1/oauth2/token"


def _credentials(store: Store, http: httpx2.AsyncClient, sandbox: SandboxServer) -> FathomCredentials:
    env = fathom_oauth_env(sandbox.base_url)
    oauth = FathomOAuthConfig(
        http,
        env["FATHOM_CLIENT_ID"],
        env["FATHOM_CLIENT_SECRET"],
        env["FATHOM_AUTHORIZE_URL"],
        env["FATHOM_TOKEN_URL"],
        env["FATHOM_REVOKE_URL"],
    )
    return FathomCredentials(store, oauth, "http://localhost:8080/account")


async def test_two_processes_refreshing_at_once_keep_a_working_rotated_grant(
    sandbox: SandboxServer, store: Store, database_url: tuple[str, str | None]
) -> None:
    user = await store.upsert_user(google_sub="1", email=ALICE, name="Alice", domain="acme.example")
    first = await fathom_oauth_tokens(sandbox.base_url, ALICE, REDIRECT)
    await store.save_fathom_grant(user.id, {**first, "expires_at": int(time.time()) - 1}, "public_api")
    sandbox.faults.add_latency(TOKEN_PATH, 0.3)  # both processes ask before either has stored its answer
    url, schema = database_url
    other_engine = create_engine(url, schema=schema)  # a second "process": own engine, own locks
    try:
        async with httpx2.AsyncClient(timeout=10) as http:
            mine = _credentials(store, http, sandbox)
            theirs = _credentials(Store(other_engine, store.keyring), http, sandbox)
            async with asyncio.timeout(30):
                tokens = await asyncio.gather(
                    *(mine.access_token(user.id) for _ in range(5)),
                    *(theirs.access_token(user.id) for _ in range(5)),
                )
            teams = await FathomClient(
                http, OAuthGrant(mine, user.id), f"{sandbox.base_url}/fathom/external/v1"
            ).list_teams()
    finally:
        await other_engine.dispose()
    assert len(set(tokens)) == 1 and teams
    refreshes = [r for r in sandbox.faults.requests(TOKEN_PATH) if b"grant_type=refresh_token" in r.body]
    assert [r.status for r in refreshes] == [200, 400]  # the loser's refresh token was already spent
    (grant,) = [g for g in sandbox.world.fathom_grants.values() if g.email == ALICE]
    stored = await store.get_fathom_grant(user.id)
    assert stored is not None and stored.status == "active"
    assert stored.token["refresh_token"] == grant.refresh_token != first["refresh_token"]
