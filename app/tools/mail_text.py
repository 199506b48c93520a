"""Making mail readable for the model: quoted history and signatures trimmed where it is reliable."""

from __future__ import annotations

import re

from app.tools.format import person, quoted_line
from app.upstream.gmail_models import GmailMessage, addresses, message_content

# "On Tue, 3 Mar 2026 at 10:02, Priya Raman <priya@globex.example> wrote:" (may wrap over two lines)
_ATTRIBUTION = re.compile(r"^(On\b.{0,200}\bwrote:|Am\b.{0,200}\bschrieb\b.{0,80}:|Le\b.{0,200}\ba écrit ?:)\s*$", re.S)
_OUTLOOK = re.compile(r"^(-{2,}\s*Original Message\s*-{2,}|_{10,})\s*$", re.I)
_OUTLOOK_HEADER = re.compile(r"^From:\s.+", re.I)
TRIMMED = "quoted history/signature trimmed"  # the note readable_body gives when it left something out


def trim_reply(text: str) -> tuple[str, bool]:
    """The new part of a reply, without the quoted history and the signature; (text, trimmed?)."""
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if _ATTRIBUTION.match(stripped) or (_ATTRIBUTION.match(joined) and stripped.startswith("On ")):
            rest = [candidate for candidate in lines[index + 1 :] if candidate.strip()]
            if not rest or rest[0].lstrip().startswith(">") or (len(rest) > 1 and rest[1].lstrip().startswith(">")):
                cut = index
                break
        if _OUTLOOK.match(stripped) or (
            _OUTLOOK_HEADER.match(stripped) and index + 1 < len(lines) and lines[index + 1].lower().startswith("sent:")
        ):
            cut = index
            break
    kept = lines[:cut]
    # A trailing block of ">" lines with no attribution is quoted history too.
    while kept and (kept[-1].lstrip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    # RFC 3676 signature delimiter "-- " ends the message proper.
    for index, line in enumerate(kept):
        if line == "-- " or line == "--":
            kept = kept[:index]
            break
    result = "\n".join(kept).strip()
    if not result:
        return text.strip(), False
    return result, result != text.strip()


def header_lines(message: GmailMessage) -> list[str]:
    """From/To/Cc as readable lines: names fenced, addresses plain (see `format.person`)."""
    lines: list[str] = []
    for name in ("From", "To", "Cc"):
        value = message.header(name)
        if value:
            people = ", ".join(person(n, a) for n, a in addresses(value)) or quoted_line(value)
            lines.append(f"{name}: {people}")
    return lines


def readable_body(message: GmailMessage, trim: bool = True) -> tuple[str, list[str]]:
    """The body text (HTML converted) and notes about what was left out."""
    content = message_content(message)
    notes: list[str] = []
    text = content.text
    if trim and text:
        text, trimmed = trim_reply(text)
        if trimmed:
            notes.append(TRIMMED)
    if content.from_html:
        notes.append("converted from HTML")
    return text, notes
