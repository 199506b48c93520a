"""Calendar tools: calendars, events (list, read, create, update, delete), invitations and free time.

Each tool is a module-level function; those reading the calendar are here, those changing events
in `calendar_changes`, and `register_calendar_tools` registers them all.
"""

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from app.tools.calendar_changes import (
    calendar_create_event,
    calendar_delete_event,
    calendar_respond,
    calendar_update_event,
)
from app.tools.calendar_edits import unique_addresses
from app.tools.calendar_format import (
    attendee_lines,
    description_text,
    double_bookings,
    email_domain,
    event_line,
    event_span,
    event_title,
    organizer_text,
    recurrence_text,
    times_of,
    zone_note,
)
from app.tools.format import Budget, day, link_text, quoted, quoted_line, span, when
from app.tools.free_time import free_slots, parse_working_hours, round_up, spread, working_days_end
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Calendar, CurrentUser, TimeZone
from app.tools.times import parse_when, zone_label
from app.upstream.errors import NotFound
from app.upstream.gmail_compose import parse_address
from app.workspace.calendar import CalendarEntry

MAX_SLOTS = 10
MAX_FREE_WINDOW = timedelta(days=62)


def _calendar_name(entry: CalendarEntry) -> str:
    """A calendar's name, fenced (whoever shared it named it); a primary calendar is named by its id, an address."""
    return entry.id if entry.summary in ("", entry.id) else quoted_line(entry.summary)


def _zone_name(name: str | None) -> str:
    """A calendar's time zone when it is one (whoever shared the calendar set it); else 'zone unknown'."""
    try:
        return ZoneInfo(name).key if name and len(name) <= 64 else "zone unknown"
    except (ZoneInfoNotFoundError, ValueError):
        return "zone unknown"


async def calendar_list_calendars(calendar: Calendar) -> str:
    """Your calendars: id, name, time zone, your access role; the primary one first."""
    entries = sorted(await calendar.list_calendars(), key=lambda c: (not c.primary, c.summary.lower()))
    budget = Budget(8000, "the primary calendar comes first; ask for events of one calendar_id")
    budget.add(f"{len(entries)} calendar(s):")
    budget.extend(
        f"- {_calendar_name(c)}{' (primary)' if c.primary else ''} · calendar_id={c.id} · "
        f"{_zone_name(c.time_zone)}{f' · {c.access_role}' if c.access_role else ''}"
        for c in entries
    )
    return budget.render()


async def calendar_list_events(
    calendar: Calendar,
    zone: TimeZone,
    start: Annotated[str | None, Field(description="A time or YYYY-MM-DD; default now")] = None,
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
        f"{len(listing.items)} event(s){matching} from {span} (times in {zone_label(zone)}; all-day dates inclusive):"
    )
    clashes = double_bookings(listing.items)
    budget.extend(event_line(event, zone, clashes.get(event.id, [])) for event in listing.items)
    text = budget.render()
    if listing.next_page_token:
        text += f"\nMore events: call again with page_token={listing.next_page_token!r}"
    return text


async def calendar_get_event(
    calendar: Calendar,
    zone: TimeZone,
    user: CurrentUser,
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
    lines = [event_title(event), f"When: {event_span(event, zone)}{zone_note(event, zone)}{times_of(event, zone)}"]
    if event.status != "confirmed":
        lines.append(f"Status: {event.status}")
    if recurrence:
        lines.append("Repeats: " + recurrence_text(recurrence))
    if event.recurring_event_id:
        lines.append(f"Occurrence of series event_id={event.recurring_event_id}")
    lines.append(f"Organizer: {organizer_text(event)}")
    me = event.me()
    if me is not None and not me.organizer:
        hint = " (answer with calendar_respond)" if me.response_status == "needsAction" else ""
        lines.append(f"Your response: {me.response_status}{hint}")
    if event.location:
        lines.append(f"Location: {quoted_line(event.location)}")
    if event.meet_link:
        lines.append(f"Meet: {link_text(event.meet_link)}")
    if event.transparency == "transparent":
        lines.append("Shows as free (does not block time)")
    lines.append(f"event_id={event.id} · link: {event.html_link or '-'}")
    if event.description:
        lines += ["Description:", quoted(description_text(event.description))]
    budget = Budget(12_000, "the attendee list was cut")
    budget.extend(lines)
    if event.attendees:
        budget.extend(attendee_lines(event, email_domain(user.email)))
    return budget.render()


async def calendar_find_free_time(
    calendar: Calendar,
    zone: TimeZone,
    user: CurrentUser,
    attendees: Annotated[list[str], Field(description="The others' emails")],
    duration_minutes: Annotated[int, Field(ge=5, le=600)],
    window_start: str | None = None,
    window_end: str | None = None,
    working_hours: str = "09:00-17:00",
) -> str:
    """Slots when you and the attendees are all free: weekdays, working hours, your zone; default next 5 workdays."""
    hours = parse_working_hours(working_hours)
    quarter = timedelta(minutes=15)
    begin = parse_when(window_start, zone) if window_start else round_up(datetime.now(zone), quarter)
    finish = parse_when(window_end, zone, end_of_day=True) if window_end else working_days_end(begin, zone, hours)
    if finish <= begin:
        raise ToolError(f"window_end ({when(finish, zone)}) must be after window_start ({when(begin, zone)}).")
    if finish - begin > MAX_FREE_WINDOW:
        raise ToolError(f"Search at most {MAX_FREE_WINDOW.days} days at a time.")
    others = [parse_address(value).addr_spec for value in attendees]
    people = unique_addresses([user.email, *others])
    found = await calendar.free_time(people, begin, finish, zone, duration_minutes, hours)
    unknown = [email for email, intervals in found.busy.items() if intervals is None]
    slots = found.slots
    if slots is None:
        busy = [interval for intervals in found.busy.values() for interval in intervals or []]
        slots = free_slots(busy, begin, finish, timedelta(minutes=duration_minutes), zone, hours)
    shown = spread(slots, zone, MAX_SLOTS)
    known = ["you", *(email for email in people[1:] if email not in unknown)]
    lines = [
        f"Free {duration_minutes} min for {', '.join(known)}: weekdays {hours[0]:%H:%M}–{hours[1]:%H:%M} "
        f"{zone_label(zone)}, {when(begin, zone)} to {when(finish, zone)}."
    ]
    if unknown:
        lines.append(
            f"Availability unknown (calendar not visible to you) for: {', '.join(unknown)} — "
            "these slots do not account for them."
        )
    if found.note:
        lines.append(found.note)
    if not shown:
        lines.append("No common free slot: try a longer window, a shorter duration or wider working hours.")
        return "\n".join(lines)
    current = None
    for slot_start, slot_end in shown:
        local_day = slot_start.astimezone(zone).date()
        if local_day != current:
            lines.append(f"{day(local_day)}:")
            current = local_day
        lines.append(f"  - {span(slot_start, slot_end, zone)}")
    if len(slots) > len(shown):
        lines.append(f"({len(shown)} of {len(slots)} free slots shown; narrow the window to see others.)")
    return "\n".join(lines)


def register_calendar_tools(tool: ToolRegistrar) -> None:
    """Register the calendar tools, in the order the model sees them."""
    tool(title="List calendars", read_only=True, idempotent=True)(calendar_list_calendars)
    tool(title="List calendar events", read_only=True, idempotent=True)(calendar_list_events)
    tool(title="Get calendar event", read_only=True, idempotent=True)(calendar_get_event)
    tool(title="Create calendar event", read_only=False)(calendar_create_event)
    tool(title="Change calendar event", read_only=False, idempotent=True)(calendar_update_event)
    tool(title="Delete calendar event", read_only=False, destructive=True, idempotent=True)(calendar_delete_event)
    tool(title="Reply to an invitation", read_only=False, idempotent=True)(calendar_respond)
    tool(title="Find free time", read_only=True, idempotent=True)(calendar_find_free_time)
