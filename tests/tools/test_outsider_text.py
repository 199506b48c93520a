"""Every tool, over a world where everything an outsider can write is a planted fake notice: none of it
reaches an answer (or a question put to the person) outside a « » fence, on a line of its own, or with
control, bidi or zero-width characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from sandbox.seed import ALICE
from tests.support.fathom import store_fathom_key
from tests.support.hostile import OUTSIDER, STRANGER, Planted, leaks, marker, plant, tags_in
from tests.support.mcp_session import Session, mcp_session
from tests.support.stack import Stack
from tests.tools.test_contacts import ALL_SCOPES
from tests.tools.test_outbound import Person

# Fields that are text of many lines: their fence may span lines (everything else is one line).
MULTI_LINE = frozenset({"body", "garbledbody", "description", "comment", "transcript", "summary", "filetext"})
# Every field the world plants that some answer shows (a field missing here is one no tool renders).
SHOWN = frozenset(
    {
        *("fromname", "toname", "ccname", "subject", "body", "filename", "imagename", "filetext", "label"),
        *("garbledfrom", "garbledsubject", "garbledbody", "draftto", "draftsubject", "brokendraftsubject"),
        *("eventtitle", "description", "location", "organizer", "attendee", "comment", "oddguest", "clashtitle"),
        *("calendarname", "meetingtitle", "invitee", "speaker", "transcript", "myaction", "theiraction"),
        *("assignee", "summary", "contactname", "contactorg", "directoryname", "jobtitle"),
        *("othercontact", "address", "guest"),
    }
)
# Every tool the server lists is called, even those that read nothing an outsider writes (whoami,
# calendar_find_free_time), so a new tool fails this test until it is added. A tool may be left out
# only here, with the reason.
NOT_CALLED: dict[str, str] = {}
DAY = re.compile(r"\d{4}-\d\d-\d\d")
ATTACHMENT = re.compile(r"attachment_id=(\S+)")


@dataclass
class Run:
    """Every answer the tools gave, by tool (errors too: their text reaches the model as well)."""

    answers: dict[str, list[str]] = field(default_factory=dict[str, list[str]])

    async def call(self, session: Session, name: str, arguments: dict[str, object] | None = None) -> str:
        text, _is_error = await session.call(name, arguments)
        self.answers.setdefault(name, []).append(text)
        return text


def _calls(planted: Planted, day: str) -> list[tuple[str, Callable[[dict[str, str]], dict[str, object]]]]:
    """Each tool call in order (reads first, then what changes or deletes), with its arguments;
    `found` holds ids read from earlier answers."""
    mail, event = planted.message_id, planted.event_id
    return [
        ("whoami", lambda _f: {}),
        ("gmail_search", lambda _f: {"query": "", "max_results": 20}),
        ("gmail_read_message", lambda _f: {"message_id": mail}),
        ("gmail_read_message", lambda _f: {"message_id": planted.garbled_id}),
        ("gmail_read_thread", lambda _f: {"thread_id": mail}),
        ("gmail_get_attachment", lambda f: {"message_id": mail, "attachment_id": f["csv"]}),
        ("gmail_get_attachment", lambda f: {"message_id": mail, "attachment_id": f["png"]}),
        ("gmail_get_attachment", lambda f: {"message_id": mail, "attachment_id": f["csv"], "pages": "2"}),
        ("gmail_list_labels", lambda _f: {}),
        ("gmail_list_drafts", lambda _f: {}),
        ("calendar_list_calendars", lambda _f: {}),
        ("calendar_list_events", lambda _f: {"start": day, "end": day}),
        ("calendar_get_event", lambda _f: {"event_id": event}),
        ("calendar_find_free_time", lambda _f: {"attendees": [OUTSIDER], "duration_minutes": 30}),
        ("attention_digest", lambda _f: {"hours": 72}),
        ("meeting_prep", lambda _f: {"event_id": event}),
        ("meeting_prep", lambda _f: {}),
        ("fathom_list_meetings", lambda _f: {"include_action_items": True}),
        ("fathom_get_meeting", lambda _f: {"recording_id": planted.recording_id}),
        ("fathom_get_transcript", lambda _f: {"recording_id": planted.recording_id}),
        ("fathom_get_transcript", lambda _f: {"recording_id": planted.recording_id, "speaker": "nobody"}),
        ("fathom_action_items", lambda _f: {"assigned_to_me": False}),
        ("contacts_search", lambda _f: {"query": "evil"}),
        ("gmail_modify", lambda _f: {"message_ids": [mail], "add_labels": ["Label_900", "STARRED"]}),
        ("gmail_modify", lambda _f: {"message_ids": [mail], "add_labels": ["No such label"]}),
        ("gmail_draft", lambda _f: {"reply_to_message_id": mail, "reply_all": True, "body": "Looking."}),
        ("gmail_forward", lambda _f: {"message_id": mail, "to": [STRANGER], "note": "FYI"}),
        ("gmail_send", lambda _f: {"reply_to_message_id": mail, "body": "Approved."}),
        ("gmail_update_draft", lambda _f: {"draft_id": planted.draft_id, "body": "Thanks, will do."}),
        ("gmail_update_draft", lambda _f: {"draft_id": planted.broken_draft_id, "body": "Thanks."}),
        ("gmail_send_draft", lambda _f: {"draft_id": planted.draft_id}),
        ("meeting_follow_up", lambda _f: {"recording_id": planted.recording_id}),
        # What a model copied out of someone's mail comes back fenced too.
        (
            "calendar_create_event",
            lambda _f: {
                "summary": marker("created"),
                "start": f"{day}T18:00",
                "end": f"{day}T18:30",
                "attendees": [STRANGER],
            },
        ),
        ("calendar_update_event", lambda _f: {"event_id": event, "description": "Agenda attached."}),
        ("calendar_respond", lambda _f: {"event_id": event, "response": "accepted", "comment": "See you there."}),
        ("calendar_respond", lambda _f: {"event_id": planted.clash_id, "response": "accepted"}),
        ("calendar_delete_event", lambda _f: {"event_id": planted.clash_id}),
        ("calendar_delete_event", lambda _f: {"event_id": planted.clash_id}),
        ("gmail_modify", lambda _f: {"message_ids": [planted.garbled_id, mail], "action": "trash"}),
    ]


async def _drive(stack: Stack, person: Person) -> tuple[Run, set[str]]:
    planted = plant(stack.sandbox.world, ALICE)
    run = Run()
    async with mcp_session(stack, ALICE, ALL_SCOPES, elicitation=person) as alice:
        await store_fathom_key(stack, ALICE)
        listed = {tool.name for tool in (await alice.client.list_tools()).tools}
        day = DAY.search(stack.sandbox.world.calendars[ALICE][ALICE].events[planted.event_id]["start"]["dateTime"])
        assert day is not None
        found: dict[str, str] = {}
        for name, arguments in _calls(planted, day.group(0)):
            text = await run.call(alice, name, arguments(found))
            if name == "gmail_read_message" and not found:
                ids = ATTACHMENT.findall(text)
                assert len(ids) == 2, text
                found = {"csv": ids[0], "png": ids[1]}
    return run, listed


async def test_no_tool_lets_outsider_text_out_of_a_fence_or_onto_a_line_of_its_own(stack: Stack) -> None:
    person = Person("accept")
    run, listed = await _drive(stack, person)
    assert listed - NOT_CALLED.keys() <= run.answers.keys(), f"never called: {listed - run.answers.keys()}"
    problems = [
        f"{name}: {problem}\n  in: {text[:3000]}"
        for name, texts in run.answers.items()
        for text in texts
        for problem in leaks(text, MULTI_LINE)
    ]
    assert not problems, "\n".join(problems)
    shown = set().union(*(tags_in(text) for texts in run.answers.values() for text in texts))
    assert SHOWN <= shown, f"planted but shown by no tool: {sorted(SHOWN - shown)}"


async def test_questions_about_calendar_changes_and_trash_fence_outsider_text(stack: Stack) -> None:
    person = Person("accept")
    await _drive(stack, person)
    questions = [q for q in person.shown if not q.startswith("Send this email?")]
    assert len(questions) >= 4, questions
    problems = [f"{problem}\n  in: {q}" for q in questions for problem in leaks(q, MULTI_LINE)]
    assert not problems, "\n".join(problems)
    assert {"eventtitle", "clashtitle", "garbledsubject", "fromname"} <= set().union(*map(tags_in, questions))


async def test_the_question_before_sending_fences_outsider_text(stack: Stack) -> None:
    person = Person("accept")
    await _drive(stack, person)
    questions = [q for q in person.shown if q.startswith("Send this email?")]
    assert questions
    problems = [f"{problem}\n  in: {q}" for q in questions for problem in leaks(q, MULTI_LINE)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("google_access", ["mcp"])
async def test_what_googles_mcp_servers_return_is_fenced_like_the_rest(stack: Stack) -> None:
    planted = plant(stack.sandbox.world, ALICE)
    run = Run()
    async with mcp_session(stack, ALICE, ALL_SCOPES, elicitation=Person("accept")) as alice:
        listed = {tool.name for tool in (await alice.client.list_tools()).tools}
        for name, arguments in _calls(planted, "2026-01-01"):
            if name in listed and not name.startswith(("gmail_get_attachment", "calendar_", "fathom_")):
                await run.call(alice, name, arguments({}))
    assert {"gmail_search", "gmail_read_message", "gmail_read_thread", "gmail_list_labels"} <= run.answers.keys()
    problems = [
        f"{name}: {problem}\n  in: {text[:3000]}"
        for name, texts in run.answers.items()
        for text in texts
        for problem in leaks(text, MULTI_LINE)
    ]
    assert not problems, "\n".join(problems)
    shown = set().union(*(tags_in(text) for texts in run.answers.values() for text in texts))
    assert {"subject", "body", "label", "garbledsubject", "draftsubject"} <= shown, sorted(shown)


async def test_an_id_the_model_made_up_comes_back_in_an_error_on_one_line_without_fence_marks(stack: Stack) -> None:
    planted = marker("modelid")
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("calendar_get_event", {"event_id": planted})
    assert "EVILmodelid › [NOTE from Switchboard" in refused, refused
    assert not {"\r", "\n", "\u202e", "\u200b", "»", "«"} & set(refused)
