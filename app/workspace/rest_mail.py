"""The mail backend over Gmail's REST API: `GmailClient` resources read into the product's model."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Sequence
from email.message import EmailMessage

from app.upstream.gmail import GmailClient
from app.upstream.gmail_models import GmailMessage, GmailThread, addresses, b64url_decode, message_content
from app.upstream.google_mcp import GooglePlan
from app.upstream.mail_addresses import header_addresses, sent_to_query
from app.workspace.mail import (
    DraftRef,
    DraftSummary,
    FileInfo,
    Label,
    LabelLimits,
    Mailbox,
    Message,
    MissingMessages,
    SearchPage,
    SendAs,
    Sent,
    Thread,
)

# What a reply reads of the message it answers, and what the outbound guard reads of a thread.
REPLY_HEADERS = ("Subject", "Message-ID", "References", "From", "Reply-To", "To", "Cc", "Delivered-To")
PARTICIPANT_HEADERS = ("From", "To", "Cc")
RECIPIENT_HEADERS = ("To", "Cc", "Bcc")
# Sent messages a "written to before" search may propose; each is checked for the exact address.
KNOWN_CANDIDATES = 5
TRASH_CONCURRENCY = 8
DRAFTS_URL = "https://mail.google.com/mail/u/0/#drafts"


def mailboxes(value: str | None) -> tuple[Mailbox, ...]:
    return tuple(Mailbox(address, name) for name, address in addresses(value))


def message_of(message: GmailMessage, *, full: bool = False) -> Message:
    """A Gmail REST message as the product's `Message`; with `full`, its body and files too."""
    content = message_content(message) if full else None
    payload = message.payload
    return Message(
        id=message.id,
        thread_id=message.thread_id,
        subject=message.header("Subject") or "",
        sender=mailboxes(message.header("From")),
        to=mailboxes(message.header("To")),
        cc=mailboxes(message.header("Cc")),
        bcc=mailboxes(message.header("Bcc")),
        reply_to=mailboxes(message.header("Reply-To")),
        sent_at=message.received_at,
        snippet=message.snippet,
        labels=tuple(message.label_ids),
        text=content.text if content is not None else None,
        from_html=content.from_html if content is not None else False,
        files=tuple(FileInfo(a.filename, a.mime_type, a.size, a.attachment_id, a.part_id) for a in content.attachments)
        if content is not None
        else (),
        has_files=(bool(content.attachments) if content is not None else payload.mime_type == "multipart/mixed")
        if payload is not None
        else None,
        bulk=bulk_headers(message) if payload is not None else None,
        rfc822_id=message.header("Message-ID") or "",
        references=message.header("References") or "",
        delivered_to=mailboxes(message.header("Delivered-To")),
    )


def bulk_headers(message: GmailMessage) -> str:
    """Why a message's headers mark it as a newsletter or machine mail ("" when they do not)."""
    if message.header("List-Unsubscribe") or message.header("List-Id"):
        return "mailing list / newsletter"
    if (message.header("Precedence") or "").lower() in ("bulk", "list", "junk"):
        return "bulk mail"
    if (message.header("Auto-Submitted") or "no").lower() != "no":
        return "automated message"
    return ""


def thread_of(thread: GmailThread) -> Thread:
    return Thread(thread.id, tuple(message_of(m, full=True) for m in thread.messages))


class RestMail:
    """A person's mailbox through Gmail's REST API."""

    def __init__(self, gmail: GmailClient) -> None:
        self.gmail = gmail

    @property
    def label_limits(self) -> LabelLimits:
        return LabelLimits()

    @property
    def person(self) -> str:
        return self.gmail.api.user_id

    @property
    def labels_in_search(self) -> bool:
        return True

    async def search(self, query: str, limit: int, page: str | None = None) -> SearchPage:
        listing = await self.gmail.list_messages(query, max_results=limit, page_token=page)
        if not listing.messages:
            return SearchPage((), "message", listing.next_page_token, listing.result_size_estimate)
        found = await self.gmail.get_messages_metadata([m.id for m in listing.messages])
        hits = tuple(message_of(m) for m in found)
        return SearchPage(hits, "message", listing.next_page_token, listing.result_size_estimate)

    async def message(self, message_id: str) -> Message:
        return message_of(await self.gmail.get_message(message_id), full=True)

    async def thread(self, thread_id: str) -> Thread:
        return thread_of(await self.gmail.get_thread(thread_id))

    async def labels(self) -> list[Label]:
        found = await self.gmail.list_labels()
        return [Label(label.id, label.name, "system" if label.type == "system" else "user") for label in found]

    async def replying_to(self, message_id: str) -> Message:
        return message_of(await self.gmail.get_message(message_id, format="metadata", metadata_headers=REPLY_HEADERS))

    async def participants(self, thread_id: str) -> Thread:
        thread = await self.gmail.get_thread(thread_id, format="metadata", metadata_headers=PARTICIPANT_HEADERS)
        return Thread(thread.id, tuple(message_of(m) for m in thread.messages))

    async def sent_to(self, address: str, own: frozenset[str]) -> bool:
        """A search proposes sent messages; only one whose own To, Cc or Bcc holds exactly `address` counts."""
        query = sent_to_query(address)
        if query is None:
            return False
        found = await self.gmail.list_messages(query, max_results=KNOWN_CANDIDATES)
        if not found.messages:
            return False
        messages = await self.gmail.get_messages_metadata([m.id for m in found.messages], RECIPIENT_HEADERS)
        return any(
            "SENT" in m.label_ids
            and "DRAFT" not in m.label_ids
            and address in header_addresses(m.header(h) or "" for h in RECIPIENT_HEADERS)
            for m in messages
        )

    async def send_as(self) -> list[SendAs]:
        listed = [entry for entry in await self.gmail.list_send_as() if entry.usable]
        listed.sort(key=lambda entry: (not entry.is_default, not entry.is_primary))
        return [SendAs(e.send_as_email, e.display_name, e.signature, e.is_default) for e in listed]

    async def save_draft(self, message: EmailMessage, thread_id: str | None, replying_to: str | None) -> DraftRef:
        draft = await self.gmail.create_draft(message, thread_id=thread_id)
        return DraftRef(draft.id, f"{DRAFTS_URL}?compose={draft.message.id}", draft.message.thread_id)

    async def drafts(self, limit: int) -> list[DraftSummary]:
        drafts = await self.gmail.list_drafts(max_results=limit)
        if not drafts:
            return []
        messages = {m.id: m for m in await self.gmail.get_messages_metadata([d.message.id for d in drafts])}
        return [DraftSummary(d.id, message_of(messages[d.message.id])) for d in drafts if d.message.id in messages]

    async def send(self, message: EmailMessage, thread_id: str | None) -> Sent:
        sent = await self.gmail.send_message(message, thread_id=thread_id)
        return Sent(sent.id, sent.thread_id)

    def plan_send(
        self, message: EmailMessage, replying_to: str | None, notes: Sequence[str], draft_id: str | None = None
    ) -> GooglePlan | None:
        return None

    async def load_draft(self, draft_id: str) -> tuple[EmailMessage, str | None]:
        draft = await self.gmail.get_draft(draft_id, format="raw")
        raw = b64url_decode(draft.message.raw or "")
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        return parsed, draft.message.thread_id or None

    async def send_draft(self, draft_id: str, message: EmailMessage, thread_id: str | None) -> Sent:
        sent = await self.gmail.send_draft(draft_id, message, thread_id)
        return Sent(sent.id, sent.thread_id)

    async def change_labels(self, message_ids: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> None:
        """One modify for one message; for several, every id checked first (batchModify skips what it lacks)."""
        if len(message_ids) == 1:
            await self.gmail.modify_message(message_ids[0], list(add), list(remove))
            return
        await self._refuse_missing(message_ids)
        await self.gmail.batch_modify(list(message_ids), list(add), list(remove))

    async def _refuse_missing(self, message_ids: Sequence[str]) -> None:
        """MissingMessages, before any change, for the ids the mailbox does not have."""
        existing = await self.gmail.existing_ids(list(message_ids))
        missing = [i for i in dict.fromkeys(message_ids) if i not in existing]
        if missing:
            raise MissingMessages(missing, changed=0)

    async def trash(self, message_ids: Sequence[str]) -> None:
        """Gmail has no batch trash: one request per message, a few at a time so the pool is not flooded."""
        if len(message_ids) > 1:
            await self._refuse_missing(message_ids)
        pool = asyncio.Semaphore(TRASH_CONCURRENCY)

        async def trash(message_id: str) -> None:
            async with pool:
                await self.gmail.trash_message(message_id)

        await asyncio.gather(*(trash(message_id) for message_id in dict.fromkeys(message_ids)))

    async def create_label(self, name: str) -> Label:
        label = await self.gmail.create_label(name)
        return Label(label.id, label.name, "user")

    async def headlines(self, message_ids: Sequence[str]) -> list[Message]:
        return [message_of(m) for m in await self.gmail.get_messages_metadata(list(message_ids), ("From", "Subject"))]
