"""What outgoing mail is made of besides its text: the address it is sent as (with that address's
signature), whom a reply-all reaches, and what a forward carries along."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from app.storage.store import User
from app.tools.format import human_size
from app.upstream.errors import MissingScope
from app.upstream.gmail import MAX_UPLOAD, GmailClient
from app.upstream.gmail_compose import (
    MAX_REFERENCES,
    FileToAttach,
    ReplyContext,
    message_ids,
    parse_address,
    plain_text,
)
from app.upstream.gmail_models import GmailMessage, MessagePart, addresses, b64url_decode, message_content
from app.upstream.gmail_models import SendAs as GmailSendAs
from app.workspace.mail import Mail, Message, SendAs

FETCH_CONCURRENCY = 4
FORWARD_HEADERS = ("From", "Date", "Subject", "To", "Cc")


@dataclass(frozen=True)
class Sender:
    """The address mail goes out from, its display name and its Gmail signature (HTML)."""

    email: str
    name: str
    signature: str
    default: bool
    own: tuple[str, ...]  # every address of the person's own (never a reply-all recipient)


async def usable_send_as(gmail: GmailClient) -> list[GmailSendAs]:
    """The account's own address and its verified aliases, the default first."""
    listed = [entry for entry in await gmail.list_send_as() if entry.usable]
    return sorted(listed, key=lambda entry: (not entry.is_default, not entry.is_primary))


def send_as_line(entries: Sequence[GmailSendAs]) -> str:
    """`Send as: a@x (default), b@x (Support)`, as whoami lists the addresses."""

    def one(entry: GmailSendAs) -> str:
        said = "default" if entry.is_default else entry.display_name
        return f"{entry.send_as_email} ({said})" if said else entry.send_as_email

    return "Send as: " + ", ".join(one(entry) for entry in entries)


async def choose_sender(
    gmail: GmailClient, user: User, from_address: str | None, addressed_to: Iterable[str] = ()
) -> Sender:
    """`sender_for` with the send-as list read through Gmail's REST API."""

    async def listed() -> list[SendAs]:
        return [SendAs(e.send_as_email, e.display_name, e.signature, e.is_default) for e in await usable_send_as(gmail)]

    return await _choose(listed, user, from_address, addressed_to)


async def sender_for(mail: Mail, user: User, from_address: str | None, addressed_to: Iterable[str] = ()) -> Sender:
    """`from_address` if it is one of the person's send-as addresses; else, for a reply, the alias the
    parent was addressed to (`addressed_to`); else the default address.

    Raises:
        ToolError: `from_address` is not a verified send-as address of this account.
    """
    return await _choose(mail.send_as, user, from_address, addressed_to)


async def _choose(
    listed: Callable[[], Awaitable[list[SendAs]]], user: User, from_address: str | None, addressed_to: Iterable[str]
) -> Sender:
    wanted = parse_address(from_address, "from_address").addr_spec.casefold() if from_address else None
    try:
        entries = await listed()
    except MissingScope:
        if wanted not in (None, user.email.casefold()):
            raise ToolError(
                "Your send-as addresses cannot be read without Gmail read access; leave out from_address "
                "to send from your own address."
            ) from None
        return Sender(user.email, user.name, "", True, (user.email,))
    if not entries and wanted not in (None, user.email.casefold()):
        raise ToolError(
            f"from_address {from_address!r} cannot be used: Google's Gmail MCP server sends only from your own "
            "address. Leave out from_address."
        )
    by_email = {entry.email.casefold(): entry for entry in entries}
    if wanted is not None and entries:
        chosen = by_email.get(wanted)
        if chosen is None:
            known = ", ".join(entry.email for entry in entries) or user.email
            raise ToolError(
                f"from_address {from_address!r} is not one of your verified send-as addresses ({known}). "
                "Use one of those; other aliases are added and verified in Gmail settings → Accounts."
            )
    else:
        # The first of the person's addresses the parent names, as Gmail replies "from the same address".
        addressed = [by_email[a.casefold()] for a in addressed_to if a.casefold() in by_email]
        if not addressed and not entries:
            return Sender(user.email, user.name, "", True, (user.email,))
        chosen = (addressed or entries)[0]
    own = (user.email, *by_email)
    name = chosen.name or user.name
    return Sender(chosen.email, name, chosen.signature, chosen is entries[0], own)


def message_addresses(message: Message, *fields: str) -> list[str]:
    """The addresses in these fields (`sender`, `to`, `cc`, `reply_to`, `delivered_to`) of a message."""
    found = [box.address for name in fields for box in getattr(message, name)]
    return [a for a in found if "@" in a.strip("@") and not any(c.isspace() for c in a)]


def replying_context(parent: Message) -> ReplyContext:
    """What a reply takes over from its parent: only well-formed message ids and plain text (others wrote them)."""
    message_id = next(iter(message_ids(parent.rfc822_id)), "")
    references = [*message_ids(parent.references), *([message_id] if message_id else [])]
    if len(references) > MAX_REFERENCES:  # keep the thread's root and the latest (RFC 5322 §3.6.4)
        references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    return ReplyContext(
        thread_id=parent.thread_id,
        message_id_header=message_id,
        references=" ".join(references),
        subject=plain_text(parent.subject),
        reply_to=", ".join(message_addresses(parent, "reply_to") or message_addresses(parent, "sender")),
    )


def replies_to_all(parent: Message, own: Iterable[str]) -> tuple[list[str], list[str]]:
    """(to, cc) of a reply to everyone, as Gmail fills them: the sender (or their Reply-To) and the To
    list, then the Cc list; never the person's own addresses, never anyone twice. Replying to one's own
    message goes to its To and Cc again."""
    mine = {a.casefold() for a in own}
    sender = [a.casefold() for a in message_addresses(parent, "sender")]
    if sender and set(sender) <= mine:
        to, cc = message_addresses(parent, "to"), message_addresses(parent, "cc")
    else:
        reply_to = message_addresses(parent, "reply_to") or message_addresses(parent, "sender")
        to, cc = reply_to + message_addresses(parent, "to"), message_addresses(parent, "cc")
    seen = set(mine)
    kept: tuple[list[str], list[str]] = ([], [])
    for listed, out in ((to, kept[0]), (cc, kept[1])):
        for address in listed:
            if address.casefold() not in seen:
                seen.add(address.casefold())
                out.append(address)
    return kept


def header_addresses(message: GmailMessage, *names: str) -> list[str]:
    """The addresses in these headers of someone else's message (only ones that look like addresses)."""
    found = [a for name in names for _n, a in addresses(message.header(name))]
    return [a for a in found if "@" in a.strip("@") and not any(c.isspace() for c in a)]


def forwarded_text(original: GmailMessage) -> str:
    """The original below a forward, in Gmail's own format: a header block, then its whole text."""
    lines = ["---------- Forwarded message ---------"]
    for name in FORWARD_HEADERS:
        value = original.header(name)
        if value or name != "Cc":
            lines.append(f"{name}: {plain_text(value or '')}")
    text = message_content(original).text
    return "\n".join(lines) + "\n\n" + (text or "(no text)")


async def forwarded_files(gmail: GmailClient, original: GmailMessage) -> list[FileToAttach]:
    """The original's attachments, fetched from Gmail to be attached again (never through the model).

    Raises:
        ToolError: together they are larger than Gmail lets one message carry.
    """
    listed = message_content(original).attachments
    total = sum(info.size for info in listed)
    if total * 4 // 3 > MAX_UPLOAD:  # attachments travel base64-encoded: a third larger
        raise ToolError(
            f"The attachments add up to {human_size(total)}, over the {human_size(MAX_UPLOAD)} Gmail lets one "
            "message carry once they are encoded for mail; nothing was sent. Forward it from Gmail, which "
            "offers Drive links for large files."
        )
    parts = {p.part_id: p for p in _parts(original)}
    gate = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def fetch(attachment_id: str | None, part_id: str) -> bytes:
        if attachment_id is None:  # small enough that Gmail put the data inline
            part = parts.get(part_id)
            return b64url_decode(part.body.data) if part and part.body.data else b""
        async with gate:
            found = await gmail.get_attachment(original.id, attachment_id)
        return b64url_decode(found.data) if found.data else b""

    data = await asyncio.gather(*(fetch(info.attachment_id, info.part_id) for info in listed))
    return [
        FileToAttach(info.filename, info.mime_type or "application/octet-stream", content)
        for info, content in zip(listed, data, strict=True)
    ]


def _parts(message: GmailMessage) -> list[MessagePart]:
    found: list[MessagePart] = []
    pending = [message.payload] if message.payload else []
    while pending:
        part = pending.pop()
        found.append(part)
        pending.extend(part.parts)
    return found
