"""Calendar tools: calendars, events (list, read, create, update, delete), invitations and free time."""

import re
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.storage.store import User
from app.tools.format import Budget, day, person, when
from app.tools.free_time import free_slots, parse_working_hours, round_up, spread
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers
from app.tools.times import is_date, parse_day, parse_when, parse_zone
from app.upstream.calendar import CalendarClient, Event
from app.upstream.errors import NotFound
from app.upstream.gmail_compose import parse_address
from app.upstream.gmail_models import html_to_text

RECURRENCE_PREFIXES = ("RRULE:", "EXDATE:", "RDATE:")
HTML = re.compile(r"<(a|br|p|div|span|b|i|u|ul|ol|li)\b", re.IGNORECASE)
DESCRIPTION_CHARS = 4000
MAX_SLOTS = 10
MAX_FREE_WINDOW = timedelta(days=62)
NOTIFIED = {"all": "guests notified", "externalOnly": "only external guests notified", "none": "nobody notified"}

Updates = Literal["all", "externalOnly", "none"]


def _title(event: Event) -> str:
    return event.summary or "(no title)"


def _span(event: Event, zone: ZoneInfo) -> str:
    """Timed: both ends in the user's zone. All-day: dates as stored, the exclusive end shown inclusive."""
    start, end = event.start, event.end
    if start.all_day and start.date is not None:
        last = end.date - timedelta(days=1) if end.date else start.date
        return f"all day {day(start.date)}" + (f" → {day(last)}" if last > start.date else "")
    if start.date_time is None:
        return "time unknown"
    return when(start.date_time, zone) + (f" – {when(end.date_time, zone)}" if end.date_time else "")


def _zone_note(event: Event, zone: ZoneInfo) -> str:
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


def _organizer(event: Event) -> str:
    organizer = event.organizer
    if organizer is None:
        return "unknown"
    return "you" if organizer.self_ else person(organizer.display_name, organizer.email)


def _blocks_time(event: Event) -> tuple[datetime, datetime] | None:
    """A timed event's span if it blocks your time (not free, not declined)."""
    me = event.me()
    if event.transparency == "transparent" or (me is not None and me.response_status == "declined"):
        return None
    if event.start.date_time is None or event.end.date_time is None:
        return None
    return event.start.date_time, event.end.date_time


def _clashes(events: list[Event]) -> dict[str, list[str]]:
    """For each timed, busy event: the titles of the others it overlaps (double bookings)."""
    spans = [(span, event) for event in events if (span := _blocks_time(event)) is not None]
    clashes: dict[str, list[str]] = {}
    for index, ((start, end), event) in enumerate(spans):
        for (other_start, other_end), other in spans[index + 1 :]:
            if other_start < end and start < other_end:
                clashes.setdefault(event.id, []).append(_title(other))
                clashes.setdefault(other.id, []).append(_title(event))
    return clashes


def _event_line(event: Event, zone: ZoneInfo, clashes: list[str]) -> str:
    facts = [f"event_id={event.id}"]
    if event.recurring_event_id or event.recurrence:
        facts.append("recurring")
    facts.append(f"organizer {_organizer(event)}")
    guests = [a for a in event.attendees if not a.resource]
    if guests:
        facts.append(f"{len(guests)} attendee(s)")
    me = event.me()
    if me is not None and not me.organizer:
        facts.append(f"you: {me.response_status}")
    if event.transparency == "transparent":
        facts.append("shows as free")
    if clashes:
        facts.append("OVERLAPS " + ", ".join(repr(title) for title in clashes))
    lines = [f"- {_title(event)} · {_span(event, zone)}", "  " + " · ".join(facts)]
    extras = [f"location: {event.location[:200]}"] if event.location else []
    if event.meet_link:
        extras.append(f"Meet: {event.meet_link}")
    if extras:
        lines.append("  " + " · ".join(extras))
    return "\n".join(lines)


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _attendee_lines(event: Event, my_domain: str) -> list[str]:
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
            marks.append("internal" if _domain(attendee.email) == my_domain else "EXTERNAL")
        marks += [label for label, flag in (("organizer", attendee.organizer), ("optional", attendee.optional)) if flag]
        if attendee.self_:
            marks.append("you")
        line = f"  - {person(attendee.display_name, attendee.email)} — {' · '.join(marks)}"
        lines.append(line + (f' — "{attendee.comment}"' if attendee.comment else ""))
    return lines


def _description(text: str) -> str:
    plain = html_to_text(text) if HTML.search(text) else text.strip()
    if len(plain) > DESCRIPTION_CHARS:
        return plain[:DESCRIPTION_CHARS].rstrip() + f"… [description cut at {DESCRIPTION_CHARS} characters]"
    return plain


def _recurrence(lines: list[str]) -> list[str]:
    cleaned = [line.strip() for line in lines if line.strip()]
    for line in cleaned:
        if not line.upper().startswith(RECURRENCE_PREFIXES):
            raise ToolError(
                f'{line!r} is not a recurrence line: use e.g. "RRULE:FREQ=WEEKLY;BYDAY=MO" (or EXDATE:/RDATE: lines).'
            )
    return cleaned


def _guest(value: str) -> dict[str, Any]:
    address = parse_address(value)
    entry: dict[str, Any] = {"email": address.addr_spec}
    if address.display_name:
        entry["displayName"] = address.display_name
    return entry


def _meet_request() -> dict[str, Any]:
    return {"createRequest": {"requestId": uuid.uuid4().hex, "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


def _timed(begin: datetime, finish: datetime, zone_name: str) -> dict[str, Any]:
    if finish <= begin:
        raise ToolError(f"The end ({finish.isoformat()}) must be after the start ({begin.isoformat()}).")
    return {
        "start": {"dateTime": begin.isoformat(), "timeZone": zone_name},
        "end": {"dateTime": finish.isoformat(), "timeZone": zone_name},
    }


def _all_day(first: date, after_last: date) -> dict[str, Any]:
    """Whole days from `first` up to `after_last` (Google's exclusive end)."""
    if after_last <= first:
        last = after_last - timedelta(days=1)
        raise ToolError(f"The last day ({last}) is before the first day ({first}); the end date is inclusive.")
    return {"start": {"date": first.isoformat()}, "end": {"date": after_last.isoformat()}}


def _event_zone(event: Event, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(event.start.time_zone) if event.start.time_zone else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _new_times(
    current: Event, start: str | None, end: str | None, time_zone: str | None, zone: ZoneInfo
) -> dict[str, Any]:
    """New `start`/`end` for an update; a start alone moves the event and keeps its length."""
    times = _times_for_update(current, start, end, time_zone, zone)
    if ("date" in times["start"]) != current.start.all_day:
        # Switching between all-day and timed: PATCH merges, so clear the other kind explicitly.
        cleared = {"dateTime": None} if "date" in times["start"] else {"date": None}
        times = {key: value | cleared for key, value in times.items()}
    return times


def _times_for_update(
    current: Event, start: str | None, end: str | None, time_zone: str | None, zone: ZoneInfo
) -> dict[str, Any]:
    if start and end and is_date(start) != is_date(end):
        raise ToolError("Give start and end both as dates (all-day) or both as times.")
    all_day = is_date(start) if start else is_date(end or "")
    if all_day:
        first = parse_day(start) if start else current.start.date
        if first is None:
            raise ToolError("This event has times, not dates: give start too to make it all-day.")
        if end:
            return _all_day(first, parse_day(end) + timedelta(days=1))
        old = current.start.date, current.end.date
        length = old[1] - old[0] if current.start.all_day and old[0] and old[1] else timedelta(days=1)
        return _all_day(first, first + length)
    event_zone = parse_zone(time_zone) if time_zone else _event_zone(current, zone)
    old_start, old_end = current.start.date_time, current.end.date_time
    begin = parse_when(start, event_zone) if start else old_start
    finish = parse_when(end, event_zone) if end else None
    if finish is None and begin is not None and old_start is not None and old_end is not None:
        finish = begin + (old_end - old_start)
    if begin is None or finish is None:
        raise ToolError("This is an all-day event: give both start and end times to give it times.")
    return _timed(begin, finish, event_zone.key)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.lower(), value)
    return list(seen.values())


def register_calendar_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    # Annotations are evaluated here, at definition, so this server's resolvers are bound in.

    @tool(read_only=True, idempotent=True)
    async def calendar_list_calendars(calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)]) -> str:
        """Your calendars: id, name, time zone, your access role; the primary one first."""
        entries = sorted(await calendar.list_calendars(), key=lambda c: (not c.primary, c.summary.lower()))
        budget = Budget(8000, "the primary calendar comes first; ask for events of one calendar_id")
        budget.add(f"{len(entries)} calendar(s):")
        budget.extend(
            f"- {c.summary or c.id}{' (primary)' if c.primary else ''} · calendar_id={c.id} · "
            f"{c.time_zone or 'zone unknown'} · {c.access_role}"
            for c in entries
        )
        return budget.render()

    @tool(read_only=True, idempotent=True)
    async def calendar_list_events(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        start: Annotated[str | None, Field(description="RFC 3339 or YYYY-MM-DD; default now")] = None,
        end: Annotated[str | None, Field(description="Default start + 7 days; a date is inclusive")] = None,
        query: str | None = None,
        calendar_id: str = "primary",
        max_results: Annotated[int, Field(ge=1, le=250)] = 50,
        page_token: str | None = None,
    ) -> str:
        """Events in a range, recurring ones expanded: times in your zone, your response, Meet link, ids."""
        time_min = parse_when(start, zone) if start else datetime.now(zone).replace(microsecond=0)
        time_max = parse_when(end, zone, end_of_day=True) if end else time_min + timedelta(days=7)
        if time_max <= time_min:
            raise ToolError(f"The end ({when(time_max, zone)}) must be after the start ({when(time_min, zone)}).")
        listing = await calendar.list_events(
            calendar_id,
            time_min=time_min,
            time_max=time_max,
            query=query,
            max_results=max_results,
            page_token=page_token,
            time_zone=zone.key,
        )
        span = f"{when(time_min, zone)} to {when(time_max, zone)}"
        matching = f" matching {query!r}" if query else ""
        if not listing.items:
            return f"No events{matching} from {span}."
        budget = Budget(12_000, "narrow the range or the query, or lower max_results")
        budget.add(
            f"{len(listing.items)} event(s){matching} from {span} (times in {zone.key}; all-day dates inclusive):"
        )
        clashes = _clashes(listing.items)
        budget.extend(_event_line(event, zone, clashes.get(event.id, [])) for event in listing.items)
        text = budget.render()
        if listing.next_page_token:
            text += f"\nMore events: call again with page_token={listing.next_page_token!r}"
        return text

    @tool(read_only=True, idempotent=True)
    async def calendar_get_event(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        user: Annotated[User, Resolve(resolvers.user)],
        event_id: str,
        calendar_id: str = "primary",
    ) -> str:
        """One event in full: description, attendees with responses (internal/external), Meet link, recurrence."""
        event = await calendar.get_event(event_id, calendar_id, time_zone=zone.key)
        recurrence = event.recurrence
        if event.recurring_event_id and not recurrence:
            try:
                recurrence = (await calendar.get_event(event.recurring_event_id, calendar_id)).recurrence
            except NotFound:
                recurrence = []
        lines = [_title(event), f"When: {_span(event, zone)}{_zone_note(event, zone)}"]
        if event.status != "confirmed":
            lines.append(f"Status: {event.status}")
        if recurrence:
            lines.append("Repeats: " + "; ".join(recurrence))
        if event.recurring_event_id:
            lines.append(f"Occurrence of series event_id={event.recurring_event_id}")
        lines.append(f"Organizer: {_organizer(event)}")
        me = event.me()
        if me is not None and not me.organizer:
            hint = " (answer with calendar_respond)" if me.response_status == "needsAction" else ""
            lines.append(f"Your response: {me.response_status}{hint}")
        if event.location:
            lines.append(f"Location: {event.location}")
        if event.meet_link:
            lines.append(f"Meet: {event.meet_link}")
        if event.transparency == "transparent":
            lines.append("Shows as free (does not block time)")
        lines.append(f"event_id={event.id} · link: {event.html_link or '-'}")
        if event.description:
            lines += ["Description:", _description(event.description)]
        budget = Budget(12_000, "the attendee list was cut")
        budget.extend(lines)
        if event.attendees:
            budget.extend(_attendee_lines(event, _domain(user.email)))
        return budget.render()

    @tool(read_only=False)
    async def calendar_create_event(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        summary: str,
        start: Annotated[str, Field(description='e.g. "2026-12-01T09:00"; a date if all_day')],
        end: Annotated[str | None, Field(description="all_day: the last day, inclusive")] = None,
        time_zone: str | None = None,
        attendees: list[str] | None = None,
        description: str | None = None,
        location: str | None = None,
        add_meet_link: bool = False,
        recurrence: Annotated[list[str] | None, Field(description='e.g. ["RRULE:FREQ=WEEKLY;BYDAY=MO"]')] = None,
        all_day: bool = False,
        send_updates: Updates = "all",
    ) -> str:
        """Create an event on your primary calendar. Times without offset are in time_zone (default yours)."""
        if not summary.strip():
            raise ToolError("Give the event a summary (its title).")
        if not start:
            raise ToolError('Give a start, e.g. "2026-12-01T09:00" (or "2026-12-01" with all_day).')
        event_zone = parse_zone(time_zone) if time_zone else zone
        if all_day:
            first = parse_day(start)
            body: dict[str, Any] = _all_day(first, (parse_day(end) if end else first) + timedelta(days=1))
        elif end is None:
            raise ToolError('Give an end, e.g. "2026-12-01T10:00", or set all_day for whole days.')
        elif is_date(start) or is_date(end):
            raise ToolError('Give times like "2026-12-01T09:00" for a timed event, or set all_day=true for dates.')
        else:
            body = _timed(parse_when(start, event_zone), parse_when(end, event_zone), event_zone.key)
        body["summary"] = summary
        if description:
            body["description"] = description
        if location:
            body["location"] = location
        if attendees:
            body["attendees"] = [_guest(value) for value in _unique(attendees)]
        if recurrence:
            body["recurrence"] = _recurrence(recurrence)
        if add_meet_link:
            body["conferenceData"] = _meet_request()
        event = await calendar.insert_event(body, send_updates=send_updates)
        lines = [f"Created {_title(event)!r}: {_span(event, zone)}{_zone_note(event, zone)} · event_id={event.id}"]
        if event.recurrence:
            lines.append("Repeats: " + "; ".join(event.recurrence))
        if event.attendees:
            guests = ", ".join(a.email for a in event.attendees if not a.self_)
            lines.append(f"Guests: {guests} ({NOTIFIED[send_updates]})")
        if add_meet_link:
            lines.append(f"Meet: {event.meet_link}" if event.meet_link else "Meet: link still being created")
        lines.append(f"Link: {event.html_link or '-'}")
        return "\n".join(lines)

    @tool(read_only=False, idempotent=True)
    async def calendar_update_event(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        event_id: str,
        summary: str | None = None,
        start: Annotated[str | None, Field(description="Alone: moves the event, keeping its length")] = None,
        end: Annotated[str | None, Field(description="All-day: the last day, inclusive")] = None,
        time_zone: str | None = None,
        description: str | None = None,
        location: str | None = None,
        attendees: Annotated[list[str] | None, Field(description="Replaces the whole guest list")] = None,
        add_attendees: list[str] | None = None,
        remove_attendees: list[str] | None = None,
        add_meet_link: bool = False,
        calendar_id: str = "primary",
        send_updates: Updates = "all",
    ) -> str:
        """Change an event; only the fields given change, and other guests are kept as they are."""
        current = await calendar.get_event(event_id, calendar_id)
        if current.status == "cancelled":
            raise ToolError(f"Event {event_id} has been deleted; there is nothing to update.")
        changes: dict[str, Any] = {}
        notes: list[str] = []
        for name, value in (("summary", summary), ("description", description), ("location", location)):
            if value is not None:
                changes[name] = value
        if start or end:
            changes |= _new_times(current, start, end, time_zone, zone)
        elif time_zone:
            raise ToolError("time_zone only applies together with a new start or end.")
        if attendees is not None and (add_attendees or remove_attendees):
            raise ToolError("Give either attendees (the whole new list) or add_attendees/remove_attendees, not both.")
        existing = {a.email.lower(): a for a in current.attendees}
        if attendees is not None:
            wanted = [_guest(value) for value in _unique(attendees)]
            changes["attendees"] = [
                existing[g["email"].lower()].wire() if g["email"].lower() in existing else g for g in wanted
            ]
        elif add_attendees or remove_attendees:
            gone = {parse_address(value).addr_spec.lower() for value in remove_attendees or []}
            if absent := sorted(gone - existing.keys()):
                notes.append(f"not on the event, so not removed: {', '.join(absent)}")
            kept = [a.wire() for a in current.attendees if a.email.lower() not in gone]
            added = [g for g in map(_guest, _unique(add_attendees or [])) if g["email"].lower() not in existing]
            changes["attendees"] = kept + added
        if add_meet_link and current.meet_link:
            notes.append(f"it already has a Meet link: {current.meet_link}")
        elif add_meet_link:
            changes["conferenceData"] = _meet_request()
        if not changes:
            raise ToolError("Nothing to change: give at least one field to update." + "".join(f" ({n})" for n in notes))
        event = await calendar.patch_event(event_id, changes, calendar_id, send_updates=send_updates)
        notified = f"; {NOTIFIED[send_updates]}" if event.attendees else ""
        lines = [
            f"Updated {_title(event)!r} ({', '.join(changes)}{notified}): "
            f"{_span(event, zone)}{_zone_note(event, zone)} · event_id={event.id}"
        ]
        if event.recurrence:
            lines.append("Changed the whole series: " + "; ".join(event.recurrence))
        if "attendees" in changes:
            lines.append("Guests now: " + (", ".join(a.email for a in event.attendees) or "none"))
        if event.meet_link and "conferenceData" in changes:
            lines.append(f"Meet: {event.meet_link}")
        lines += [f"Note: {note}" for note in notes]
        return "\n".join(lines)

    @tool(read_only=False, destructive=True, idempotent=True)
    async def calendar_delete_event(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        event_id: str,
        calendar_id: str = "primary",
        send_updates: Updates = "all",
    ) -> str:
        """Delete an event (a series' own id deletes every occurrence)."""
        event = await calendar.get_event(event_id, calendar_id, time_zone=zone.key)
        if event.status == "cancelled":
            raise ToolError(f"Event {event_id} ({_title(event)!r}) has already been deleted; nothing to do.")
        try:
            await calendar.delete_event(event_id, calendar_id, send_updates=send_updates)
        except NotFound as error:
            if "already been deleted" not in str(error):
                raise
            raise ToolError(f"Event {event_id} has already been deleted; nothing to do.") from error
        scope = " (the whole series)" if event.recurrence else " (this occurrence)" if event.recurring_event_id else ""
        guests = f"; {NOTIFIED[send_updates]}" if event.attendees else ""
        return f"Deleted {_title(event)!r}{scope}: {_span(event, zone)}{guests}."

    @tool(read_only=False, idempotent=True)
    async def calendar_respond(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        event_id: str,
        response: Literal["accepted", "declined", "tentative"],
        comment: Annotated[str | None, Field(description="Note to the organizer")] = None,
        calendar_id: str = "primary",
    ) -> str:
        """Answer an invitation; only your own response changes."""
        event = await calendar.get_event(event_id, calendar_id, time_zone=zone.key)
        me = event.me()
        if me is None:
            whose = "you organize it and are" if event.organizer and event.organizer.self_ else "you are"
            raise ToolError(f"{_title(event)!r} has no invitation to answer: {whose} not on its guest list.")
        attendees: list[dict[str, Any]] = []
        for attendee in event.attendees:
            entry = attendee.wire()
            if attendee is me:
                entry["responseStatus"] = response
                if comment is not None:
                    entry["comment"] = comment
            attendees.append(entry)
        await calendar.patch_event(event_id, {"attendees": attendees}, calendar_id)
        scope = (
            " (this occurrence only)" if event.recurring_event_id else " (every occurrence)" if event.recurrence else ""
        )
        return (
            f"Responded {response} to {_title(event)!r}{scope}: {_span(event, zone)}. "
            f"Organizer {_organizer(event)} is notified."
        )

    @tool(read_only=True, idempotent=True)
    async def calendar_find_free_time(
        calendar: Annotated[CalendarClient, Resolve(resolvers.calendar)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        user: Annotated[User, Resolve(resolvers.user)],
        attendees: Annotated[list[str], Field(description="The others' emails")],
        duration_minutes: Annotated[int, Field(ge=5, le=600)],
        window_start: str | None = None,
        window_end: str | None = None,
        working_hours: str = "09:00-17:00",
    ) -> str:
        """Slots when you and the attendees are all free: weekdays, working hours, your zone; default next 5 days."""
        hours = parse_working_hours(working_hours)
        quarter = timedelta(minutes=15)
        begin = parse_when(window_start, zone) if window_start else round_up(datetime.now(zone), quarter)
        finish = parse_when(window_end, zone, end_of_day=True) if window_end else begin + timedelta(days=5)
        if finish <= begin:
            raise ToolError(f"window_end ({when(finish, zone)}) must be after window_start ({when(begin, zone)}).")
        if finish - begin > MAX_FREE_WINDOW:
            raise ToolError(f"Search at most {MAX_FREE_WINDOW.days} days at a time.")
        others = [parse_address(value).addr_spec for value in attendees]
        people = _unique([user.email, *others])
        answers = {
            key.lower(): value for key, value in (await calendar.free_busy(people, begin, finish, zone.key)).items()
        }
        busy: list[tuple[datetime, datetime]] = []
        unknown: list[str] = []
        for email in people:
            answer = answers.get(email.lower())
            if answer is None or answer.errors:
                unknown.append(email)
            else:
                busy += [(interval.start, interval.end) for interval in answer.busy]
        duration = timedelta(minutes=duration_minutes)
        slots = free_slots(busy, begin, finish, duration, zone, hours)
        shown = spread(slots, zone, MAX_SLOTS)
        known = ["you", *(email for email in people[1:] if email not in unknown)]
        lines = [
            f"Free {duration_minutes} min for {', '.join(known)}: weekdays {hours[0]:%H:%M}–{hours[1]:%H:%M} "
            f"{zone.key}, {when(begin, zone)} to {when(finish, zone)}."
        ]
        if unknown:
            lines.append(
                f"Availability unknown (calendar not visible to you) for: {', '.join(unknown)} — "
                "these slots do not account for them."
            )
        if not shown:
            lines.append("No common free slot: try a longer window, a shorter duration or wider working hours.")
            return "\n".join(lines)
        current = None
        for slot_start, slot_end in shown:
            local_day = slot_start.astimezone(zone).date()
            if local_day != current:
                lines.append(f"{day(local_day)}:")
                current = local_day
            lines.append(f"  - {when(slot_start, zone)} – {when(slot_end, zone)}")
        if len(slots) > len(shown):
            lines.append(f"({len(shown)} of {len(slots)} free slots shown; narrow the window to see others.)")
        return "\n".join(lines)
