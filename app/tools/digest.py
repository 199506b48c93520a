"""attention_digest: one ranked list of what is waiting on the person, each item with its reasons."""

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.storage.store import User
from app.tools.asks import find_ask, names_of
from app.tools.format import (
    SENTENCE_CHARS,
    Budget,
    address_text,
    day,
    link_text,
    person,
    quoted_line,
    subject_text,
    when,
)
from app.tools.mail_view import sent_text
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers
from app.tools.signals import (
    addressing,
    bulk_reason,
    domain_of,
    is_calendar_notice,
    sender_address,
    sent_by,
)
from app.tools.times import zone_label
from app.upstream.errors import UpstreamError
from app.upstream.fathom import FathomClient
from app.upstream.mail_addresses import plain_address
from app.workspace.calendar import Calendar, Event
from app.workspace.mail import Mail, Message, Thread

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_INBOX = 200
MAX_THREADS = 50
CALENDAR_DAYS = 7
FATHOM_DAYS = 14


@dataclass
class Item:
    score: float
    kind: str
    title: str
    reasons: list[str]
    detail: list[str] = field(default_factory=list)


async def _thread_items(mail: Mail, me: User, zone: ZoneInfo, since: datetime) -> tuple[list[Item], str, list[str]]:
    """Threads whose latest message, from a person, asks me something; the bulk count; notes on what was left out."""
    inbox = f"in:inbox after:{int(since.timestamp())}"
    bulk_threads: set[str] = set()
    bulk_more = False
    if mail.labels_in_search:
        page = await mail.search(inbox, MAX_INBOX)
    else:
        # Google's MCP search tells neither labels nor list headers: Gmail's own tabs sort the bulk out.
        page, bulk = await asyncio.gather(
            mail.search(f"{inbox} category:primary", MAX_INBOX), mail.search(f"{inbox} -category:primary", MAX_INBOX)
        )
        bulk_threads = {hit.thread_id for hit in bulk.hits}
        bulk_more = bulk.next_page is not None
    newest: dict[str, Message] = {}
    for hit in page.hits:  # newest first
        if bulk_reason(hit):
            bulk_threads.add(hit.thread_id)
        elif hit.thread_id not in newest:
            newest[hit.thread_id] = hit
    people_threads = [t for t in newest if t not in bulk_threads]
    candidates = people_threads[:MAX_THREADS]
    semaphore = asyncio.Semaphore(5)

    async def thread(thread_id: str) -> Thread:
        async with semaphore:
            return await mail.thread(thread_id)

    addressed: list[tuple[Message, list[Message]]] = []
    for conversation in await asyncio.gather(*(thread(t) for t in candidates)):
        visible = [m for m in conversation.messages if "DRAFT" not in (m.labels or ())]
        if not visible:
            continue
        latest = visible[-1]
        if sent_by(latest, me.email) or sender_address(latest) == me.email.lower() or bulk_reason(latest):
            continue
        if is_calendar_notice(latest.subject):
            continue
        how = addressing(latest, me.email)
        if how.direct or how.cc_only:  # not when it reached me through a list or Bcc
            addressed.append((latest, visible))
    items = [item for latest, visible in addressed if (item := _mail_item(latest, visible, me, zone)) is not None]
    notes: list[str] = []
    quiet = len(addressed) - len(items)
    if quiet:
        notes.append(f"{quiet} thread(s) from people that ask nothing of you (thanks, FYIs, questions to others)")
    if len(people_threads) > len(candidates) or page.next_page:
        notes.append(
            f"older mail in the period was not checked (only the {min(MAX_INBOX, len(page.hits))} newest inbox "
            f"{page.unit}s and the {MAX_THREADS} newest threads from people are); pass fewer `hours` to focus"
        )
    return items, f"{len(bulk_threads)}{' or more' if bulk_more else ''}" if bulk_threads else "", notes


def _mail_item(latest: Message, visible: list[Message], me: User, zone: ZoneInfo) -> Item | None:
    """The digest's item for a thread whose latest message reached me, or None when it asks nothing of me."""
    my_names = names_of(me.name, me.email)
    sender = sender_address(latest)
    how = addressing(latest, me.email)
    others = {
        name
        for box in (*latest.to, *latest.cc)
        if box.address.lower() not in (me.email.lower(), sender)
        for name in names_of(box.name, box.address)
    } - my_names
    subject = latest.subject
    ask = find_ask(
        latest.text or "",
        subject,
        my_names,
        others,
        in_to=how.direct,
        alone=how.direct and len(latest.to) == 1,
        first_in_thread=len(visible) == 1 and not subject.lower().startswith(("re:", "fwd:", "fw:")),
    )
    if ask is None:
        return None
    reasons = [ask.reason()]
    score = 3.0 + (1.0 if ask.decision else 0.0)
    if how.direct:
        score += 3
        reasons.append("addressed to you" + (" alone" if how.recipients == 1 else ""))
    else:
        score += 1.5
        reasons.append("you are in Cc and named")
    i_wrote = {box.address.lower() for m in visible if sent_by(m, me.email) for box in (*m.to, *m.cc)}
    if domain_of(sender) == domain_of(me.email):
        score += 1.5
        reasons.append("from a colleague")
    elif sender in i_wrote:
        score += 1.5
        reasons.append("from someone you have written to in this thread")
    else:
        score += 0.5
        outside = domain_of(sender) if plain_address(sender) else address_text(sender)
        reasons.append(f"from outside your company ({outside})")
    labels = latest.labels or ()
    if "IMPORTANT" in labels or "STARRED" in labels:
        score += 1
        reasons.append("marked important" if "IMPORTANT" in labels else "starred")
    waited, received = _waiting(latest, zone)
    score += min(2.0, waited / 24)
    reasons.append(f"no reply from you {received}")
    return Item(
        score=score,
        kind="email",
        title=f"{subject_text(subject)} — {_from(latest)}, {sent_text(latest, zone)}",
        reasons=reasons,
        detail=[f"thread_id={latest.thread_id} message_id={latest.id}"],
    )


def _from(message: Message) -> str:
    box = message.sender[0] if message.sender else None
    return person(box.name, box.address) if box is not None else "(unknown sender)"


def _waiting(message: Message, zone: ZoneInfo) -> tuple[float, str]:
    """Hours the message has waited (from the start of its day when only the day is known), and those words."""
    now = datetime.now(UTC)
    if message.sent_at is not None:
        hours = max(0.0, (now - message.sent_at).total_seconds() / 3600)
        return hours, f"for {hours:.0f} h"
    if message.sent_on is not None:
        start = datetime.combine(message.sent_on, time(), zone)
        return max(0.0, (now - start).total_seconds() / 3600), f"since {day(message.sent_on)}"
    return 0.0, "(when it came is not known)"


def _clashes(events: list[Event]) -> list[list[Event]]:
    """Groups of timed, busy events that overlap one another in a chain (a three-way clash is one group)."""
    timed = sorted(
        (e for e in events if e.start.date_time and e.end.date_time and e.transparency != "transparent"),
        key=lambda e: e.start.date_time or datetime.min,
    )
    groups: list[list[Event]] = []
    reach: datetime | None = None  # the latest end in the current group
    for event in timed:
        assert event.start.date_time and event.end.date_time  # noqa: S101 - filtered above
        if groups and reach is not None and event.start.date_time < reach:
            groups[-1].append(event)
            reach = max(reach, event.end.date_time)
        else:
            groups.append([event])
            reach = event.end.date_time
    return [group for group in groups if len(group) > 1]


def _title(event: Event) -> str:
    return quoted_line(event.summary, empty="(untitled)")


def _clash_item(group: list[Event], zone: ZoneInfo) -> Item:
    spans = []
    for event in group:
        assert event.start.date_time and event.end.date_time  # noqa: S101 - timed events only
        start, end = event.start.date_time.astimezone(zone), event.end.date_time.astimezone(zone)
        spans.append(f"{_title(event)} {start:%H:%M}–{end:%H:%M}")
    first = group[0].start.date_time
    assert first  # noqa: S101
    titles = [_title(event) for event in group]
    return Item(
        score=6.0,
        kind="conflict",
        title=", ".join(titles[:-1]) + f" and {titles[-1]} overlap",
        reasons=[
            f"double-booked {day(first.astimezone(zone).date())}: " + "; ".join(spans),
            "decline or move one of them",
        ],
        detail=["event_ids=" + ",".join(event.id for event in group)],
    )


async def _calendar_items(calendar: Calendar, zone: ZoneInfo) -> list[Item]:
    now = datetime.now(UTC)
    events = (
        await calendar.list_events(time_min=now, time_max=now + timedelta(days=CALENDAR_DAYS), max_results=250)
    ).items
    items: list[Item] = []
    for event in events:
        mine = event.me()
        if mine is None or mine.organizer or mine.response_status != "needsAction":
            continue
        start = event.start.date_time
        soon = start is not None and start - now < timedelta(hours=24)
        organizer = person(event.organizer.display_name, event.organizer.email) if event.organizer else "someone"
        items.append(
            Item(
                score=5.5 if soon else 4.5,
                kind="invitation",
                title=f"{_title(event)} — {when(start, zone) if start else event.start.date}",
                reasons=[f"invitation from {organizer} still needs your answer"]
                + (["starts within 24 h"] if soon else []),
                detail=[f"event_id={event.id}"],
            )
        )
    attending = [e for e in events if (mine := e.me()) is None or mine.response_status != "declined"]
    items.extend(_clash_item(group, zone) for group in _clashes(attending))
    return items


async def _fathom_items(fathom: FathomClient, me: User, zone: ZoneInfo) -> list[Item]:
    since = datetime.now(UTC) - timedelta(days=FATHOM_DAYS)
    items: list[Item] = []
    cursor: str | None = None
    for _page in range(3):
        page = await fathom.list_meetings(created_after=since, include_action_items=True, cursor=cursor)
        for meeting in page.items:
            for action in meeting.action_items or []:
                assignee = (action.assignee.email or "").lower() if action.assignee else ""
                if action.completed or assignee != me.email.lower():
                    continue
                held = meeting.recording_start_time or meeting.created_at
                items.append(
                    Item(
                        score=4.0,
                        kind="action item",
                        title=quoted_line(action.description, SENTENCE_CHARS),
                        reasons=[
                            f"assigned to you in {quoted_line(meeting.display_title)} "
                            f"({when(held, zone) if held else 'recent'})"
                        ],
                        detail=[f"recording_id={meeting.recording_id}"]
                        + (
                            [f"playback {link_text(action.recording_playback_url)}"]
                            if action.recording_playback_url
                            else []
                        ),
                    )
                )
        cursor = page.next_cursor
        if not cursor:
            break
    return items


async def _guard(source: str, work: Awaitable[T]) -> tuple[T | None, str | None]:
    """A source that fails (not connected, no permission, down) becomes a note, not a failed digest."""
    try:
        return await work, None
    except (ToolError, UpstreamError) as error:
        return None, f"{source}: {error}"


def register_digest_tool(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    @tool(title="What needs attention", read_only=True, idempotent=True)
    async def attention_digest(
        user: Annotated[User, Resolve(resolvers.user)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        hours: Annotated[int, Field(ge=1, le=336, description="How far back to look in the inbox")] = 72,
    ) -> str:
        """Ranked: mail asking me something (quoted), invitations to answer, clashes, my Fathom action items."""
        since = datetime.now(UTC) - timedelta(hours=hours)

        async def mail() -> tuple[list[Item], str, list[str]]:
            return await _thread_items(await resolvers.mail_reader(), user, zone, since)

        async def calendar() -> list[Item]:
            return await _calendar_items(await resolvers.calendar(), zone)

        async def meetings() -> list[Item]:
            return await _fathom_items(await resolvers.fathom(), user, zone)

        (mail_result, mail_note), (calendar_items, calendar_note), (fathom_items, fathom_note) = await asyncio.gather(
            _guard("Gmail", mail()), _guard("Calendar", calendar()), _guard("Fathom", meetings())
        )
        thread_items, bulk, mail_notes = mail_result or ([], "", [])
        ranked = sorted(thread_items + (calendar_items or []) + (fathom_items or []), key=lambda item: -item.score)
        budget = Budget(12_000, "ask about one item for details")
        budget.add(
            f"What needs your attention — mail from the last {hours} h, calendar for the next {CALENDAR_DAYS} days, "
            f"Fathom action items from the last {FATHOM_DAYS} days (times in {zone_label(zone)}):"
        )
        if not ranked:
            budget.add("Nothing is waiting on you.")
        for index, item in enumerate(ranked, 1):
            lines = [f"{index}. [{item.kind}] {item.title}", f"   why: {'; '.join(item.reasons)}"]
            lines += [f"   {line}" for line in item.detail]
            if not budget.extend(lines):
                break
        if bulk:
            budget.add(f"Left out: {bulk} newsletter/notification/promotion thread(s).")
        for note in mail_notes:
            budget.add(f"Left out: {note}.")
        for note in (mail_note, calendar_note, fathom_note):
            if note:
                budget.add(f"Not included — {note}")
        return budget.render()
