"""The Gmail sandbox's view of a mailbox: labels, threads, history ids, a parse cache and API resources.

Messages live in the `World` as RFC 2822 bytes plus labels; everything Gmail shows (payload trees,
snippets, search facts) is derived from those bytes on demand and cached per message.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from starlette.types import ASGIApp

from sandbox.gmail import mime as gmail_mime
from sandbox.gmail.errors import ApiError
from sandbox.gmail.query import All, MessageFacts, Node, SearchContext, matches, searches_spam_or_trash
from sandbox.world import Label, Mailbox, StoredMessage, World

_HIDDEN = {"messageListVisibility": "hide", "labelListVisibility": "labelHide"}
_SHOWN_HIDDEN = {"messageListVisibility": "hide", "labelListVisibility": "labelShow"}
# Gmail's system labels, with the visibility fields Gmail reports for them.
SYSTEM_LABELS: dict[str, dict[str, str]] = {
    "CHAT": _HIDDEN,
    "SENT": {},
    "INBOX": {},
    "IMPORTANT": _SHOWN_HIDDEN,
    "TRASH": _HIDDEN,
    "DRAFT": {},
    "SPAM": _HIDDEN,
    "CATEGORY_FORUMS": {},
    "CATEGORY_UPDATES": {},
    "CATEGORY_PERSONAL": {},
    "CATEGORY_PROMOTIONS": {},
    "CATEGORY_SOCIAL": {},
    "STARRED": _SHOWN_HIDDEN,
    "UNREAD": {},
}
FIXED_LABELS = frozenset({"DRAFT", "SENT", "CHAT"})  # Gmail sets these itself; modify may not
SPAM_TRASH = frozenset({"SPAM", "TRASH"})


@dataclass(frozen=True)
class Parsed:
    """A stored message parsed once: the MIME tree, its search facts and its snippet."""

    message: EmailMessage
    facts: MessageFacts
    snippet: str


@dataclass
class GmailState:
    """The world plus Gmail-only bookkeeping; one per Gmail app (reach it with `gmail_state(app)`)."""

    world: World
    # When set to N, a batch answers its parts after the N-th with a per-part 429, as Gmail does.
    batch_part_limit: int | None = None
    app: ASGIApp | None = None  # the Gmail app itself, which batch parts are dispatched to
    _parsed: dict[tuple[str, str], tuple[bytes, Parsed]] = field(default_factory=dict)

    def mailbox(self, email: str) -> Mailbox:
        """The person's mailbox, created empty if the world has none yet."""
        return self.world.mailboxes.setdefault(email, Mailbox(owner=email))

    def parsed(self, mailbox: Mailbox, stored: StoredMessage) -> Parsed:
        """The parsed form of a stored message, cached while its bytes stay the same."""
        key = (mailbox.owner, stored.id)
        cached = self._parsed.get(key)
        if cached is not None and cached[0] is stored.raw:
            return cached[1]
        message = gmail_mime.parse_message(stored.raw)
        facts = gmail_mime.search_facts(message, stored.internal_date_ms, len(stored.raw))
        parsed = Parsed(message, facts, gmail_mime.snippet(message))
        self._parsed[key] = (stored.raw, parsed)
        return parsed

    def history_id(self, mailbox: Mailbox) -> int:
        """The mailbox's current history id: never lower than any message's."""
        newest = max((m.history_id for m in mailbox.messages.values()), default=1)
        return max(mailbox.history_id, newest)

    def next_history_id(self, mailbox: Mailbox) -> int:
        """Advance the mailbox's history id for a change, and return it."""
        mailbox.history_id = self.history_id(mailbox) + 1
        return mailbox.history_id

    def now_ms(self) -> int:
        """The world's clock in epoch milliseconds."""
        return int(self.world.now().timestamp() * 1000)

    def search_context(self, mailbox: Mailbox) -> SearchContext:
        """What `q` needs to know about the mailbox it searches."""
        names = {label_id: label.name for label_id, label in all_labels(mailbox).items()}
        return SearchContext(owner=mailbox.owner, now=self.world.now(), label_names=names)


def all_labels(mailbox: Mailbox) -> dict[str, Label]:
    """System labels first, then the mailbox's own, by id."""
    labels = {label_id: Label(label_id, label_id, "system") for label_id in SYSTEM_LABELS}
    for label_id, label in mailbox.labels.items():
        labels.setdefault(label_id, label)
    return labels


def add_label(mailbox: Mailbox, name: object) -> Label:
    """Create a user label named `name`; raises `ApiError` for a bad name or one already taken."""
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Invalid label name", "invalidArgument")
    labels = all_labels(mailbox)
    if any(label.name.casefold() == name.strip().casefold() for label in labels.values()):
        raise ApiError(409, "Label name exists or conflicts", "duplicate")
    numbers = [int(i[6:]) for i in labels if i.startswith("Label_") and i[6:].isdigit()]
    label = Label(id=f"Label_{max(numbers, default=0) + 1}", name=name.strip(), type="user")
    mailbox.labels[label.id] = label
    return label


def check_modifiable_labels(mailbox: Mailbox, label_ids: Iterable[str]) -> None:
    """Refuse a label that does not exist or that Gmail sets itself (DRAFT, SENT, CHAT), as Gmail does."""
    known = all_labels(mailbox)
    for label_id in label_ids:
        if label_id not in known or label_id in FIXED_LABELS:
            raise ApiError(400, f"Invalid label: {label_id}", "invalidArgument")


def newest_first(messages: Iterable[StoredMessage]) -> list[StoredMessage]:
    """Messages by internal date, newest first, as Gmail lists them."""
    return sorted(messages, key=lambda m: (m.internal_date_ms, m.id), reverse=True)


def thread_messages(mailbox: Mailbox, thread_id: str) -> list[StoredMessage]:
    """The messages of one thread, oldest first."""
    return newest_first(m for m in mailbox.messages.values() if m.thread_id == thread_id)[::-1]


def select(
    state: GmailState, mailbox: Mailbox, query: Node, label_ids: Sequence[str], include_spam_trash: bool
) -> list[StoredMessage]:
    """The messages a list call matches, newest first."""
    # Asking for spam or trash by label or by q overrides the default that hides them.
    hide = not include_spam_trash and not searches_spam_or_trash(query) and not SPAM_TRASH & set(label_ids)
    context = state.search_context(mailbox)
    searching = query != All(())  # an empty q needs no parsing of the messages
    found = [
        stored
        for stored in mailbox.messages.values()
        if not (hide and SPAM_TRASH & stored.label_ids)
        and all(label in stored.label_ids for label in label_ids)
        and (not searching or matches(query, state.parsed(mailbox, stored).facts, stored.label_ids, context))
    ]
    return newest_first(found)


def attachment_id(mailbox: Mailbox, message_id: str, data: bytes) -> str:
    """The id the mailbox knows these attachment bytes by, registering a new one if needed."""
    for known_id, (owner_id, blob) in mailbox.attachments.items():
        if owner_id == message_id and blob == data:
            return known_id
    new_id = "ANGjdJ" + secrets.token_urlsafe(64)  # Gmail's attachment ids are long and opaque
    mailbox.attachments[new_id] = (message_id, data)
    return new_id


def store_message(
    state: GmailState, mailbox: Mailbox, raw: bytes, thread_id: str | None, labels: AbstractSet[str]
) -> StoredMessage:
    """Add a message to a mailbox now (a new thread when `thread_id` is None); register its attachments."""
    message_id = state.world.next_id()
    stored = StoredMessage(
        id=message_id,
        thread_id=thread_id or message_id,  # Gmail names a new thread after its first message
        raw=raw,
        label_ids=set(labels),
        internal_date_ms=state.now_ms(),
        history_id=state.next_history_id(mailbox),
    )
    mailbox.messages[message_id] = stored
    for _, data in gmail_mime.attachments(state.parsed(mailbox, stored).message):
        attachment_id(mailbox, message_id, data)
    return stored


def relabel(
    state: GmailState, mailbox: Mailbox, stored: StoredMessage, add: Iterable[str], remove: Iterable[str]
) -> None:
    """Apply a label change, bumping the message's history id when anything changed."""
    before = set(stored.label_ids)
    stored.label_ids |= set(add)
    stored.label_ids -= set(remove)
    if stored.label_ids != before:
        stored.history_id = state.next_history_id(mailbox)


def message_ref(stored: StoredMessage) -> dict[str, Any]:
    """{id, threadId, labelIds}: what send, modify and trash answer."""
    ref: dict[str, Any] = {"id": stored.id, "threadId": stored.thread_id}
    if stored.label_ids:  # like Gmail, an empty list is left out
        ref["labelIds"] = sorted(stored.label_ids)
    return ref


def message_resource(
    state: GmailState, mailbox: Mailbox, stored: StoredMessage, fmt: str, metadata_headers: Sequence[str] = ()
) -> dict[str, Any]:
    """A Gmail Message resource in format full, metadata, minimal or raw."""
    parsed = state.parsed(mailbox, stored)
    resource = message_ref(stored)
    resource["snippet"] = parsed.snippet
    if fmt == "full":
        resource["payload"] = gmail_mime.payload(parsed.message, lambda data: attachment_id(mailbox, stored.id, data))
    elif fmt == "metadata":
        headers = gmail_mime.header_list(parsed.message)
        if metadata_headers:
            wanted = {name.casefold() for name in metadata_headers}
            headers = [h for h in headers if h["name"].casefold() in wanted]
        resource["payload"] = {"mimeType": parsed.message.get_content_type(), "headers": headers}
    resource["sizeEstimate"] = len(stored.raw)
    if fmt == "raw":
        resource["raw"] = gmail_mime.encode_base64url(stored.raw)
    resource["historyId"] = str(stored.history_id)
    resource["internalDate"] = str(stored.internal_date_ms)
    return resource


def thread_resource(
    state: GmailState, mailbox: Mailbox, thread_id: str, fmt: str, metadata_headers: Sequence[str] = ()
) -> dict[str, Any]:
    """A Gmail Thread resource: id, historyId and its messages oldest first."""
    messages = thread_messages(mailbox, thread_id)
    return {
        "id": thread_id,
        "historyId": str(max(m.history_id for m in messages)),
        "messages": [message_resource(state, mailbox, m, fmt, metadata_headers) for m in messages],
    }


def label_resource(mailbox: Mailbox, label: Label, with_counts: bool) -> dict[str, Any]:
    """A Gmail Label resource; `labels.get` adds the message and thread counts."""
    resource: dict[str, Any] = {"id": label.id, "name": label.name}
    if label.type == "system":
        resource.update(SYSTEM_LABELS.get(label.id, {}))
    else:
        resource.update({"messageListVisibility": "show", "labelListVisibility": "labelShow"})
    resource["type"] = label.type
    if with_counts:
        labelled = [m for m in mailbox.messages.values() if label.id in m.label_ids]
        unread = [m for m in labelled if "UNREAD" in m.label_ids]
        resource["messagesTotal"] = len(labelled)
        resource["messagesUnread"] = len(unread)
        resource["threadsTotal"] = len({m.thread_id for m in labelled})
        resource["threadsUnread"] = len({m.thread_id for m in unread})
    return resource
