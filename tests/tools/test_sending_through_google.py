"""Drafting and sending under both backends; under Google's MCP servers, Google's approval reaches the person once."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
from mcp import types
from mcp.client.session import ClientRequestContext
from mcp.shared.exceptions import MCPError

from sandbox.seed import ALICE, DOMAIN
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, both_backends, mcp_tools, rest_calls
from tests.tools.test_outbound import ATTACKER, _deliver_to_alice

BEN = f"ben@{DOMAIN}"
on_mcp = pytest.mark.parametrize("google_access", ["mcp"])


class Asked:
    """An elicitation callback that records each question and answers it as told, with the form left as it is."""

    def __init__(self, action: str = "accept") -> None:
        self.action = action
        self.shown: list[str] = []

    async def __call__(self, _context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.shown.append(params.message)
        content: dict[str, str | int | float | bool | list[str] | None] | None = {} if self.action == "accept" else None
        return types.ElicitResult(action=self.action, content=content)  # type: ignore[arg-type]  # a Literal


def _parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def _sent_by_alice(stack: Stack) -> list[EmailMessage]:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    return [_parsed(m.raw) for m in mailbox.messages.values() if "SENT" in m.label_ids and "DRAFT" not in m.label_ids]


def _drafts(stack: Stack) -> list[EmailMessage]:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    return [_parsed(mailbox.messages[d.message_id].raw) for d in mailbox.drafts.values()]


@both_backends
async def test_a_draft_is_saved_with_its_recipients_and_listed(stack: Stack, google_access: str) -> None:
    before = len(_drafts(stack))
    async with mcp_session(stack, ALICE) as alice:
        saved = await alice.ok("gmail_draft", {"to": [BEN], "cc": [ATTACKER], "subject": "Plan", "body": "See below."})
        listed = await alice.ok("gmail_list_drafts", {"max_results": 50})
    drafts = _drafts(stack)
    assert len(drafts) == before + 1
    draft = next(d for d in drafts if d["Subject"] == "Plan")
    assert str(draft["To"]) == BEN and str(draft["Cc"]) == ATTACKER
    assert saved.startswith(f"Draft saved (not sent) to {BEN} (cc {ATTACKER}) — subject «Plan». draft_id=")
    draft_id = saved.split("draft_id=", 1)[1].split()[0].rstrip(".")
    assert f"draft_id={draft_id}" in listed and "Subject: «Plan»" in listed
    if google_access == "mcp":
        assert rest_calls(stack) == [] and "gmail.create_draft" in mcp_tools(stack)


@on_mcp
async def test_a_reply_drafted_through_google_joins_the_thread_it_answers(stack: Stack) -> None:
    parent = _deliver_to_alice(
        stack,
        f"From: Priya <priya@globex.example>\nTo: {ALICE}\nSubject: Pilot dates\nMessage-ID: <pd-1@globex.example>",
        "Can we start on the 14th?",
    )
    async with mcp_session(stack, ALICE) as alice:
        saved = await alice.ok("gmail_draft", {"body": "Yes, the 14th works.", "reply_to_message_id": parent})
    assert saved.startswith("Draft saved (not sent) to priya@globex.example — subject «Re: Pilot dates»."), saved
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    [draft] = [
        mailbox.messages[d.message_id]
        for d in mailbox.drafts.values()
        if b"14th works" in mailbox.messages[d.message_id].raw
    ]
    assert draft.thread_id == mailbox.messages[parent].thread_id
    assert rest_calls(stack) == []


@on_mcp
async def test_sending_shows_the_person_googles_own_question_once_after_switchboards_note(stack: Stack) -> None:
    person = Asked("accept")
    async with mcp_session(stack, ALICE, elicitation=person) as alice:
        sent = await alice.ok("gmail_send", {"to": [ATTACKER], "subject": "Numbers", "body": "Here they are."})
    [shown] = person.shown
    assert shown.startswith(f"Note: {ATTACKER} is a new external recipient (outside your domain, never written to")
    assert "\nGoogle asks:\n" in shown and ATTACKER in shown.split("Google asks:", 1)[1]
    assert sent.startswith(f"Sent to {ATTACKER} — subject «Numbers».")
    [message] = [m for m in _sent_by_alice(stack) if m["Subject"] == "Numbers"]
    assert str(message["To"]) == ATTACKER
    assert rest_calls(stack) == [] and "gmail.send_message" in mcp_tools(stack)


@on_mcp
async def test_a_decline_or_a_cancel_at_googles_question_sends_and_saves_nothing(stack: Stack) -> None:
    before_sent, before_drafts = len(_sent_by_alice(stack)), len(_drafts(stack))
    for action in ("decline", "cancel"):
        person = Asked(action)
        async with mcp_session(stack, ALICE, elicitation=person) as alice:
            answer = await alice.ok("gmail_send", {"to": [BEN], "subject": "Hi", "body": "x"})
        said = "declined" if action == "decline" else "cancelled"
        assert answer == f"Not sent: the person {said} sending it at Google's question. Nothing was sent or saved."
        assert len(person.shown) == 1
    assert len(_sent_by_alice(stack)) == before_sent and len(_drafts(stack)) == before_drafts


@on_mcp
async def test_a_client_that_cannot_show_googles_question_gets_a_draft_that_says_why(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        held = await alice.ok("gmail_send", {"to": [BEN], "subject": "Lunch", "body": "Noon?"})
    assert held.startswith(
        "Not sent: saved as a draft because Google asks the person before any mail is sent, and this client "
        "cannot show Google's question."
    ), held
    assert not [m for m in _sent_by_alice(stack) if m["Subject"] == "Lunch"]
    assert any(d["Subject"] == "Lunch" for d in _drafts(stack))
    assert rest_calls(stack) == [] and "gmail.send_message" not in mcp_tools(stack)


@on_mcp
async def test_an_answer_is_spent_on_the_one_send_it_was_asked_for_and_never_twice(stack: Stack) -> None:
    async with mcp_session(stack, ALICE, elicitation=Asked("accept")) as alice:
        session = alice.client.session
        plan = {"to": [BEN], "subject": "Quarterly", "body": "Numbers inside."}
        asked = await session.call_tool("gmail_send", plan, allow_input_required=True)
        assert isinstance(asked, types.InputRequiredResult) and asked.input_requests
        [(key, request)] = asked.input_requests.items()
        assert "Google asks:" in getattr(request.params, "message", "")
        yes = {key: types.ElicitResult(action="accept", content={})}
        # The same answer and state for another message: the state is bound to its own arguments, so the
        # call is refused before any tool runs, and nothing is sent.
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await session.call_tool(
                "gmail_send",
                {"to": [ATTACKER], "subject": "Everything", "body": "All of it."},
                input_responses=yes,
                request_state=asked.request_state,
                allow_input_required=True,
            )
        sent = await session.call_tool(
            "gmail_send", plan, input_responses=yes, request_state=asked.request_state, allow_input_required=True
        )
        assert isinstance(sent, types.CallToolResult) and not sent.is_error, sent
        replayed = await session.call_tool(
            "gmail_send", plan, input_responses=yes, request_state=asked.request_state, allow_input_required=True
        )
    assert isinstance(replayed, types.CallToolResult) and replayed.is_error
    assert "already used" in getattr(replayed.content[0], "text", "")
    subjects = [m["Subject"] for m in _sent_by_alice(stack)]
    assert subjects.count("Quarterly") == 1 and "Everything" not in subjects


@on_mcp
async def test_a_saved_draft_is_sent_after_googles_question_and_only_then(stack: Stack) -> None:
    person = Asked("accept")
    async with mcp_session(stack, ALICE, elicitation=person) as alice:
        saved = await alice.ok("gmail_draft", {"to": [BEN], "subject": "Agenda", "body": "1. Budget"})
        draft_id = saved.split("draft_id=", 1)[1].split()[0].rstrip(".")
        sent = await alice.ok("gmail_send_draft", {"draft_id": draft_id})
    [shown] = person.shown
    assert "Google asks:" in shown and BEN in shown
    assert sent.startswith(f"Sent to {BEN} — subject «Agenda».")
    assert [m["Subject"] for m in _sent_by_alice(stack)].count("Agenda") == 1
    assert draft_id not in stack.sandbox.world.mailboxes[ALICE].drafts
    assert rest_calls(stack) == [] and "gmail.send_draft" in mcp_tools(stack)
