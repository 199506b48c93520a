"""attention_digest on the seeded sandbox: what waits on the person comes first, each with its reasons."""

import re
from zoneinfo import ZoneInfo

from app.crypto import KeyRing
from app.storage.db import create_engine
from app.storage.store import Store
from sandbox.seed import ALICE, bulk_threads, waiting_threads
from tests.support.mcp_session import mcp_session
from tests.support.seeded_calendar import busy_events, clash_groups, last_listing_query
from tests.support.stack import Stack

ITEM = re.compile(r"^(\d+)\. \[(\w[\w ]*)\] (.*)$", re.M)


async def _connect_fathom(stack: Stack) -> None:
    engine = create_engine(stack.settings.database_url)
    try:
        store = Store(engine, KeyRing(stack.settings.encryption_keys))
        user = await store.get_user_by_email(ALICE)
        key = stack.sandbox.world.people[ALICE].fathom_key
        assert user is not None and key is not None
        await store.set_fathom_key(user.id, key)
    finally:
        await engine.dispose()


async def test_every_thread_waiting_on_me_ranks_above_every_newsletter_with_reasons(stack: Stack) -> None:
    waiting = waiting_threads(stack.sandbox.world, ALICE)
    bulk = bulk_threads(stack.sandbox.world, ALICE)
    assert waiting and bulk
    async with mcp_session(stack, ALICE) as alice:
        await _connect_fathom(stack)
        text = await alice.ok("attention_digest", {"hours": 72})

    positions: dict[str, int] = {}
    for block in re.split(r"\n(?=\d+\. \[)", text):
        found = re.search(r"thread_id=(\S+)", block)
        number = re.match(r"(\d+)\. \[", block)
        if found and number:
            positions[found.group(1)] = int(number.group(1))
        if number:
            assert "\n   why: " in block, block
    assert waiting <= positions.keys(), f"missing: {waiting - positions.keys()}\n{text}"
    assert not (bulk & positions.keys()), "a newsletter or notification was listed as waiting on me"
    worst_waiting = max(positions[t] for t in waiting)
    email_items = [int(n) for n, kind, _t in ITEM.findall(text) if kind == "email"]
    assert worst_waiting <= len(email_items)
    assert "Left out: " in text and "newsletter/notification/promotion" in text
    for thread in waiting:
        block = next(b for b in re.split(r"\n(?=\d+\. \[)", text) if f"thread_id={thread}" in b)
        assert "addressed to you" in block and "no reply from you for" in block


async def test_the_digest_includes_invitations_conflicts_and_my_open_action_items(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await _connect_fathom(stack)
        text = await alice.ok("attention_digest", {})
    kinds = {kind for _n, kind, _t in ITEM.findall(text)}
    assert {"email", "invitation", "conflict", "action item"} <= kinds, text
    assert "still needs your answer" in text
    assert "assigned to you in “" in text
    # Every clash over the week the header names, each once with its events' times, whatever the weekday.
    zone = ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)
    expected = clash_groups(busy_events(stack.sandbox, ALICE, last_listing_query(stack.sandbox)))
    blocks = [b for b in re.split(r"\n(?=\d+\. \[)", text) if re.match(r"\d+\. \[conflict\]", b)]
    found = [re.search(r"event_ids=(\S+)", block) for block in blocks]
    shown = {frozenset(match.group(1).split(",")) for match in found if match}
    assert len(shown) == len(blocks)  # every clash names its events, and none is listed twice
    assert shown == {frozenset(e.event_id for e in group) for group in expected}, text
    assert any({"Initech pilot weekly check-in", "Hiring sync — Senior PM"} <= {e.summary for e in g} for g in expected)
    for group in expected:
        block = next(b for b in blocks if group[0].event_id in b)
        for event in group:
            start, end = event.start.astimezone(zone), event.end.astimezone(zone)
            assert f"{event.summary} {start:%H:%M}–{end:%H:%M}" in block, block


async def test_a_missing_fathom_key_is_a_note_not_a_failure(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("attention_digest", {})
    assert "Not included — Fathom: " in text and f"{stack.url}/account" in text
    assert "[email]" in text


async def test_replying_takes_a_thread_off_the_list(stack: Stack) -> None:
    waiting = sorted(waiting_threads(stack.sandbox.world, ALICE))
    async with mcp_session(stack, ALICE) as alice:
        before = await alice.ok("attention_digest", {})
        block = next(b for b in re.split(r"\n(?=\d+\. \[)", before) if f"thread_id={waiting[0]}" in b)
        message_id = re.search(r"message_id=(\S+)", block)
        assert message_id
        await alice.ok("gmail_send", {"to": [], "body": "Done.", "reply_to_message_id": message_id.group(1)})
        after = await alice.ok("attention_digest", {})
    assert f"thread_id={waiting[0]}" not in after
