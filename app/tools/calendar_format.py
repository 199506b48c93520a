"""How calendar tools show events: spans in the person's zone, organizers, attendees, double bookings."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.tools.format import day, link_text, person, quoted, quoted_line, span
from app.tools.times import times_in
from app.upstream.gmail_models import html_to_text
from app.workspace.calendar import Event

HTML = re.compile(r"<(a|br|p|div|span|b|i|u|ul|ol|li)\b", re.IGNORECASE)
# An RFC 5545 recurrence line as Google stores one (RRULE:FREQ=WEEKLY;BYDAY=MO): shown as it is.
_RULE = re.compile(r"[A-Z][A-Z-]*[:;][A-Za-z0-9=;,:+/._-]*")
DESCRIPTION_CHARS = 4000


def event_title(event: Event) -> str:
    """An event's title, fenced: whoever organised the event wrote it."""
    return quoted_line(event.summary, empty="(no title)")


def recurrence_text(rules: list[str]) -> str:
    """Recurrence lines joined; one that is not a plain RFC 5545 line is shown fenced."""
    return "; ".join(rule if _RULE.fullmatch(rule) else quoted_line(rule) for rule in rules)


def event_span(event: Event, zone: ZoneInfo) -> str:
    """Timed: both ends in the user's zone. All-day: dates as stored, the exclusive end shown inclusive."""
    start, end = event.start, event.end
    if start.all_day and start.date is not None:
        last = end.date - timedelta(days=1) if end.date else start.date
        return f"all day {day(start.date)}" + (f" → {day(last)}" if last > start.date else "")
    if start.date_time is None:
        return "time unknown"
    return span(start.date_time, end.date_time, zone)


def times_of(event: Event, zone: ZoneInfo) -> str:
    """` (times in …)` after a timed event's span, for answers that name the zone nowhere else."""
    return times_in(zone) if event.start.date_time is not None else ""


def zone_note(event: Event, zone: ZoneInfo) -> str:
    """The event's own wall-clock times when it was set in another zone: ` (America/Los_Angeles: 09:00–10:00)`."""
    name, start, end = event.start.time_zone, event.start.date_time, event.end.date_time
    if not name or name == zone.key or start is None:
        return ""
    try:
        other = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ""
    if start.astimezone(other).utcoffset() == start.astimezone(zone).utcoffset():
        return ""  # same wall clock: nothing to add
    text = f"{start.astimezone(other):%H:%M}" + (f"–{end.astimezone(other):%H:%M}" if end else "")
    return f" ({name}: {text})"


def organizer_text(event: Event) -> str:
    organizer = event.organizer
    if organizer is None:
        return "unknown"
    return "you" if organizer.self_ else person(organizer.display_name, organizer.email)


def blocks_time(event: Event) -> tuple[datetime, datetime] | None:
    """A timed event's span if it blocks your time (not free, not declined)."""
    me = event.me()
    if event.transparency == "transparent" or (me is not None and me.response_status == "declined"):
        return None
    if event.start.date_time is None or event.end.date_time is None:
        return None
    return event.start.date_time, event.end.date_time


def double_bookings(events: list[Event]) -> dict[str, list[str]]:
    """For each timed, busy event: the titles of the others it overlaps (double bookings)."""
    spans = [(span, event) for event in events if (span := blocks_time(event)) is not None]
    clashes: dict[str, list[str]] = {}
    for index, ((start, end), event) in enumerate(spans):
        for (other_start, other_end), other in spans[index + 1 :]:
            if other_start < end and start < other_end:
                clashes.setdefault(event.id, []).append(event_title(other))
                clashes.setdefault(other.id, []).append(event_title(event))
    return clashes


def event_line(event: Event, zone: ZoneInfo, clashes: list[str]) -> str:
    facts = [f"event_id={event.id}"]
    if event.recurring_event_id or event.recurrence:
        facts.append("recurring")
    facts.append(f"organizer {organizer_text(event)}")
    guests = [a for a in event.attendees if not a.resource]
    if guests:
        facts.append(f"{len(guests)} attendee(s)")
    me = event.me()
    if me is not None and not me.organizer:
        facts.append(f"you: {me.response_status}")
    if event.transparency == "transparent":
        facts.append("shows as free")
    if clashes:
        facts.append("OVERLAPS " + ", ".join(clashes))
    lines = [f"- {event_title(event)} · {event_span(event, zone)}", "  " + " · ".join(facts)]
    extras = [f"location: {quoted_line(event.location)}"] if event.location else []
    if event.meet_link:
        extras.append(f"Meet: {link_text(event.meet_link)}")
    if extras:
        lines.append("  " + " · ".join(extras))
    return "\n".join(lines)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def attendee_lines(event: Event, my_domain: str) -> list[str]:
    counts: dict[str, int] = {}
    for attendee in event.attendees:
        counts[attendee.response_status] = counts.get(attendee.response_status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    lines = [f"Attendees ({len(event.attendees)}: {summary}):"]
    for attendee in event.attendees:
        marks = [attendee.response_status]
        if attendee.resource:
            marks.append("room")
        else:
            marks.append("internal" if email_domain(attendee.email) == my_domain else "EXTERNAL")
        marks += [label for label, flag in (("organizer", attendee.organizer), ("optional", attendee.optional)) if flag]
        if attendee.self_:
            marks.append("you")
        line = f"  - {person(attendee.display_name, attendee.email)} — {' · '.join(marks)}"
        lines.append(line + (f" — {quoted(attendee.comment)}" if attendee.comment else ""))
    return lines


def description_text(text: str) -> str:
    plain = html_to_text(text) if HTML.search(text) else text.strip()
    if len(plain) > DESCRIPTION_CHARS:
        return plain[:DESCRIPTION_CHARS].rstrip() + f"… [description cut at {DESCRIPTION_CHARS} characters]"
    return plain
