"""Building outgoing mail (RFC 2822 via `email.message.EmailMessage`), including threaded replies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from app.upstream.gmail_models import GmailMessage, addresses, decode_mime_words
from app.upstream.mail_addresses import plain_address
from app.upstream.mail_body import Bodies, bodies

_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw)\s*:\s*", re.IGNORECASE)
# Reply and forward prefixes as mail clients write them: "Re:", "RE[2]:", "Aw:", "Fwd:", "FW:".
_ANY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|fwd?|wg)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)
# C0 and C1 controls (tab aside) and the Unicode line separators: anything a reader could take for
# the end of a header line.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
# RFC 5322 §3.6.4 msg-id: "<" dot-atom-text "@" (dot-atom-text / "[" dtext "]") ">".
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = rf"{_ATOM}(?:\.{_ATOM})*"
_MSG_ID = re.compile(rf"<{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[\x21-\x5a\x5e-\x7e]*\])>")
MAX_REFERENCES = 30
_MAX_DECODING_DEPTH = 5


class InvalidAddress(ValueError):
    """A recipient is not a usable email address; the message names it."""


class BareName(InvalidAddress):
    """A name where an address belongs ("Priya"): never guessed into an address."""

    def __init__(self, value: str) -> None:
        super().__init__(f"{value!r} is not an email address")


class UnsafeHeader(ValueError):
    """A header value holds a line break or other control character; the message names the field."""

    def __init__(self, field: str) -> None:
        super().__init__(
            f"Refused: the {field} contains a line break or another control character (once its =?…?= "
            "encoded words are decoded), which could add hidden headers such as Bcc. Write it as plain text "
            "on one line and try again."
        )


def _layers(value: str) -> list[str]:
    """`value` and what it becomes as RFC 2047 encoded words are decoded, layer after layer."""
    layers = [value]
    for _ in range(_MAX_DECODING_DEPTH):
        decoded = decode_mime_words(layers[-1])
        if decoded == layers[-1]:
            break
        layers.append(decoded)
    return layers


def header_text(field: str, value: str) -> str:
    """`value`, checked to stay text within its header however many times a reader decodes it.

    Raises:
        UnsafeHeader: a layer holds a control character, or the encoded words nest too deep.
    """
    layers = _layers(value)
    if any(_CONTROL.search(layer) for layer in layers) or decode_mime_words(layers[-1]) != layers[-1]:
        raise UnsafeHeader(field)
    return value


def plain_text(value: str) -> str:
    """Text taken from someone else's header, fully decoded, with control characters made spaces."""
    return " ".join(_CONTROL.sub(" ", _layers(value)[-1]).split())


def message_ids(value: str) -> list[str]:
    """The well-formed `<id@host>` tokens of a Message-ID, In-Reply-To or References value."""
    return _MSG_ID.findall(value)


def parse_address(value: str, field: str = "address") -> Address:
    """One recipient (`a@b.com` or `Name <a@b.com>`) whose address is plain (see `mail_addresses.plain_address`)."""
    header_text(field, value)
    if "@" not in value:
        raise BareName(value.strip())
    pairs = addresses(value)
    if len(pairs) != 1:
        raise InvalidAddress(f"{value!r} is not one email address")
    name, addr = pairs[0]
    # An encoded-word display name ("=?utf-8?q?x=2C_y@z?=") is decoded here so it is written back
    # quoted; left encoded, it would decode downstream into extra recipients.
    name = decode_mime_words(name)
    # The address as written must be the whole value or stand in <…>: a comment ("bob(x)@…") parses away.
    written = value.strip() == addr or value.rstrip().endswith(f"<{addr}>")
    if plain_address(addr) is None or not written:
        raise InvalidAddress(
            f"{value!r} is not a plain email address (a dot-separated local part, @, a host name; no quotes, "
            "comments, IP addresses or characters outside ASCII)"
        )
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
    """Only well-formed message ids and plain text are taken over: the parent was written by others."""
    message_id = next(iter(message_ids(parent.header("Message-ID") or "")), "")
    references = [*message_ids(parent.header("References") or ""), *([message_id] if message_id else [])]
    if len(references) > MAX_REFERENCES:  # keep the thread's root and the latest (RFC 5322 §3.6.4)
        references = [references[0], *references[-(MAX_REFERENCES - 1) :]]
    return ReplyContext(
        thread_id=parent.thread_id,
        message_id_header=message_id,
        references=" ".join(references),
        subject=plain_text(parent.header("Subject") or ""),
        reply_to=parent.header("Reply-To") or parent.header("From") or "",
    )


def reply_subject(subject: str) -> str:
    """`Re: <subject>` without stacking prefixes (Gmail threads on the normalised subject)."""
    stripped = subject
    while _REPLY_PREFIX.match(stripped):
        stripped = _REPLY_PREFIX.sub("", stripped, count=1)
    return f"Re: {stripped}" if stripped else "Re:"


def forward_subject(subject: str) -> str:
    """`Fwd: <subject>`, unless it is already a forward's subject."""
    if re.match(r"^\s*(fwd?|wg)\s*:", subject, re.IGNORECASE):
        return subject
    return f"Fwd: {subject}" if subject.strip() else "Fwd:"


def same_subject(given: str, original: str) -> bool:
    """Whether `given` is `original` again, ignoring case, spacing and any Re:/Aw:/Fwd: prefixes."""

    def bare(subject: str) -> str:
        while _ANY_PREFIX.match(subject):
            subject = _ANY_PREFIX.sub("", subject, count=1)
        return " ".join(subject.split()).casefold()

    return bare(given) == bare(original)


@dataclass(frozen=True)
class FileToAttach:
    """A file carried along with a message (e.g. a forwarded message's attachment)."""

    filename: str
    mime_type: str
    data: bytes


def build_message(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    body: str | Bodies,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply: ReplyContext | None = None,
    sender_name: str = "",
    attachments: Sequence[FileToAttach] = (),
) -> EmailMessage:
    """Text and HTML alternatives (then any attachments); a reply gets `In-Reply-To`/`References`."""
    body = bodies(body) if isinstance(body, str) else body
    message = EmailMessage()
    message["From"] = Address(display_name=plain_text(sender_name), addr_spec=sender)
    if to:
        message["To"] = [parse_address(a, "to address") for a in to]
    if cc:
        message["Cc"] = [parse_address(a, "cc address") for a in cc]
    if bcc:
        message["Bcc"] = [parse_address(a, "bcc address") for a in bcc]
    message["Subject"] = header_text("subject", subject)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2].strip(">") or None
    message["Message-ID"] = make_msgid(domain=domain)
    if reply is not None and reply.message_id_header:
        message["In-Reply-To"] = reply.message_id_header
        message["References"] = reply.references
    message.set_content(body.plain)
    message.add_alternative(body.html, subtype="html")
    for file in attachments:
        maintype, _, subtype = file.mime_type.partition("/")
        if not subtype or not maintype.isascii():
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=plain_text(file.filename))
    return message
