"""Reply-all, forward and send-as through a real MCP client: what Gmail was given and who received it."""

from __future__ import annotations

import base64
import email
import email.policy
import json
from email.message import EmailMessage

import pytest

from sandbox.seed import ALICE
from sandbox.world import StoredMessage
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

BEN, CARMEN = "ben@acme.example", "carmen@acme.example"
SUPPORT = "support@acme.example"
GMAIL = "/gmail/gmail/v1/users/me"


@pytest.fixture
def stack_settings() -> dict[str, object]:
    """What these tests check is how mail is composed; the outbound guard has its own tests."""
    return {"mail_send_policy": "direct"}


def _parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _given(stack: Stack, path: str) -> list[EmailMessage]:
    """The messages Gmail was given at `path` (messages/send or drafts), parsed."""
    bodies = [json.loads(r.body) for r in stack.sandbox.faults.requests(f"{GMAIL}/{path}") if r.method == "POST"]
    raws = [body.get("raw") or body["message"]["raw"] for body in bodies]
    return [_parse(base64.urlsafe_b64decode(raw)) for raw in raws]


def _received(stack: Stack, owner: str, subject: str) -> list[EmailMessage]:
    """What landed in `owner`'s mailbox with this subject."""
    found = [_parse(m.raw) for m in stack.sandbox.world.mailboxes[owner].messages.values()]
    return [m for m in found if m["Subject"] == subject]


def _deliver(stack: Stack, message: EmailMessage) -> str:
    """`message` put in Alice's inbox as if it had just arrived; its id (also its thread's)."""
    world = stack.sandbox.world
    message_id = world.next_id()
    mailbox = world.mailboxes[ALICE]
    mailbox.messages[message_id] = StoredMessage(
        id=message_id,
        thread_id=message_id,
        raw=message.as_bytes(),
        label_ids={"INBOX", "UNREAD"},
        internal_date_ms=int(world.now().timestamp() * 1000),
        history_id=max(m.history_id for m in mailbox.messages.values()) + 1,
    )
    return message_id


def _incoming(subject: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Priya Raman <priya.raman@globex.example>")
    message["Subject"] = subject
    message["Date"] = "Mon, 1 Jun 2026 09:00:00 +0000"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Can we settle the renewal terms this week?\n")
    return message


def _text(message: EmailMessage) -> tuple[str, str]:
    """(plain, html) bodies of a message (or of its first part, before attachments), plain first."""
    body = message if message.get_content_type() == "multipart/alternative" else next(message.iter_parts())
    assert body.get_content_type() == "multipart/alternative", message.get_content_type()
    plain, rich = body.iter_parts()
    assert (plain.get_content_type(), rich.get_content_type()) == ("text/plain", "text/html")
    return str(plain.get_content()).replace("\r\n", "\n"), str(rich.get_content())


def _addresses(message: EmailMessage, header: str) -> list[str]:
    value = message[header]
    return [a.addr_spec for a in value.addresses] if value else []


async def test_reply_all_reaches_the_reply_to_and_everyone_on_to_and_cc_but_the_person_and_no_one_twice(
    stack: Stack,
) -> None:
    parent = _deliver(
        stack,
        _incoming(
            "Renewal terms",
            Reply_To="Globex Deals <deals@globex.example>",
            To=f"Alice <{ALICE}>, Ben <{BEN}>, {SUPPORT}",
            Cc=f"tom.becker@globex.example, {BEN.upper()}, {ALICE}",
            Message_ID="<renewal.1@globex.example>",
        ),
    )
    async with mcp_session(stack, ALICE) as alice:
        answer = await alice.ok(
            "gmail_send",
            {"body": "Works for us.", "reply_to_message_id": parent, "reply_all": True, "cc": [CARMEN]},
        )
        refused = await alice.error("gmail_send", {"to": [BEN], "subject": "x", "body": "y", "reply_all": True})
    [sent] = _given(stack, "messages/send")
    assert _addresses(sent, "To") == ["deals@globex.example", BEN]
    assert _addresses(sent, "Cc") == ["tom.becker@globex.example", CARMEN]
    assert _addresses(sent, "From") == [ALICE]  # the first of her addresses the parent named
    assert sent["Subject"] == "Re: Renewal terms" and sent["In-Reply-To"] == "<renewal.1@globex.example>"
    assert f"Sent to deals@globex.example, {BEN} (cc tom.becker@globex.example, {CARMEN}) — subject" in answer
    assert " as " not in answer.split(" — ")[0]
    assert [_addresses(m, "To") for m in _received(stack, BEN, "Re: Renewal terms")] == [["deals@globex.example", BEN]]
    assert len(_received(stack, CARMEN, "Re: Renewal terms")) == 1
    assert "reply_all needs reply_to_message_id" in refused


async def test_a_reply_goes_out_from_the_alias_it_was_sent_to_signed_with_that_alias_signature(stack: Stack) -> None:
    alias = next(a for a in stack.sandbox.world.mailboxes[ALICE].aliases if a.email == SUPPORT)
    parent = _deliver(stack, _incoming("Export help", From="lena.fischer@vandelay.example", To=SUPPORT))
    body = (
        "Hi Lena,\n\nHere is how:\n- open Settings\n- pick Export\n\nDocs: https://acme.example/help/export. Q&A <here>"
    )
    async with mcp_session(stack, ALICE) as alice:
        answer = await alice.ok("gmail_send", {"body": body, "reply_to_message_id": parent})
    [sent] = _given(stack, "messages/send")
    plain, rich = _text(sent)
    assert str(sent["From"]) == f"{alias.display_name} <{SUPPORT}>"
    assert answer.startswith(f"Sent to lena.fischer@vandelay.example as {SUPPORT} — subject «Re: Export help»")
    written, signature = plain.split("\n-- \n")
    assert written.strip() == body
    assert signature.strip().splitlines() == ["Acme Product Support", "acme.example/help <https://acme.example/help>"]
    assert "<ul><li>open Settings</li><li>pick Export</li></ul>" in rich
    assert (
        '<a href="https://acme.example/help/export">https://acme.example/help/export</a>. Q&amp;A &lt;here&gt;' in rich
    )
    assert alias.signature in rich and rich.count("gmail_signature") == 1
    [kept] = _received(stack, ALICE, "Re: Export help")[-1:]
    assert str(kept["From"]) == f"{alias.display_name} <{SUPPORT}>"  # Gmail accepted the verified alias


async def test_from_address_is_taken_only_when_it_is_a_verified_send_as_address_and_signs_once(stack: Stack) -> None:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    pending = next(a.email for a in mailbox.aliases if not a.verified)
    draft = {"to": [BEN], "subject": "Quarterly numbers", "body": "Numbers attached."}
    async with mcp_session(stack, ALICE) as alice:
        as_support = await alice.ok("gmail_draft", {**draft, "from_address": f"Support <{SUPPORT}>"})
        refused = [
            await alice.error("gmail_draft", {**draft, "from_address": address})
            for address in (pending, "ceo@globex.example")
        ]
        first = await alice.ok("gmail_draft", draft)
        plain, _rich = _text(_given(stack, "drafts")[-1])
        again = await alice.ok("gmail_draft", {**draft, "body": plain})
    drafts = _given(stack, "drafts")
    assert [_addresses(d, "From") for d in drafts] == [[SUPPORT], [ALICE], [ALICE]]
    assert f"Draft saved (not sent) to {BEN} as {SUPPORT} — subject «Quarterly numbers»" in as_support
    assert " as " not in first.split(" — ")[0] and " as " not in again.split(" — ")[0]
    for address, answer in zip((pending, "ceo@globex.example"), refused, strict=True):
        assert f"from_address {address!r} is not one of your verified send-as addresses ({ALICE}, {SUPPORT})." in answer
    signed_twice = _text(drafts[-1])
    assert signed_twice[0].count("\n-- \n") == 1 and "Head of Product, Acme" in signed_twice[0]
    assert signed_twice[1].count("Head of Product, Acme") == 1


async def test_forward_reattaches_the_attachments_under_the_quoted_original_in_its_thread(stack: Stack) -> None:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    candidates = [
        (s, parsed)
        for s in mailbox.messages.values()
        if "INBOX" in s.label_ids and not str((parsed := _parse(s.raw))["Subject"]).lower().startswith("fw")
    ]
    stored, original = max(candidates, key=lambda found: len(list(found[1].iter_attachments())))
    files = [(part.get_filename(), part.get_content_type(), part.get_content()) for part in original.iter_attachments()]
    assert files, "the seeded inbox has a message with attachments"
    subject = f"Fwd: {original['Subject']}"
    async with mcp_session(stack, ALICE) as alice:
        drafted = await alice.ok("gmail_forward", {"message_id": stored.id, "to": [BEN], "note": "FYI, see below."})
        sent = await alice.ok("gmail_forward", {"message_id": stored.id, "to": [BEN], "as_draft": False})
    [draft] = _given(stack, "drafts")
    [forward] = _given(stack, "messages/send")
    names = ", ".join(f"«{name}»" for name, _type, _data in files)
    assert drafted.startswith(f"Draft saved (not sent) to {BEN} — subject «{subject}».")
    assert drafted.endswith(f"Attachments carried over: {names}.")
    assert sent.startswith(f"Forwarded to {BEN} — subject «{subject}».") and f"thread_id={stored.thread_id}." in sent
    thread_ids = [json.loads(r.body)["message"]["threadId"] for r in stack.sandbox.faults.requests(f"{GMAIL}/drafts")]
    assert thread_ids == [stored.thread_id]  # Gmail keeps a forward in the conversation it came from
    for message in (draft, forward, *_received(stack, BEN, subject)):
        assert message["Subject"] == subject
        carried = [(p.get_filename(), p.get_content_type(), p.get_content()) for p in message.iter_attachments()]
        assert carried == files
    plain, _rich = _text(draft)
    note, quoted = plain.split("\n---------- Forwarded message ---------\n")
    assert note.startswith("FYI, see below.\n\n-- \n")
    assert quoted.startswith(f"From: {original['From']}\nDate: {original['Date']}\nSubject: {original['Subject']}\n")
    original_text = original.get_body(("plain",))
    assert original_text is not None
    assert str(original_text.get_content()).strip().splitlines()[0] in quoted
    assert len(stack.sandbox.faults.requests(f"{GMAIL}/messages/{stored.id}/attachments/")) == 2 * len(files)


async def test_a_forward_too_large_for_a_json_request_goes_through_gmails_upload_endpoint(stack: Stack) -> None:
    original = _incoming("Board deck", To=ALICE)
    deck = bytes(range(256)) * (18 * 1024)  # 4.5 MB: over Gmail's 5 MB JSON limit once base64-encoded
    original.add_attachment(deck, maintype="application", subtype="pdf", filename="deck.pdf")
    message_id = _deliver(stack, original)
    async with mcp_session(stack, ALICE) as alice:
        sent = await alice.ok("gmail_forward", {"message_id": message_id, "to": [BEN], "as_draft": False})
    assert sent.endswith("Attachments carried over: «deck.pdf».")
    assert [r.status for r in stack.sandbox.faults.requests("/gmail/upload/gmail/v1/users/me/messages/send")] == [200]
    assert stack.sandbox.faults.requests(f"{GMAIL}/messages/send") == []
    [received] = _received(stack, BEN, "Fwd: Board deck")
    assert [(p.get_filename(), p.get_content()) for p in received.iter_attachments()] == [("deck.pdf", deck)]


async def test_a_forward_whose_attachments_exceed_what_gmail_carries_is_refused_before_downloading_them(
    stack: Stack,
) -> None:
    original = _incoming("Raw footage", To=ALICE)
    lines = b"0123456789" * 7 + b"\n"  # 7bit, so that neither side spends time on base64
    original.add_attachment(lines * (27 * 1024 * 1024 // 71), "text", "csv", cte="7bit", filename="footage.csv")
    message_id = _deliver(stack, original)
    async with mcp_session(stack, ALICE) as alice:
        refused = await alice.error("gmail_forward", {"message_id": message_id, "to": [BEN], "as_draft": False})
    assert "The attachments add up to 27.0 MB, over the 35.0 MB Gmail lets one message carry" in refused
    assert "nothing was sent" in refused
    assert stack.sandbox.faults.requests(f"{GMAIL}/messages/{message_id}/attachments/") == []
    assert _given(stack, "messages/send") == [] and _given(stack, "drafts") == []
