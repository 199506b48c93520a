"""Reading mail metadata: bulk mail vs people, calendar notices, who a message is addressed to."""

import re
from dataclasses import dataclass

from app.tools.format import NAME_CHARS, address_text, one_line, quoted_line
from app.workspace.mail import Message

BULK_CATEGORIES = frozenset({"CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_UPDATES", "CATEGORY_FORUMS"})
_AUTOMATED_SENDER = re.compile(
    r"^(no-?reply|do-?not-?reply|notifications?|alerts?|updates?|news(letter)?|offers|marketing|mailer-daemon|"
    r"bounces?|digest|comments-noreply|calendar-notification|info|hello|team)([+.\-_].*)?@",
    re.IGNORECASE,
)


def sender_address(message: Message) -> str:
    return message.sender[0].address.lower() if message.sender else ""


def sender_name(message: Message) -> str:
    """Who sent a message, as answers name them: the display name fenced (the sender wrote it), else the address."""
    if not message.sender:
        return "(unknown)"
    name, address = message.sender[0].name, message.sender[0].address
    return quoted_line(name, NAME_CHARS) if one_line(name) else address_text(address)


def bulk_reason(message: Message) -> str | None:
    """Why this looks like a newsletter, notification or promotion (None for mail from a person, or when
    the backend tells too little to say: Google's MCP server gives no list headers)."""
    if message.bulk:
        return message.bulk
    if _AUTOMATED_SENDER.match(sender_address(message)):
        return "automated sender"
    category = next((label for label in message.labels or () if label in BULK_CATEGORIES), None)
    if category:
        return f"Gmail category {category[9:].lower()}"
    return None


def sent_by(message: Message, me: str) -> bool:
    """Whether the person sent this message: Gmail filed it as sent, or, where the backend gives no
    labels, it is from their address (a ranking signal only, never a guard's)."""
    if message.labels is not None:
        return "SENT" in message.labels
    return sender_address(message) == me.lower()


_CALENDAR_NOTICE = re.compile(
    r"^(updated )?invitation( from google calendar)?:|^(accepted|declined|tentatively accepted|canceled event|"
    r"cancelled event|new event|event canceled):",
    re.IGNORECASE,
)


def is_calendar_notice(subject: str) -> bool:
    """Invitation and RSVP mails: the calendar items cover them."""
    return bool(_CALENDAR_NOTICE.match(subject.strip()))


@dataclass(frozen=True)
class Addressing:
    direct: bool  # my address is in To
    cc_only: bool
    recipients: int


def addressing(message: Message, me: str) -> Addressing:
    to = [box.address.lower() for box in message.to]
    cc = [box.address.lower() for box in message.cc]
    me = me.lower()
    return Addressing(direct=me in to, cc_only=me not in to and me in cc, recipients=len(to) + len(cc))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
