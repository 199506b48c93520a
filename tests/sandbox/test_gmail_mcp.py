"""The sandbox Gmail MCP server, driven by the MCP SDK's client over HTTP, against the same mailboxes as REST."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from sandbox.gmail import mime as gmail_mime
from sandbox.mcp.server import CANNOT_CONFIRM, NOT_ALLOWED
from sandbox.server import SandboxServer
from tests.sandbox.mcp_client import ALICE, connect, google_token

BEN = "ben@acme.example"
MESSAGE_FIELDS = {"id", "snippet", "subject", "sender", "toRecipients", "ccRecipients", "date", "plaintextBody"}


async def rest(sandbox: SandboxServer, token: str, method: str, path: str, **kwargs: Any) -> Any:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.request(method, f"{sandbox.base_url}/gmail/gmail/v1/users/me{path}", **kwargs)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _sent(sandbox: SandboxServer, subject: str) -> list[EmailMessage]:
    """Alice's sent messages with this subject, as her mailbox holds them."""
    found = (
        gmail_mime.parse_message(m.raw)
        for m in sandbox.world.mailboxes[ALICE].messages.values()
        if "SENT" in m.label_ids
    )
    return [m for m in found if m["Subject"] == subject]


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body((subtype,))
    assert body is not None, f"no text/{subtype} part"
    return str(body.get_content()).strip()


def _received(sandbox: SandboxServer, email: str, subject: str) -> bool:
    return any(f"Subject: {subject}".encode() in m.raw for m in sandbox.world.mailboxes[email].messages.values())


async def test_v1_lists_every_tool_and_v1self_leaves_out_sending(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        everything = await gmail.tool_names()
    async with connect(sandbox, "gmail", token, toolset="v1self", answer=None) as gmail:
        restricted = await gmail.tool_names()
        with pytest.raises(MCPError, match="Unknown tool: send_draft"):
            await gmail.call("send_draft", {"draftId": "r1"})
        with pytest.raises(MCPError, match="Unknown tool: send_message"):
            await gmail.call("send_message", {"to": [BEN], "subject": "Hi"})
    assert set(everything) == {
        "search_threads", "get_thread", "get_message", "list_drafts", "get_draft", "create_draft", "send_message",
        "send_draft", "list_labels", "create_label", "label_thread", "unlabel_thread", "label_message",
        "unlabel_message",
    }  # fmt: skip
    assert set(restricted) == set(everything) - {"send_message", "send_draft"}
    assert not _sent(sandbox, "Hi")


async def test_search_threads_returns_threads_of_message_summaries_without_bodies(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        first = await gmail.ok("search_threads", {"pageSize": 3})
        second = await gmail.ok("search_threads", {"pageSize": 3, "pageToken": first["nextPageToken"]})
    assert len(first["threads"]) == 3
    assert not {t["id"] for t in first["threads"]} & {t["id"] for t in second["threads"]}
    for thread in first["threads"]:
        for message in thread["messages"]:
            assert set(message) <= MESSAGE_FIELDS - {"plaintextBody"}
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", message["date"])
            assert "<" not in message["sender"] and "@" in message["sender"], "a plain address"


async def test_search_threads_uses_gmail_search_syntax_and_leaves_out_trash_unless_asked(
    sandbox: SandboxServer,
) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        found = await gmail.ok("search_threads", {"query": 'subject:"Lisbon offsite"'})
        thread_id = found["threads"][0]["id"]
        assert all("Lisbon offsite" in m["subject"] for t in found["threads"] for m in t["messages"][:1])
        await gmail.ok("label_thread", {"threadId": thread_id, "labelIds": ["TRASH"]})
        after = await gmail.ok("search_threads", {"query": 'subject:"Lisbon offsite"'})
        with_trash = await gmail.ok("search_threads", {"query": 'subject:"Lisbon offsite"', "includeTrash": True})
    assert thread_id not in [t["id"] for t in after["threads"]]
    assert thread_id in [t["id"] for t in with_trash["threads"]]


async def test_get_thread_gives_full_bodies_unless_minimal(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        thread_id = (await gmail.ok("search_threads", {"query": "Lisbon category:primary"}))["threads"][0]["id"]
        full = await gmail.ok("get_thread", {"threadId": thread_id})
        minimal = await gmail.ok("get_thread", {"threadId": thread_id, "messageFormat": "MINIMAL"})
        missing = await gmail.error("get_thread", {"threadId": "ffffffffffffffff"})
    assert full["id"] == thread_id and "Rough agenda for Lisbon" in full["messages"][0]["plaintextBody"]
    assert all("plaintextBody" not in m for m in minimal["messages"])
    assert missing == "Requested entity was not found."


@pytest.mark.parametrize(
    ("tool", "arguments", "refusal"),
    [
        ("search_threads", {"q": "x"}, 'Invalid JSON payload received. Unknown name "q": Cannot find field.'),
        ("search_threads", {"pageSize": "ten"}, "Invalid value at 'page_size' (TYPE_INT32), \"ten\""),
        ("search_threads", {"includeTrash": "yes"}, "Invalid value at 'include_trash' (TYPE_BOOL), \"yes\""),
        ("get_thread", {}, "Invalid argument: 'thread_id' is required."),
        (
            "get_thread",
            {"threadId": "1", "messageFormat": "FULL"},
            "Invalid value at 'message_format' (enum), \"FULL\"",
        ),
        ("create_draft", {"to": "ben@acme.example"}, "Invalid value at 'to', \"ben@acme.example\": expected a list"),
        ("create_draft", {"to": ["Ben <ben@acme.example>"]}, 'Invalid email address in to: "Ben <ben@acme.example>"'),
        ("create_draft", {"to": [BEN], "cc": ["ben"]}, 'Invalid email address in cc: "ben"'),
    ],
)
async def test_arguments_google_would_refuse_are_refused(
    sandbox: SandboxServer, tool: str, arguments: dict[str, Any], refusal: str
) -> None:
    token = await google_token(sandbox)
    drafts = dict(sandbox.world.mailboxes[ALICE].drafts)
    async with connect(sandbox, "gmail", token) as gmail:
        assert (await gmail.error(tool, arguments)).startswith(refusal)
    assert sandbox.world.mailboxes[ALICE].drafts == drafts


async def test_a_draft_created_through_mcp_is_visible_through_the_rest_api(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        draft = await gmail.ok(
            "create_draft", {"to": [BEN], "cc": ["carmen@acme.example"], "subject": "Offsite", "body": "See you there"}
        )
    assert set(draft) <= {
        "id",
        "subject",
        "threadId",
        "toRecipients",
        "ccRecipients",
        "plaintextBody",
        "date",
        "viewUrl",
    }
    assert draft["toRecipients"] == [BEN] and draft["plaintextBody"] == "See you there"
    listed = await rest(sandbox, token, "GET", "/drafts")
    assert draft["id"] in [d["id"] for d in listed["drafts"]]
    raw = (await rest(sandbox, token, "GET", f"/drafts/{draft['id']}", params={"format": "raw"}))["message"]["raw"]
    text = base64.urlsafe_b64decode(raw + "==").decode()
    assert "To: ben@acme.example" in text and "Cc: carmen@acme.example" in text and "Subject: Offsite" in text


async def test_a_draft_created_through_rest_is_listed_and_read_through_mcp(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    composed = EmailMessage()
    composed["To"], composed["Subject"] = "Ben Okafor <ben@acme.example>", "From REST"
    composed.set_content("made over REST")
    raw = base64.urlsafe_b64encode(composed.as_bytes()).decode()
    made = await rest(sandbox, token, "POST", "/drafts", json={"message": {"raw": raw}})
    async with connect(sandbox, "gmail", token) as gmail:
        listed = await gmail.ok("list_drafts", {"query": "subject:REST"})
        metadata = await gmail.ok("list_drafts", {"query": "subject:REST", "view": "DRAFT_VIEW_METADATA_ONLY"})
        read = await gmail.ok("get_draft", {"draftId": made["id"]})
    assert [d["id"] for d in listed["drafts"]] == [made["id"]]
    assert "subject" not in metadata["drafts"][0] and "plaintextBody" not in metadata["drafts"][0]
    assert read["toRecipients"] == [BEN] and read["plaintextBody"] == "made over REST"
    assert read["viewUrl"].startswith("https://mail.google.com/mail/")


async def test_sending_a_draft_asks_with_the_drafts_own_recipients_and_subject_then_sends(
    sandbox: SandboxServer,
) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        draft = await gmail.ok("create_draft", {"to": [BEN], "bcc": ["dieter@acme.example"], "subject": "Q3"})
        sent = await gmail.ok("send_draft", {"draftId": draft["id"]})
    assert gmail.asked == [f'Send an email from {ALICE} to {BEN}, bcc dieter@acme.example with the subject "Q3"?']
    assert sent["labelIds"] == ["SENT"] and sent["threadId"] == draft["threadId"]
    assert draft["id"] not in sandbox.world.mailboxes[ALICE].drafts
    inbox = sandbox.world.mailboxes[BEN].messages.values()
    assert any(b"Subject: Q3" in m.raw and "INBOX" in m.label_ids for m in inbox)


@pytest.mark.parametrize("answer", ["decline", "cancel"])
async def test_a_declined_or_dismissed_approval_sends_nothing(sandbox: SandboxServer, answer: Any) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token, answer=answer) as gmail:
        draft = await gmail.ok("create_draft", {"to": [BEN], "subject": "Not yet"})
        assert await gmail.error("send_draft", {"draftId": draft["id"]}) == NOT_ALLOWED
    assert draft["id"] in sandbox.world.mailboxes[ALICE].drafts
    assert not any(b"Subject: Not yet" in m.raw for m in sandbox.world.mailboxes[BEN].messages.values())


async def test_an_approval_cannot_be_replayed_for_another_draft(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        harmless = await gmail.ok("create_draft", {"to": [BEN], "subject": "Harmless"})
        other = await gmail.ok("create_draft", {"to": ["frank@acme.example"], "subject": "Other"})
        asked = await gmail.client.session.call_tool(
            "send_draft", {"draftId": harmless["id"]}, allow_input_required=True
        )
        assert isinstance(asked, types.InputRequiredResult) and asked.input_requests
        form = asked.input_requests["approval"].params
        assert isinstance(form, types.ElicitRequestFormParams) and "Harmless" in form.message
        yes = {"approval": types.ElicitResult(action="accept", content={})}
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await gmail.client.session.call_tool(
                "send_draft",
                {"draftId": other["id"]},
                input_responses=yes,
                request_state=asked.request_state,
                allow_input_required=True,
            )
        answered = await gmail.client.session.call_tool(
            "send_draft",
            {"draftId": harmless["id"]},
            input_responses=yes,
            request_state=asked.request_state,
            allow_input_required=True,
        )
    assert isinstance(answered, types.CallToolResult) and not answered.is_error
    assert other["id"] in sandbox.world.mailboxes[ALICE].drafts, "the other draft was not sent"


async def test_send_message_asks_with_what_will_be_sent_and_sends_exactly_that(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    letter = {"to": [BEN], "cc": ["carmen@acme.example"], "bcc": ["dieter@acme.example"], "subject": "Budget"}
    async with connect(sandbox, "gmail", token) as gmail:
        sent = await gmail.ok("send_message", letter | {"body": "Numbers attached.", "htmlBody": "<p>Numbers</p>"})
        refused = await gmail.error("send_message", {"to": [BEN], "cc": ["ben"], "subject": "Budget"})
    assert gmail.asked == [
        f"Send an email from {ALICE} to {BEN}, cc carmen@acme.example, bcc dieter@acme.example "
        'with the subject "Budget"?'
    ], "asked once, for the first call only: an argument Google refuses is refused before anyone is asked"
    assert refused.startswith('Invalid email address in cc: "ben"')
    assert set(sent) == {"id", "threadId", "labelIds"} and sent["labelIds"] == ["SENT"]
    [message] = _sent(sandbox, "Budget")
    assert (message["To"], message["Cc"], message["Bcc"]) == (BEN, "carmen@acme.example", "dieter@acme.example")
    assert str(message["From"]).endswith(f"<{ALICE}>") or str(message["From"]) == ALICE
    assert _part(message, "plain") == "Numbers attached." and _part(message, "html") == "<p>Numbers</p>"
    assert _received(sandbox, BEN, "Budget") and _received(sandbox, "carmen@acme.example", "Budget")
    raw = (await rest(sandbox, token, "GET", f"/messages/{sent['id']}", params={"format": "raw"}))["raw"]
    seen = base64.urlsafe_b64decode(raw + "==").decode()
    assert "Subject: Budget" in seen and f"To: {BEN}" in seen, "the REST API sees the message that was sent"
    assert sandbox.world.mcp_usage["switchboard-sandbox"]["gmail"] == 2 + 1, "both rounds of the send, the refusal"


@pytest.mark.parametrize("answer", ["decline", "cancel"])
async def test_send_message_declined_or_dismissed_sends_nothing(sandbox: SandboxServer, answer: Any) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token, answer=answer) as gmail:
        assert await gmail.error("send_message", {"to": [BEN], "subject": "Not now"}) == NOT_ALLOWED
    assert len(gmail.asked) == 1
    assert not _sent(sandbox, "Not now") and not _received(sandbox, BEN, "Not now")


async def test_send_message_refuses_an_address_with_a_display_name_and_asks_nobody(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        refused = await gmail.error("send_message", {"to": [f"Ben Okafor <{BEN}>"], "subject": "Named"})
    assert refused.startswith(f'Invalid email address in to: "Ben Okafor <{BEN}>"')
    assert gmail.asked == [] and not _sent(sandbox, "Named")


async def test_a_send_message_approval_cannot_be_replayed_with_other_arguments(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    harmless = {"to": [BEN], "subject": "Lunch?"}
    async with connect(sandbox, "gmail", token) as gmail:
        session = gmail.client.session
        asked = await session.call_tool("send_message", harmless, allow_input_required=True)
        assert isinstance(asked, types.InputRequiredResult) and asked.input_requests
        form = asked.input_requests["approval"].params
        assert isinstance(form, types.ElicitRequestFormParams) and "Lunch?" in form.message
        yes = {"approval": types.ElicitResult(action="accept", content={})}
        for other in ({"to": ["mallory@evil.example"], "subject": "Lunch?"}, harmless | {"body": "All the secrets"}):
            with pytest.raises(MCPError, match="Invalid or expired requestState"):
                await session.call_tool(
                    "send_message",
                    other,
                    input_responses=yes,
                    request_state=asked.request_state,
                    allow_input_required=True,
                )
        answered = await session.call_tool(
            "send_message", harmless, input_responses=yes, request_state=asked.request_state, allow_input_required=True
        )
    assert isinstance(answered, types.CallToolResult) and not answered.is_error
    [message] = _sent(sandbox, "Lunch?")
    assert message["To"] == BEN and "secrets" not in _part(message, "plain")


async def test_send_message_replies_in_the_thread_and_quotes_the_original(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        thread = (await gmail.ok("search_threads", {"query": "Lisbon category:primary"}))["threads"][0]
        original = thread["messages"][0]
        sent = await gmail.ok(
            "send_message", {"to": [original["sender"]], "body": "Count me in", "replyToMessageId": original["id"]}
        )
        read = await gmail.ok("get_message", {"messageId": sent["id"]})
    assert gmail.asked == [
        f'Send an email from {ALICE} to {original["sender"]} with the subject "Re: {original["subject"]}"?'
    ]
    assert sent["threadId"] == thread["id"]
    assert read["subject"] == f"Re: {original['subject']}"
    assert read["plaintextBody"].startswith("Count me in") and "> Hi all" in read["plaintextBody"]
    [message] = _sent(sandbox, f"Re: {original['subject']}")
    assert message["In-Reply-To"] and message["In-Reply-To"] in str(message["References"])


async def test_a_client_that_cannot_elicit_is_told_the_send_needs_confirmation(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token, answer=None) as gmail:
        draft = await gmail.ok("create_draft", {"to": [BEN], "subject": "Hi"})
        assert await gmail.error("send_draft", {"draftId": draft["id"]}) == CANNOT_CONFIRM
        assert await gmail.error("send_message", {"to": [BEN], "subject": "Hi"}) == CANNOT_CONFIRM
    assert draft["id"] in sandbox.world.mailboxes[ALICE].drafts
    assert not _sent(sandbox, "Hi")


async def test_a_reply_draft_joins_the_thread_and_quotes_the_original(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        thread = (await gmail.ok("search_threads", {"query": "Lisbon category:primary"}))["threads"][0]
        original = thread["messages"][0]
        reply = await gmail.ok(
            "create_draft", {"to": [original["sender"]], "body": "Works for me", "replyToMessageId": original["id"]}
        )
    assert reply["threadId"] == thread["id"]
    assert reply["subject"] == f"Re: {original['subject']}"
    assert reply["plaintextBody"].startswith("Works for me") and "> Hi all" in reply["plaintextBody"]


async def test_labels_made_and_applied_through_mcp_are_the_mailboxs_labels(sandbox: SandboxServer) -> None:
    token = await google_token(sandbox)
    async with connect(sandbox, "gmail", token) as gmail:
        label = await gmail.ok("create_label", {"displayName": "Offsite"})
        listed = await gmail.ok("list_labels")
        thread_id = (await gmail.ok("search_threads", {"query": "Lisbon category:primary"}))["threads"][0]["id"]
        assert await gmail.ok("label_thread", {"threadId": thread_id, "labelIds": [label["labelId"]]}) == {}
        labelled = await gmail.ok("search_threads", {"query": "label:Offsite"})
        refused = await gmail.error("label_thread", {"threadId": thread_id, "labelIds": ["SENT"]})
    assert label["name"] == "Offsite" and label in listed["labels"]
    assert all(entry["labelId"] not in ("INBOX", "SENT") for entry in listed["labels"]), "user labels only"
    assert [t["id"] for t in labelled["threads"]] == [thread_id]
    assert refused == "Invalid label: SENT"
    rest_thread = await rest(sandbox, token, "GET", f"/threads/{thread_id}", params={"format": "minimal"})
    assert all(label["labelId"] in m["labelIds"] for m in rest_thread["messages"])
