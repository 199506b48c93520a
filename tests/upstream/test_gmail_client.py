"""GmailClient against the sandbox Gmail over real HTTP: what it sends and what it makes of answers."""

from __future__ import annotations

import base64
import email
import email.policy

from app.upstream.gmail_compose import build_message, reply_context, reply_subject
from app.upstream.gmail_models import message_content
from sandbox.gmail.api import set_batch_part_limit
from tests.upstream.conftest import Connected


async def test_search_returns_ids_and_a_next_page_token(alice: Connected) -> None:
    gmail = alice.gmail()
    first = await gmail.list_messages("in:inbox", max_results=5)
    assert len(first.messages) == 5
    assert first.next_page_token
    second = await gmail.list_messages("in:inbox", max_results=5, page_token=first.next_page_token)
    assert not {m.id for m in first.messages} & {m.id for m in second.messages}
    sent = alice.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages")[-1]
    assert sent.headers["authorization"].startswith("Bearer ")
    assert "q=in%3Ainbox" in sent.query


async def test_metadata_for_fifty_messages_arrives_in_order_through_batches_of_at_most_25(alice: Connected) -> None:
    gmail = alice.gmail()
    ids = [m.id for m in (await gmail.list_messages(max_results=50)).messages]
    assert len(ids) == 50

    messages = await gmail.get_messages_metadata(ids)

    assert [m.id for m in messages] == ids
    assert all(m.header("From") and m.header("Subject") for m in messages)
    batches = alice.sandbox.faults.requests("/gmail/batch/gmail/v1")
    assert len(batches) == 2
    assert [b.body.count(b"Content-Type: application/http") for b in batches] == [25, 25]


async def test_throttled_batch_parts_are_retried_until_every_message_arrives(alice: Connected) -> None:
    gmail = alice.gmail()
    ids = [m.id for m in (await gmail.list_messages(max_results=25)).messages]
    set_batch_part_limit(alice.sandbox.gmail_app, 10)

    messages = await gmail.get_messages_metadata(ids)

    assert [m.id for m in messages] == ids
    assert len(alice.sandbox.faults.requests("/gmail/batch/gmail/v1")) == 3


async def test_a_full_message_decodes_to_readable_text_with_attachments_listed(alice: Connected) -> None:
    gmail = alice.gmail()
    refs = (await gmail.list_messages("has:attachment", max_results=1)).messages
    message = await gmail.get_message(refs[0].id)
    content = message_content(message)
    assert content.attachments
    assert content.attachments[0].attachment_id
    attachment = await gmail.get_attachment(message.id, content.attachments[0].attachment_id or "")
    assert attachment.size > 0


async def test_html_only_mail_is_converted_to_text_without_markup(alice: Connected) -> None:
    gmail = alice.gmail()
    for ref in (await gmail.list_messages(max_results=60)).messages:
        message = await gmail.get_message(ref.id)
        assert message.payload is not None
        types = {message.payload.mime_type, *(p.mime_type for p in message.payload.parts)}
        if types <= {"text/html"}:
            content = message_content(message)
            assert content.from_html
            assert content.text and "<" not in content.text.replace("<http", "")
            return
    raise AssertionError("the seeded mailbox has no HTML-only message among the newest 60")


async def test_a_reply_is_sent_in_the_thread_with_threading_headers(alice: Connected) -> None:
    gmail = alice.gmail()
    parent_ref = (await gmail.list_messages("in:inbox", max_results=1)).messages[0]
    parent = await gmail.get_message(
        parent_ref.id, format="metadata", metadata_headers=["Subject", "Message-ID", "From", "References", "Reply-To"]
    )
    context = reply_context(parent)
    message = build_message(
        sender=alice.user.email,
        to=[context.reply_to],
        subject=reply_subject(context.subject),
        body="Thanks, will do.",
        reply=context,
    )

    sent = await gmail.send_message(message, thread_id=context.thread_id)

    assert sent.thread_id == parent.thread_id
    request = alice.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send")[-1]
    import json

    body = json.loads(request.body)
    assert body["threadId"] == parent.thread_id
    raw = email.message_from_bytes(base64.urlsafe_b64decode(body["raw"]), policy=email.policy.default)
    assert raw["In-Reply-To"] == context.message_id_header
    assert context.message_id_header in raw["References"]
    assert raw["Subject"].startswith("Re: ")


async def test_labels_list_has_system_and_user_labels(alice: Connected) -> None:
    labels = await alice.gmail().list_labels()
    names = {label.name for label in labels}
    assert {"INBOX", "SENT", "UNREAD", "STARRED"} <= names
    assert any(label.type == "user" for label in labels)


async def test_modify_archives_and_marks_read(alice: Connected) -> None:
    gmail = alice.gmail()
    ref = (await gmail.list_messages("in:inbox is:unread", max_results=1)).messages[0]
    after = await gmail.modify_message(ref.id, remove=["INBOX", "UNREAD"])
    assert "INBOX" not in after.label_ids and "UNREAD" not in after.label_ids
