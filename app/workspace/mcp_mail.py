"""The mail backend over Google's Gmail MCP server (`gmailmcp.googleapis.com`), read into the product's model.

Google's tools describe a message by `sender`, `toRecipients`, `ccRecipients`, `subject`, `snippet`,
`date` and, read in full, `plaintextBody` and `attachmentIds`. `date` is documented as a day
(YYYY-MM-DD); a server that gives a whole timestamp is read exactly. Fields Google may add
(`threadId`, `labelIds`, `addressDisplayNames`) are read when present and otherwise left unknown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime
from email.message import EmailMessage

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from app.upstream.errors import NotFound, UpstreamUnavailable
from app.upstream.google_mcp import Approval, GoogleMcpCaller, GooglePlan
from app.upstream.mail_addresses import plain_address, sent_to_query
from app.workspace.mail import (
    SYSTEM_LABELS,
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

# Google's send tool on /mcp/v1 (absent from /mcp/v1self); it always asks the person first.
SEND_TOOL = "send_message"
MAX_PAGE = 50  # search_threads' and list_drafts' largest pageSize
KNOWN_CANDIDATES = 5  # sent threads a "written to before" search may propose
DRAFTS_URL = "https://mail.google.com/mail/u/0/#drafts"
LABEL_PAGES = 10
LABEL_CONCURRENCY = 4
# Google's Gmail MCP server labels one message per request, each counted against the project's daily
# requests; it has no trash tool and no tool that makes a label.
LIMITS = LabelLimits(
    no_trash="Google's Gmail MCP server has no way to move mail to Trash",
    no_new_labels="Google's Gmail MCP server cannot create labels",
    max_messages=50,
)


class _Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class McpMessage(_Shape):
    id: str
    thread_id: str = ""
    snippet: str = ""
    subject: str = ""
    sender: str = ""
    to_recipients: list[str] = Field(default_factory=list)
    cc_recipients: list[str] = Field(default_factory=list)
    bcc_recipients: list[str] = Field(default_factory=list)
    date: str = ""
    plaintext_body: str | None = None
    attachment_ids: list[str] = Field(default_factory=list)
    label_ids: list[str] | None = None
    address_display_names: dict[str, str] = Field(default_factory=dict)


class McpThread(_Shape):
    id: str
    messages: list[McpMessage] = Field(default_factory=list)


class _Threads(_Shape):
    threads: list[McpThread] = Field(default_factory=list)
    next_page_token: str | None = None


class _Draft(_Shape):
    id: str
    subject: str = ""
    thread_id: str = ""
    to_recipients: list[str] = Field(default_factory=list)
    cc_recipients: list[str] = Field(default_factory=list)
    bcc_recipients: list[str] = Field(default_factory=list)
    plaintext_body: str = ""
    date: str = ""
    view_url: str = ""


class _Drafts(_Shape):
    drafts: list[_Draft] = Field(default_factory=list)
    next_page_token: str | None = None


class _Label(_Shape):
    label_id: str
    name: str


class _Labels(_Shape):
    labels: list[_Label] = Field(default_factory=list)
    next_page_token: str | None = None


def _when(value: str) -> tuple[datetime | None, date | None]:
    """Google's `date`: a day as documented, or a whole ISO 8601 timestamp (with its offset) if given."""
    text = value.strip()
    if not text:
        return None, None
    try:
        if len(text) == 10:
            return None, date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None, None
    return (moment, None) if moment.tzinfo is not None else (None, moment.date())


def message_of(shape: McpMessage, thread_id: str = "", *, full: bool = False) -> Message:
    names = shape.address_display_names

    def boxes(values: list[str]) -> tuple[Mailbox, ...]:
        return tuple(Mailbox(value, names.get(value, "")) for value in values if value)

    sent_at, sent_on = _when(shape.date)
    files = tuple(FileInfo(name="", mime_type="", size=None, id=i) for i in shape.attachment_ids)
    return Message(
        id=shape.id,
        thread_id=shape.thread_id or thread_id,
        subject=shape.subject,
        sender=boxes([shape.sender]),
        to=boxes(shape.to_recipients),
        cc=boxes(shape.cc_recipients),
        bcc=boxes(shape.bcc_recipients),
        sent_at=sent_at,
        sent_on=sent_on,
        snippet=shape.snippet,
        labels=tuple(shape.label_ids) if shape.label_ids is not None else None,
        text=shape.plaintext_body if full else None,
        files=files if full else (),
        has_files=bool(shape.attachment_ids) if full else None,
    )


def thread_of(shape: McpThread, *, full: bool) -> Thread:
    return Thread(shape.id, tuple(message_of(m, shape.id, full=full) for m in shape.messages))


class McpMail:
    """A person's mailbox through Google's Gmail MCP server."""

    def __init__(self, google: GoogleMcpCaller) -> None:
        self.google = google

    @property
    def label_limits(self) -> LabelLimits:
        return LIMITS

    @property
    def person(self) -> str:
        return self.google.user_id

    @property
    def labels_in_search(self) -> bool:
        return False

    async def search(self, query: str, limit: int, page: str | None = None) -> SearchPage:
        arguments: dict[str, object] = {"pageSize": min(limit, MAX_PAGE)}
        if query:
            arguments["query"] = query
        if page:
            arguments["pageToken"] = page
        found = _Threads.model_validate(await self.google.read("gmail", "search_threads", arguments))
        threads = [thread_of(t, full=False) for t in found.threads if t.messages]
        return SearchPage(
            hits=tuple(t.messages[-1] for t in threads),
            unit="thread",
            next_page=found.next_page_token or None,
            thread_sizes={t.id: len(t.messages) for t in threads},
        )

    async def message(self, message_id: str) -> Message:
        shape = McpMessage.model_validate(
            await self.google.read("gmail", "get_message", {"messageId": message_id, "messageFormat": "FULL_CONTENT"})
        )
        return message_of(shape, full=True)

    async def thread(self, thread_id: str) -> Thread:
        shape = McpThread.model_validate(
            await self.google.read("gmail", "get_thread", {"threadId": thread_id, "messageFormat": "FULL_CONTENT"})
        )
        return thread_of(shape, full=True)

    async def labels(self) -> list[Label]:
        labels = [Label(name, name, "system") for name in SYSTEM_LABELS]
        token: str | None = None
        for _ in range(LABEL_PAGES):
            arguments = {"pageToken": token} if token else {}
            page = _Labels.model_validate(await self.google.read("gmail", "list_labels", arguments))
            labels += [Label(label.label_id, label.name, "user") for label in page.labels]
            token = page.next_page_token
            if not token:
                break
        return labels

    async def replying_to(self, message_id: str) -> Message:
        shape = McpMessage.model_validate(
            await self.google.read("gmail", "get_message", {"messageId": message_id, "messageFormat": "MINIMAL"})
        )
        return message_of(shape)

    async def participants(self, thread_id: str) -> Thread:
        shape = McpThread.model_validate(
            await self.google.read("gmail", "get_thread", {"threadId": thread_id, "messageFormat": "MINIMAL"})
        )
        return thread_of(shape, full=False)

    async def sent_to(self, address: str, own: frozenset[str]) -> bool:
        """search_threads proposes threads; only a message the person sent, to exactly `address`, counts."""
        query = sent_to_query(address)
        if query is None:
            return False
        arguments = {"query": query, "pageSize": KNOWN_CANDIDATES}
        found = _Threads.model_validate(await self.google.read("gmail", "search_threads", arguments))
        for thread in found.threads:
            for message in thread.messages:
                senders = {plain_address(message.sender)} - {None}
                recipients = {plain_address(a) for a in [*message.to_recipients, *message.cc_recipients]}
                recipients |= {plain_address(a) for a in message.bcc_recipients}
                if senders & own and address in recipients:
                    return True
        return False

    async def send_as(self) -> list[SendAs]:
        return []  # Google's Gmail MCP server tells no send-as addresses

    async def save_draft(self, message: EmailMessage, thread_id: str | None, replying_to: str | None) -> DraftRef:
        result = await self.google.act("gmail", "create_draft", letter_arguments(message, replying_to))
        if isinstance(result, Approval):
            raise UpstreamUnavailable("Gmail asked for an approval to save a draft; nothing was saved.")
        draft = _Draft.model_validate(result)
        return DraftRef(draft.id, draft.view_url or DRAFTS_URL, draft.thread_id)

    async def drafts(self, limit: int) -> list[DraftSummary]:
        found = _Drafts.model_validate(
            await self.google.read("gmail", "list_drafts", {"pageSize": min(limit, MAX_PAGE)})
        )
        summaries: list[DraftSummary] = []
        for draft in found.drafts[:limit]:
            sent_at, sent_on = _when(draft.date)
            message = Message(
                id=draft.id,
                thread_id=draft.thread_id,
                subject=draft.subject,
                to=tuple(Mailbox(a) for a in draft.to_recipients),
                cc=tuple(Mailbox(a) for a in draft.cc_recipients),
                bcc=tuple(Mailbox(a) for a in draft.bcc_recipients),
                sent_at=sent_at,
                sent_on=sent_on,
                snippet=draft.plaintext_body[:200],
            )
            summaries.append(DraftSummary(draft.id, message))
        return summaries

    async def send(self, message: EmailMessage, thread_id: str | None) -> Sent:
        raise RuntimeError("Google's Gmail MCP server sends only after its own approval: use plan_send")

    def plan_send(
        self, message: EmailMessage, replying_to: str | None, notes: Sequence[str], draft_id: str | None = None
    ) -> GooglePlan | None:
        if draft_id is not None:
            return GooglePlan(self.google, "gmail", "send_draft", {"draftId": draft_id}, tuple(notes))
        return GooglePlan(self.google, "gmail", SEND_TOOL, letter_arguments(message, replying_to), tuple(notes))

    async def load_draft(self, draft_id: str) -> tuple[EmailMessage, str | None]:
        """The draft as Google's get_draft gives it, as a message: recipients, subject and text."""
        found = await self.google.read("gmail", "get_draft", {"draftId": draft_id, "messageFormat": "FULL_CONTENT"})
        draft = _Draft.model_validate(found)
        message = EmailMessage()
        for header, values in (("To", draft.to_recipients), ("Cc", draft.cc_recipients), ("Bcc", draft.bcc_recipients)):
            plain = [address for address in values if plain_address(address)]
            if plain:
                message[header] = ", ".join(plain)
        message["Subject"] = " ".join(draft.subject.split())
        message.set_content(draft.plaintext_body or "")
        return message, draft.thread_id or None

    async def send_draft(self, draft_id: str, message: EmailMessage, thread_id: str | None) -> Sent:
        raise RuntimeError("Google's Gmail MCP server sends a draft only after its own approval: use plan_send")

    async def change_labels(self, message_ids: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> None:
        """label_message and unlabel_message, one message at a time (Google has no batch change)."""
        if len(message_ids) > LIMITS.max_messages:
            raise ValueError(f"at most {LIMITS.max_messages} messages per change")
        pool = asyncio.Semaphore(LABEL_CONCURRENCY)

        async def change(message_id: str) -> bool:
            async with pool:
                try:
                    for tool, labels in (("label_message", add), ("unlabel_message", remove)):
                        if labels:
                            await self._change(tool, {"messageId": message_id, "labelIds": list(labels)})
                except NotFound:
                    if len(message_ids) == 1:
                        raise
                    return False
                return True

        unique = list(dict.fromkeys(message_ids))
        done = await asyncio.gather(*(change(message_id) for message_id in unique))
        missing = [message_id for message_id, ok in zip(unique, done, strict=True) if not ok]
        if missing:
            raise MissingMessages(missing, changed=len(unique) - len(missing))

    async def _change(self, tool: str, arguments: dict[str, object]) -> None:
        if isinstance(await self.google.act("gmail", tool, arguments), Approval):
            raise UpstreamUnavailable("Gmail asked for an approval to change labels; nothing more was changed.")

    async def trash(self, message_ids: Sequence[str]) -> None:
        raise RuntimeError(LIMITS.no_trash)

    async def create_label(self, name: str) -> Label:
        raise RuntimeError(LIMITS.no_new_labels)

    async def headlines(self, message_ids: Sequence[str]) -> list[Message]:
        return [await self.replying_to(message_id) for message_id in message_ids]


def letter_arguments(message: EmailMessage, replying_to: str | None) -> dict[str, object]:
    """An outgoing message as Google's create_draft and send_message take it: plain addresses, subject, bodies."""
    arguments: dict[str, object] = {}
    for header, name in (("To", "to"), ("Cc", "cc"), ("Bcc", "bcc")):
        found = [a.addr_spec for value in message.get_all(header, []) for a in getattr(value, "addresses", ())]
        if found:
            arguments[name] = found
    arguments["subject"] = str(message.get("Subject", ""))
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    arguments["body"] = str(plain.get_content()) if plain is not None else ""
    if rich is not None:
        arguments["htmlBody"] = str(rich.get_content())
    if replying_to:
        arguments["replyToMessageId"] = replying_to
    return arguments
