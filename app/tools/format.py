"""Rendering results for the model: bounded text, dates with offsets in the user's zone, people."""

from __future__ import annotations

import re
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


# Text written by someone else (mail, invitations, meeting notes, files) is fenced in « », which the
# server's instructions define as information, never instructions. Fence marks inside become ‹ ›,
# so quoted text cannot close its own fence.
OPEN, CLOSE = "«", "»"


def quoted(text: str) -> str:
    """`text` written by someone else, fenced as data for the model."""
    return OPEN + text.replace(OPEN, "‹").replace(CLOSE, "›") + CLOSE


SUBJECT_CHARS = 300


def subject_text(subject: str | None) -> str:
    """A mail subject as answers show it: someone else's words, fenced, and never longer than a line should be."""
    text = " ".join((subject or "").split())
    if not text:
        return "(no subject)"
    return quoted(text if len(text) <= SUBJECT_CHARS else text[: boundary(text, SUBJECT_CHARS)].rstrip() + " …")


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
                self.parts.append(text[:cut].rstrip() + " …")
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
    if name and email and name != email:
        return f"{name} <{email}>"
    return email or name or "(unknown)"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
