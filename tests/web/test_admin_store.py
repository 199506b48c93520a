"""The admin's numbers (per person and per UTC day) on SQLite and PostgreSQL, disconnecting, the chart geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.storage import tables as t
from app.storage.admin import DayUsage
from app.storage.store import AuditEvent, Store
from app.web.admin import PLOT_BOTTOM, nice_step, usage_chart
from tests.conftest import BACKENDS

NOW = datetime(2025, 3, 14, 23, 30, tzinfo=UTC)


def event(user_id: str | None, outcome: str, at: datetime) -> AuditEvent:
    return AuditEvent(user_id=user_id, tool="whoami", outcome=outcome, duration_ms=3, created_at=at)


async def two_people(store: Store) -> tuple[str, str]:
    alice = await store.upsert_user(google_sub="1", email="alice@acme.example", name="Alice", domain="acme.example")
    ben = await store.upsert_user(google_sub="2", email="ben@acme.example", name="Ben", domain="acme.example")
    return alice.id, ben.id


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_usage_per_person_counts_calls_and_non_ok_outcomes_within_the_window(store: Store) -> None:
    alice, ben = await two_people(store)
    await store.save_google_grant(alice, {"access_token": "a", "refresh_token": "r"}, ["openid"])
    await store.save_google_grant(ben, {"access_token": "b", "refresh_token": "s"}, ["openid"])
    await store.mark_google_grant(ben, "needs_reconnect")
    await store.set_fathom_key(alice, "fathom-key-1234")
    await store.record_audit_events(
        [
            event(alice, "ok", NOW - timedelta(hours=1)),
            event(alice, "upstream_error", NOW - timedelta(days=2)),
            event(alice, "needs_reconnect", NOW - timedelta(days=6)),
            event(alice, "ok", NOW - timedelta(days=8)),  # outside the 7 days
            event(None, "ok", NOW),  # no user: counted by day, not by person
        ]
    )
    async with store.engine.begin() as conn:  # last-active times are written in batches, so they may trail
        await conn.execute(t.users.update().values(last_active_at=NOW - timedelta(hours=3)))
    rows = {row.email: row for row in await store.user_usage(NOW - timedelta(days=7))}
    assert (rows["alice@acme.example"].calls, rows["alice@acme.example"].errors) == (3, 2)
    assert rows["alice@acme.example"].last_active_at == NOW - timedelta(hours=1)  # her latest counted call
    assert rows["ben@acme.example"].last_active_at == NOW - timedelta(hours=3)
    assert (rows["ben@acme.example"].calls, rows["ben@acme.example"].errors) == (0, 0)
    assert rows["alice@acme.example"].fathom_connected and not rows["ben@acme.example"].fathom_connected
    assert rows["alice@acme.example"].grant_status == "active"
    assert rows["ben@acme.example"].grant_status == "needs_reconnect"


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_daily_usage_groups_by_utc_day(store: Store) -> None:
    alice, _ben = await two_people(store)
    await store.record_audit_events(
        [
            event(alice, "ok", NOW),
            event(alice, "tool_error", NOW - timedelta(minutes=31)),  # still 14 March in UTC
            event(alice, "ok", NOW - timedelta(days=1)),
            event(None, "ok", NOW - timedelta(days=1)),
            event(alice, "ok", NOW - timedelta(days=20)),
        ]
    )
    usage = await store.daily_usage(NOW - timedelta(days=13))
    assert usage == [DayUsage(date(2025, 3, 13), 2, 0), DayUsage(date(2025, 3, 14), 2, 1)]


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_disconnecting_deletes_every_credential_of_that_person_only(store: Store) -> None:
    alice, ben = await two_people(store)
    for user in (alice, ben):
        await store.save_google_grant(user, {"access_token": "a", "refresh_token": "r"}, ["openid"])
        await store.set_fathom_key(user, "fathom-key-1234")
        await store.create_personal_token(user, "laptop", timedelta(days=1))
    removed = await store.disconnect_user(alice)
    assert (removed.google_grant, removed.fathom_key, removed.personal_tokens) == (True, True, 1)
    async with store.engine.connect() as conn:
        for table in (t.google_grants, t.fathom_keys, t.personal_tokens):
            owners = (await conn.execute(sa.select(table.c.user_id))).scalars().all()
            assert owners == [ben], table.name
    after = await store.get_user(alice)
    assert after is not None and after.status == "revoked"


def test_the_chart_fills_missing_days_and_stacks_errors_on_top() -> None:
    today = date(2025, 3, 14)
    chart = usage_chart([DayUsage(date(2025, 3, 12), 7, 2), DayUsage(today, 1, 0)], today)
    assert len(chart.bars) == 14 and [d.day for d in chart.days][-1] == today
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8]
    busy = chart.bars[11]
    assert busy.title == "12 Mar: 7 calls, 2 errors"
    assert busy.ok_y + busy.ok_height == PLOT_BOTTOM
    assert busy.error_y + busy.error_height == pytest.approx(busy.ok_y)
    assert busy.error_height * 5 == pytest.approx(busy.ok_height * 2)
    assert chart.bars[0].ok_height == chart.bars[0].error_height == 0
    assert [b.label for b in chart.bars if b.label][-1] == "14 Mar"
    assert chart.summary == ("8 tool calls and 2 errors in the last 14 days; the busiest day was 12 Mar with 7 calls.")


def test_tick_steps_are_round_numbers() -> None:
    assert [nice_step(n) for n in (0, 3, 4, 5, 9, 21, 95, 401, 1999)] == [1, 1, 1, 2, 5, 10, 50, 200, 500]
