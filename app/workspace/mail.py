"""Mail as the tools see it — messages, threads, labels, search pages — and what a mail backend offers.

A field a backend cannot know is None (or empty) rather than guessed: Google's MCP search gives a
message's day but not its time, and no newsletter header; the answers then leave that out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.upstream.google_mcp import GooglePlan

# Gmail's own label ids, the same through every backend.
SYSTEM_LABELS = ("INBOX", "UNREAD", "STARRED", "IMPORTANT", "SENT", "DRAFT", "SPAM", "TRASH")


@dataclass(frozen=True)
class Mailbox:
    """One address of a header, with the display name its writer gave (someone else's words)."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class FileInfo:
    """An attachment as listed on its message; `id` fetches its bytes where the backend can."""

    name: str
    mime_type: str
    size: int | None
    id: str | None = None
    part_id: str = ""


@dataclass(frozen=True)
class Message:
    """One email. `sent_at` is the exact instant when known; `sent_on` the day when only that is."""

    id: str
    thread_id: str = ""
    subject: str = ""
    sender: tuple[Mailbox, ...] = ()
    to: tuple[Mailbox, ...] = ()
    cc: tuple[Mailbox, ...] = ()
    bcc: tuple[Mailbox, ...] = ()
    reply_to: tuple[Mailbox, ...] = ()
    sent_at: datetime | None = None
    sent_on: date | None = None
    snippet: str = ""
    labels: tuple[str, ...] | None = None  # in Gmail's order; None: the backend does not say
    # Read in full only: the readable body (HTML converted when there was no plain text) and files.
    text: str | None = None
    from_html: bool = False
    files: tuple[FileInfo, ...] = ()
    has_files: bool | None = None
    # Why its headers mark it as bulk mail (List-Unsubscribe, List-Id, Precedence, Auto-Submitted):
    # "" when they do not, None when the backend gives no such headers.
    bulk: str | None = None
    # Threading as RFC 5322 names it (Message-ID, References), when the backend gives the headers.
    rfc822_id: str = ""
    references: str = ""
    delivered_to: tuple[Mailbox, ...] = ()

    @property
    def day(self) -> date | None:
        return self.sent_at.date() if self.sent_at is not None else self.sent_on


@dataclass(frozen=True)
class Thread:
    """A conversation, oldest message first."""

    id: str
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class Label:
    """A label: Gmail's own (`INBOX`, …) or one the person made (`type="user"`)."""

    id: str
    name: str
    type: Literal["system", "user"] = "user"


@dataclass(frozen=True)
class SearchPage:
    """One page of a search. Each hit is a message (`unit="message"`) or a thread's newest message
    (`unit="thread"`, with `thread_sizes` saying how many messages each thread holds)."""

    hits: tuple[Message, ...]
    unit: Literal["message", "thread"]
    next_page: str | None = None
    estimate: int | None = None  # the backend's estimate of all matches, when it gives one
    thread_sizes: dict[str, int] = field(default_factory=dict[str, int])


@dataclass(frozen=True)
class SendAs:
    """An address the person may send as: their own or a verified alias, with its signature (HTML)."""

    email: str
    name: str = ""
    signature: str = ""
    default: bool = False


@dataclass(frozen=True)
class DraftRef:
    """A saved draft: its id, and where the person opens it in Gmail."""

    id: str
    view_url: str
    thread_id: str = ""


@dataclass(frozen=True)
class Sent:
    """A message that went out."""

    id: str
    thread_id: str = ""


@dataclass(frozen=True)
class DraftSummary:
    """A draft as a list shows it."""

    id: str
    message: Message


@dataclass(frozen=True)
class LabelLimits:
    """What a backend can do to a message's labels: each reason says why not, empty where it can."""

    no_trash: str = ""
    no_new_labels: str = ""
    max_messages: int = 1000  # message ids one change may name


class MissingMessages(Exception):
    """Some message ids name no message in the person's mailbox."""

    def __init__(self, missing: Sequence[str], changed: int) -> None:
        super().__init__(f"{len(missing)} message id(s) not found")
        self.missing = tuple(missing)
        self.changed = changed  # messages changed anyway (0 where the backend checks before changing any)


class Mail(Protocol):
    """One person's mailbox through one backend."""

    @property
    def label_limits(self) -> LabelLimits:
        """What `change_labels`, `trash` and `create_label` can do here."""
        ...

    @property
    def person(self) -> str:
        """Who this mailbox belongs to (a user id): keys every cache so it never answers for another person."""
        ...

    @property
    def labels_in_search(self) -> bool:
        """Whether search hits carry their labels (then label names are worth reading beside the search)."""
        ...

    async def search(self, query: str, limit: int, page: str | None = None) -> SearchPage:
        """Messages (or threads) matching Gmail search syntax, newest first, metadata only."""
        ...

    async def message(self, message_id: str) -> Message:
        """One message read in full."""
        ...

    async def thread(self, thread_id: str) -> Thread:
        """One conversation read in full."""
        ...

    async def labels(self) -> list[Label]:
        """Every label the person can use: Gmail's own and their own."""
        ...

    async def replying_to(self, message_id: str) -> Message:
        """What a reply needs of the message it answers: subject, sender, Reply-To, To, Cc, threading."""
        ...

    async def participants(self, thread_id: str) -> Thread:
        """A conversation's messages with their senders and recipients only."""
        ...

    async def sent_to(self, address: str, own: frozenset[str]) -> bool:
        """Whether the person sent mail to exactly this plain address (`own`: their own addresses)."""
        ...

    async def send_as(self) -> list[SendAs]:
        """The addresses the person may send as, default first (empty when the backend cannot say)."""
        ...

    async def save_draft(self, message: EmailMessage, thread_id: str | None, replying_to: str | None) -> DraftRef:
        """Keep `message` as a draft (in the thread of `replying_to`, the Gmail id of the message answered)."""
        ...

    async def drafts(self, limit: int) -> list[DraftSummary]:
        """The person's drafts, newest first."""
        ...

    async def send(self, message: EmailMessage, thread_id: str | None) -> Sent:
        """Send `message` now, where the backend sends without asking Google's approval (see `plan_send`)."""
        ...

    def plan_send(
        self, message: EmailMessage, replying_to: str | None, notes: Sequence[str], draft_id: str | None = None
    ) -> GooglePlan | None:
        """Where Google itself asks the person before mail leaves: the call to make (see `tools.approvals`),
        sending the saved draft `draft_id` when given. None where `send` sends directly."""
        ...

    async def load_draft(self, draft_id: str) -> tuple[EmailMessage, str | None]:
        """A saved draft's message as it would leave, and its thread."""
        ...

    async def send_draft(self, draft_id: str, message: EmailMessage, thread_id: str | None) -> Sent:
        """Send a saved draft as exactly `message`, where the backend sends without Google's approval."""
        ...

    async def change_labels(self, message_ids: Sequence[str], add: Sequence[str], remove: Sequence[str]) -> None:
        """Add and remove label ids on every message; MissingMessages names the ids with no message."""
        ...

    async def trash(self, message_ids: Sequence[str]) -> None:
        """Move the messages to Trash (only where `label_limits.no_trash` is empty)."""
        ...

    async def create_label(self, name: str) -> Label:
        """A new label of the person's own (only where `label_limits.no_new_labels` is empty)."""
        ...

    async def headlines(self, message_ids: Sequence[str]) -> list[Message]:
        """Sender and subject of each message, for a question about them."""
        ...
