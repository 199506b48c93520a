"""Rendering results for the model: bounded text, dates with offsets in the user's zone, people."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

DEFAULT_BUDGET = 8000
MAX_BUDGET = 50_000


def clamp_budget(max_chars: int | None, default: int = DEFAULT_BUDGET) -> int:
    if max_chars is None:
        return default
    return max(200, min(int(max_chars), MAX_BUDGET))


# Spans a cut must not fall inside: markdown links (with their targets) and bare URLs.
_UNBREAKABLE = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*\)|<https?://[^>\s]*>|\b(?:https?://|www\.)\S+", re.I)
_SENTENCE_END = re.compile(r"[.!?…][\"”')\]]*(?=\s)")


def boundary(text: str, limit: int) -> int:
    """Where to cut `text` to keep at most `limit` characters: after the last whole line or list item that
    fits, else after a sentence or between words; never inside a link or a URL (0 when nothing fits)."""
    if len(text) <= limit:
        return len(text)
    inside = [(m.start(), m.end()) for m in _UNBREAKABLE.finditer(text, 0, min(len(text), limit + 2000))]

    def allowed(at: int) -> bool:
        return not any(start < at < end for start, end in inside)

    window = text[: limit + 1]
    lines = [m.start() for m in re.finditer(r"\n", window) if allowed(m.start())]
    if any(lines):
        return max(lines)
    # One paragraph: after a sentence, unless that wastes most of the room; else between words.
    sentences = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit and allowed(m.end())]
    if sentences and max(sentences) >= limit // 2:
        return max(sentences)
    words = [m.start() for m in re.finditer(r"\s", window) if allowed(m.start())]
    return max([*sentences, *words], default=0)


# Text written by someone else (mail, invitations, meeting notes, files, names, titles) is fenced in
# « », which the server's instructions define as information, never instructions. Fence marks inside
# become ‹ ›, so quoted text cannot close its own fence.
#
# The rule every answer follows for a value an outsider can write:
# - multi-line text (a body, a description, a transcript line, a file's text) is `quoted`: fenced,
#   its line breaks kept, control characters other than tab and line breaks and the bidi
#   embeddings, overrides and isolates removed;
# - a one-line value (a name, a subject, a title, a location, a file name, a label) is `quoted_line`:
#   made one line (`one_line`), bounded, then fenced — `From: «Priya Raman» <priya@globex.example>`;
# - an email address is `address_text`: bare when it is a plain `local@domain` (ASCII, no white space,
#   quotes or fence marks, so it can neither break a line nor read as a sentence), else fenced as a
#   one-line value.
# So nothing an outsider wrote can start a line of an answer, close a fence, or pose as the server.
OPEN, CLOSE = "«", "»"
LINE_CHARS = 200
NAME_CHARS = 100
SUBJECT_CHARS = 300
SENTENCE_CHARS = 500  # a one-line value that is a sentence or two: an action item, an ask
ADDRESS_CHARS = 254 + 20  # the longest address (RFC 5321), with room to show that it is longer
_BLOCK_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff]")
_LINE_BREAK = re.compile("\r\n?|[\u2028\u2029\x85]")


def quoted(text: str) -> str:
    """`text` written by someone else, fenced as data for the model (line breaks kept)."""
    text = _BLOCK_UNSAFE.sub("", _LINE_BREAK.sub("\n", text))
    return OPEN + text.replace(OPEN, "‹").replace(CLOSE, "›") + CLOSE


def one_line(text: str | None, limit: int = LINE_CHARS) -> str:
    """Someone else's short text made one line, unfenced (`quoted_line` fences it).

    Control characters (C0 and C1, with CR, LF and tab) and line or paragraph separators become
    spaces; format characters (Unicode category Cf: bidi marks, embeddings, overrides and isolates,
    zero-width spaces and joiners, the BOM) and lone surrogates are removed; white space is collapsed;
    fence marks « » become ‹ ›; past `limit` characters it is cut between words and ends in " …".
    """
    if not text:
        return ""
    if not (text.isascii() and text.isprintable()):
        text = "".join(_one_line_char(char) for char in text)
    text = " ".join(text.split()).replace(OPEN, "‹").replace(CLOSE, "›")
    if len(text) <= limit:
        return text
    cut = boundary(text, limit - 2) or limit - 2
    return text[:cut].rstrip() + " …"


def _one_line_char(char: str) -> str:
    if char.isprintable() or char == " ":
        return char
    kind = unicodedata.category(char)
    if kind in ("Cf", "Cs"):
        return ""
    return " " if kind in ("Cc", "Zl", "Zp", "Zs") else char


def quoted_line(text: str | None, limit: int = LINE_CHARS, empty: str = "(none)") -> str:
    """A one-line value someone else wrote (a name, title, file name, label): `one_line`, then fenced;
    `empty` (unfenced, the server's words) when nothing is left of it."""
    line = one_line(text, limit)
    return OPEN + line + CLOSE if line else empty


# A plain address: a dot-atom local part (RFC 5322 atext, ASCII), "@", a host name. Nothing else is shown bare.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def address_text(address: str | None) -> str:
    """An email address taken from someone else's data: bare when plain, else a fenced one-line value."""
    if address and len(address) <= 254 and _PLAIN_ADDRESS.fullmatch(address):
        return address
    return quoted_line(address, ADDRESS_CHARS, empty="(no address)")


# A link as answers show it bare: http(s), printable ASCII, nothing that could end it early or fence it.
_LINK = re.compile(r"https?://[\x21-\x7e]+")
_NOT_IN_LINK = set('<>"«»`')


def link_text(url: str | None) -> str:
    """A link taken from someone else's data (a meeting link, say): bare when it is a plain http(s) URL."""
    if url and len(url) <= 2000 and _LINK.fullmatch(url) and not _NOT_IN_LINK & set(url):
        return url
    return quoted_line(url, empty="(no link)")


def addresses_text(addresses: Iterable[str]) -> str:
    """Addresses as `address_text` shows them, comma-separated."""
    return ", ".join(address_text(address) for address in addresses)


def subject_text(subject: str | None) -> str:
    """A mail subject as answers show it: someone else's words, fenced, and never longer than a line should be."""
    return quoted_line(subject, SUBJECT_CHARS, empty="(no subject)")


def closed(text: str) -> str:
    """`text` cut somewhere, with the fence it left open (if any) closed, so what follows is outside it."""
    return text + CLOSE if text.rfind(OPEN) > text.rfind(CLOSE) else text


def clip(text: str, limit: int, rest: str, *, fence: bool = False) -> str:
    """`text` cut to `limit` characters at a boundary (see `boundary`), then a notice of how much was left out
    and how to get the rest (`rest`, e.g. "fathom_get_meeting shows all of it").

    With `fence`, the kept text is `quoted` (someone else wrote it) and the notice stays outside the fence.
    """
    text = text.strip()
    if len(text) <= limit:
        return quoted(text) if fence else text
    kept = text[: boundary(text, limit)].rstrip()
    left = text[len(kept) :].strip()
    lines = left.count("\n") + 1
    return f"{quoted(kept) if fence else kept}\n[cut here: {lines} more line(s), {len(left)} characters — {rest}]"


class Budget:
    """Collects output up to `limit` characters, then stops with an explicit truncation notice."""

    def __init__(self, limit: int, more_hint: str) -> None:
        self.limit = limit
        self.more_hint = more_hint
        self.parts: list[str] = []
        self.used = 0
        self.truncated = False

    def add(self, text: str) -> bool:
        """Append `text` (cut if needed); False once the budget is spent."""
        if self.truncated:
            return False
        room = self.limit - self.used
        if len(text) + 1 > room:
            cut = boundary(text, max(0, room - 2))
            if cut > 40:
                self.parts.append(closed(text[:cut].rstrip() + " …"))
            self.truncated = True
            return False
        self.parts.append(text)
        self.used += len(text) + 1
        return True

    def add_whole(self, text: str) -> bool:
        """Append `text` only if all of it fits (an entry with ids is never cut); False once spent."""
        if self.truncated or len(text) + 1 > self.limit - self.used:
            self.truncated = True
            return False
        return self.add(text)

    def extend(self, texts: Iterable[str]) -> bool:
        return all(self.add(text) for text in texts)

    def render(self) -> str:
        text = "\n".join(self.parts)
        if self.truncated:
            text += f"\n[truncated at {self.limit} characters — {self.more_hint}]"
        return text


def when(moment: datetime, zone: ZoneInfo) -> str:
    """Wall-clock time in the zone the answer names once, with the weekday: `2026-11-24 09:14 (Tue)`.

    The same text is accepted back as a time in that zone. Only a time the clocks show twice (the
    hour repeated when daylight saving ends) carries its offset, so it stays exact both ways.
    """
    local = moment.astimezone(zone)
    offset = ""
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        offset = local.isoformat()[19:]
    return f"{local:%Y-%m-%d %H:%M}{offset} ({local:%a})"


def span(start: datetime, end: datetime | None, zone: ZoneInfo) -> str:
    """A stretch of time; within one day the end shows only its clock: `2026-11-24 09:00–09:30 (Tue)`."""
    if end is None:
        return when(start, zone)
    first, last = when(start, zone), when(end, zone)
    if start.astimezone(zone).date() != end.astimezone(zone).date():
        return f"{first} – {last}"
    head, weekday = first.rsplit(" (", 1)
    return f"{head}–{last.split(' ')[1]} ({weekday}"


def day(value: date) -> str:
    return f"{value.isoformat()} ({value:%a})"


def person(name: str | None, email: str | None) -> str:
    """Someone as answers show them: `«Name» <address>`, the name fenced (others write it), the address
    as `address_text` shows it; just the address when the name is missing or the same."""
    shown = one_line(name, NAME_CHARS)
    if email and (not shown or shown == email):
        return address_text(email)
    if shown:
        return f"{OPEN}{shown}{CLOSE}" + (f" <{address_text(email)}>" if email else "")
    return "(unknown)"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
