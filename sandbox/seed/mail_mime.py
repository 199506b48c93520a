"""Seeded mail as RFC 2822 bytes: the message spec, conversation threading, and MIME rendering.

Messages are built with the stdlib `EmailMessage` under the compat32 policy (CRLF, 7-bit transfer
encodings), whose header folding is several times faster than the modern policy's; names and
subjects are still RFC 2047-encoded, and the modern parser reads the result back unchanged.
"""

from __future__ import annotations

import html
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.contentmanager import raw_data_manager
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from zoneinfo import ZoneInfo

from sandbox.seed.common import base62_token, digits, hex_token, working_before, working_time
from sandbox.seed.people import CARMEN, CONTACTS, DOMAIN, RAJ, contact


class _Policy(type(policy.compat32)):
    """compat32 with a fast path for short ASCII headers, which it would otherwise fold at length."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if (
            value.isascii()
            and "\n" not in value
            and "\r" not in value
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_POLICY = _Policy(linesep="\r\n", cte_type="7bit")
_PLAIN_WRITERS = {CARMEN, RAJ}  # people who send plain text only
_OUTLOOK_DOMAINS = {"globex.example", "initech.example", "brightwater-legal.example"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime_type: str
    data: bytes


@dataclass
class MailSpec:
    """One message before delivery: who sent it to whom, when, what it says, and how to file it."""

    thread: str  # messages with the same key form one conversation
    sender: str
    to: tuple[str, ...]
    subject: str
    when: datetime
    text: str | None = None
    html: str | None = None
    cc: tuple[str, ...] = ()
    sender_name: str | None = None  # for senders that are not contacts (services)
    attachments: tuple[Attachment, ...] = ()
    calendar: str | None = None  # a text/calendar REQUEST alternative (invitations)
    message_id: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    category: str = "CATEGORY_PERSONAL"
    user_labels: tuple[str, ...] = ()
    folder: str | None = None  # SPAM | TRASH | DRAFT
    copy_to_sender: bool = True  # False for mail sent on someone's behalf (calendar invitations)
    starred: bool = False
    important: bool | None = None  # None: decided at delivery
    expect: str | None = None  # "waiting-on-you" | "bulk": marks the seed's ground truth for tests


def message_id(rng: random.Random, sender: str) -> str:
    """A Message-ID in the style of the sender's mail system."""
    domain = sender.rpartition("@")[2]
    if domain in (DOMAIN, "gmail.example"):
        return f"<CA{base62_token(rng, 2)}+{base62_token(rng, 38)}@mail.gmail.com>"
    if domain in _OUTLOOK_DOMAINS:
        # Exchange Online's shape, shortened so the header stays on one line.
        server = f"{rng.choice(('SN6PR', 'DM6PR', 'BY5PR', 'CH2PR'))}{rng.randint(10, 19)}MB{rng.randint(1000, 9999)}"
        return f"<{server}{hex_token(rng, 12).upper()}@{server}.outlook.com>"
    return f"<{digits(rng, 13)}.{hex_token(rng, 16)}@{domain}>"


def _address(email: str, name: str | None = None) -> str:
    known = CONTACTS.get(email)
    return formataddr((name or (known.name if known else ""), email))


def _zone_name(email: str) -> str:
    known = CONTACTS.get(email)
    return known.time_zone if known else "UTC"


def _zone_of(email: str) -> ZoneInfo:
    return ZoneInfo(_zone_name(email))


def render(spec: MailSpec, rng: random.Random) -> bytes:
    """The message as Gmail would store it (`raw`)."""
    msg = EmailMessage(policy=_POLICY)
    msg["MIME-Version"] = "1.0"
    msg["Date"] = format_datetime(spec.when.astimezone(_zone_of(spec.sender)))
    if spec.references:
        msg["References"] = " ".join(spec.references)
    if spec.in_reply_to:
        msg["In-Reply-To"] = spec.in_reply_to
    msg["Message-ID"] = spec.message_id
    msg["Subject"] = spec.subject
    msg["From"] = _address(spec.sender, spec.sender_name)
    msg["To"] = ", ".join(_address(a) for a in spec.to)
    if spec.cc:
        msg["Cc"] = ", ".join(_address(a) for a in spec.cc)
    for name, value in spec.headers:
        msg[name] = value
    if spec.expect is not None:
        msg["X-Sandbox-Expect"] = spec.expect
    if spec.html is None:
        msg.set_content(spec.text or "", content_manager=raw_data_manager)
    elif spec.text is None:
        msg.set_content(spec.html, subtype="html", content_manager=raw_data_manager)
    else:
        msg.set_content(spec.text, content_manager=raw_data_manager)
        msg.add_alternative(spec.html, subtype="html", content_manager=raw_data_manager)
    if spec.calendar is not None:
        msg.add_alternative(
            spec.calendar, subtype="calendar", params={"method": "REQUEST"}, content_manager=raw_data_manager
        )
    for item in spec.attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        msg.add_attachment(item.data, maintype, subtype, filename=item.filename, content_manager=raw_data_manager)
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
        if part.is_multipart():
            # Boundaries would otherwise come from the global random module.
            part.set_boundary("000000000000" + hex_token(rng, 16))
    return msg.as_bytes()


# --- conversations -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One message of a scripted conversation; the body is what the sender typed (no quote)."""

    sender: str
    to: tuple[str, ...]
    body: str
    cc: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    gap_hours: float | None = None  # hours after the previous message; None: a few hours


def _signature(sender: str) -> str:
    known = CONTACTS.get(sender)
    if known is None or sender.endswith("@" + DOMAIN) or not known.org:
        return ""
    return f"\n\n--\n{known.name}\n{known.title} | {known.org}"


def _html_body(text: str) -> str:
    paragraphs = [html.escape(p).replace("\n", "<br>") for p in text.split("\n\n")]
    return "".join(f"<div>{p}</div><div><br></div>" for p in paragraphs[:-1]) + f"<div>{paragraphs[-1]}</div>"


def _attribution(when: datetime, sender: str) -> str:
    local = when.astimezone(_zone_of(sender))
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"On {local:%a}, {local:%b} {local.day}, {local.year} at {clock} {_address(sender)} wrote:"


def conversation(
    rng: random.Random,
    key: str,
    subject: str,
    steps: Sequence[Step],
    end: datetime,
    *,
    user_labels: tuple[str, ...] = (),
    waiting: bool = False,
    starred: bool = False,
) -> list[MailSpec]:
    """A thread whose last message is sent at `end`, replies quoting what came before.

    With `waiting`, the last message is marked as a direct question awaiting its `To` recipient.
    """
    # Walk back from the last message. Exact gaps stay exact (stories tie them to meetings);
    # otherwise earlier messages land in their senders' working hours.
    times = [end.replace(microsecond=0)]
    for n in range(len(steps) - 1, 0, -1):
        gap = steps[n].gap_hours
        if gap is None:
            earlier = working_before(
                times[0] - timedelta(hours=rng.uniform(0.4, 20)), _zone_name(steps[n - 1].sender), rng
            )
        else:
            earlier = times[0] - timedelta(hours=gap)
        times.insert(0, earlier.replace(microsecond=0))
    specs: list[MailSpec] = []
    text_so_far = html_so_far = ""
    ids: list[str] = []
    for n, (step, when) in enumerate(zip(steps, times, strict=True)):
        body = step.body + _signature(step.sender)
        text, body_html = body, _html_body(body)
        if n:
            attribution = _attribution(times[n - 1], steps[n - 1].sender)
            quoted = "\n".join(f"> {line}" if line else ">" for line in text_so_far.split("\n"))
            text = f"{body}\n\n{attribution}\n\n{quoted}\n"
            body_html += (
                f'<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">{html.escape(attribution)}'
                '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
                f'border-left:1px solid rgb(204,204,204);padding-left:1ex">{html_so_far}</blockquote></div>'
            )
        body_html = f'<div dir="ltr">{body_html}</div>'
        last = n == len(steps) - 1
        spec = MailSpec(
            thread=key,
            sender=step.sender,
            to=step.to,
            cc=step.cc,
            subject=subject if n == 0 else f"Re: {subject}",
            when=when,
            text=text,
            html=None if step.sender in _PLAIN_WRITERS else body_html,
            attachments=step.attachments,
            message_id=message_id(rng, step.sender),
            in_reply_to=ids[-1] if ids else None,
            references=tuple(ids),
            user_labels=user_labels,
            starred=starred and n == 0,
            expect="waiting-on-you" if waiting and last else None,
            important=True if waiting and last else None,
        )
        specs.append(spec)
        ids.append(spec.message_id)
        text_so_far, html_so_far = text, body_html
    return specs


class Clock:
    """Picks send times relative to the anchor, never in the future."""

    def __init__(self, rng: random.Random, anchor: datetime) -> None:
        self.rng, self.anchor = rng, anchor

    def ago(self, min_hours: float, max_hours: float, sender: str) -> datetime:
        """A working-hours moment in the given window before the anchor."""
        return working_time(self.rng, self.anchor, min_hours, max_hours, contact(sender).time_zone)

    def after(self, moment: datetime, min_hours: float, max_hours: float) -> datetime:
        """A moment some hours after `moment`, capped to just before the anchor."""
        later = moment + timedelta(seconds=self.rng.randint(int(min_hours * 3600), int(max_hours * 3600)))
        return min(later, self.anchor - timedelta(minutes=self.rng.randint(5, 50)))

    def hours_since(self, moment: datetime) -> float:
        """How long before the anchor `moment` was."""
        return (self.anchor - moment).total_seconds() / 3600
