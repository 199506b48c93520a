"""Across sources: meeting_prep (event → people → threads and past meetings) and meeting_follow_up
(Fathom meeting → a threaded follow-up draft to the invitees; never sent)."""

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from publicsuffixlist import PublicSuffixList
from pydantic import Field

from app.storage.store import User
from app.tools.composing import message_addresses, replying_context, sender_for
from app.tools.format import (
    SENTENCE_CHARS,
    Budget,
    addresses_text,
    boundary,
    clip,
    link_text,
    person,
    quoted,
    quoted_line,
    subject_text,
    when,
)
from app.tools.mail_view import sent_text
from app.tools.registrar import ToolRegistrar, report_action
from app.tools.resolvers import Resolvers
from app.tools.signals import domain_of, sender_name
from app.tools.summaries import readable_summary, summary_block
from app.upstream.errors import UpstreamError
from app.upstream.fathom import FathomClient, Meeting, Summary
from app.upstream.gmail_compose import build_message, reply_subject
from app.upstream.mail_addresses import any_of_query, plain_address
from app.upstream.mail_body import bodies
from app.workspace.calendar import Calendar, Event
from app.workspace.mail import Mail, Message

PAST_MEETING_DAYS = 120
MAX_FATHOM_PAGES = 5
SUMMARY_CHARS = 1200  # per past meeting in a prep
RECENT_SEARCH = 25  # messages (or threads) a prep reads to find recent mail with the guests
RECENT_THREADS = 6
FOLLOW_UP_SEARCH = 30
_WORD = re.compile(r"[a-z0-9]{3,}")
_HOST = re.compile(r"(?:[a-z0-9-]+\.)+[a-z0-9-]+", re.IGNORECASE)
_QUOTED = re.compile(r"\sOn\s.{0,200}?\swrote:|\s-{2,}\s*(?:Original|Forwarded) [Mm]essage")


@cache
def _suffixes() -> PublicSuffixList:
    """The Public Suffix List shipped with the package (read once, on first use; never downloaded)."""
    return PublicSuffixList()


def company(domain: str) -> str:
    """`globex.example` → `Globex`, `acme.co.uk` → `Acme` (a readable guess at the organisation behind a domain);
    empty when `domain` is not a host name (then it is someone's text, not a company's name)."""
    if not _HOST.fullmatch(domain):
        return ""
    registered = _suffixes().privatesuffix(domain.lower().strip(".")) or domain
    return registered.split(".")[0].replace("-", " ").title()


async def find_meeting(fathom: FathomClient, recording_id: int) -> Meeting | None:
    cursor: str | None = None
    for _page in range(MAX_FATHOM_PAGES):
        page = await fathom.list_meetings(include_action_items=True, cursor=cursor)
        for meeting in page.items:
            if meeting.recording_id == recording_id:
                return meeting
        cursor = page.next_cursor
        if not cursor:
            return None
    return None


async def _next_event(calendar: Calendar) -> Event:
    now = datetime.now(UTC)
    events = (await calendar.list_events(time_min=now, time_max=now + timedelta(days=7), max_results=50)).items
    for event in events:
        mine = event.me()
        start = event.start.date_time
        if start is None or (mine is not None and mine.response_status == "declined"):
            continue
        if start >= now - timedelta(minutes=10):
            return event
    raise ToolError("You have no meetings in the next 7 days. Pass an event_id from calendar_list_events.")


def _participants(message: Message) -> set[str]:
    """The plain addresses a message was from, to or copied to, exactly as its headers say."""
    return {a for box in (*message.sender, *message.to, *message.cc) if (a := plain_address(box.address))}


async def _recent_threads(mail: Mail, emails: list[str], zone: ZoneInfo) -> list[str]:
    """Recent threads with these people, those with more of them first, then the newest: a meeting's own
    thread with the guests comes before a colleague's newsletter-like note that names one of them."""
    terms = any_of_query(emails[:12])
    if terms is None:
        return []
    wanted = {plain_address(e) for e in emails[:12]}
    page = await mail.search(f"{terms} newer_than:60d", RECENT_SEARCH)
    newest: dict[str, Message] = {}  # by thread, in the order search found them (newest first)
    involved: dict[str, set[str | None]] = {}
    for message in page.hits:
        people = wanted & _participants(message)
        if not people:
            continue
        newest.setdefault(message.thread_id, message)
        involved.setdefault(message.thread_id, set()).update(people)
    ranked = sorted(newest.values(), key=lambda m: -len(involved[m.thread_id]))[:RECENT_THREADS]
    lines: list[str] = []
    for message in ranked:
        lines.append(
            f"- {subject_text(message.subject)} — last from {sender_name(message)}, {sent_text(message, zone)}"
            f" · thread_id={message.thread_id}"
        )
        if message.snippet:
            lines.append(f"  {quoted(_preview(message.snippet))}")
    return lines


def _preview(snippet: str, limit: int = 160) -> str:
    """Gmail's snippet without the quoted history it runs into, cut between words or sentences (marked …)."""
    text = " ".join(html.unescape(snippet).split())
    text = _QUOTED.split(text, maxsplit=1)[0].rstrip()
    cut = boundary(text, limit)
    return text if cut >= len(text) else text[:cut].rstrip() + " …"


async def _past_meetings(fathom: FathomClient, emails: set[str], external_domains: list[str]) -> list[Meeting]:
    since = datetime.now(UTC) - timedelta(days=PAST_MEETING_DAYS)
    found: list[Meeting] = []
    cursor: str | None = None
    for _page in range(MAX_FATHOM_PAGES):
        page = await fathom.list_meetings(
            created_after=since, invitee_domains=external_domains, include_action_items=True, cursor=cursor
        )
        for meeting in page.items:
            invitees = {(i.email or "").lower() for i in meeting.calendar_invitees}
            if invitees & emails:
                found.append(meeting)
        cursor = page.next_cursor
        if not cursor or len(found) >= 5:
            break
    return found[:5]


def register_meeting_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    @tool(title="Prepare for a meeting", read_only=True, idempotent=True)
    async def meeting_prep(
        user: Annotated[User, Resolve(resolvers.user)],
        calendar: Annotated[Calendar, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        event_id: Annotated[str, Field(description='An event id, or "next" for my next meeting')] = "next",
    ) -> str:
        """Brief me for a meeting: attendees (internal/external), recent threads, past meetings, open items."""
        event = await _next_event(calendar) if event_id == "next" else await calendar.get_event(event_id)
        me = user.email.lower()
        my_domain = domain_of(me)
        guests = [a for a in event.attendees if not a.resource]  # counted as calendar_list_events counts them
        mine = next((a for a in guests if a.self_ or a.email.lower() == me), None)
        people = [a for a in guests if a is not mine]
        emails = [a.email.lower() for a in people]
        external = sorted({domain_of(e) for e in emails if domain_of(e) != my_domain})
        budget = Budget(14_000, "ask for one thread or meeting in detail")
        start = event.start.date_time
        title = quoted_line(event.summary, empty="(untitled)")
        budget.add(f"Meeting: {title} — {when(start, zone) if start else event.start.date}")
        places = [quoted_line(event.location)] if event.location else []
        places += [link_text(event.meet_link)] if event.meet_link else []
        if places:
            budget.add(f"Where: {', '.join(places)}")
        if event.description:
            rest = f"calendar_get_event with event_id={event.id} shows all of it"
            budget.add(f"Agenda/description: {clip(event.description, 800, rest, fence=True)}")
        budget.add(f"Attendees ({len(guests)}{', you included' if mine else ''}):")
        if mine is not None:
            budget.add(f"- you ({mine.response_status}{'; organizer' if mine.organizer else ''})")
        for attendee in people:
            domain = domain_of(attendee.email)
            named = company(domain)
            side = "internal" if domain == my_domain else f"external — {named}" if named else "external"
            budget.add(f"- {person(attendee.display_name, attendee.email)} ({side}; {attendee.response_status})")

        async def threads() -> list[str]:
            return await _recent_threads(await resolvers.mail_reader(), emails, zone)

        async def meetings() -> list[Meeting]:
            return await _past_meetings(await resolvers.fathom(), set(emails), external)

        thread_result, meeting_result = await asyncio.gather(threads(), meetings(), return_exceptions=True)
        budget.add("\nRecent email with them (60 days):")
        if isinstance(thread_result, (ToolError, UpstreamError)):
            budget.add(f"(not available — {thread_result})")
        elif isinstance(thread_result, BaseException):
            raise thread_result
        else:
            budget.extend(thread_result or ["(none)"])
        budget.add(f"\nPast recorded meetings with them ({PAST_MEETING_DAYS} days, Fathom):")
        if isinstance(meeting_result, (ToolError, UpstreamError)):
            budget.add(f"(not available — {meeting_result})")
        elif isinstance(meeting_result, BaseException):
            raise meeting_result
        elif not meeting_result:
            budget.add("(none)")
        else:
            fathom = await resolvers.fathom()
            summaries = await asyncio.gather(
                *(fathom.get_summary(m.recording_id) for m in meeting_result[:2]), return_exceptions=True
            )
            for index, meeting in enumerate(meeting_result):
                held = meeting.recording_start_time or meeting.created_at
                budget.add(
                    f"- {quoted_line(meeting.display_title)} ({when(held, zone) if held else '?'})"
                    f" recording_id={meeting.recording_id}"
                )
                summary = summaries[index] if index < len(summaries) else None
                if isinstance(summary, Summary) and summary.markdown_formatted:
                    rest = f"fathom_get_meeting with recording_id={meeting.recording_id} shows all of it"
                    text = summary_block(summary.markdown_formatted, SUMMARY_CHARS, rest)
                    budget.add("  " + text.replace("\n", "\n  "))
                open_items = [a for a in meeting.action_items or [] if not a.completed]
                for item in open_items:
                    who = person(item.assignee.name, item.assignee.email) if item.assignee else "unassigned"
                    budget.add(f"  open: {quoted_line(item.description, SENTENCE_CHARS)} — {who}")
        return budget.render()

    @tool(title="Draft a meeting follow-up", read_only=False, sends_mail=True)
    async def meeting_follow_up(
        user: Annotated[User, Resolve(resolvers.user)],
        fathom: Annotated[FathomClient, Resolve(resolvers.fathom)],
        mail: Annotated[Mail, Resolve(resolvers.mail)],
        recording_id: int,
    ) -> str:
        """Draft (never sent) a follow-up to a Fathom meeting's invitees: summary and action items, in their thread."""
        meeting, summary = await asyncio.gather(find_meeting(fathom, recording_id), fathom.get_summary(recording_id))
        if meeting is None:
            raise ToolError(f"Recording {recording_id} is not among your recent Fathom meetings; check the id.")
        me = user.email.lower()
        recipients = sorted({(i.email or "").lower() for i in meeting.calendar_invitees if i.email} - {me})
        if not recipients:
            raise ToolError("That meeting had no other invitees to follow up with.")
        found = await _thread_with(mail, recipients, meeting.display_title)
        parent = await mail.replying_to(found.id) if found is not None else None
        body = _follow_up_body(user, meeting, readable_summary(summary.markdown_formatted or "")[0])
        addressed = message_addresses(parent, "to", "cc", "delivered_to") if parent is not None else []
        sender = await sender_for(mail, user, None, addressed)
        signed = bodies(body, sender.signature)
        if parent is not None and found is not None:
            context = replying_context(parent)
            thread_id = context.thread_id or found.thread_id  # Google's get_message may not name the thread
            message = build_message(
                sender=sender.email,
                sender_name=sender.name,
                to=recipients,
                subject=reply_subject(context.subject),
                body=signed,
                reply=context,
            )
            draft = await mail.save_draft(message, thread_id or None, parent.id)
            where = f"in the existing thread {subject_text(context.subject)} (thread_id={thread_id})"
        else:
            subject = f"Follow-up: {meeting.display_title}"
            message = build_message(
                sender=sender.email, sender_name=sender.name, to=recipients, subject=subject, body=signed
            )
            draft = await mail.save_draft(message, None, None)
            where = "as a new email (no earlier thread with these people was found)"
        report_action(f"Drafted the follow-up to {meeting.display_title!r} for {', '.join(recipients)}")
        return (
            f"Draft saved (not sent) to {addresses_text(recipients)} {where}. draft_id={draft.id}\n"
            f"Open it: {draft.view_url}\n\n{quoted(body)}"
        )


async def _thread_with(mail: Mail, recipients: list[str], title: str) -> Message | None:
    """The most relevant recent thread with these people: same topic first, then the most overlap."""
    terms = any_of_query(recipients[:12])
    if terms is None:
        return None
    page = await mail.search(f"{terms} newer_than:30d", FOLLOW_UP_SEARCH)
    topic = set(_WORD.findall(title.lower())) - {"the", "and", "with", "call", "sync", "meeting"}
    best: tuple[float, Message] | None = None
    for message in page.hits:
        participants = _participants(message)
        overlap = len(participants & set(recipients)) / len(recipients)
        words = set(_WORD.findall(message.subject.lower()))
        score = overlap + (1.0 if topic and len(words & topic) >= max(1, len(topic) // 2) else 0.0)
        if overlap >= 0.5 and (best is None or score > best[0]):
            best = (score, message)
    return best[1] if best else None


def _follow_up_body(user: User, meeting: Meeting, summary: str) -> str:
    names = [
        i.name.split()[0] for i in meeting.calendar_invitees if i.name and (i.email or "").lower() != user.email.lower()
    ]
    greeting = f"Hi {', '.join(names[:4])}," if 0 < len(names) <= 4 else "Hi all,"
    lines = [greeting, "", f"Thanks for the time in “{meeting.display_title}”. A quick recap:", ""]
    if summary:
        lines += [clip(summary, 3500, "the full summary is in Fathom"), ""]
    items = [a for a in meeting.action_items or [] if not a.completed]
    if items:
        lines.append("Action items:")
        for item in items:
            who = (item.assignee.name or item.assignee.email) if item.assignee else "Unassigned"
            lines.append(f"- {who}: {item.description}")
        lines.append("")
    if meeting.share_url:
        lines += [f"Recording (times above are moments in it): {meeting.share_url}", ""]
    lines += ["Best,", user.name.split()[0] if user.name else user.email]
    return "\n".join(lines)
