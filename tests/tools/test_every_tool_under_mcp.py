"""Under GOOGLE_ACCESS=mcp every tool in tools/list works through Google's MCP servers alone: the
sandbox's Gmail, Calendar and People REST endpoints receive not one request."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sandbox.seed import ALICE
from sandbox.seed.people import BEN
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, rest_calls
from tests.tools.test_meeting_tools import INITECH_SSO_RECORDING, _recording_id
from tests.tools.test_sending_through_google import Asked


def _invitation(stack: Stack) -> str:
    """An event on Alice's calendar that someone else organised and she has not answered."""
    for event in stack.sandbox.world.calendars[ALICE][ALICE].events.values():
        organizer = (event.get("organizer") or {}).get("email")
        mine = next((a for a in event.get("attendees", []) if a.get("email") == ALICE), None)
        if organizer != ALICE and mine is not None and mine.get("responseStatus") == "needsAction":
            return event["id"]
    raise AssertionError("the seed has no unanswered invitation for Alice")


@pytest.mark.parametrize("google_access", ["mcp"])
@pytest.mark.parametrize("can_confirm", [True, False], ids=["asks-the-person", "cannot-ask"])
async def test_every_listed_tool_answers_through_googles_mcp_servers_with_no_rest_request(
    stack: Stack, can_confirm: bool
) -> None:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    message = next(m for m in mailbox.messages.values() if "INBOX" in m.label_ids)
    recording = _recording_id(stack, INITECH_SSO_RECORDING)
    zone = ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)
    day = (datetime.now(UTC) + timedelta(days=30)).astimezone(zone).date()
    any_event = next(iter(stack.sandbox.world.calendars[ALICE][ALICE].events.values()))["id"]
    answers: dict[str, str] = {}
    async with mcp_session(stack, ALICE, elicitation=Asked("accept") if can_confirm else None) as alice:
        await store_fathom_key(stack, ALICE)
        listed = {tool.name for tool in (await alice.client.list_tools()).tools}

        async def call(name: str, arguments: dict[str, object] | None = None) -> str:
            text, _is_error = await alice.call(name, arguments)
            answers[name] = text
            return text

        drafted = await call("gmail_draft", {"to": [BEN], "subject": "Agenda", "body": "Three points."})
        created = await call(
            "calendar_create_event", {"summary": "Focus time", "start": f"{day} 07:00", "end": f"{day} 07:30"}
        )
        draft_id = re.search(r"draft_id=([^\s.]+)", drafted)
        event_id = re.search(r"event_id=(\S+)", created)
        assert draft_id and event_id, (drafted, created)
        plan: dict[str, dict[str, object]] = {
            "whoami": {},
            "gmail_search": {"query": "in:inbox", "max_results": 3},
            "gmail_read_message": {"message_id": message.id},
            "gmail_read_thread": {"thread_id": message.thread_id},
            "gmail_list_labels": {},
            "gmail_modify": {"message_ids": [message.id], "action": "mark_read"},
            "gmail_list_drafts": {},
            "gmail_send_draft": {"draft_id": draft_id.group(1)},
            "gmail_send": {"to": [BEN], "subject": "Numbers", "body": "Attached below."},
            "contacts_search": {"query": "Ben"},
            "calendar_list_calendars": {},
            "calendar_list_events": {},
            "calendar_get_event": {"event_id": any_event},
            "calendar_update_event": {"event_id": event_id.group(1), "summary": "Deep work"},
            "calendar_respond": {"event_id": _invitation(stack), "response": "tentative"},
            "calendar_find_free_time": {"attendees": [BEN], "duration_minutes": 30},
            "calendar_delete_event": {"event_id": event_id.group(1)},
            "attention_digest": {},
            "meeting_prep": {},
            "meeting_follow_up": {"recording_id": recording},
            "fathom_list_meetings": {},
            "fathom_get_meeting": {"recording_id": recording},
            "fathom_get_transcript": {"recording_id": recording},
            "fathom_action_items": {},
        }
        assert listed <= plan.keys() | answers.keys(), f"no call planned for {listed - plan.keys() - answers.keys()}"
        for name, arguments in plan.items():
            if name in listed:
                await call(name, arguments)
    assert rest_calls(stack) == []
    assert set(answers) >= listed
    failed = {name: text for name, text in answers.items() if text.strip() in ("", f"Error executing tool {name}")}
    assert not failed, failed
    assert "Draft saved (not sent)" in answers["gmail_draft"] and "Draft saved" in answers["meeting_follow_up"]
    assert answers["fathom_get_transcript"].count("\n") > 3, answers["fathom_get_transcript"]
    assert answers["gmail_modify"] == "Updated 1 message(s): -UNREAD.", answers["gmail_modify"]
    if can_confirm:
        assert answers["gmail_send"].startswith(f"Sent to {BEN}"), answers["gmail_send"]
    else:
        assert "gmail_send" not in listed or "draft" in answers["gmail_send"].lower(), answers["gmail_send"]
