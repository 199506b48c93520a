"""Google access tokens: refresh once for many callers, keep refresh tokens, flag dead grants."""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlalchemy as sa

from app.storage import tables as t
from app.upstream.errors import NeedsReconnect, RateLimited, UpstreamUnavailable
from app.upstream.gmail import GmailClient
from app.upstream.retry import DEFAULT_POLICY, RetryPolicy
from tests.upstream.conftest import Connected


def _token_requests(alice: Connected) -> int:
    return len([r for r in alice.sandbox.faults.requests("/google/token") if r.method == "POST"])


async def test_fifty_concurrent_calls_with_an_expired_token_cause_exactly_one_refresh(alice: Connected) -> None:
    before = await alice.store.get_google_grant(alice.user.id)
    assert before is not None
    alice.sandbox.world.expire_all_access_tokens()
    refreshes_before = _token_requests(alice)
    gmail = alice.gmail()

    async with asyncio.timeout(30):
        results = await asyncio.gather(*(gmail.list_messages(max_results=1) for _ in range(50)))

    assert all(r.messages for r in results)
    assert _token_requests(alice) - refreshes_before == 1
    after = await alice.store.get_google_grant(alice.user.id)
    assert after is not None
    assert after.token["access_token"] != before.token["access_token"]
    assert after.token["refresh_token"] == before.token["refresh_token"]  # Google sent none: kept


async def test_callers_waiting_on_a_failed_refresh_share_its_failure_instead_of_retrying(alice: Connected) -> None:
    grant = await alice.store.get_google_grant(alice.user.id)
    assert grant is not None
    await alice.store.save_google_grant(alice.user.id, dict(grant.token, expires_at=0), grant.scopes)
    alice.sandbox.faults.fail_next("/google/token", 1000, 500)
    refreshes_before = _token_requests(alice)
    gmail = alice.gmail()

    async with asyncio.timeout(30):
        results = await asyncio.gather(*(gmail.list_messages(max_results=1) for _ in range(10)), return_exceptions=True)

    assert [type(r) for r in results] == [UpstreamUnavailable] * 10
    assert all("Google sign-in is unavailable (HTTP 500)" in str(r) for r in results)
    assert _token_requests(alice) - refreshes_before == DEFAULT_POLICY.attempts  # one caller's retries, no more
    assert alice.sandbox.faults.requests("/gmail") == []


async def test_an_expiring_token_is_refreshed_before_use_and_persisted_encrypted(alice: Connected) -> None:
    grant = await alice.store.get_google_grant(alice.user.id)
    assert grant is not None
    stale = dict(grant.token, expires_at=0)
    await alice.store.save_google_grant(alice.user.id, stale, grant.scopes)

    refreshes_before = _token_requests(alice)

    token = await alice.credentials.access_token(alice.user.id)

    assert token != grant.token["access_token"]
    assert _token_requests(alice) - refreshes_before == 1
    async with alice.store.engine.connect() as conn:
        query = sa.select(t.google_grants.c.token_ciphertext).where(t.google_grants.c.user_id == alice.user.id)
        ciphertext = (await conn.execute(query)).scalar_one()
    assert token not in ciphertext
    assert grant.token["refresh_token"] not in ciphertext
    stored = json.loads(alice.store.keyring.decrypt(ciphertext))
    assert stored["access_token"] == token
    assert stored["refresh_token"] == grant.token["refresh_token"]


async def test_invalid_grant_on_refresh_flags_the_grant_and_says_where_to_reconnect(alice: Connected) -> None:
    alice.sandbox.world.revoke_grants_of(alice.user.email)
    alice.sandbox.world.expire_all_access_tokens()

    with pytest.raises(NeedsReconnect, match="Reconnect Google at http://localhost:8080/account"):
        await alice.gmail().list_messages()

    grant = await alice.store.get_google_grant(alice.user.id)
    assert grant is not None and grant.status == "needs_reconnect"
    with pytest.raises(NeedsReconnect):  # and no further refresh attempts hit Google
        before = _token_requests(alice)
        try:
            await alice.gmail().list_messages()
        finally:
            assert _token_requests(alice) == before


async def test_a_401_mid_call_refreshes_once_and_retries(alice: Connected) -> None:
    alice.sandbox.faults.fail_next("/gmail", 1, 401)
    before = _token_requests(alice)

    result = await alice.gmail().list_messages(max_results=3)

    assert len(result.messages) == 3
    assert _token_requests(alice) - before == 1


async def test_a_429_with_retry_after_is_waited_out_and_retried(alice: Connected) -> None:
    alice.sandbox.faults.fail_next("/gmail", 1, 429, reason="rateLimitExceeded", retry_after="1")
    result = await alice.gmail().list_messages(max_results=2)
    assert len(result.messages) == 2
    listed = [r for r in alice.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages") if r.method == "GET"]
    assert len(listed) == 2


async def test_a_403_user_rate_limit_is_retried(alice: Connected) -> None:
    alice.sandbox.faults.fail_next("/gmail", 2, 403, reason="userRateLimitExceeded")
    assert (await alice.gmail().list_messages(max_results=1)).messages


async def test_a_persistent_503_becomes_an_unavailable_error_within_the_time_bound(alice: Connected) -> None:
    # Attempts are plentiful (waits are full jitter up to 0.1 s, about 0.05 s on average, so a hundred
    # attempts would need about five seconds): running out of time, not of attempts, is what stops it.
    policy = RetryPolicy(attempts=100, base_delay=0.1, max_delay=0.1, total_time=1.0)
    alice.sandbox.faults.fail_next("/gmail", 1000, 503)
    with pytest.raises(UpstreamUnavailable, match="Gmail is unavailable"):
        await alice.gmail(policy).list_messages()
    tried = len(alice.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages"))
    assert 2 <= tried < policy.attempts


async def test_rate_limits_that_outlast_the_retries_say_so(alice: Connected) -> None:
    alice.sandbox.faults.fail_next("/gmail", 100, 429, reason="rateLimitExceeded")
    with pytest.raises(RateLimited, match="rate-limiting"):
        await alice.gmail().list_messages()


async def test_a_send_is_not_retried_after_a_server_error(alice: Connected) -> None:
    from app.upstream.gmail_compose import build_message

    alice.sandbox.faults.fail_next("/gmail/gmail/v1/users/me/messages/send", 1, 500)
    message = build_message(sender=alice.user.email, to=["bob@acme.example"], subject="Hi", body="Hello")
    with pytest.raises(UpstreamUnavailable):
        await GmailClient(alice.gmail().api).send_message(message)
    sends = alice.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send")
    assert len(sends) == 1


async def test_two_processes_refreshing_at_once_both_succeed_and_keep_the_refresh_token(
    alice: Connected, database_url: tuple[str, str | None]
) -> None:
    from app.storage.db import create_engine
    from app.storage.store import Store
    from app.upstream.google_auth import GoogleCredentials

    before = await alice.store.get_google_grant(alice.user.id)
    assert before is not None
    alice.sandbox.world.expire_all_access_tokens()
    url, schema = database_url
    other_engine = create_engine(url, schema=schema)  # a second "process": own engine, own locks
    try:
        other = GoogleCredentials(Store(other_engine, alice.store.keyring), alice.credentials.oauth, "x")
        async with asyncio.timeout(30):
            tokens = await asyncio.gather(
                *(alice.credentials.access_token(alice.user.id) for _ in range(10)),
                *(other.access_token(alice.user.id) for _ in range(10)),
            )
    finally:
        await other_engine.dispose()
    assert all(tokens)
    assert _token_requests(alice) - 1 <= 2  # the initial sign-in, then at most one refresh per process
    after = await alice.store.get_google_grant(alice.user.id)
    assert after is not None and after.token["refresh_token"] == before.token["refresh_token"]
    assert (await alice.gmail().list_messages(max_results=1)).messages
