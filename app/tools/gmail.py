"""Gmail tools: search, read, send and draft (threaded replies), labels, attachments."""

import asyncio
import dataclasses
import re
from collections.abc import Generator, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from itertools import takewhile
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.documents.extract import KIND_NAMES, Document, DocumentError, kind_of, sniff, window
from app.documents.reader import DocumentReader
from app.storage.store import User
from app.tools.composing import (
    Sender,
    choose_sender,
    forwarded_files,
    forwarded_text,
    header_addresses,
    message_addresses,
    replies_to_all,
    replying_context,
    sender_for,
)
from app.tools.confirmations import Gate, declined, trash_gate
from app.tools.format import (
    Budget,
    clamp_budget,
    human_size,
    person,
    quoted,
    quoted_line,
    subject_text,
)
from app.tools.mail_view import LabelNames, found_text, label_text, media_type, message_block, summary, user_labels
from app.tools.outbound import Outbound, Release, stopped
from app.tools.registrar import ToolRegistrar, report_action
from app.tools.resolvers import Resolvers
from app.tools.times import zone_label
from app.upstream.errors import BadRequest, InvalidId, NotFound
from app.upstream.gmail import GmailClient
from app.upstream.gmail_compose import (
    ReplyContext,
    build_message,
    forward_subject,
    parse_address,
    reply_context,
    reply_subject,
    same_subject,
)
from app.upstream.gmail_models import (
    AttachmentInfo,
    b64url_decode,
    message_content,
)
from app.upstream.mail_body import bodies
from app.workspace.mail import SYSTEM_LABELS, DraftRef, Label, LabelLimits, Mail, MissingMessages

ACTIONS: dict[str, tuple[list[str], list[str]]] = {
    "archive": ([], ["INBOX"]),
    "move_to_inbox": (["INBOX"], []),
    "mark_read": ([], ["UNREAD"]),
    "mark_unread": (["UNREAD"], []),
    "star": (["STARRED"], []),
    "unstar": ([], ["STARRED"]),
}
# Gmail labels that move a message rather than tag it: Trash only through action="trash" (asked first).
MOVES = frozenset({"TRASH", "SPAM"})
SEARCH_BUDGET = 12_000
# Gmail's own limit on what a message may carry.
MAX_ATTACHMENT = 25 * 1024 * 1024
# Where the model finds each kind of id, for errors about one that Gmail refused or does not have.
ID_SOURCES = {
    "message": "a message_id from gmail_search or gmail_read_thread",
    "thread": "a thread_id from gmail_search or gmail_read_message",
    "attachment": "an attachment_id that gmail_read_message lists for that message",
}
# A MIME type as RFC 2045 spells one (type/subtype tokens): shown as it is; anything else is someone's text.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}", re.IGNORECASE)

Addresses = Annotated[list[str], Field(description='Email addresses, e.g. ["ana@acme.com", "Bo <bo@x.io>"]')]
MoreAddresses = list[str]  # cc and bcc: written like `to`, whose description says how
FromAddress = Annotated[
    str | None, Field(description="Send as this alias (whoami lists them); a reply defaults to the one it was sent to")
]


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


def _refuse_beyond(limits: LabelLimits, message_ids: list[str], action: str | None, create: bool) -> None:
    """Refuse, before any change, what this way of reaching Gmail cannot do, saying what can be done instead."""
    if action == "trash" and limits.no_trash:
        raise ToolError(
            f'Nothing was changed: {limits.no_trash}. Archive the messages instead (action="archive"), '
            "or the person can delete them in Gmail."
        )
    if create and limits.no_new_labels:
        raise ToolError(
            f"Nothing was changed: {limits.no_new_labels}. Use one of the labels gmail_list_labels shows, "
            "or the person can create the label in Gmail first."
        )
    if len(set(message_ids)) > limits.max_messages:
        raise ToolError(
            f"Nothing was changed: {len(set(message_ids))} messages is more than the {limits.max_messages} one call "
            "may change here (Google's Gmail MCP server changes one message per request, each counted in the "
            "team's daily budget). Pass them in smaller groups."
        )


@contextmanager
def _changing(message_ids: list[str]) -> Generator[None]:
    """A change naming ids Gmail does not have, or cannot read as ids, said with what to pass instead."""
    if len(message_ids) == 1:
        with _gmail_id("message_ids", message_ids[0]):
            yield
        return
    try:
        yield
    except MissingMessages as error:
        missing = [repr(i) for i in error.missing]
        named = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        done = f"The other {error.changed} were changed; " if error.changed else "Nothing was changed: "
        raise ToolError(f"{done}Gmail has no message {named} in your mailbox. Use {ID_SOURCES['message']}.") from error


def _resolve_labels(requested: list[str], labels: list[Label], missing_ok: bool = False) -> tuple[list[str], list[str]]:
    """(ids of the labels named, names that match no label); unknown names are refused unless `missing_ok`."""
    by_name = {label.name.lower(): label.id for label in labels}
    ids = {label.id for label in labels}
    resolved: list[str] = []
    missing: list[str] = []
    for name in requested:
        if name in ids:
            resolved.append(name)
        elif name.lower() in by_name:
            resolved.append(by_name[name.lower()])
        elif name.upper() in SYSTEM_LABELS:
            resolved.append(name.upper())
        elif missing_ok and name.strip() and not name.startswith("Label_"):
            missing.append(name.strip())
        else:
            known = ", ".join(
                quoted_line(n) for n in sorted(label.name for label in labels if label.type == "user")[:20]
            )
            create = " To create it, call again with create_missing=true." if not missing_ok else ""
            raise ToolError(f"There is no label {name!r}. Your labels: {known or 'none'}.{create}")
    return resolved, missing


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send or save as a draft, with the recipients and subject it ended up with."""

    message: EmailMessage
    to: list[str]
    subject: str
    thread_id: str | None
    note: str = ""  # said after the outcome, e.g. that a changed subject may leave the thread
    cc: list[str] = field(default_factory=list[str])
    sender: Sender | None = None
    draft_requested: bool = False  # the caller asked for a draft: nothing leaves, nobody need confirm
    replying_to: str | None = None  # the Gmail id of the message this answers

    def recipients(self, fenced: bool = True) -> str:
        """`a@x, b@x (cc c@x) as support@x`: whom it reaches, and from which alias when not the default;
        names fenced as answers show them unless not `fenced` (the person's own list of actions)."""
        shown = _recipient if fenced else str
        said = ", ".join(map(shown, self.to)) or "(Bcc only)"
        said += f" (cc {', '.join(map(shown, self.cc))})" if self.cc else ""
        return said + (f" as {self.sender.email}" if self.sender and not self.sender.default else "")


def _recipient(value: str) -> str:
    """A recipient as given (`Bo <bo@x.io>`), shown as answers show people."""
    address = parse_address(value)
    return person(address.display_name, address.addr_spec)


def _reply_subject(given: str, original: str) -> tuple[str, str]:
    """A reply's subject: `Re: <original>` unless the caller clearly wrote another; and what to say about it."""
    if not given.strip() or same_subject(given, original):
        return reply_subject(original), ""
    return given, (
        f" The subject differs from the original's ({subject_text(original)}), so the recipients' mail may show this "
        "reply outside that conversation."
    )


def _unique(values: Iterable[str], taken: set[str]) -> list[str]:
    """`values` without addresses already in `taken` (compared case-blind), each added to `taken`."""
    kept: list[str] = []
    for value in values:
        key = parse_address(value).addr_spec.casefold()
        if key not in taken:
            taken.add(key)
            kept.append(value)
    return kept


async def _compose(
    mail: Mail,
    user: User,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str],
    bcc: Sequence[str],
    reply_to_message_id: str | None,
    reply_all: bool = False,
    from_address: str | None = None,
) -> Outgoing:
    """The message gmail_send and gmail_draft share; a reply defaults its recipients and subject."""
    reply: ReplyContext | None = None
    note = ""
    for kind, values in (("to", to), ("cc", cc), ("bcc", bcc)):
        for value in values:  # refused before anything is read
            parse_address(value, f"{kind} address")
    if not reply_to_message_id:
        if reply_all:
            raise ToolError("reply_all needs reply_to_message_id: the message whose recipients to answer.")
        if not to:
            raise ToolError("Give to: the recipients' addresses (only a reply, with reply_to_message_id, may omit it).")
        if not subject.strip():
            raise ToolError("Give a subject.")
        sender = await sender_for(mail, user, from_address)
    else:
        with _gmail_id("reply_to_message_id", reply_to_message_id):
            parent = await mail.replying_to(reply_to_message_id)
        reply = context = replying_context(parent)
        addressed = message_addresses(parent, "to", "cc", "delivered_to")
        sender = await sender_for(mail, user, from_address, addressed)
        if reply_all:
            everyone, copied = replies_to_all(parent, sender.own)
            taken: set[str] = set()
            to = _unique([*everyone, *to], taken)
            cc = _unique([*copied, *cc], taken)
        elif not to:
            mine = {a.casefold() for a in sender.own}
            senders = message_addresses(parent, "sender")
            from_me = bool(senders) and all(a.casefold() in mine for a in senders)
            to = (
                message_addresses(parent, "to")
                if from_me
                else message_addresses(parent, "reply_to") or message_addresses(parent, "sender")
            )
        if not to and not cc and not bcc:
            raise ToolError(f"Message {reply_to_message_id} names nobody to reply to: give to.")
        subject, note = _reply_subject(subject, context.subject)
    message = build_message(
        sender=sender.email,
        sender_name=sender.name,
        to=to,
        subject=subject,
        body=bodies(body, sender.signature),
        cc=cc,
        bcc=bcc,
        reply=reply,
    )
    thread_id = (reply.thread_id or None) if reply else None
    return Outgoing(
        message, list(to), subject, thread_id, note, cc=list(cc), sender=sender, replying_to=reply_to_message_id
    )


async def _forward(
    gmail: GmailClient,
    user: User,
    message_id: str,
    to: Sequence[str],
    note: str,
    cc: Sequence[str],
    from_address: str | None,
) -> Outgoing:
    """A forward of `message_id`: `Fwd:` subject, the note, the quoted original and its attachments."""
    if not to:
        raise ToolError("Give to: the addresses to forward it to.")
    for value in to:
        parse_address(value, "to address")
    for value in cc:
        parse_address(value, "cc address")
    with _gmail_id("message_id", message_id):
        original = await gmail.get_message(message_id)
    sender, files = await asyncio.gather(
        choose_sender(gmail, user, from_address, header_addresses(original, "To", "Cc", "Delivered-To")),
        forwarded_files(gmail, original),
    )
    reply = reply_context(original)
    subject = forward_subject(reply.subject)
    message = build_message(
        sender=sender.email,
        sender_name=sender.name,
        to=to,
        subject=subject,
        body=bodies(note, sender.signature, quoted=forwarded_text(original)),
        cc=cc,
        reply=reply,
        attachments=files,
    )
    carried = f" Attachments carried over: {', '.join(quoted_line(f.filename) for f in files)}." if files else ""
    # Gmail keeps a forward in the conversation it came from.
    return Outgoing(message, list(to), subject, reply.thread_id, carried, cc=list(cc), sender=sender)


async def _no_names() -> dict[str, str]:
    return {}


def register_gmail_tools(tool: ToolRegistrar, resolvers: Resolvers, outbound: Outbound) -> None:
    label_names = LabelNames()
    documents = DocumentReader()
    # Annotations are evaluated here, at definition, so this server's resolvers are bound in.

    async def composed(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        user: Annotated[User, Resolve(resolvers.user)],
        to: list[str] | None,
        subject: str,
        body: str,
        cc: list[str] | None,
        bcc: list[str] | None,
        reply_to_message_id: str | None,
        reply_all: bool,
        from_address: str | None,
    ) -> Outgoing:
        """gmail_send's message, built before the person is asked to confirm it."""
        return await _compose(
            mail, user, to or [], subject, body, cc or [], bcc or [], reply_to_message_id, reply_all, from_address
        )

    async def forwarded(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        user: Annotated[User, Resolve(resolvers.user)],
        message_id: str,
        to: list[str],
        note: str,
        cc: list[str] | None,
        from_address: str | None,
        as_draft: bool,
    ) -> Outgoing:
        """gmail_forward's message; one asked for as a draft needs no confirmation."""
        out = await _forward(gmail, user, message_id, to, note, cc or [], from_address)
        return dataclasses.replace(out, draft_requested=as_draft)

    @tool(title="Search Gmail", read_only=True, idempotent=True)
    async def gmail_search(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        query: Annotated[str, Field(description='Gmail search syntax, e.g. "from:priya is:unread newer_than:7d"')] = "",
        max_results: Annotated[int, Field(ge=1, le=100)] = 20,
        page_token: str | None = None,
    ) -> str:
        """Search Gmail; every hit with sender, recipients, subject, date, snippet, labels and ids."""
        # Label names travel beside the search rather than after it (one round trip less), where hits carry labels.
        found, names = await asyncio.gather(
            mail.search(query, max_results, page_token),
            label_names.get(mail) if mail.labels_in_search else _no_names(),
            return_exceptions=True,
        )
        if isinstance(found, BadRequest) and page_token:
            raise ToolError(
                f"page_token {page_token!r} is not one Gmail gave: pass the page_token an earlier gmail_search "
                "printed, with the same query, or leave it out to start from the newest."
            ) from found
        if isinstance(found, BaseException):
            raise found
        if isinstance(names, BaseException):
            raise names
        if not found.hits:
            return f"No messages match {query!r}." if query else "The mailbox is empty."
        wanted = f"{query or 'all mail'!r}, newest first (times in {zone_label(zone)})"
        budget = Budget(SEARCH_BUDGET, "")
        budget.add(f"{found_text(len(found.hits), found, first_page=page_token is None)} for {wanted}:")
        lines = (summary(m, zone, names, found.thread_sizes.get(m.thread_id)) for m in found.hits)
        shown = sum(1 for _ in takewhile(budget.add_whole, lines))
        if shown < len(found.hits):
            # A page token would skip the hits left out here: offer a smaller page instead.
            same_page = " and the same page_token" if page_token else ""
            budget.more_hint = (
                f"the last {len(found.hits) - shown} hit(s) of this page left out; "
                f"call again with max_results={shown}{same_page}, or narrow the query"
            )
            return budget.render()
        text = budget.render()
        if found.next_page:
            text += f"\nMore results: call again with page_token={found.next_page!r}, or narrow the query."
        return text

    @tool(title="Read email", read_only=True, idempotent=True)
    async def gmail_read_message(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        message_id: str,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 8000,
        include_quoted: bool = False,
    ) -> str:
        """Read one email: headers, readable body (quoted history trimmed) and attachments."""
        with _gmail_id("message_id", message_id):
            message = await mail.message(message_id)
        names = await label_names.for_messages(mail, [message])
        budget = Budget(clamp_budget(max_chars), "call again with a larger max_chars")
        left_out = "" if include_quoted else "call again with include_quoted=true to see it"
        budget.extend(message_block(message, zone, names, not include_quoted, left_out, name_zone=True))
        return budget.render()

    @tool(title="Read email thread", read_only=True, idempotent=True)
    async def gmail_read_thread(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        thread_id: str,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 12_000,
    ) -> str:
        """Read a whole conversation, oldest first; quoted history in replies is trimmed."""
        with _gmail_id("thread_id", thread_id):
            thread = await mail.thread(thread_id)
        names = await label_names.for_messages(mail, thread.messages)
        budget = Budget(clamp_budget(max_chars, 12_000), "read single messages with gmail_read_message")
        budget.add(
            f"Thread {thread.id}: {len(thread.messages)} message(s), oldest first (times in {zone_label(zone)})."
        )
        for index, message in enumerate(thread.messages, 1):
            if not budget.add(f"\n--- message {index} of {len(thread.messages)} ---"):
                break
            if not budget.extend(message_block(message, zone, names, trim=True)):
                break
        return budget.render()

    @tool(title="Send email", read_only=False, sends_mail=True, sends=True)
    async def gmail_send(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        release: Annotated[Release[Outgoing], Resolve(outbound.mail_release(composed))],
        to: Addresses | None = None,
        subject: str = "",
        body: str = "",
        cc: MoreAddresses | None = None,
        bcc: MoreAddresses | None = None,
        reply_to_message_id: Annotated[
            str | None, Field(description="Reply in that message's thread; to/subject default to the reply")
        ] = None,
        reply_all: Annotated[bool, Field(description="With reply_to_message_id: also everyone on its To/Cc")] = False,
        from_address: FromAddress = None,
    ) -> str:
        """Send an email now. For a reply, pass reply_to_message_id (threading is handled)."""
        out = release.composed
        if release.action in ("draft", "stop"):
            return await outbound.save_draft(mail, release) if release.action == "draft" else stopped(release)
        sent = release.sent or await mail.send(out.message, out.thread_id)
        report_action(f"Sent to {out.recipients(fenced=False)}: {out.subject!r}")
        return (
            f"Sent to {out.recipients()} — subject {subject_text(out.subject)}. message_id={sent.id} "
            f"thread_id={sent.thread_id}.{out.note}"
        )

    @tool(title="Draft email", read_only=False, sends_mail=True)
    async def gmail_draft(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        user: Annotated[User, Resolve(resolvers.user)],
        to: Addresses | None = None,
        subject: str = "",
        body: str = "",
        cc: MoreAddresses | None = None,
        bcc: MoreAddresses | None = None,
        reply_to_message_id: str | None = None,
        reply_all: bool = False,
        from_address: str | None = None,
    ) -> str:
        """Save an email as a draft for the person to review and send (same fields as gmail_send)."""
        out = await _compose(
            mail, user, to or [], subject, body, cc or [], bcc or [], reply_to_message_id, reply_all, from_address
        )
        draft = await mail.save_draft(out.message, out.thread_id, out.replying_to)
        report_action(f"Drafted to {out.recipients(fenced=False)}: {out.subject!r}")
        return _drafted(out, draft)

    @tool(title="Forward email", read_only=False, sends_mail=True)
    async def gmail_forward(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        release: Annotated[Release[Outgoing], Resolve(outbound.mail_release(forwarded))],
        message_id: str,
        to: Addresses,
        note: Annotated[str, Field(description="Your text above the forwarded message")] = "",
        cc: MoreAddresses | None = None,
        from_address: str | None = None,
        as_draft: Annotated[bool, Field(description="false sends it now")] = True,
    ) -> str:
        """Forward an email with its attachments and the quoted original; saved as a draft unless as_draft=false."""
        out = release.composed
        if not as_draft and release.action != "send":
            return await outbound.save_draft(mail, release) if release.action == "draft" else stopped(release)
        if as_draft:
            draft = await mail.save_draft(out.message, out.thread_id, out.replying_to)
            report_action(f"Drafted a forward to {out.recipients(fenced=False)}: {out.subject!r}")
            return _drafted(out, draft)
        sent = await gmail.send_message(out.message, thread_id=out.thread_id)
        report_action(f"Forwarded to {out.recipients(fenced=False)}: {out.subject!r}")
        return (
            f"Forwarded to {out.recipients()} — subject {subject_text(out.subject)}. message_id={sent.id} "
            f"thread_id={sent.thread_id}.{out.note}"
        )

    @tool(title="Label, archive or trash email", read_only=False, destructive=True, idempotent=True)
    async def gmail_modify(
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        gate: Annotated[Gate, Resolve(trash_gate)],
        message_ids: Annotated[list[str], Field(min_length=1, max_length=1000)],
        action: Literal["archive", "move_to_inbox", "mark_read", "mark_unread", "star", "unstar", "trash"]
        | None = None,
        add_labels: Annotated[list[str] | None, Field(description="Label names or ids")] = None,
        remove_labels: list[str] | None = None,
        create_missing: Annotated[bool, Field(description="Create add_labels that don't exist yet")] = False,
    ) -> str:
        """Archive, mark read/unread, star, trash, or add/remove labels on messages."""
        if action is None and not add_labels and not remove_labels:
            raise ToolError("Say what to do: an action, or labels to add or remove.")
        limits = mail.label_limits
        _refuse_beyond(limits, message_ids, action, create_missing)
        if action == "trash":
            if not gate.go:
                return declined("move these messages to Trash")
            with _changing(message_ids):
                await mail.trash(message_ids)
            report_action(f"Trashed {len(message_ids)} message(s)")
            return f"Moved {len(message_ids)} message(s) to Trash (recoverable for 30 days)."
        add, remove = ACTIONS[action] if action else ([], [])
        labels = await mail.labels() if add_labels or remove_labels else []
        added, missing = _resolve_labels(add_labels or [], labels, missing_ok=create_missing)
        removed, _none = _resolve_labels(remove_labels or [], labels)
        if hidden := [label for label in added if label in MOVES]:
            raise ToolError(
                f"Nothing was changed: {', '.join(hidden)} is not added as a label here. "
                f'To move mail to Trash use action="trash" (the person is asked first); spam is marked in Gmail.'
            )
        created = [await mail.create_label(name) for name in dict.fromkeys(missing)]
        if created:
            label_names.forget(mail.person)
        add = add + added + [label.id for label in created]
        remove = remove + removed
        with _changing(message_ids):
            await mail.change_labels(message_ids, add, remove)
        names = {label.id: label.name for label in [*labels, *created]}
        done = [f"+{label_text(i, names)}" for i in add] + [f"-{label_text(i, names)}" for i in remove]
        made = f" Created label(s): {', '.join(quoted_line(label.name) for label in created)}." if created else ""
        return f"Updated {len(message_ids)} message(s): {' '.join(done)}.{made}"

    @tool(title="List Gmail labels", read_only=True, idempotent=True)
    async def gmail_list_labels(mail: Annotated[Mail, Resolve(resolvers.mail)]) -> str:
        """All Gmail labels (system and the person's own) with ids."""
        labels = await mail.labels()
        user = sorted(user_labels(labels), key=lambda label: label.name.lower())
        system = [label.name for label in labels if label.type == "system"]
        budget = Budget(8000, "labels are sorted by name; use gmail_search with label:NAME")
        budget.add(f"System labels: {', '.join(system)}")
        budget.add(f"Your labels ({len(user)}):" if user else "Your labels: (none)")
        budget.extend(f"- {quoted_line(label.name)} (id {label.id})" for label in user)
        return budget.render()

    @tool(title="Read email attachment", read_only=True, idempotent=True)
    async def gmail_get_attachment(
        gmail: Annotated[GmailClient, Resolve(resolvers.gmail)],
        message_id: str,
        attachment_id: str,
        offset: Annotated[int, Field(ge=0)] = 0,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 8000,
        pages: Annotated[str | None, Field(description="PDF pages, e.g. '3' or '2-5'")] = None,
    ) -> str:
        """Read an attachment as text (PDF, Word, Excel, CSV, PowerPoint, HTML, .ics); other files by name and size."""
        page_range = _page_range(pages)
        with _gmail_id("message_id", message_id):
            message = await gmail.get_message(message_id)
        listed = message_content(message).attachments
        info = next((a for a in listed if a.attachment_id == attachment_id), None)
        if info and info.size > MAX_ATTACHMENT:
            raise ToolError(
                f"{quoted_line(info.filename)} is {human_size(info.size)}, over the {human_size(MAX_ATTACHMENT)} "
                "read here; open it in Gmail."
            )
        async with documents.holding():
            return await _read_attachment(
                gmail, documents, message_id, attachment_id, listed, info, offset, max_chars, page_range
            )


async def _read_attachment(
    gmail: GmailClient,
    documents: DocumentReader,
    message_id: str,
    attachment_id: str,
    listed: list[AttachmentInfo],
    info: AttachmentInfo | None,
    offset: int,
    max_chars: int,
    page_range: tuple[int, int] | None,
) -> str:
    """Download an attachment and read it in a worker; the caller holds one of the reader's places."""
    with _gmail_id("attachment_id", attachment_id):
        attachment = await gmail.get_attachment(message_id, attachment_id)
    data = b64url_decode(attachment.data) if attachment.data else b""
    if info is None:
        # Gmail may give the same attachment a new id on each read: match it by size when that is unique.
        same_size = [a for a in listed if a.size == len(data)]
        info = same_size[0] if len(same_size) == 1 else None
    filename = info.filename if info else "attachment"
    mime = info.mime_type if info else "application/octet-stream"
    kind = kind_of(filename, mime) or sniff(data)
    name = quoted_line(filename) if info else filename
    if kind is None:
        what = "an image" if mime.startswith("image/") else "a file that is not read as text"
        return f"{name} ({media_type(mime)}, {human_size(len(data))}): {what}; the person can open it in Gmail."
    if page_range and kind != "pdf":
        raise ToolError(f"pages applies to PDFs; {name} is a {KIND_NAMES[kind]}. Page with offset instead.")
    try:
        document = await documents.read(kind, data, page_range)
    except DocumentError as error:
        raise ToolError(f"{name} ({KIND_NAMES[kind]}, {human_size(len(data))}): {error}.") from error
    return _document_page(name, kind, len(data), document, offset, clamp_budget(max_chars))


def _drafted(out: Outgoing, draft: DraftRef) -> str:
    thread = f" thread_id={draft.thread_id}." if draft.thread_id else ""
    return (
        f"Draft saved (not sent) to {out.recipients()} — subject {subject_text(out.subject)}. draft_id={draft.id}"
        f"{thread} Open: {draft.view_url}{out.note}"
    )


def _page_range(pages: str | None) -> tuple[int, int] | None:
    if pages is None or not pages.strip():
        return None
    first, _, last = pages.replace("–", "-").partition("-")
    try:
        span = (int(first), int(last or first))
    except ValueError:
        raise ToolError(f"pages={pages!r} is not a page range: write '3' or '2-5'.") from None
    if span[0] < 1 or span[1] < span[0]:
        raise ToolError(f"pages={pages!r} is not a page range: pages start at 1, e.g. '2-5'.")
    return span


def _document_page(name: str, kind: str, size: int, document: Document, offset: int, limit: int) -> str:
    """One window of a document's text, with where it is in the whole and how to go on."""
    unit = {"pdf": "page", "pptx": "slide", "xlsx": "sheet"}.get(kind)
    parts = f", {document.parts} {unit}(s)" if unit and document.parts is not None else ""
    header = f"{name} ({KIND_NAMES[kind]}, {human_size(size)}{parts})"
    text = document.text
    if not text.strip():
        empty = "no text (a scan or an image-only file?)" if kind == "pdf" else "no text"
        return f"{header}: {empty}" + (f" [{document.note}]" if document.note else "")
    if offset >= len(text):
        raise ToolError(f"offset={offset} is past the end: the text of {name} has {len(text):,} characters.")
    shown = window(text, offset, limit)
    end = offset + len(shown)
    lines = [header + (f" — {document.note}" if document.note else "")]
    if offset or end < len(text):
        lines[0] += f" — characters {offset:,}–{end:,} of {len(text):,}"
    lines.append(quoted(shown.rstrip()))
    if end < len(text):
        lines.append(f"[continues — call again with offset={end} for the next part]")
    return "\n".join(lines)
