"""Gmail API resources, parsed at the boundary into typed models, and their readable content."""

from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as _HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

_HTML_CONFIG = ParserConfig(display_links=True, display_anchors=False)


class _Resource(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Header(_Resource):
    name: str
    value: str


class PartBody(_Resource):
    size: int = 0
    data: str | None = None
    attachment_id: str | None = None


class MessagePart(_Resource):
    part_id: str = ""
    mime_type: str = ""
    filename: str = ""
    headers: list[Header] = Field(default_factory=list)
    body: PartBody = Field(default_factory=PartBody)
    parts: list[MessagePart] = Field(default_factory=list)

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for header in self.headers:
            if header.name.lower() == lowered:
                return decode_mime_words(header.value)
        return None


class GmailMessage(_Resource):
    id: str
    thread_id: str = ""
    label_ids: list[str] = Field(default_factory=list)
    snippet: str = ""
    history_id: str | None = None
    internal_date: str | None = None
    size_estimate: int | None = None
    payload: MessagePart | None = None
    raw: str | None = None

    def header(self, name: str) -> str | None:
        return self.payload.header(name) if self.payload else None

    @property
    def received_at(self) -> datetime | None:
        """When Gmail received it (internalDate), else the Date header."""
        if self.internal_date:
            return datetime.fromtimestamp(int(self.internal_date) / 1000, UTC)
        date = self.header("Date")
        if date:
            try:
                return parsedate_to_datetime(date)
            except (TypeError, ValueError):
                return None
        return None


class GmailThread(_Resource):
    id: str
    history_id: str | None = None
    snippet: str = ""
    messages: list[GmailMessage] = Field(default_factory=list)


class MessageRef(_Resource):
    id: str
    thread_id: str = ""


class MessageList(_Resource):
    messages: list[MessageRef] = Field(default_factory=list)
    next_page_token: str | None = None
    result_size_estimate: int = 0


class Label(_Resource):
    id: str
    name: str
    type: str = "user"
    messages_total: int | None = None
    messages_unread: int | None = None


class SendAs(_Resource):
    """A "Send mail as" address: the account itself (primary) or an alias, usable once verified."""

    send_as_email: str
    display_name: str = ""
    reply_to_address: str = ""
    signature: str = ""  # HTML
    is_primary: bool = False
    is_default: bool = False
    verification_status: str | None = None

    @property
    def usable(self) -> bool:
        return self.is_primary or self.verification_status == "accepted"


class Draft(_Resource):
    id: str
    message: MessageRef


class DraftMessage(_Resource):
    """A draft with its whole message (drafts.get)."""

    id: str
    message: GmailMessage


class Attachment(_Resource):
    attachment_id: str | None = None
    size: int = 0
    data: str = ""


@dataclass(frozen=True)
class AttachmentInfo:
    filename: str
    mime_type: str
    size: int
    attachment_id: str | None
    part_id: str


@dataclass(frozen=True)
class MessageContent:
    text: str
    from_html: bool
    attachments: list[AttachmentInfo]


def decode_mime_words(value: str) -> str:
    """Decode RFC 2047 encoded-words (`=?utf-8?q?…?=`) if any are present."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (UnicodeDecodeError, LookupError, binascii.Error):
        return value


def b64url_decode(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _charset(part: MessagePart) -> str:
    parser = _HeaderParser()
    parser["Content-Type"] = part.header("Content-Type") or part.mime_type or "text/plain"
    return parser.get_content_charset() or "utf-8"


def part_text(part: MessagePart) -> str:
    """The decoded text of one text/* part (Gmail has already undone the transfer encoding)."""
    if not part.body.data:
        return ""
    raw = b64url_decode(part.body.data)
    try:
        return raw.decode(_charset(part), errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """Readable text from an HTML email body: layout-aware, links kept, no markup."""
    return get_text(html, _HTML_CONFIG).strip()


def _walk(part: MessagePart) -> list[MessagePart]:
    found = [part]
    for child in part.parts:
        found.extend(_walk(child))
    return found


def message_content(message: GmailMessage) -> MessageContent:
    """The readable body (plain text preferred, HTML converted) and the attachment list."""
    if message.payload is None:
        return MessageContent(text=message.snippet, from_html=False, attachments=[])
    plain: list[str] = []
    html: list[str] = []
    attachments: list[AttachmentInfo] = []
    for part in _walk(message.payload):
        disposition = (part.header("Content-Disposition") or "").lower()
        if part.filename or (part.body.attachment_id and not part.mime_type.startswith("text/")):
            attachments.append(
                AttachmentInfo(
                    filename=part.filename or "(unnamed)",
                    mime_type=part.mime_type,
                    size=part.body.size,
                    attachment_id=part.body.attachment_id,
                    part_id=part.part_id,
                )
            )
            continue
        if disposition.startswith("attachment"):
            continue
        if part.mime_type == "text/plain":
            plain.append(part_text(part))
        elif part.mime_type == "text/html":
            html.append(part_text(part))
    if any(p.strip() for p in plain):
        return MessageContent(text="\n".join(plain).strip(), from_html=False, attachments=attachments)
    text = "\n".join(html_to_text(h) for h in html if h.strip())
    return MessageContent(text=text, from_html=bool(html), attachments=attachments)


def addresses(value: str | None) -> list[tuple[str, str]]:
    """(name, address) pairs from an address header."""
    if not value:
        return []
    return list(_parsed_addresses(value))


@functools.lru_cache(maxsize=4096)
def _parsed_addresses(value: str) -> tuple[tuple[str, str], ...]:
    # The same From and To headers come back on every search and thread; parsing them is slow.
    return tuple((name, addr) for name, addr in getaddresses([value]) if addr)
