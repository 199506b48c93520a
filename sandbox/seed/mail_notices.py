"""Mail that other sandbox services would have sent: Calendar invitations and Fathom recaps."""

from __future__ import annotations

import html
import random
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.seed.calendar_plan import EventSpec
from sandbox.seed.mail_files import invitation_ics
from sandbox.seed.mail_mime import Attachment, MailSpec, message_id
from sandbox.seed.people import ACCOUNT_EMAILS, contact
from sandbox.world import FathomRecording

_FATHOM = "no-reply@fathom.video"
_FOOTER = "Invitation from Google Calendar: https://calendar.google.com/calendar/\n"


def _clock(moment: datetime) -> str:
    text = moment.strftime("%I:%M%p").lstrip("0").lower()
    return text.replace(":00", "")


def _span(event: dict[str, Any], zone: str) -> str:
    """Google's compact time range, e.g. `Thu Mar 6, 2025 1pm - 1:45pm (EST)`."""
    start = datetime.fromisoformat(event["start"]["dateTime"]).astimezone(ZoneInfo(zone))
    end = datetime.fromisoformat(event["end"]["dateTime"]).astimezone(ZoneInfo(zone))
    return f"{start:%a %b} {start.day}, {start.year} {_clock(start)} - {_clock(end)} ({start.tzname()})"


def _invitation(event: dict[str, Any], invitee: str, rng: random.Random, anchor: datetime) -> MailSpec:
    organizer = event["organizer"]["email"]
    zone = contact(invitee).time_zone
    span = _span(event, zone)
    guests = "\n".join(
        f"{a.get('displayName', a['email'])}{' - organizer' if a.get('organizer') else ''}" for a in event["attendees"]
    )
    join = f"Join with Google Meet\n{event['hangoutLink']}\n\n" if "hangoutLink" in event else ""
    text = (
        f"{contact(organizer).name} has invited you to the following event.\n\n{event['summary']}\n{span}\n"
        f"Time zone: {zone}\n\n{join}Guests\n{guests}\n\nView all guest info: {event['htmlLink']}\n\n"
        f"Reply for {invitee}\nYes / No / Maybe\n\n{_FOOTER}"
    )
    body_html = "<html><body>" + "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n")
    )
    body_html += "</body></html>"
    sent = datetime.fromisoformat(event["created"]) + timedelta(seconds=rng.randint(20, 90))
    sent = min(sent, anchor - timedelta(minutes=10)).replace(microsecond=0)
    ics = invitation_ics(event, sent)
    return MailSpec(
        thread=f"invite-{event['id']}-{invitee}",
        sender=organizer,
        to=(invitee,),
        subject=f"Invitation: {event['summary']} @ {span} ({invitee})",
        when=sent,
        text=text,
        html=body_html,
        calendar=ics,
        attachments=(Attachment("invite.ics", "application/ics", ics.encode()),),
        message_id=f"<calendar-{event['id']}-{rng.getrandbits(40):x}@google.com>",
        headers=(
            ("Sender", "Google Calendar <calendar-notification@google.com>"),
            ("Reply-To", organizer),
        ),
        copy_to_sender=False,
        important=True,
    )


def invitations(
    specs: list[EventSpec], events: dict[str, dict[str, Any]], rng: random.Random, anchor: datetime
) -> list[MailSpec]:
    """An invitation email for every sandbox account that has not yet answered an invitation."""
    mail: list[MailSpec] = []
    for spec in specs:
        for invitee in spec.invitees:
            if invitee.status == "needsAction" and invitee.email in ACCOUNT_EMAILS and isinstance(spec.start, datetime):
                mail.append(_invitation(events[spec.key], invitee.email, rng, anchor))
    return mail


def responses(
    specs: list[EventSpec], events: dict[str, dict[str, Any]], rng: random.Random, anchor: datetime
) -> list[MailSpec]:
    """The "Accepted:" / "Declined:" notes organizers get when guests answer their invitations."""
    mail: list[MailSpec] = []
    verbs = {"accepted": "Accepted", "declined": "Declined", "tentative": "Tentatively Accepted"}
    for spec in specs:
        if spec.organizer not in ACCOUNT_EMAILS or not isinstance(spec.start, datetime) or spec.recurrence:
            continue
        event = events[spec.key]
        created = datetime.fromisoformat(event["created"])
        for invitee in spec.invitees:
            if invitee.status not in verbs:
                continue
            verb = verbs[invitee.status]
            name = contact(invitee.email).name
            when = min(created + timedelta(minutes=rng.randint(5, 2000)), anchor - timedelta(minutes=15))
            when = when.replace(microsecond=0)
            if when < anchor - timedelta(days=30):
                continue
            span = _span(event, contact(spec.organizer).time_zone)
            mail.append(
                MailSpec(
                    thread=f"response-{event['id']}-{invitee.email}",
                    sender=invitee.email,
                    to=(spec.organizer,),
                    subject=f"{verb}: {event['summary']} @ {span} ({spec.organizer})",
                    when=when,
                    text=f"{name} has {verb.lower()} this invitation.\n\n{event['summary']}\n{span}\n\n{_FOOTER}",
                    calendar=invitation_ics(event, when, "REPLY"),
                    message_id=f"<calendar-{event['id']}-{rng.getrandbits(40):x}@google.com>",
                    headers=(("Sender", "Google Calendar <calendar-notification@google.com>"),),
                    copy_to_sender=False,
                    important=False,
                )
            )
    return mail


_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def _markdown_text(markdown: str) -> str:
    return _LINK.sub(r"\1", markdown)


def _inline(text: str) -> str:
    """Escaped text with markdown links turned into anchors."""
    out, at = [], 0
    for link in _LINK.finditer(text):
        out.append(html.escape(text[at : link.start()]))
        out.append(f'<a href="{html.escape(link[2])}">{html.escape(link[1])}</a>')
        at = link.end()
    return "".join(out) + html.escape(text[at:])


def _markdown_html(markdown: str) -> str:
    """Just enough markdown for Fathom's summaries: headings, bullets and links."""
    out: list[str] = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if line.startswith("### "):
            out.append(f"<h3>{html.escape(line[4:])}</h3>")
        elif line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif stripped.startswith("- "):
            out.append(f"<li>{_inline(stripped[2:])}</li>")
        elif stripped:
            out.append(f"<p>{_inline(stripped)}</p>")
    return "".join(out)


def fathom_recaps(recordings: dict[int, FathomRecording], rng: random.Random, anchor: datetime) -> list[MailSpec]:
    """Fathom's summary email to whoever recorded each meeting."""
    mail: list[MailSpec] = []
    for recording in recordings.values():
        meeting = recording.meeting
        recorder = meeting["recorded_by"]["email"]
        created = datetime.fromisoformat(meeting["created_at"])
        when = min(created + timedelta(seconds=rng.randint(60, 600)), anchor - timedelta(minutes=5))
        text = (
            f"Your meeting notes are ready.\n\n{meeting['title']}\n\n{_markdown_text(recording.summary_markdown)}\n"
            f"View the recording: {meeting['url']}\n"
        )
        body_html = (
            f"<html><body><p>Your meeting notes are ready.</p><h1>{html.escape(meeting['title'])}</h1>"
            f"{_markdown_html(recording.summary_markdown)}"
            f'<p><a href="{meeting["url"]}">View the recording</a></p></body></html>'
        )
        mail.append(
            MailSpec(
                thread=f"fathom-{meeting['recording_id']}",
                sender=_FATHOM,
                sender_name="Fathom",
                to=(recorder,),
                subject=f"Recap: {meeting['title']}",
                when=when.replace(microsecond=0),
                text=text,
                html=body_html,
                message_id=message_id(rng, _FATHOM),
                category="CATEGORY_UPDATES",
                expect="bulk",
            )
        )
    return mail
