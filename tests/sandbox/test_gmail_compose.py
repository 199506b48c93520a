"""Sending and drafts in the sandbox Gmail API: threading, delivery between mailboxes, Bcc, errors."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest

from sandbox.world import SendAs
from tests.sandbox.gmail_world import ALICE, API, BOB, MODIFY, READONLY, SEND, GmailWorld, build, mail

URL = "/gmail" + API


@pytest.fixture
def gw() -> GmailWorld:
    return build()


def raw(message: EmailMessage) -> str:
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def stored_headers(gw: GmailWorld, owner: str, message_id: str) -> Any:
    return message_from_bytes(gw.world.mailboxes[owner].messages[message_id].raw, policy=policy.default)


def send(gw: GmailWorld, body: dict[str, Any], scopes: tuple[str, ...] = (SEND,)) -> Any:
    return gw.client.post(URL + "/messages/send", json=body, headers=gw.headers(scopes=scopes))


def reply_to_plan(subject: str = "Re: Quarterly plan") -> EmailMessage:
    return mail(
        ALICE,
        f"Bob Brown <{BOB}>",
        subject,
        "Agreed, let's go.\n",
        In_Reply_To="<plan@example.com>",
        References="<plan@example.com>",
    )


def test_send_with_thread_id_keeps_the_thread_and_delivers_threaded_to_the_recipient(gw: GmailWorld) -> None:
    thread_id = gw.ids["plain"]
    response = send(gw, {"raw": raw(reply_to_plan()), "threadId": thread_id})
    assert response.status_code == 200, response.text
    sent = response.json()
    assert sent["threadId"] == thread_id and sent["labelIds"] == ["SENT"]
    headers = stored_headers(gw, ALICE, sent["id"])
    assert headers["From"] == f"Alice Adams <{ALICE}>"
    assert headers["Message-ID"] and headers["Date"]

    bob = gw.world.mailboxes[BOB]
    [delivered] = [m for m in bob.messages.values() if m.id not in gw.ids.values()]
    assert delivered.label_ids == {"INBOX", "UNREAD"}
    assert delivered.thread_id == bob.messages[gw.ids["bob_plan"]].thread_id
    bob_headers = gw.headers(BOB, (READONLY,))
    listed = gw.client.get(URL + "/messages", params={"q": "is:unread from:alice"}, headers=bob_headers)
    assert listed.json()["messages"] == [{"id": delivered.id, "threadId": delivered.thread_id}]


def test_send_with_a_changed_subject_starts_a_new_thread(gw: GmailWorld) -> None:
    sent = send(gw, {"raw": raw(reply_to_plan("Something else")), "threadId": gw.ids["plain"]}).json()
    assert sent["threadId"] == sent["id"]


def test_send_without_thread_id_starts_a_new_thread_even_for_a_reply(gw: GmailWorld) -> None:
    sent = send(gw, {"raw": raw(reply_to_plan())}).json()
    assert sent["threadId"] == sent["id"]


def test_send_to_an_unknown_thread_is_404(gw: GmailWorld) -> None:
    assert send(gw, {"raw": raw(reply_to_plan()), "threadId": "18c0ffffffffffff"}).status_code == 404


def test_bcc_recipients_get_the_message_without_the_bcc_header(gw: GmailWorld) -> None:
    message = mail(ALICE, "someone@elsewhere.example", "Secret", "psst\n", Bcc=BOB)
    sent = send(gw, {"raw": raw(message)}).json()
    assert stored_headers(gw, ALICE, sent["id"])["Bcc"] == BOB
    [delivered] = [m for m in gw.world.mailboxes[BOB].messages.values() if m.id not in gw.ids.values()]
    assert b"Bcc" not in delivered.raw and b"Subject: Secret" in delivered.raw


def test_send_to_oneself_lands_in_the_inbox_once(gw: GmailWorld) -> None:
    sent = send(gw, {"raw": raw(mail(ALICE, ALICE, "Note to self", "milk\n"))}).json()
    assert sent["labelIds"] == ["INBOX", "SENT", "UNREAD"]
    assert len(gw.world.mailboxes[ALICE].messages) == len([i for i in gw.ids if i != "bob_plan"]) + 1


def test_sent_attachments_get_attachment_ids(gw: GmailWorld) -> None:
    message = mail(ALICE, BOB, "Slides", "Attached.\n")
    message.add_attachment(b"slide bytes", maintype="application", subtype="octet-stream", filename="deck.key")
    sent = send(gw, {"raw": raw(message)}).json()
    part = gw.client.get(URL + f"/messages/{sent['id']}", headers=gw.headers()).json()["payload"]["parts"][1]
    fetched = gw.client.get(
        URL + f"/messages/{sent['id']}/attachments/{part['body']['attachmentId']}", headers=gw.headers()
    )
    assert base64.urlsafe_b64decode(fetched.json()["data"]) == b"slide bytes"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'raw' RFC822 payload message string or uploading message via /upload/* URL required"),
        ({"raw": "***"}, "Invalid value for ByteString: ***"),
        ({"raw": raw(mail(ALICE, "", "No one", "hello\n"))}, "Recipient address required"),
        ({"raw": "eA", "labels": []}, 'Invalid JSON payload received. Unknown name "labels": Cannot find field.'),
    ],
)
def test_send_rejects_what_gmail_rejects(gw: GmailWorld, body: dict[str, Any], message: str) -> None:
    response = send(gw, body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


def test_send_needs_a_sending_scope(gw: GmailWorld) -> None:
    response = send(gw, {"raw": raw(reply_to_plan())}, scopes=(READONLY,))
    assert response.status_code == 403


def test_draft_create_list_get_and_send(gw: GmailWorld) -> None:
    headers = gw.headers(scopes=(MODIFY,))
    body = {"message": {"raw": raw(reply_to_plan()), "threadId": gw.ids["plain"]}}
    created = gw.client.post(URL + "/drafts", json=body, headers=headers).json()
    assert created["id"].startswith("r")
    assert created["message"]["labelIds"] == ["DRAFT"]
    assert created["message"]["threadId"] == gw.ids["plain"]

    listed = gw.client.get(URL + "/drafts", headers=headers).json()
    assert listed == {
        "drafts": [{"id": created["id"], "message": {"id": created["message"]["id"], "threadId": gw.ids["plain"]}}],
        "resultSizeEstimate": 1,
    }
    fetched = gw.client.get(URL + f"/drafts/{created['id']}", params={"format": "metadata"}, headers=headers)
    assert fetched.json()["message"]["labelIds"] == ["DRAFT"]

    sent = gw.client.post(URL + "/drafts/send", json={"id": created["id"]}, headers=headers).json()
    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == gw.ids["plain"]
    assert gw.client.get(URL + "/drafts", headers=headers).json() == {"resultSizeEstimate": 0}
    assert gw.client.get(URL + f"/drafts/{created['id']}", headers=headers).status_code == 404
    assert any(m.label_ids == {"INBOX", "UNREAD"} for m in gw.world.mailboxes[BOB].messages.values())


def test_draft_update_replaces_the_message_and_delete_removes_it(gw: GmailWorld) -> None:
    headers = gw.headers(scopes=(MODIFY,))
    first = {"message": {"raw": raw(mail(ALICE, BOB, "Draft one", "v1\n"))}}
    created = gw.client.post(URL + "/drafts", json=first, headers=headers).json()
    second = {"id": created["id"], "message": {"raw": raw(mail(ALICE, BOB, "Draft two", "v2\n"))}}
    updated = gw.client.put(URL + f"/drafts/{created['id']}", json=second, headers=headers).json()
    assert updated["id"] == created["id"] and updated["message"]["id"] != created["message"]["id"]
    found = gw.client.get(URL + "/drafts", params={"q": "subject:two"}, headers=headers).json()
    assert [d["id"] for d in found["drafts"]] == [created["id"]]
    assert created["message"]["id"] not in gw.world.mailboxes[ALICE].messages

    assert gw.client.delete(URL + f"/drafts/{created['id']}", headers=headers).status_code == 204
    assert updated["message"]["id"] not in gw.world.mailboxes[ALICE].messages


def test_sending_a_draft_without_recipients_keeps_the_draft(gw: GmailWorld) -> None:
    headers = gw.headers(scopes=(MODIFY,))
    body = {"message": {"raw": raw(mail(ALICE, "", "Unaddressed", "hi\n"))}}
    created = gw.client.post(URL + "/drafts", json=body, headers=headers).json()
    response = gw.client.post(URL + "/drafts/send", json={"id": created["id"]}, headers=headers)
    assert response.json()["error"]["message"] == "Recipient address required"
    assert gw.client.get(URL + f"/drafts/{created['id']}", headers=headers).status_code == 200


def test_send_as_lists_the_account_and_its_aliases_and_sending_keeps_only_a_verified_alias(gw: GmailWorld) -> None:
    mailbox = gw.world.mailboxes[ALICE]
    mailbox.signature = "<div>Alice</div>"
    mailbox.aliases = [
        SendAs("team@example.com", "The Team", "<b>Team</b>"),
        SendAs("pending@example.com", "P", verified=False),
    ]
    listed = gw.client.get(URL + "/settings/sendAs", headers=gw.headers(scopes=(READONLY,)))
    refused = gw.client.get(URL + "/settings/sendAs", headers=gw.headers(scopes=(SEND,)))
    as_alias = send(gw, {"raw": raw(mail("team@example.com", BOB, "From the team", "Hi\n"))})
    as_pending = send(gw, {"raw": raw(mail("pending@example.com", BOB, "From pending", "Hi\n"))})
    assert [
        (e["sendAsEmail"], e.get("isPrimary", False), e.get("verificationStatus")) for e in listed.json()["sendAs"]
    ] == [
        (ALICE, True, None),
        ("team@example.com", False, "accepted"),
        ("pending@example.com", False, "pending"),
    ]
    assert listed.json()["sendAs"][0]["signature"] == "<div>Alice</div>"
    assert refused.status_code == 403
    assert stored_headers(gw, ALICE, as_alias.json()["id"])["From"] == "The Team <team@example.com>"
    assert stored_headers(gw, ALICE, as_pending.json()["id"])["From"] == f"Alice Adams <{ALICE}>"


def test_insert_files_a_message_in_this_mailbox_only_dated_by_its_header_and_sends_nothing(gw: GmailWorld) -> None:
    message = mail(
        f"Bob Brown <{BOB}>", ALICE, "Re: Quarterly plan", "Agreed.\n", Date="Mon, 02 Mar 2026 09:30:00 +0000"
    )
    message["In-Reply-To"] = message["References"] = "<plan@example.com>"
    before = dict(gw.world.mailboxes[BOB].messages)
    body = {"raw": raw(message), "labelIds": ["INBOX", "UNREAD"], "threadId": gw.ids["plain"]}
    response = gw.client.post(
        URL + "/messages", params={"internalDateSource": "dateHeader"}, json=body, headers=gw.headers()
    )
    assert response.status_code == 200, response.text
    inserted = response.json()
    assert inserted["threadId"] == gw.ids["plain"] and inserted["labelIds"] == ["INBOX", "UNREAD"]
    stored = gw.world.mailboxes[ALICE].messages[inserted["id"]]
    assert stored.internal_date_ms == 1772443800000  # 2026-03-02T09:30:00Z
    assert stored_headers(gw, ALICE, inserted["id"])["From"] == f"Bob Brown <{BOB}>"  # kept, not re-signed
    assert gw.world.mailboxes[BOB].messages == before

    plain = gw.client.post(URL + "/messages", json={"raw": raw(mail(BOB, ALICE, "Hi", "x\n"))}, headers=gw.headers())
    assert plain.status_code == 200 and "labelIds" not in plain.json()  # no labels asked, none given
    for params, extra, scopes, status, text in (
        ({}, {"labelIds": ["DRAFT"]}, (MODIFY,), 400, "Invalid label: DRAFT"),
        ({}, {"labelIds": ["Label_404"]}, (MODIFY,), 400, "Invalid label: Label_404"),
        ({"internalDateSource": "now"}, {}, (MODIFY,), 400, "internal_date_source"),
        ({}, {}, (SEND,), 403, "insufficient"),
    ):
        refused = gw.client.post(
            URL + "/messages",
            params=params,
            json={"raw": raw(mail(BOB, ALICE, "Hi", "x\n"))} | extra,
            headers=gw.headers(scopes=scopes),
        )
        assert refused.status_code == status and text in refused.text, refused.text


def test_a_message_over_5_mb_is_refused_as_json_but_sent_and_drafted_through_the_upload_endpoint(
    gw: GmailWorld,
) -> None:
    big = reply_to_plan()
    big.add_attachment(b"x" * (4 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="big.bin")
    thread_id = gw.ids["plain"]
    refused = send(gw, {"raw": raw(big), "threadId": thread_id})

    def upload(path: str, metadata: bytes, upload_type: str = "multipart") -> Any:
        body = b"".join(
            [
                b"--b1\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" + metadata,
                b"\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n" + big.as_bytes() + b"\r\n--b1--\r\n",
            ]
        )
        headers = {**gw.headers(scopes=(MODIFY,)), "Content-Type": "multipart/related; boundary=b1"}
        return gw.client.post(f"/gmail/upload{API}{path}?uploadType={upload_type}", content=body, headers=headers)

    sent = upload("/messages/send", b'{"threadId": "%s"}' % thread_id.encode())
    drafted = upload("/drafts", b'{"message": {"threadId": "%s"}}' % thread_id.encode())
    untyped = upload("/drafts", b"{}", upload_type="resumable")
    assert refused.status_code == 413 and "payload size exceeds the limit" in refused.text
    assert sent.status_code == 200, sent.text
    assert sent.json()["threadId"] == thread_id
    stored = stored_headers(gw, ALICE, sent.json()["id"])
    assert [part.get_filename() for part in stored.iter_attachments()] == ["big.bin"]
    assert drafted.status_code == 200 and drafted.json()["message"]["threadId"] == thread_id
    assert untyped.status_code == 400
