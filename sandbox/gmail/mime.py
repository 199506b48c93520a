"""MIME for the Gmail sandbox: RFC 2822 bytes into Gmail's payload tree, readable text and snippets."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from inscriptis import get_text

from sandbox.gmail.query import MessageFacts

SNIPPET_LENGTH = 200
_SNIPPET_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
_REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)

# Given a leaf part's decoded bytes, the attachment id the mailbox knows them by.
AttachmentIds = Callable[[bytes], str]


def parse_message(raw: bytes) -> EmailMessage:
    """Parse RFC 2822 bytes with the modern `email` policy."""
    return BytesParser(policy=policy.default).parsebytes(raw)


def to_bytes(message: EmailMessage) -> bytes:
    """Serialise a message with CRLF line ends, as it travels over SMTP."""
    return message.as_bytes(policy=policy.default.clone(linesep="\r\n"))


def encode_base64url(data: bytes) -> str:
    """URL-safe base64 with padding, as Gmail encodes `raw` and body `data`."""
    return base64.urlsafe_b64encode(data).decode("ascii")


def decode_base64(value: str) -> bytes | None:
    """Decode standard or URL-safe base64, padded or not (proto3 JSON bytes); None when invalid."""
    cleaned = value.strip().replace("-", "+").replace("_", "/").rstrip("=")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def normalize_subject(subject: str) -> str:
    """A subject without Re:/Fwd: prefixes, case or spacing, for Gmail's same-thread test."""
    return " ".join(_REPLY_PREFIX.sub("", subject).split()).casefold()


def header_list(part: Message) -> list[dict[str, str]]:
    """The part's headers in order, values decoded and unfolded, as Gmail lists them."""
    return [{"name": name, "value": str(value)} for name, value in part.items()]


def payload(message: EmailMessage, attachment_ids: AttachmentIds) -> dict[str, Any]:
    """Gmail's `payload` MIME tree (format=full): part ids "", "0", "1", "0.1", ..."""
    return _part(message, "", attachment_ids)


def _part(part: Message, part_id: str, attachment_ids: AttachmentIds) -> dict[str, Any]:
    filename = part.get_filename() or ""
    node: dict[str, Any] = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": filename,
        "headers": header_list(part),
    }
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        prefix = f"{part_id}." if part_id else ""
        node["body"] = {"size": 0}
        node["parts"] = [
            _part(child, f"{prefix}{index}", attachment_ids) for index, child in enumerate(_children(part))
        ]
        return node
    data = body_bytes(part)
    if filename:
        node["body"] = {"attachmentId": attachment_ids(data), "size": len(data)}
    elif data:
        node["body"] = {"size": len(data), "data": encode_base64url(data)}
    else:
        node["body"] = {"size": 0}
    return node


def _children(part: Message) -> list[Message]:
    children = part.get_payload()
    return [child for child in children if isinstance(child, Message)] if isinstance(children, list) else []


def body_bytes(part: Message) -> bytes:
    """A leaf part's body with its transfer encoding undone (an attached email: its bytes)."""
    if part.get_content_maintype() == "message":
        inner = _children(part)
        return inner[0].as_bytes() if inner else b""
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(filename, bytes) of every leaf part that has a filename: Gmail's attachments."""
    found: list[tuple[str, bytes]] = []
    for part in message.walk():
        filename = part.get_filename()
        if filename and part.get_content_maintype() != "multipart":
            found.append((filename, body_bytes(part)))
    return found


def readable_texts(message: EmailMessage) -> tuple[list[str], list[str]]:
    """The decoded text/plain bodies and the tag-stripped text/html bodies, excluding attachments."""
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_filename() or part.get_content_disposition() == "attachment":
            continue
        if part.get_content_type() == "text/plain":
            plain.append(_decoded_text(part))
        elif part.get_content_type() == "text/html":
            html.append(html_to_text(_decoded_text(part)))
    return plain, html


def _decoded_text(part: Message) -> str:
    data = body_bytes(part)
    try:
        return data.decode(part.get_content_charset() or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """The visible text of an HTML body (scripts and styles left out, entities unescaped)."""
    return get_text(html) if html.strip() else ""


def snippet(message: EmailMessage) -> str:
    """Gmail's snippet: the start of the readable text, whitespace collapsed, HTML-escaped like Gmail."""
    plain, html = readable_texts(message)
    text = (plain or html or [""])[0]
    return " ".join(text.split())[:SNIPPET_LENGTH].rstrip().translate(_SNIPPET_ESCAPES)


def addresses(message: EmailMessage, *names: str) -> list[tuple[str, str]]:
    """(display name, address) pairs from the named address headers."""
    values = [str(value) for name in names for value in message.get_all(name, [])]
    return [(display, address) for display, address in getaddresses(values) if address]


def search_facts(message: EmailMessage, internal_date_ms: int, size: int) -> MessageFacts:
    """Everything Gmail search matches on, taken from a parsed message."""

    def people(*names: str) -> tuple[str, ...]:
        return tuple(f"{display} <{address}>" for display, address in addresses(message, *names))

    plain, html = readable_texts(message)
    return MessageFacts(
        senders=people("From"),
        to=people("To"),
        cc=people("Cc"),
        bcc=people("Bcc"),
        subject=str(message.get("Subject", "")),
        text="\n".join(plain + html),
        filenames=tuple(name for name, _ in attachments(message)),
        internal_date_ms=internal_date_ms,
        size=size,
        message_id=str(message.get("Message-ID", "")),
    )
