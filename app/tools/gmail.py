"""Gmail tools: search, read, send and draft (threaded replies), labels, attachments."""

import asyncio
import html
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from itertools import takewhile
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from cachetools import TTLCache
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.storage.store import User
from app.tools.caches import cached, per_person
from app.tools.format import Budget, clamp_budget, human_size, person, when
from app.tools.mail_text import TRIMMED, header_lines, readable_body
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers
from app.tools.times import zone_label
from app.upstream.errors import BadRequest, InvalidId, NotFound
from app.upstream.gmail import GmailClient
from app.upstream.gmail_compose import build_message, reply_context, reply_subject, same_subject
from app.upstream.gmail_models import (
    GmailMessage,
    Label,
    MessageList,
    addresses,
    b64url_decode,
    message_content,
)

SYSTEM_LABELS = ("INBOX", "UNREAD", "STARRED", "IMPORTANT", "SENT", "DRAFT", "SPAM", "TRASH")
ACTIONS: dict[str, tuple[list[str], list[str]]] = {
    "archive": ([], ["INBOX"]),
    "move_to_inbox": (["INBOX"], []),
    "mark_read": ([], ["UNREAD"]),
    "mark_unread": (["UNREAD"], []),
    "star": (["STARRED"], []),
    "unstar": ([], ["STARRED"]),
}
TRASH_CONCURRENCY = 8
SEARCH_BUDGET = 12_000
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "application/x-ndjson")
# Where the model finds each kind of id, for errors about one that Gmail refused or does not have.
ID_SOURCES = {
    "message": "a message_id from gmail_search or gmail_read_thread",
    "thread": "a thread_id from gmail_search or gmail_read_message",
    "attachment": "an attachment_id that gmail_read_message lists for that message",
}
REPLY_HEADERS = ("Subject", "Message-ID", "References", "From", "Reply-To", "To", "Cc")

Addresses = Annotated[tuple[str, ...], Field(description='Email addresses, e.g. ["ana@acme.com", "Bo <bo@x.io>"]')]
MoreAddresses = tuple[str, ...]  # cc and bcc: written like `to`, whose description says how


@contextmanager
def _gmail_id(param: str, value: str) -> Generator[None]:
    """Gmail refusing `value` (400 "Invalid id value") or not having it (404), said with what to pass instead."""
    kind = "thread" if param == "thread_id" else "attachment" if param == "attachment_id" else "message"
    try:
        yield
    except InvalidId as error:
        shape = "long opaque strings" if kind == "attachment" else "hexadecimal, like 18c1f2a3b4d5e6f7"
        raise ToolError(
            f"{param} {value!r} is not a Gmail {kind} id (those are {shape}). Use {ID_SOURCES[kind]}."
        ) from error
    except NotFound as error:
        raise ToolError(
            f"Gmail has no {kind} {value!r} in your mailbox (deleted, or not an id of yours). Use {ID_SOURCES[kind]}."
        ) from error


async def _refuse_missing(gmail: GmailClient, message_ids: list[str]) -> None:
    """Check several ids before changing any: Gmail's batchModify silently skips ids it does not have."""
    existing = await gmail.existing_ids(message_ids)
    missing = [repr(i) for i in dict.fromkeys(message_ids) if i not in existing]
    if missing:
        named = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise ToolError(
            f"Nothing was changed: Gmail has no message {named} in your mailbox. Use {ID_SOURCES['message']}."
        )


def _found(count: int, listing: MessageList, *, first_page: bool) -> str:
    """How many messages a search page holds, against Gmail's estimate of all matches."""
    if first_page and listing.next_page_token is None:
        return f"{count} message(s)"
    # Gmail's estimate can be below what it already returned: then only say that more match.
    about = f" of about {listing.result_size_estimate}" if listing.result_size_estimate > count else ""
    if first_page:
        return f"First {count}{about} message(s)" + ("" if about else " (more match)")
    return f"{count} more{about} message(s)"


def _labels_text(message: GmailMessage, names: dict[str, str]) -> str:
    shown = [names.get(label, label) for label in message.label_ids if not label.startswith("CATEGORY_")]
    category = next((label[9:].lower() for label in message.label_ids if label.startswith("CATEGORY_")), None)
    text = ", ".join(shown) or "none"
    return f"{text} · category {category}" if category and category != "personal" else text


def _summary(message: GmailMessage, zone: ZoneInfo, names: dict[str, str]) -> str:
    received = message.received_at
    sender = ", ".join(person(n, a) for n, a in addresses(message.header("From"))) or "(unknown sender)"
    to = ", ".join(a for _n, a in addresses(message.header("To")))
    cc = ", ".join(a for _n, a in addresses(message.header("Cc")))
    lines = [
        f"- {when(received, zone) if received else 'date unknown'} · From: {sender}",
        f"  To: {to or '-'}" + (f" · Cc: {cc}" if cc else ""),
        f"  Subject: {message.header('Subject') or '(no subject)'}",
    ]
    if message.snippet:
        lines.append(f"  “{html.unescape(message.snippet)}”")
    flags = ["attachment"] if message.payload and message.payload.mime_type == "multipart/mixed" else []
    if message.header("List-Unsubscribe"):
        flags.append("bulk/newsletter")
    lines.append(
        f"  labels: {_labels_text(message, names)}"
        + (f" · {' · '.join(flags)}" if flags else "")
        + f" · message_id={message.id} thread_id={message.thread_id}"
    )
    return "\n".join(lines)


class LabelNames:
    """Names of each person's own labels (ids like Label_12), cached a few minutes per person."""

    TTL = 300.0

    def __init__(self) -> None:
        self._cache: TTLCache[str, dict[str, str]] = per_person(self.TTL)

    async def get(self, gmail: GmailClient) -> dict[str, str]:
        async def load() -> dict[str, str]:
            return {label.id: label.name for label in await gmail.list_labels()}

        return await cached(self._cache, gmail.api.user_id, load)

    async def for_messages(self, gmail: GmailClient, messages: list[GmailMessage]) -> dict[str, str]:
        if not any(label.startswith("Label_") for m in messages for label in m.label_ids):
            return {}
        return await self.get(gmail)


def _resolve_labels(requested: list[str], labels: list[Label]) -> list[str]:
    by_name = {label.name.lower(): label.id for label in labels}
    ids = {label.id for label in labels}
    resolved: list[str] = []
    for name in requested:
        if name in ids:
            resolved.append(name)
        elif name.lower() in by_name:
            resolved.append(by_name[name.lower()])
        elif name.upper() in SYSTEM_LABELS:
            resolved.append(name.upper())
        else:
            known = ", ".join(sorted(label.name for label in labels if label.type == "user")[:20])
            raise ToolError(f"There is no label {name!r}. Your labels: {known or 'none'}.")
    return resolved


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send or save as a draft, with the recipients and subject it ended up with."""

    message: EmailMessage
    to: list[str]
    subject: str
    thread_id: str | None
    note: str = ""  # said after the outcome, e.g. that a changed subject may leave the thread


def _reply_subject(given: str, original: str) -> tuple[str, str]:
    """A reply's subject: `Re: <original>` unless the caller clearly wrote another; and what to say about it."""
    if not given.strip() or same_subject(given, original):
        return reply_subject(original), ""
    return given, (
        f" The subject differs from the original's ({original!r}), so the recipients' mail may show this "
        "reply outside that conversation."
    )


async def _compose(
    gmail: GmailClient,
    user: User,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str],
    bcc: Sequence[str],
    reply_to_message_id: str | None,
) -> Outgoing:
    """The message gmail_send and gmail_draft share; a reply defaults its recipients and subject."""
    if not reply_to_message_id:
        if not to:
            raise ToolError("Give to: the recipients' addresses (only a reply, with reply_to_message_id, may omit it).")
        if not subject.strip():
            raise ToolError("Give a subject.")
        message = build_message(sender=user.email, to=to, subject=subject, body=body, cc=cc, bcc=bcc)
        return Outgoing(message, list(to), subject, None)
    with _gmail_id("reply_to_message_id", reply_to_message_id):
        parent = await gmail.get_message(reply_to_message_id, format="metadata", metadata_headers=REPLY_HEADERS)
    reply = reply_context(parent)
    if not to:
        me = user.email.lower()
        sender = [a.lower() for _n, a in addresses(parent.header("From"))]
        reply_to = [a for _n, a in addresses(reply.reply_to)]
        to = [a for _n, a in addresses(parent.header("To"))] if me in sender else reply_to
    if not to and not cc and not bcc:
        raise ToolError(f"Message {reply_to_message_id} names nobody to reply to: give to.")
    subject, note = _reply_subject(subject, reply.subject)
    message = build_message(sender=user.email, to=to, subject=subject, body=body, cc=cc, bcc=bcc, reply=reply)
    return Outgoing(message, list(to), subject, reply.thread_id, note)


def register_gmail_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    label_names = LabelNames()
    # Annotations are evaluated here, at definition, so this server's resolvers are bound in.

    @tool(read_only=True, idempotent=True)
    async def gmail_search(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        query: Annotated[str, Field(description='Gmail search syntax, e.g. "from:priya is:unread newer_than:7d"')] = "",
        max_results: Annotated[int, Field(ge=1, le=100)] = 20,
        page_token: str | None = None,
    ) -> str:
        """Search Gmail; every hit with sender, recipients, subject, date, snippet, labels and ids."""
        try:
            listing = await gmail.list_messages(query, max_results=max_results, page_token=page_token)
        except BadRequest as error:
            if not page_token:
                raise
            raise ToolError(
                f"page_token {page_token!r} is not one Gmail gave: pass the page_token an earlier gmail_search "
                "printed, with the same query, or leave it out to start from the newest."
            ) from error
        if not listing.messages:
            return f"No messages match {query!r}." if query else "The mailbox is empty."
        # Label names travel beside the metadata fetch rather than after it (one round trip less).
        messages, names = await asyncio.gather(
            gmail.get_messages_metadata([m.id for m in listing.messages]), label_names.get(gmail)
        )
        wanted = f"{query or 'all mail'!r}, newest first (times in {zone_label(zone)})"
        budget = Budget(SEARCH_BUDGET, "")
        budget.add(f"{_found(len(messages), listing, first_page=page_token is None)} for {wanted}:")
        shown = sum(1 for _ in takewhile(budget.add_whole, (_summary(m, zone, names) for m in messages)))
        if shown < len(messages):
            # A page token would skip the hits left out here: offer a smaller page instead.
            same_page = " and the same page_token" if page_token else ""
            budget.more_hint = (
                f"the last {len(messages) - shown} hit(s) of this page left out; "
                f"call again with max_results={shown}{same_page}, or narrow the query"
            )
            return budget.render()
        text = budget.render()
        if listing.next_page_token:
            text += f"\nMore results: call again with page_token={listing.next_page_token!r}, or narrow the query."
        return text

    @tool(read_only=True, idempotent=True)
    async def gmail_read_message(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        message_id: str,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 8000,
        include_quoted: bool = False,
    ) -> str:
        """Read one email: headers, readable body (quoted history trimmed) and attachments."""
        with _gmail_id("message_id", message_id):
            message = await gmail.get_message(message_id)
        names = await label_names.for_messages(gmail, [message])
        budget = Budget(clamp_budget(max_chars), "call again with a larger max_chars")
        left_out = "" if include_quoted else "call again with include_quoted=true to see it"
        budget.extend(_message_block(message, zone, names, trim=not include_quoted, left_out=left_out))
        return budget.render()

    @tool(read_only=True, idempotent=True)
    async def gmail_read_thread(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        thread_id: str,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 12_000,
    ) -> str:
        """Read a whole conversation, oldest first; quoted history in replies is trimmed."""
        with _gmail_id("thread_id", thread_id):
            thread = await gmail.get_thread(thread_id)
        names = await label_names.for_messages(gmail, thread.messages)
        budget = Budget(clamp_budget(max_chars, 12_000), "read single messages with gmail_read_message")
        budget.add(
            f"Thread {thread.id}: {len(thread.messages)} message(s), oldest first (times in {zone_label(zone)})."
        )
        for index, message in enumerate(thread.messages, 1):
            if not budget.add(f"\n--- message {index} of {len(thread.messages)} ---"):
                break
            if not budget.extend(_message_block(message, zone, names, trim=True)):
                break
        return budget.render()

    @tool(read_only=False, sends_mail=True)
    async def gmail_send(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        user: Annotated[User, Resolve(resolvers.user)],
        to: Addresses = (),
        subject: str = "",
        body: str = "",
        cc: MoreAddresses = (),
        bcc: MoreAddresses = (),
        reply_to_message_id: Annotated[
            str | None, Field(description="Reply in that message's thread; to/subject default to the reply")
        ] = None,
    ) -> str:
        """Send an email now. For a reply, pass reply_to_message_id (threading is handled)."""
        out = await _compose(gmail, user, to, subject, body, cc, bcc, reply_to_message_id)
        sent = await gmail.send_message(out.message, thread_id=out.thread_id)
        return (
            f"Sent to {', '.join(out.to)} — subject {out.subject!r}. message_id={sent.id} "
            f"thread_id={sent.thread_id}.{out.note}"
        )

    @tool(read_only=False, sends_mail=True)
    async def gmail_draft(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        user: Annotated[User, Resolve(resolvers.user)],
        to: Addresses = (),
        subject: str = "",
        body: str = "",
        cc: MoreAddresses = (),
        bcc: MoreAddresses = (),
        reply_to_message_id: str | None = None,
    ) -> str:
        """Save an email as a draft for the person to review and send (same fields as gmail_send)."""
        out = await _compose(gmail, user, to, subject, body, cc, bcc, reply_to_message_id)
        draft = await gmail.create_draft(out.message, thread_id=out.thread_id)
        return (
            f"Draft saved (not sent) to {', '.join(out.to)} — subject {out.subject!r}. draft_id={draft.id} "
            f"thread_id={draft.message.thread_id}. Open: https://mail.google.com/mail/u/0/#drafts?compose={draft.message.id}"
            f"{out.note}"
        )

    @tool(read_only=False, destructive=True, idempotent=True)
    async def gmail_modify(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        message_ids: Annotated[list[str], Field(min_length=1, max_length=1000)],
        action: Literal["archive", "move_to_inbox", "mark_read", "mark_unread", "star", "unstar", "trash"]
        | None = None,
        add_labels: Annotated[list[str] | None, Field(description="Label names or ids")] = None,
        remove_labels: list[str] | None = None,
    ) -> str:
        """Archive, mark read/unread, star, trash, or add/remove labels on messages."""
        if action is None and not add_labels and not remove_labels:
            raise ToolError("Say what to do: an action, or labels to add or remove.")
        if len(message_ids) > 1:
            await _refuse_missing(gmail, message_ids)
        if action == "trash":
            gate = asyncio.Semaphore(TRASH_CONCURRENCY)  # Gmail has no batch trash; don't flood the pool

            async def trash(message_id: str) -> None:
                async with gate:
                    with _gmail_id("message_ids", message_id):
                        await gmail.trash_message(message_id)

            await asyncio.gather(*(trash(message_id) for message_id in message_ids))
            return f"Moved {len(message_ids)} message(s) to Trash (recoverable for 30 days)."
        add, remove = ACTIONS[action] if action else ([], [])
        labels = await gmail.list_labels() if add_labels or remove_labels else []
        add = add + _resolve_labels(add_labels or [], labels)
        remove = remove + _resolve_labels(remove_labels or [], labels)
        if len(message_ids) == 1:
            with _gmail_id("message_ids", message_ids[0]):
                await gmail.modify_message(message_ids[0], add, remove)
        else:
            await gmail.batch_modify(message_ids, add, remove)
        done = [f"+{name}" for name in add] + [f"-{name}" for name in remove]
        return f"Updated {len(message_ids)} message(s): {' '.join(done)}."

    @tool(read_only=True, idempotent=True)
    async def gmail_list_labels(gmail: Annotated[GmailClient, Resolve(resolvers.gmail)]) -> str:
        """All Gmail labels (system and the person's own) with ids."""
        labels = await gmail.list_labels()
        user = sorted((label for label in labels if label.type == "user"), key=lambda label: label.name.lower())
        system = [label.name for label in labels if label.type == "system"]
        budget = Budget(8000, "labels are sorted by name; use gmail_search with label:NAME")
        budget.add(f"System labels: {', '.join(system)}")
        budget.add(f"Your labels ({len(user)}):" if user else "Your labels: (none)")
        budget.extend(f"- {label.name} (id {label.id})" for label in user)
        return budget.render()

    @tool(read_only=True, idempotent=True)
    async def gmail_get_attachment(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        message_id: str,
        attachment_id: str,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 8000,
    ) -> str:
        """An attachment's text (for text-like files) or its name, type and size."""
        message, attachment = await asyncio.gather(
            gmail.get_message(message_id), gmail.get_attachment(message_id, attachment_id), return_exceptions=True
        )
        # Both calls fail for a bad message id: only once the message is there is an error about the attachment.
        with _gmail_id("message_id", message_id):
            if isinstance(message, BaseException):
                raise message
        with _gmail_id("attachment_id", attachment_id):
            if isinstance(attachment, BaseException):
                raise attachment
        info = next((a for a in message_content(message).attachments if a.attachment_id == attachment_id), None)
        name = info.filename if info else "attachment"
        mime = info.mime_type if info else "application/octet-stream"
        data = b64url_decode(attachment.data) if attachment.data else b""
        header = f"{name} ({mime}, {human_size(attachment.size or len(data))})"
        if mime.startswith(TEXT_TYPES) or name.lower().endswith((".csv", ".txt", ".md", ".ics", ".json")):
            budget = Budget(clamp_budget(max_chars), "call again with a larger max_chars")
            budget.add(header)
            budget.add(data.decode("utf-8", errors="replace"))
            return budget.render()
        return f"{header}: binary content, not shown as text; the person can open it in Gmail."


def _message_block(
    message: GmailMessage, zone: ZoneInfo, names: dict[str, str], trim: bool, left_out: str = ""
) -> list[str]:
    """One message as the model reads it; `left_out` says how to see what trimming left out."""
    received = message.received_at
    body, notes = readable_body(message, trim=trim)
    if left_out:
        notes = [f"{note} — {left_out}" if note == TRIMMED else note for note in notes]
    content = message_content(message)
    lines = [
        f"Subject: {message.header('Subject') or '(no subject)'}",
        *header_lines(message),
        f"Date: {when(received, zone) if received else message.header('Date') or 'unknown'}",
        f"Labels: {_labels_text(message, names)} · message_id={message.id} thread_id={message.thread_id}",
    ]
    if content.attachments:
        lines.append("Attachments:")
        lines += [
            f"  - {a.filename} ({a.mime_type}, {human_size(a.size)}) attachment_id={a.attachment_id}"
            for a in content.attachments
        ]
    lines.append(f"[{'; '.join(notes)}]" if notes else "")
    lines.append(body or "(no text body)")
    return lines
