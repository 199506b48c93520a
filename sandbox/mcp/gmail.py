"""What the sandbox Gmail MCP server's tools do, over the sandbox mailboxes (declared in `gmail_tools`).

Reads use the REST sandbox's search (`sandbox.gmail.query`) and parse cache; drafts and sending go
through `sandbox.gmail.compose`, so a draft made here is the same draft the REST API lists.
Shapes follow Google's MCP reference: messages carry `sender`, `toRecipients`, `ccRecipients`,
`date` (YYYY-MM-DD) and, in FULL_CONTENT, `plaintextBody`.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.gmail import mime as gmail_mime
from sandbox.gmail.compose import (
    find_draft,
    new_draft,
    recipients,
    resolve_thread,
    save_draft_message,
    send_existing_draft,
    send_message,
)
from sandbox.gmail.errors import ApiError
from sandbox.gmail.http import Caller
from sandbox.gmail.query import matches, parse_query, searches_spam_or_trash
from sandbox.gmail.store import (
    GmailState,
    add_label,
    check_modifiable_labels,
    message_ref,
    relabel,
    select,
    thread_messages,
)
from sandbox.mcp.arguments import plain_addresses
from sandbox.mcp.server import Call, ToolFailure, page
from sandbox.world import Draft, StoredMessage

_NOT_FOUND = "Requested entity was not found."


def _zone(caller: Caller) -> ZoneInfo:
    try:
        return ZoneInfo(caller.person.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _date(internal_ms: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(internal_ms / 1000, UTC).astimezone(zone).date().isoformat()


def _addresses(parsed: EmailMessage, header: str) -> list[str]:
    return [address for _, address in gmail_mime.addresses(parsed, header)]


def _shape(state: GmailState, caller: Caller, stored: StoredMessage, *, body: bool, meta_only: bool = False) -> Any:
    """A message as Google's MCP tools show it (empty fields left out, as proto JSON does)."""
    parsed = state.parsed(caller.mailbox, stored)
    senders = _addresses(parsed.message, "From")
    shaped: dict[str, Any] = {"id": stored.id}
    if not meta_only:
        shaped |= {"snippet": parsed.snippet, "subject": parsed.facts.subject}
    shaped |= {
        "sender": senders[0] if senders else "",
        "toRecipients": _addresses(parsed.message, "To"),
        "ccRecipients": _addresses(parsed.message, "Cc"),
        "date": _date(stored.internal_date_ms, _zone(caller)),
    }
    if body and not meta_only:
        plain, rendered = gmail_mime.readable_texts(parsed.message)
        text = "\n".join(plain) or "\n".join(rendered)
        shaped["plaintextBody"] = text.replace("\r\n", "\n").rstrip()
        ids = [aid for aid, (owner, _) in caller.mailbox.attachments.items() if owner == stored.id]
        shaped["attachmentIds"] = ids
    return {key: value for key, value in shaped.items() if value not in ("", [])}


def _draft_shape(state: GmailState, caller: Caller, draft: Draft, fmt: str = "PLAIN_TEXT") -> dict[str, Any]:
    stored = caller.mailbox.messages[draft.message_id]
    meta_only = fmt == "METADATA_ONLY"
    shaped = _shape(state, caller, stored, body=fmt in ("PLAIN_TEXT", "FULL_CONTENT"), meta_only=meta_only)
    parsed = state.parsed(caller.mailbox, stored).message
    for key in ("snippet", "sender", "attachmentIds"):
        shaped.pop(key, None)
    result: dict[str, Any] = {**shaped, "id": draft.id, "threadId": stored.thread_id}
    result["bccRecipients"] = _addresses(parsed, "Bcc")
    if fmt == "FULL_CONTENT":
        result["htmlBody"] = "\n".join(
            part.get_content() for part in parsed.walk() if part.get_content_type() == "text/html"
        )
    result["viewUrl"] = f"https://mail.google.com/mail/u/0/#drafts?compose={stored.id}"
    return {key: value for key, value in result.items() if value not in ("", [])}


def _message(caller: Caller, message_id: str) -> StoredMessage:
    stored = caller.mailbox.messages.get(message_id)
    if stored is None:
        raise ToolFailure(_NOT_FOUND)
    return stored


def _thread(caller: Caller, thread_id: str) -> list[StoredMessage]:
    messages = thread_messages(caller.mailbox, thread_id)
    if not messages:
        raise ToolFailure(_NOT_FOUND)
    return messages


def _compose(state: GmailState, caller: Caller, arguments: dict[str, Any]) -> tuple[EmailMessage, str | None]:
    """The draft's RFC 2822 message; a reply quotes and threads with the message it answers."""
    plain_addresses(arguments, "to", "cc", "bcc")
    composed = EmailMessage()
    for header, name in (("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")):
        if arguments.get(name):
            composed[header] = ", ".join(arguments[name])
    subject, text, rich = arguments.get("subject", ""), arguments.get("body", ""), arguments.get("htmlBody")
    thread_id = None
    if arguments.get("replyToMessageId"):
        original = _message(caller, arguments["replyToMessageId"])
        parsed = state.parsed(caller.mailbox, original)
        references = [*str(parsed.message.get("References", "")).split(), parsed.facts.message_id.strip()]
        composed["In-Reply-To"] = parsed.facts.message_id.strip()
        composed["References"] = " ".join(r for r in references if r)
        if not subject:
            old = parsed.facts.subject
            subject = old if old.lower().startswith("re:") else f"Re: {old}"
        wrote = f"On {parsed.message.get('Date', '')}, {parsed.facts.senders[0] if parsed.facts.senders else ''} wrote:"
        quoted = "\n".join(f"> {line}" for line in parsed.facts.text.splitlines())
        text = f"{text}\n\n{wrote}\n{quoted}"
        if rich:
            rich += f"<br><br>{html.escape(wrote)}<blockquote>{html.escape(parsed.facts.text)}</blockquote>"
        thread_id = original.thread_id
    composed["Subject"] = subject
    composed.set_content(text or (gmail_mime.html_to_text(rich) if rich else ""))
    if rich:
        composed.add_alternative(rich, subtype="html")
    return composed, thread_id


def _question(state: GmailState, caller: Caller, draft: Draft) -> str:
    """The approval question for sending a draft, from the draft as Gmail holds it."""
    return _send_question(caller, state.parsed(caller.mailbox, caller.mailbox.messages[draft.message_id]).message)


def _send_question(caller: Caller, parsed: EmailMessage) -> str:
    """The question before sending ("Send an email from … to … with the subject …?"), read from what is sent."""
    recipients(parsed)  # a message without recipients is refused before anyone is asked
    parts = [f"Send an email from {caller.person.email} to {', '.join(_addresses(parsed, 'To')) or 'nobody'}"]
    for header in ("Cc", "Bcc"):
        if _addresses(parsed, header):
            parts.append(f"{header.lower()} {', '.join(_addresses(parsed, header))}")
    return ", ".join(parts) + f' with the subject "{parsed.get("Subject", "")}"?'


class GmailTools:
    """The Gmail MCP tools' behaviour over one Gmail state; `sandbox.mcp.gmail_tools` declares them."""

    def __init__(self, state: GmailState) -> None:
        self.state = state

    def caller(self, call: Call) -> Caller:
        person = call.caller.person
        return Caller(person, self.state.mailbox(person.email), frozenset(call.caller.token.scopes))

    def search_threads(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        state, caller = self.state, self.caller(call)
        query = parse_query(args.get("query", ""))
        hidden = set() if searches_spam_or_trash(query) else {"SPAM", "TRASH"}
        if args.get("includeTrash"):
            hidden.discard("TRASH")
        shown = select(state, caller.mailbox, query, [], True)
        thread_ids = list(dict.fromkeys(m.thread_id for m in shown if not hidden & m.label_ids))
        chunk, token = page(thread_ids, min(args.get("pageSize") or 20, 50), args.get("pageToken"))
        call.extra_requests = len(chunk)  # each thread's messages are one more read
        threads = [
            {
                "id": tid,
                "messages": [_shape(state, caller, m, body=False) for m in thread_messages(caller.mailbox, tid)],
            }
            for tid in chunk
        ]
        return {"threads": threads} | _next(token)

    def get_thread(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller(call)
        body = args.get("messageFormat", "FULL_CONTENT") != "MINIMAL"
        messages = _thread(caller, args["threadId"])
        return {"id": args["threadId"], "messages": [_shape(self.state, caller, m, body=body) for m in messages]}

    def get_message(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller(call)
        body = args.get("messageFormat", "FULL_CONTENT") != "MINIMAL"
        return _shape(self.state, caller, _message(caller, args["messageId"]), body=body)

    def list_drafts(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        state, caller = self.state, self.caller(call)
        query, context = parse_query(args.get("query", "")), state.search_context(caller.mailbox)

        def listed(draft: Draft) -> bool:
            stored = caller.mailbox.messages.get(draft.message_id)
            return stored is not None and matches(
                query, state.parsed(caller.mailbox, stored).facts, stored.label_ids, context
            )

        drafts = sorted(
            filter(listed, caller.mailbox.drafts.values()),
            key=lambda d: caller.mailbox.messages[d.message_id].internal_date_ms,
            reverse=True,
        )
        chunk, token = page(drafts, min(args.get("pageSize") or 20, 50), args.get("pageToken"))
        fmt = "METADATA_ONLY" if args.get("view") == "DRAFT_VIEW_METADATA_ONLY" else "PLAIN_TEXT"
        return {"drafts": [_draft_shape(state, caller, d, fmt) for d in chunk]} | _next(token)

    def get_draft(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller(call)
        fmt = args.get("messageFormat", "PLAIN_TEXT")
        fmt = "PLAIN_TEXT" if fmt == "MESSAGE_FORMAT_UNSPECIFIED" else fmt
        return _draft_shape(self.state, caller, _existing_draft(caller, args["draftId"]), fmt)

    def create_draft(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller(call)
        composed, thread_id = _compose(self.state, caller, args)
        stored = save_draft_message(self.state, caller, composed, thread_id)
        return _draft_shape(self.state, caller, new_draft(self.state, caller, stored))

    def asks_to_send(self, call: Call, args: dict[str, Any]) -> str:
        caller = self.caller(call)
        return _question(self.state, caller, _existing_draft(caller, args["draftId"]))

    def asks_to_send_message(self, call: Call, args: dict[str, Any]) -> str:
        caller = self.caller(call)
        return _send_question(caller, _compose(self.state, caller, args)[0])

    def send_message(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        """Send the message composed as create_draft composes it, through the REST sandbox's own send."""
        caller = self.caller(call)
        composed, thread_id = _compose(self.state, caller, args)
        thread_id = resolve_thread(self.state, caller.mailbox, thread_id, composed)  # a new subject: a new thread
        return message_ref(send_message(self.state, caller, composed, thread_id))

    def send_draft(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller(call)
        return message_ref(send_existing_draft(self.state, caller, _existing_draft(caller, args["draftId"])))

    def list_labels(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        labels = [label for label in self.caller(call).mailbox.labels.values() if label.type == "user"]
        chunk, token = page(labels, args.get("pageSize") or 100, args.get("pageToken"))
        return {"labels": [{"labelId": label.id, "name": label.name} for label in chunk]} | _next(token)

    def create_label(self, call: Call, args: dict[str, Any]) -> dict[str, Any]:
        label = add_label(self.caller(call).mailbox, args["displayName"])
        return {"labelId": label.id, "name": label.name}

    def relabel(self, call: Call, args: dict[str, Any], *, thread: bool, adding: bool) -> dict[str, Any]:
        caller = self.caller(call)
        check_modifiable_labels(caller.mailbox, args["labelIds"])
        targets = _thread(caller, args["threadId"]) if thread else [_message(caller, args["messageId"])]
        add, remove = (args["labelIds"], []) if adding else ([], args["labelIds"])
        for stored in targets:
            relabel(self.state, caller.mailbox, stored, add, remove)
        return {}


def _next(token: str | None) -> dict[str, str]:
    return {"nextPageToken": token} if token else {}


def _existing_draft(caller: Caller, draft_id: str) -> Draft:
    try:
        return find_draft(caller, draft_id)
    except ApiError:
        raise ToolFailure(_NOT_FOUND) from None
