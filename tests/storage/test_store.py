"""The Store on SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.crypto import KeyRing, generate_key, hash_token
from app.storage import tables as t
from app.storage.db import create_engine
from app.storage.store import AuditEvent, Connections, Store
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


async def _alice(store: Store):
    return await store.upsert_user(google_sub="1001", email="alice@acme.example", name="Alice", domain="acme.example")


async def test_upserting_the_same_google_sub_updates_one_user(store: Store) -> None:
    first = await _alice(store)
    again = await store.upsert_user(
        google_sub="1001", email="alice.new@acme.example", name="Alice N", domain="acme.example"
    )
    assert again.id == first.id
    assert again.email == "alice.new@acme.example"
    assert [u.email for u in await store.list_users()] == ["alice.new@acme.example"]
    assert again.created_at.tzinfo is not None


async def test_google_tokens_are_encrypted_at_rest_and_read_back(store: Store) -> None:
    user = await _alice(store)
    token = {"access_token": "at-plain-123", "refresh_token": "rt-plain-456", "expires_at": 1700000000}
    await store.save_google_grant(user.id, token, ["email", "openid"])
    async with store.engine.connect() as conn:
        raw = (await conn.execute(sa.select(t.google_grants.c.token_ciphertext))).scalar_one()
    assert "rt-plain-456" not in raw and "at-plain-123" not in raw
    grant = await store.get_google_grant(user.id)
    assert grant is not None
    assert grant.token == token
    assert grant.scopes == ["email", "openid"]
    assert grant.status == "active"


async def test_replacing_a_google_token_is_compare_and_set_on_the_version(store: Store) -> None:
    user = await _alice(store)
    await store.save_google_grant(user.id, {"access_token": "a"}, [])
    grant = await store.get_google_grant(user.id)
    assert grant is not None
    assert await store.replace_google_token(user.id, {"access_token": "b"}, grant.version)
    assert not await store.replace_google_token(user.id, {"access_token": "c"}, grant.version)
    after = await store.get_google_grant(user.id)
    assert after is not None and after.token == {"access_token": "b"}


async def test_a_grant_can_be_flagged_as_needing_reconnect_which_connections_report(store: Store) -> None:
    user = await _alice(store)
    assert await store.connections(user.id) == Connections("not_connected", [], None)
    await store.save_google_grant(user.id, {"access_token": "a"}, ["email", "openid"])
    await store.set_fathom_key(user.id, "fathom-key-abcdef-9876")
    assert await store.connections(user.id) == Connections("connected", ["email", "openid"], "9876")
    await store.mark_google_grant(user.id, "needs_reconnect")
    grant = await store.get_google_grant(user.id)
    assert grant is not None and grant.status == "needs_reconnect"
    assert await store.connections(user.id) == Connections("needs_reconnect", ["email", "openid"], "9876")


async def test_fathom_keys_are_encrypted_and_only_the_last_four_are_plain(store: Store) -> None:
    user = await _alice(store)
    await store.set_fathom_key(user.id, "fathom-key-abcdef-9876")
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(t.fathom_keys))).one()
    assert "abcdef" not in row.key_ciphertext
    assert row.last4 == "9876"
    assert await store.get_fathom_key(user.id) == "fathom-key-abcdef-9876"
    await store.delete_fathom_key(user.id)
    assert await store.get_fathom_key(user.id) is None


async def test_a_fathom_oauth_grant_is_encrypted_compare_and_set_and_replaces_a_key_and_back(store: Store) -> None:
    user = await _alice(store)
    await store.set_fathom_key(user.id, "fathom-key-abcdef-9876")
    token = {"access_token": "fathom-at-plain", "refresh_token": "fathom-rt-plain", "expires_at": 1700000000}
    await store.save_fathom_grant(user.id, token, "public_api")
    async with store.engine.connect() as conn:
        raw = (await conn.execute(sa.select(t.fathom_grants.c.token_ciphertext))).scalar_one()
    assert "fathom-rt-plain" not in raw and "fathom-at-plain" not in raw
    assert await store.get_fathom_key(user.id) is None
    assert await store.connections(user.id) == Connections("not_connected", [], None, "active")

    grant = await store.get_fathom_grant(user.id)
    assert grant is not None and grant.token == token and grant.scope == "public_api"
    rotated = {**token, "refresh_token": "fathom-rt-2"}
    assert await store.replace_fathom_token(user.id, rotated, grant.version)
    assert not await store.replace_fathom_token(user.id, {**token, "refresh_token": "stale"}, grant.version)
    assert not await store.mark_fathom_grant(user.id, "needs_reconnect", grant.version)  # a refresh ran since
    current = await store.get_fathom_grant(user.id)
    assert current is not None and current.token == rotated and current.status == "active"
    assert await store.mark_fathom_grant(user.id, "needs_reconnect", current.version)
    assert await store.connections(user.id) == Connections("not_connected", [], None, "needs_reconnect")

    await store.set_fathom_key(user.id, "fathom-key-again-1234")
    assert await store.get_fathom_grant(user.id) is None
    assert await store.connections(user.id) == Connections("not_connected", [], "1234", None)


async def test_personal_tokens_are_stored_as_hashes_and_stop_working_when_revoked(store: Store) -> None:
    user = await _alice(store)
    token, plaintext = await store.create_personal_token(user.id, "Claude Desktop", timedelta(days=90))
    assert len(plaintext) >= 43
    async with store.engine.connect() as conn:
        stored = (await conn.execute(sa.select(t.personal_tokens.c.token_hash))).scalar_one()
    assert stored == hash_token(plaintext) and plaintext not in stored
    found = await store.find_personal_token(plaintext)
    assert found is not None and found.id == token.id
    assert await store.revoke_personal_token(user.id, token.id)
    assert await store.find_personal_token(plaintext) is None


async def test_an_expired_personal_token_is_not_found(store: Store) -> None:
    user = await _alice(store)
    _token, plaintext = await store.create_personal_token(user.id, "old", timedelta(seconds=-1))
    assert await store.find_personal_token(plaintext) is None


async def test_revoking_a_user_revokes_every_token_they_hold(store: Store) -> None:
    user = await _alice(store)
    _a, one = await store.create_personal_token(user.id, "a", timedelta(days=1))
    _b, two = await store.create_personal_token(user.id, "b", timedelta(days=1))
    assert await store.revoke_user(user.id) == 2
    assert await store.find_personal_token(one) is None
    assert await store.find_personal_token(two) is None
    revoked = await store.get_user(user.id)
    assert revoked is not None and revoked.status == "revoked"


async def test_last_active_times_only_move_forward(store: Store) -> None:
    user = await _alice(store)
    later = datetime.now(UTC) + timedelta(minutes=5)
    await store.touch_users({user.id: later})
    await store.touch_users({user.id: later - timedelta(hours=1)})
    after = await store.get_user(user.id)
    assert after is not None and after.last_active_at == later
    # So do last-use times of personal tokens, whichever replica writes last.
    token, _plaintext = await store.create_personal_token(user.id, "laptop", timedelta(days=1))
    await store.touch_personal_tokens({token.id: later})
    await store.touch_personal_tokens({token.id: later - timedelta(hours=1)})
    [listed] = await store.list_personal_tokens(user.id)
    assert listed.last_used_at == later


async def test_audit_events_are_recorded_and_pruned_by_age(store: Store) -> None:
    user = await _alice(store)
    now = datetime.now(UTC)
    await store.record_audit_events(
        [
            AuditEvent(user.id, "gmail_search", "ok", 120, now - timedelta(days=40)),
            AuditEvent(user.id, "gmail_search", "ok", 80, now),
        ]
    )
    assert await store.prune_audit_events(now - timedelta(days=30)) == 1
    assert await store.count_audit_events(user.id) == 1


async def test_a_persons_actions_are_listed_newest_first_to_them_alone_with_summaries_encrypted(store: Store) -> None:
    alice = await _alice(store)
    ben = await store.upsert_user(google_sub="1002", email="ben@acme.example", name="Ben", domain="acme.example")
    now = datetime.now(UTC)
    await store.record_audit_events(
        [
            AuditEvent(
                alice.id, "gmail_draft", "ok", 90, now - timedelta(minutes=5), "c1", "Drafted to bo@x.io: 'Offer'"
            ),
            AuditEvent(alice.id, "gmail_search", "ok", 80, now - timedelta(minutes=4), "c1"),
            AuditEvent(
                alice.id, "gmail_send", "ok", 95, now - timedelta(minutes=3), "personal:7", "Sent to bo@x.io: 'Re'"
            ),
            AuditEvent(ben.id, "gmail_send", "ok", 95, now, "c2", "Sent to ana@x.io: 'Ben'"),
        ]
    )
    actions = await store.recent_actions(alice.id)
    async with store.engine.connect() as conn:
        stored = (await conn.execute(sa.select(t.audit_events.c.summary_ciphertext))).scalars().all()
    assert [(a.tool, a.client_id, a.summary) for a in actions] == [
        ("gmail_send", "personal:7", "Sent to bo@x.io: 'Re'"),
        ("gmail_draft", "c1", "Drafted to bo@x.io: 'Offer'"),
    ]
    assert abs(actions[0].created_at - (now - timedelta(minutes=3))) < timedelta(seconds=1)
    assert not any(text and ("bo@x.io" in text or "Offer" in text) for text in stored)


async def test_concurrent_writers_do_not_lose_rows(store: Store) -> None:
    async def sign_in(n: int) -> None:
        await store.upsert_user(google_sub=str(n), email=f"u{n}@acme.example", name=f"U{n}", domain="acme.example")

    await asyncio.gather(*(sign_in(n) for n in range(20)))
    assert len(await store.list_users()) == 20


async def test_rotation_re_encrypts_under_the_new_key_so_the_old_one_can_be_dropped(store: Store) -> None:
    old = generate_key()
    new = generate_key()
    old_store = Store(store.engine, KeyRing([old]))
    user = await _alice(old_store)
    await old_store.save_google_grant(user.id, {"refresh_token": "rt-1"}, ["openid"])
    await old_store.set_fathom_key(user.id, "fathom-secret-1234")

    both = Store(store.engine, KeyRing([new, old]))
    counts = await both.rotate_secrets()
    assert counts["google_grants"].rotated == 1
    assert counts["fathom_keys"].rotated == 1
    again = await both.rotate_secrets()
    assert again["google_grants"].rotated == 0 and again["google_grants"].already_current == 1

    only_new = Store(store.engine, KeyRing([new]))
    grant = await only_new.get_google_grant(user.id)
    assert grant is not None and grant.token == {"refresh_token": "rt-1"}
    assert await only_new.get_fathom_key(user.id) == "fathom-secret-1234"


async def test_two_replicas_signing_in_the_same_person_at_once_make_one_user(
    store: Store, database_url: tuple[str, str | None]
) -> None:
    url, schema = database_url
    other_engine = create_engine(url, schema=schema)  # a second replica's pool on the same database
    other = Store(other_engine, store.keyring)

    async def sign_in(target: Store, n: int) -> str:
        user = await target.upsert_user(google_sub="7777", email=f"a{n}@acme.example", name="A", domain="acme.example")
        await target.save_google_grant(user.id, {"access_token": f"t{n}"}, ["openid"])
        await target.set_fathom_key(user.id, f"key-{n}-abcd")
        return user.id

    try:
        ids = await asyncio.gather(*(sign_in(store if n % 2 else other, n) for n in range(10)))
    finally:
        await other_engine.dispose()
    assert len(set(ids)) == 1
    assert len(await store.list_users()) == 1


async def test_codes_tokens_and_device_requests_long_expired_are_pruned(store: Store) -> None:
    user = await _alice(store)
    code = await store.create_authorization_code(
        client_id="c",
        user_id=user.id,
        redirect_uri="http://127.0.0.1/cb",
        redirect_uri_provided_explicitly=True,
        code_challenge="x" * 43,
        scopes=[],
        resource=None,
        ttl=timedelta(minutes=5),
    )
    record = await store.find_authorization_code(code)
    assert record is not None
    issued = await store.exchange_code(record, timedelta(hours=1), timedelta(days=1))
    assert issued is not None
    await store.create_device_authorization("BCDFGHJK", "Claude Desktop", timedelta(minutes=10), 5)
    assert await store.prune_expired(datetime.now(UTC)) == 0  # nothing has expired yet
    assert await store.find_token(issued.access_token) is not None
    assert await store.prune_expired(datetime.now(UTC) + timedelta(days=2)) == 4  # code, 2 tokens, device
    assert await store.find_token(issued.refresh_token) is None
    assert await store.find_device_by_user_code("BCDFGHJK") is None


async def test_clients_that_never_completed_an_authorization_are_pruned_after_a_day(store: Store) -> None:
    user = await _alice(store)
    for client_id in ("never-used", "signed-in", "consenting-now"):
        await store.save_client(client_id, {"redirect_uris": ["https://app.example/cb"]}, "s3cret", "dcr")

    async def code_for(client_id: str, ttl: timedelta) -> str:
        return await store.create_authorization_code(
            client_id=client_id,
            user_id=user.id,
            redirect_uri="https://app.example/cb",
            redirect_uri_provided_explicitly=True,
            code_challenge="x" * 43,
            scopes=[],
            resource=None,
            ttl=ttl,
        )

    record = await store.find_authorization_code(await code_for("signed-in", timedelta(minutes=5)))
    assert record is not None
    assert await store.exchange_code(record, timedelta(hours=1), timedelta(days=90)) is not None
    await code_for("consenting-now", timedelta(days=3))

    assert await store.prune_expired(datetime.now(UTC) - timedelta(days=1)) == 0  # all registered just now
    await store.prune_expired(datetime.now(UTC) + timedelta(days=2))  # as if registered days ago
    assert await store.get_client("never-used") is None
    assert await store.get_client("signed-in") is not None
    assert await store.get_client("consenting-now") is not None
