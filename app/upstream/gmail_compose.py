"""Building outgoing mail (RFC 2822 via `email.message.EmailMessage`), including threaded replies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.upstream.gmail_models import GmailMessage, addresses, decode_mime_words

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:\s*", re.IGNORECASE)


class InvalidAddress(ValueError):
    """A recipient is not a usable email address; the message names it."""


def parse_address(value: str) -> Address:
    """One recipient (`a@b.com` or `Name <a@b.com>`) checked for a plausible form."""
    pairs = addresses(value)
    if len(pairs) != 1:
        raise InvalidAddress(f"{value!r} is not one email address")
    name, addr = pairs[0]
    # An encoded-word display name ("=?utf-8?q?x=2C_y@z?=") is decoded here so it is written back
    # quoted; left encoded, it would decode downstream into extra recipients.
    name = decode_mime_words(name)
    local, at, domain = addr.rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in addr) or domain.startswith("."):
        raise InvalidAddress(f"{value!r} is not a valid email address")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise InvalidAddress(f"{value!r} is not a valid email address") from exc


@dataclass(frozen=True)
class ReplyContext:
    """What a reply needs from the message it answers."""

    thread_id: str
    message_id_header: str
    references: str
    subject: str
    reply_to: str


def reply_context(parent: GmailMessage) -> ReplyContext:
    message_id = parent.header("Message-ID") or parent.header("Message-Id") or ""
    references = " ".join(part for part in (parent.header("References") or "", message_id) if part).strip()
    return ReplyContext(
        thread_id=parent.thread_id,
        message_id_header=message_id,
        references=references,
        subject=parent.header("Subject") or "",
        reply_to=parent.header("Reply-To") or parent.header("From") or "",
    )


def reply_subject(subject: str) -> str:
    """`Re: <subject>` without stacking prefixes (Gmail threads on the normalised subject)."""
    stripped = subject
    while _REPLY_PREFIX.match(stripped):
        stripped = _REPLY_PREFIX.sub("", stripped, count=1)
    return f"Re: {stripped}" if stripped else "Re:"


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    body: str,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply: ReplyContext | None = None,
) -> EmailMessage:
    """A plain-text message; a reply gets `In-Reply-To`/`References` so it stays in its thread."""
    message = EmailMessage()
    message["From"] = sender
    if to:
        message["To"] = [parse_address(a) for a in to]
    if cc:
        message["Cc"] = [parse_address(a) for a in cc]
    if bcc:
        message["Bcc"] = [parse_address(a) for a in bcc]
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2].strip(">") or None
    message["Message-ID"] = make_msgid(domain=domain)
    if reply is not None and reply.message_id_header:
        message["In-Reply-To"] = reply.message_id_header
        message["References"] = reply.references
    message.set_content(body)
    return message
