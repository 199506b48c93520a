"""Reading mail metadata: bulk mail vs people, calendar notices, who a message is addressed to."""

import re
from dataclasses import dataclass

from app.tools.format import NAME_CHARS, address_text, one_line, quoted_line
from app.upstream.gmail_models import GmailMessage, addresses

BULK_CATEGORIES = frozenset({"CATEGORY_PROMOTIONS", "CATEGORY_SOCIAL", "CATEGORY_UPDATES", "CATEGORY_FORUMS"})
_AUTOMATED_SENDER = re.compile(
    r"^(no-?reply|do-?not-?reply|notifications?|alerts?|updates?|news(letter)?|offers|marketing|mailer-daemon|"
    r"bounces?|digest|comments-noreply|calendar-notification|info|hello|team)([+.\-_].*)?@",
    re.IGNORECASE,
)
METADATA_HEADERS = (
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "List-Unsubscribe",
    "List-Id",
    "Precedence",
    "Auto-Submitted",
    "Reply-To",
    "Message-ID",
)


def sender_address(message: GmailMessage) -> str:
    found = addresses(message.header("From"))
    return found[0][1].lower() if found else ""


def sender_name(message: GmailMessage) -> str:
    """Who sent a message, as answers name them: the display name fenced (the sender wrote it), else the address."""
    found = addresses(message.header("From"))
    if not found:
        return "(unknown)"
    name, address = found[0]
    return quoted_line(name, NAME_CHARS) if one_line(name) else address_text(address)


def bulk_reason(message: GmailMessage) -> str | None:
    """Why this looks like a newsletter, notification or promotion (None for mail from a person)."""
    if message.header("List-Unsubscribe") or message.header("List-Id"):
        return "mailing list / newsletter"
    if (message.header("Precedence") or "").lower() in ("bulk", "list", "junk"):
        return "bulk mail"
    auto = (message.header("Auto-Submitted") or "no").lower()
    if auto != "no":
        return "automated message"
    if _AUTOMATED_SENDER.match(sender_address(message)):
        return "automated sender"
    category = next((label for label in message.label_ids if label in BULK_CATEGORIES), None)
    if category:
        return f"Gmail category {category[9:].lower()}"
    return None


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


def addressing(message: GmailMessage, me: str) -> Addressing:
    to = [a.lower() for _n, a in addresses(message.header("To"))]
    cc = [a.lower() for _n, a in addresses(message.header("Cc"))]
    me = me.lower()
    return Addressing(direct=me in to, cc_only=me not in to and me in cc, recipients=len(to) + len(cc))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()
