"""The mail backend over Gmail's REST API: `GmailClient` resources read into the product's model."""

from __future__ import annotations

from app.upstream.gmail import GmailClient
from app.upstream.gmail_models import GmailMessage, GmailThread, addresses, message_content
from app.workspace.mail import FileInfo, Label, Mailbox, Message, SearchPage, Thread


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
        bulk=bool(message.header("List-Unsubscribe")) if payload is not None else None,
    )


def thread_of(thread: GmailThread) -> Thread:
    return Thread(thread.id, tuple(message_of(m, full=True) for m in thread.messages))


class RestMail:
    """A person's mailbox through Gmail's REST API."""

    def __init__(self, gmail: GmailClient) -> None:
        self.gmail = gmail

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
