"""Gmail tools through a real MCP client over HTTP, against the sandbox Gmail."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import re
from collections import Counter
from datetime import datetime

from sandbox.seed import ALICE
from sandbox.world import StoredMessage
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

IDS = re.compile(r"message_id=(\S+) thread_id=(\S+)")


async def test_search_lists_each_hit_with_sender_subject_zoned_date_labels_and_ids(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 5})
        assert text.startswith("5 message(s) for 'in:inbox'")
        assert text.count("· From: ") == 5 and text.count("Subject: ") == 5
        assert len(IDS.findall(text)) == 5
        zone = stack.sandbox.world.people[ALICE].time_zone
        assert f"times in {zone}" in text
        assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \(\w{3}\)", text)
        assert "page_token=" in text


async def test_search_with_no_hits_says_so(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        assert await alice.ok("gmail_search", {"query": "subject:zzzz-no-such-thing"}) == (
            "No messages match 'subject:zzzz-no-such-thing'."
        )


async def test_reading_a_message_gives_headers_text_and_attachments(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "has:attachment", "max_results": 1})
        message_id, _thread = IDS.findall(hits)[0]
        text = await alice.ok("gmail_read_message", {"message_id": message_id})
        assert "Subject: " in text and "From: " in text and "Date: " in text
        assert "Attachments:" in text and "attachment_id=" in text


async def test_a_csv_attachment_is_returned_as_a_table_within_budget(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "filename:csv", "max_results": 1})
        message_id, _thread = IDS.findall(hits)[0]
        message = await alice.ok("gmail_read_message", {"message_id": message_id})
        attachment_id = re.search(r"\.csv \(.*?\) attachment_id=(\S+)", message)
        assert attachment_id, message
        text = await alice.ok(
            "gmail_get_attachment",
            {"message_id": message_id, "attachment_id": attachment_id.group(1), "max_chars": 300},
        )
        header, columns, *_rows = text.splitlines()
        assert ".csv (CSV table, " in header
        assert re.fullmatch(r"\w+( \| \w+)+", columns), columns
        assert len(text) < 600


async def test_reading_a_thread_lists_messages_oldest_first(stack: Stack) -> None:
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    threads = Counter(m.thread_id for m in mailbox.messages.values())
    thread_id, count = threads.most_common(1)[0]
    assert count >= 3
    oldest_first = sorted(
        (m for m in mailbox.messages.values() if m.thread_id == thread_id), key=lambda m: (m.internal_date_ms, m.id)
    )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_read_thread", {"thread_id": thread_id, "max_chars": 50_000})
    assert text.startswith(f"Thread {thread_id}: {count} message(s), oldest first")
    assert re.findall(r"--- message (\d+) of (\d+) ---", text) == [(str(i), str(count)) for i in range(1, count + 1)]
    assert [m for m, _t in IDS.findall(text)] == [m.id for m in oldest_first]
    dates = [datetime.fromisoformat(d) for d in re.findall(r"^Date: (\S+)", text, re.M)]
    assert len(dates) == count
    assert dates == sorted(dates)
    assert dates[0] < dates[-1]


async def test_reading_a_thread_drops_the_quoted_history_of_its_replies(stack: Stack) -> None:
    attribution = re.compile(r"^On .*wrote:\s*$", re.M)
    reply, new_part = next(
        (stored, body.split("\n--\n")[0].split("\nOn ")[0].strip())
        for stored in stack.sandbox.world.mailboxes[ALICE].messages.values()
        if (plain := email.message_from_bytes(stored.raw, policy=email.policy.default).get_body(("plain",)))
        and attribution.search(body := str(plain.get_content()).replace("\r\n", "\n"))
        and "\n>" in body
    )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("gmail_read_thread", {"thread_id": reply.thread_id, "max_chars": 50_000})
    assert "[quoted history/signature trimmed]" in text
    assert new_part.splitlines()[0] in text
    assert not attribution.search(text)
    assert not [line for line in text.splitlines() if line.startswith(">")]


async def test_a_small_budget_truncates_with_a_notice(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        message_id, _thread = IDS.findall(hits)[0]
        text = await alice.ok("gmail_read_message", {"message_id": message_id, "max_chars": 200})
        assert "[truncated at 200 characters — call again with a larger max_chars]" in text


async def test_a_reply_is_threaded_server_side_and_defaults_recipient_and_subject(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "in:inbox -from:me", "max_results": 1})
        message_id, thread_id = IDS.findall(hits)[0]
        original = await alice.ok("gmail_read_message", {"message_id": message_id})

        sent = await alice.ok("gmail_send", {"to": [], "body": "Thanks — on it.", "reply_to_message_id": message_id})

        assert f"thread_id={thread_id}" in sent
        request = stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send")[-1]
        body = json.loads(request.body)
        assert body["threadId"] == thread_id
        raw = email.message_from_bytes(base64.urlsafe_b64decode(body["raw"]), policy=email.policy.default)
        assert raw["In-Reply-To"] and raw["In-Reply-To"] in raw["References"]
        subject = re.search(r"^Subject: (.*)$", original, re.M)
        assert subject and raw["Subject"] == "Re: " + re.sub(r"^(Re: )+", "", subject.group(1))
        sender = re.search(r"^From: .*?<?([\w.+-]+@[\w.-]+)>?$", original, re.M)
        assert sender and sender.group(1) in raw["To"]


async def test_a_draft_is_saved_and_never_sent(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok(
            "gmail_draft",
            {
                "to": ["priya.raman@globex.example"],
                "subject": "Pricing follow-up",
                "body": "Draft body",
                "cc": ["ben@acme.example"],
            },
        )
        assert "Draft saved (not sent)" in text and "draft_id=" in text
        assert stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send") == []
        created = json.loads(stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/drafts")[-1].body)
        raw = email.message_from_bytes(base64.urlsafe_b64decode(created["message"]["raw"]), policy=email.policy.default)
        assert raw["To"] == "priya.raman@globex.example" and raw["Cc"] == "ben@acme.example"


async def test_an_invalid_recipient_is_refused_before_anything_is_sent(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error("gmail_send", {"to": ["not an address"], "subject": "x", "body": "y"})
        assert "'not an address' is not a valid email address" in text
        assert stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/send") == []


async def test_archive_and_labels_by_name(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 2})
        ids = [m for m, _t in IDS.findall(hits)]
        labels = await alice.ok("gmail_list_labels")
        user_label = re.search(r"^- (.+?) \(id (Label_\w+)\)$", labels, re.M)
        assert user_label
        text = await alice.ok(
            "gmail_modify", {"message_ids": ids, "action": "archive", "add_labels": [user_label.group(1)]}
        )
        assert f"Updated 2 message(s): +{user_label.group(1)} -INBOX." == text
        modified = json.loads(stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/messages/batchModify")[-1].body)
        assert modified == {"ids": ids, "addLabelIds": [user_label.group(2)], "removeLabelIds": ["INBOX"]}


async def test_an_unknown_label_name_lists_the_real_ones_and_is_created_only_when_asked(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        hits = await alice.ok("gmail_search", {"query": "in:inbox", "max_results": 1})
        message_id = IDS.findall(hits)[0][0]
        text = await alice.error("gmail_modify", {"message_ids": [message_id], "add_labels": ["Vendors/Nope"]})
        assert [r for r in stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/labels") if r.method == "POST"] == []
        created = await alice.ok(
            "gmail_modify", {"message_ids": [message_id], "add_labels": ["Vendors/Nope"], "create_missing": True}
        )
        read = await alice.ok("gmail_read_message", {"message_id": message_id})
    assert "There is no label 'Vendors/Nope'. Your labels:" in text
    assert text.endswith("To create it, call again with create_missing=true.")
    assert created == "Updated 1 message(s): +Vendors/Nope. Created label(s): Vendors/Nope."
    (request,) = [r for r in stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/labels") if r.method == "POST"]
    assert json.loads(request.body)["name"] == "Vendors/Nope"
    assert "Vendors/Nope" in read


async def test_missing_gmail_permission_names_what_to_grant_and_where(stack: Stack) -> None:
    async with mcp_session(stack, ALICE, scopes="openid%20email%20profile") as session:
        text = await session.error("gmail_search", {"query": "in:inbox"})
    assert "You have not given Switchboard permission to use Gmail" in text
    assert f"{stack.url}/account" in text


async def test_gmail_being_down_is_an_actionable_error_not_a_crash(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        stack.sandbox.faults.fail_next("/gmail", 100, 503)
        text = await alice.error("gmail_search", {"query": "in:inbox"})
        assert "Gmail is unavailable right now (HTTP 503); try again." in text


async def test_a_revoked_google_grant_asks_to_reconnect_with_the_link(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        stack.sandbox.world.revoke_grants_of(ALICE)
        stack.sandbox.world.expire_all_access_tokens()
        text = await alice.error("gmail_search", {"query": "in:inbox"})
        assert "expired or was revoked" in text and f"{stack.url}/account" in text


async def test_an_encoded_display_name_cannot_smuggle_in_extra_recipients(stack: Stack) -> None:
    hostile = "=?utf-8?q?x=2C_evil=40attacker=2Eexample?= <priya.raman@globex.example>"
    async with mcp_session(stack, ALICE) as alice:
        await alice.ok("gmail_draft", {"to": [hostile], "subject": "Numbers", "body": "Attached."})
    created = json.loads(stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/drafts")[-1].body)
    raw = email.message_from_bytes(base64.urlsafe_b64decode(created["message"]["raw"]), policy=email.policy.default)
    assert [a.addr_spec for a in raw["To"].addresses] == ["priya.raman@globex.example"]


async def test_dot_segment_ids_are_refused_before_reaching_google(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error("calendar_delete_event", {"event_id": "..", "calendar_id": ALICE})
        message = await alice.error("gmail_read_message", {"message_id": "."})
    assert "'..' is not a valid event id" in text
    assert "'.' is not a valid Gmail id" in message
    assert not [r for r in stack.sandbox.faults.requests("/calendar") if r.method == "DELETE"]


def _sent_or_drafted(stack: Stack) -> list[email.message.EmailMessage]:
    """Every message the sandbox Gmail was given to send or keep as a draft, parsed."""
    bodies = [json.loads(r.body) for r in stack.sandbox.faults.requests("/gmail/gmail/v1/users/me/") if r.body]
    raws = [b.get("raw") or b.get("message", {}).get("raw") for b in bodies if isinstance(b, dict)]
    return [
        email.message_from_bytes(base64.urlsafe_b64decode(raw), policy=email.policy.default)
        for raw in raws
        if isinstance(raw, str)
    ]


def _deliver_to_alice(stack: Stack, headers: str) -> str:
    """A message with these raw header lines put in Alice's inbox, as if it had just arrived; its id."""
    world = stack.sandbox.world
    raw = (headers.strip().replace("\n", "\r\n") + "\r\n\r\nSee you then.\r\n").encode()
    message_id = world.next_id()
    world.mailboxes[ALICE].messages[message_id] = StoredMessage(
        id=message_id,
        thread_id=message_id,
        raw=raw,
        label_ids={"INBOX", "UNREAD"},
        internal_date_ms=int(world.now().timestamp() * 1000),
        history_id=max(m.history_id for m in world.mailboxes[ALICE].messages.values()) + 1,
    )
    return message_id


async def test_an_encoded_subject_or_name_cannot_add_a_hidden_bcc(stack: Stack) -> None:
    subject = "=?utf-8?q?Quarterly_numbers=0D=0ABcc:_eve@outsider.test?="
    nested = "=?utf-8?q?=3D=3Futf-8=3Fq=3FQ=3D0ABcc=3A_eve=40outsider=2Etest=3F=3D?="
    name = "=?utf-8?q?Priya=0D=0ABcc:_eve@outsider.test?= <priya.raman@globex.example>"
    priya = ["priya.raman@globex.example"]
    async with mcp_session(stack, ALICE) as alice:
        answers = [
            await alice.error("gmail_send", {"to": priya, "subject": subject, "body": "Attached."}),
            await alice.error("gmail_draft", {"to": priya, "subject": subject, "body": "Attached."}),
            await alice.error("gmail_draft", {"to": priya, "subject": nested, "body": "Attached."}),
            await alice.error("gmail_draft", {"to": [ALICE], "cc": [name], "subject": "Numbers", "body": "x"}),
        ]
    refused = [a.partition("Refused: the ")[2].split(" contains ")[0] for a in answers]
    assert refused == ["subject", "subject", "subject", "cc address"]
    assert all("line break or another control character" in a and "plain text on one line" in a for a in answers)
    assert [m for m in _sent_or_drafted(stack) if m["Bcc"] or "eve@" in str(m)] == []


async def test_a_reply_to_a_message_with_hostile_threading_headers_keeps_only_its_message_ids(stack: Stack) -> None:
    parent_id = _deliver_to_alice(
        stack,
        f"""
From: Mallory <mallory@outsider.test>
To: {ALICE}
Subject: =?utf-8?q?Invoice_42=0D=0ABcc:_eve@outsider.test?=
Message-ID: <parent.2@outsider.test>
References: =?utf-8?q?<root.1@outsider.test>=0D=0ABcc:_eve@outsider.test?= <not an id> <mid.1@outsider.test>
Date: Mon, 1 Jun 2026 09:00:00 +0000
""",
    )
    async with mcp_session(stack, ALICE) as alice:
        sent = await alice.ok("gmail_draft", {"to": [], "body": "Paid.", "reply_to_message_id": parent_id})
    assert f"thread_id={parent_id}" in sent
    [reply] = _sent_or_drafted(stack)
    assert reply["In-Reply-To"] == "<parent.2@outsider.test>"
    ids = ["<root.1@outsider.test>", "<mid.1@outsider.test>", "<parent.2@outsider.test>"]
    assert reply["References"].split() == ids
    assert reply["Subject"] == "Re: Invoice 42 Bcc: eve@outsider.test"
    assert reply["Bcc"] is None and [a.addr_spec for a in reply["To"].addresses] == ["mallory@outsider.test"]
