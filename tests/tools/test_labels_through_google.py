"""gmail_modify under GOOGLE_ACCESS=mcp: archive, read/unread, star and existing labels through Google's
label_message and unlabel_message; what Google's Gmail MCP server cannot do is refused before any change."""

from __future__ import annotations

import pytest

from sandbox.seed import ALICE
from sandbox.world import StoredMessage
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, both_backends, rest_calls
from tests.tools.test_sending_through_google import Asked

under_mcp = pytest.mark.parametrize("google_access", ["mcp"])


def _inbox(stack: Stack, count: int) -> list[StoredMessage]:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    return sorted((m for m in mailbox.messages.values() if "INBOX" in m.label_ids), key=lambda m: m.id)[:count]


def _user_label(stack: Stack) -> tuple[str, str]:
    label = next(label for label in stack.sandbox.world.mailboxes[ALICE].labels.values() if label.type == "user")
    return label.id, label.name


@under_mcp
async def test_archive_and_a_label_by_name_change_each_message_in_gmail_with_no_rest_request(stack: Stack) -> None:
    first, second = _inbox(stack, 2)
    label_id, label_name = _user_label(stack)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok(
            "gmail_modify", {"message_ids": [first.id, second.id], "action": "archive", "add_labels": [label_name]}
        )
    assert text == f"Updated 2 message(s): +«{label_name}» -INBOX."
    for message in (first, second):
        labels = stack.sandbox.world.mailboxes[ALICE].messages[message.id].label_ids
        assert "INBOX" not in labels and label_id in labels
    calls = stack.sandbox.faults.mcp_calls("gmail")
    assert sorted(calls) == ["label_message", "label_message", "list_labels", "unlabel_message", "unlabel_message"]
    assert rest_calls(stack) == []


@under_mcp
async def test_mark_read_and_star_reach_gmail_as_the_system_label_ids(stack: Stack) -> None:
    (message,) = _inbox(stack, 1)
    async with mcp_session(stack, ALICE) as alice:
        read = await alice.ok("gmail_modify", {"message_ids": [message.id], "action": "mark_read"})
        starred = await alice.ok("gmail_modify", {"message_ids": [message.id], "action": "star"})
    labels = stack.sandbox.world.mailboxes[ALICE].messages[message.id].label_ids
    assert (read, starred) == ("Updated 1 message(s): -UNREAD.", "Updated 1 message(s): +STARRED.")
    assert "UNREAD" not in labels and "STARRED" in labels
    assert rest_calls(stack) == []


@under_mcp
async def test_trash_is_refused_before_anything_is_asked_or_changed_and_archive_is_offered(stack: Stack) -> None:
    (message,) = _inbox(stack, 1)
    asked = Asked("accept")
    async with mcp_session(stack, ALICE, elicitation=asked) as alice:
        text = await alice.error("gmail_modify", {"message_ids": [message.id], "action": "trash"})
    assert "Nothing was changed: Google's Gmail MCP server has no way to move mail to Trash." in text
    assert 'action="archive"' in text
    assert asked.shown == []
    assert "TRASH" not in stack.sandbox.world.mailboxes[ALICE].messages[message.id].label_ids
    assert stack.sandbox.faults.mcp_calls() == [] and rest_calls(stack) == []


@under_mcp
async def test_a_new_label_is_refused_under_mcp_and_the_person_is_told_to_make_it_in_gmail(stack: Stack) -> None:
    (message,) = _inbox(stack, 1)
    before = set(stack.sandbox.world.mailboxes[ALICE].labels)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error(
            "gmail_modify", {"message_ids": [message.id], "add_labels": ["Vendors/New"], "create_missing": True}
        )
    assert "Nothing was changed: Google's Gmail MCP server cannot create labels." in text
    assert "create the label in Gmail first" in text
    assert set(stack.sandbox.world.mailboxes[ALICE].labels) == before
    assert stack.sandbox.faults.mcp_calls() == []


@under_mcp
async def test_more_messages_than_one_call_may_change_are_refused_whole(stack: Stack) -> None:
    ids = [m.id for m in _inbox(stack, 60)]
    assert len(ids) > 50
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error("gmail_modify", {"message_ids": ids, "action": "archive"})
    assert f"Nothing was changed: {len(ids)} messages is more than the 50 one call may change here" in text
    assert stack.sandbox.faults.mcp_calls() == []


@under_mcp
async def test_an_unknown_id_among_several_is_named_and_the_others_are_still_changed(stack: Stack) -> None:
    first, second = _inbox(stack, 2)
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error(
            "gmail_modify", {"message_ids": [first.id, "18c0000000000000", second.id], "action": "archive"}
        )
    assert "The other 2 were changed; Gmail has no message '18c0000000000000' in your mailbox." in text
    for message in (first, second):
        assert "INBOX" not in stack.sandbox.world.mailboxes[ALICE].messages[message.id].label_ids


@both_backends
async def test_trash_or_spam_as_a_label_is_refused_so_trash_always_goes_through_its_question(
    stack: Stack, google_access: str
) -> None:
    (message,) = _inbox(stack, 1)
    async with mcp_session(stack, ALICE) as alice:
        answers = [
            await alice.error("gmail_modify", {"message_ids": [message.id], "add_labels": [label]})
            for label in ("TRASH", "trash", "SPAM")
        ]
    for answer in answers:
        assert "Nothing was changed:" in answer and 'action="trash"' in answer, answer
    labels = stack.sandbox.world.mailboxes[ALICE].messages[message.id].label_ids
    assert not labels & {"TRASH", "SPAM"}
