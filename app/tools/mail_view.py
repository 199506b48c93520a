"""Mail as the model reads it: search hits, whole messages and label names, from the product's mail model.

Every value someone else wrote (names, subjects, snippets, bodies, file names, label names) is fenced
or made one line (see `format`). A fact the backend does not give (a message's time, its labels) is
left out or said to be unknown, never guessed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from cachetools import TTLCache

from app.tools.caches import cached, per_person
from app.tools.format import addresses_text, day, human_size, person, quoted, quoted_line, subject_text, when
from app.tools.mail_text import TRIMMED, trim_reply
from app.tools.times import times_in
from app.workspace.mail import Label, Mail, Mailbox, Message, SearchPage

_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}", re.IGNORECASE)


def found_text(count: int, page: SearchPage, *, first_page: bool) -> str:
    """How many hits a search page holds, against the backend's estimate of all matches."""
    unit = "message(s)" if page.unit == "message" else "thread(s)"
    estimate = page.estimate or 0
    if first_page and page.next_page is None:
        return f"{count} {unit}"
    # Gmail's estimate can be below what it already returned: then only say that more match.
    about = f" of about {estimate}" if estimate > count else ""
    if first_page:
        return f"First {count}{about} {unit}" + ("" if about else " (more match)")
    return f"{count} more{about} {unit}"


def label_text(label_id: str, names: dict[str, str]) -> str:
    """A label as answers name it: a system label by its id (INBOX), the person's own by its name, fenced
    (a label's name may come from a filter or an import, so it is treated as someone else's text)."""
    name = names.get(label_id)
    return quoted_line(name, empty=label_id) if name and name != label_id else label_id


def media_type(value: str) -> str:
    """An attachment's MIME type: as it is when it is one, else fenced (the sender wrote it)."""
    return value if _MEDIA_TYPE.fullmatch(value) else quoted_line(value, 100, empty="unknown type")


def labels_text(message: Message, names: dict[str, str]) -> str | None:
    """The message's labels (its category named apart), or None when the backend does not say."""
    if message.labels is None:
        return None
    ordered = message.labels
    shown = [label_text(label, names) for label in ordered if not label.startswith("CATEGORY_")]
    category = next((label[9:].lower() for label in ordered if label.startswith("CATEGORY_")), None)
    text = ", ".join(shown) or "none"
    return f"{text} · category {category}" if category and category != "personal" else text


def _people(boxes: Sequence[Mailbox]) -> str:
    return ", ".join(person(box.name, box.address) for box in boxes)


def sent_text(message: Message, zone: ZoneInfo, name_zone: bool = False) -> str:
    """When it was sent: the time in `zone`, or only the day when that is all the backend gives."""
    if message.sent_at is not None:
        return when(message.sent_at, zone) + (times_in(zone) if name_zone else "")
    if message.sent_on is not None:
        return f"{day(message.sent_on)} (time of day not given by Google)"
    return "date unknown"


def summary(message: Message, zone: ZoneInfo, names: dict[str, str], thread_size: int | None = None) -> str:
    """One search hit: when, who, subject, snippet, labels and ids."""
    to = addresses_text(box.address for box in message.to)
    cc = addresses_text(box.address for box in message.cc)
    lines = [
        f"- {sent_text(message, zone)} · From: {_people(message.sender) or '(unknown sender)'}",
        f"  To: {to or '-'}" + (f" · Cc: {cc}" if cc else ""),
        f"  Subject: {subject_text(message.subject)}",
    ]
    if message.snippet:
        lines.append(f"  {quoted(html.unescape(message.snippet))}")
    facts: list[str] = []
    labels = labels_text(message, names)
    if labels is not None:
        facts.append(f"labels: {labels}")
    if message.has_files:
        facts.append("attachment")
    if message.bulk:
        facts.append("bulk/newsletter")
    if thread_size is not None:
        facts.append(f"{thread_size} message(s) in the thread, newest shown")
    ids = f"message_id={message.id}" + (f" thread_id={message.thread_id}" if message.thread_id else "")
    lines.append("  " + " · ".join([*facts, ids]))
    return "\n".join(lines)


def readable(message: Message, trim: bool) -> tuple[str, list[str]]:
    """The body text and notes about what was left out of it."""
    text = message.text or ""
    notes: list[str] = []
    if trim and text:
        text, trimmed = trim_reply(text)
        if trimmed:
            notes.append(TRIMMED)
    if message.from_html:
        notes.append("converted from HTML")
    return text, notes


def message_block(
    message: Message, zone: ZoneInfo, names: dict[str, str], trim: bool, left_out: str = "", name_zone: bool = False
) -> list[str]:
    """One message as the model reads it; `left_out` says how to see what trimming left out.

    `name_zone` names the time zone after the date, for an answer that names it nowhere else.
    """
    body, notes = readable(message, trim)
    if left_out:
        notes = [f"{note} — {left_out}" if note == TRIMMED else note for note in notes]
    lines = [f"Subject: {subject_text(message.subject)}"]
    for header, boxes in (("From", message.sender), ("To", message.to), ("Cc", message.cc)):
        if boxes:
            lines.append(f"{header}: {_people(boxes)}")
    lines.append(f"Date: {sent_text(message, zone, name_zone)}")
    labels = labels_text(message, names)
    ids = f"message_id={message.id}" + (f" thread_id={message.thread_id}" if message.thread_id else "")
    lines.append(f"Labels: {labels} · {ids}" if labels is not None else f"Ids: {ids}")
    named = [f for f in message.files if f.name]
    if named:
        lines.append("Attachments:")
        lines += [
            f"  - {quoted_line(f.name)} ({media_type(f.mime_type)}, {human_size(f.size or 0)}) attachment_id={f.id}"
            for f in named
        ]
    elif message.files:
        lines.append(f"Attachments: {len(message.files)} (Google's Gmail MCP server gives neither names nor contents)")
    lines.append(f"[{'; '.join(notes)}]" if notes else "")
    lines.append(quoted(body) if body else "(no text body)")
    return lines


class LabelNames:
    """Names of each person's own labels (ids like Label_12), kept a few minutes per person."""

    TTL = 300.0

    def __init__(self) -> None:
        self._cache: TTLCache[str, dict[str, str]] = per_person(self.TTL)

    async def get(self, mail: Mail) -> dict[str, str]:
        async def load() -> dict[str, str]:
            return {label.id: label.name for label in await mail.labels() if label.type == "user"}

        return await cached(self._cache, mail.person, load)

    def forget(self, person_id: str) -> None:
        """Drop the kept names after the person's labels changed."""
        self._cache.pop(person_id, None)

    async def for_messages(self, mail: Mail, messages: Iterable[Message]) -> dict[str, str]:
        """The names the labels of `messages` need; none are read when all are Gmail's own."""
        if not any(label.startswith("Label_") for m in messages for label in m.labels or ()):
            return {}
        return await self.get(mail)


def user_labels(labels: Iterable[Label]) -> list[Label]:
    return [label for label in labels if label.type == "user"]
