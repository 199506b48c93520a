"""Calendar tools that change events: create, update, delete, and answering invitations."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.tools.approvals import Approvals, Outcome
from app.tools.calendar_edits import (
    all_day_span,
    guest_entry,
    meet_request,
    new_times,
    recurrence_lines,
    timed_span,
    unique_addresses,
)
from app.tools.calendar_format import event_span, event_title, organizer_text, recurrence_text, times_of, zone_note
from app.tools.confirmations import (
    Gate,
    create_gate,
    declined,
    delete_gate,
    event_to_delete,
    respond_gate,
    update_gate,
)
from app.tools.format import addresses_text, link_text
from app.tools.registrar import report_action, reporting
from app.tools.resolvers import Calendar, CalendarChanges, TimeZone
from app.tools.times import is_date, parse_day, parse_when, parse_zone, refuse_guessed_zone
from app.upstream.errors import NotFound
from app.upstream.gmail_compose import parse_address
from app.upstream.google_mcp import GooglePlan
from app.workspace.calendar import Event

NOTIFIED = {"all": "guests notified", "externalOnly": "only external guests notified", "none": "nobody notified"}

Updates = Literal["all", "externalOnly", "none"]
# Google's own questions (its MCP servers) for these tools, relayed to the person once.
APPROVALS = Approvals()


def _named(event: Event) -> str:
    """The title as the person's own list of actions shows it (the account page escapes it)."""
    return event.summary or "(no title)"


@reporting
async def new_event(
    zone: TimeZone,
    summary: str,
    start: str,
    end: str | None = None,
    time_zone: str | None = None,
    attendees: list[str] | None = None,
    description: str | None = None,
    location: str | None = None,
    add_meet_link: bool = False,
    recurrence: list[str] | None = None,
    all_day: bool = False,
) -> dict[str, Any]:
    """calendar_create_event's arguments as the new event's fields; an address that is not plain is refused first."""
    guests = [guest_entry(value) for value in unique_addresses(attendees or [])]
    if not summary.strip():
        raise ToolError("Give the event a summary (its title).")
    if not start:
        raise ToolError('Give a start, e.g. "2026-12-01 09:00" (or "2026-12-01" with all_day).')
    event_zone = parse_zone(time_zone) if time_zone else zone
    if all_day:
        first = parse_day(start)
        body: dict[str, Any] = all_day_span(first, (parse_day(end) if end else first) + timedelta(days=1))
    elif end is None:
        raise ToolError('Give an end, e.g. "2026-12-01T10:00", or set all_day for whole days.')
    elif is_date(start) or is_date(end):
        raise ToolError('Give times like "2026-12-01 09:00" for a timed event, or set all_day=true for dates.')
    else:
        refuse_guessed_zone(event_zone, start, end)
        body = timed_span(parse_when(start, event_zone), parse_when(end, event_zone), event_zone.key)
    body["summary"] = summary
    if description:
        body["description"] = description
    if location:
        body["location"] = location
    if guests:
        body["attendees"] = guests
    if recurrence:
        body["recurrence"] = recurrence_lines(recurrence)
    if add_meet_link:
        body["conferenceData"] = meet_request()
    return body


@reporting
async def _create_plan(
    calendar: CalendarChanges,
    fields: Annotated[dict[str, Any], Resolve(new_event)],
    gate: Annotated[Gate, Resolve(create_gate)],
    send_updates: Updates = "all",
) -> GooglePlan | None:
    if not gate.go:
        return None
    return calendar.plan_create(fields, "primary", gate.send_updates or send_updates, gate.notes)


def _not_done(outcome: Outcome, what: str) -> str:
    """What a tool says when the person did not approve at Google's question."""
    return f"Not done: the person {outcome.said} at Google's question to {what}. Nothing was changed."


async def calendar_create_event(
    calendar: CalendarChanges,
    zone: TimeZone,
    fields: Annotated[dict[str, Any], Resolve(new_event)],
    gate: Annotated[Gate, Resolve(create_gate)],
    google: Annotated[Outcome | None, Resolve(APPROVALS.relay(_create_plan))],
    summary: str,
    start: Annotated[str, Field(description='e.g. "2026-12-01 09:00"; a date if all_day')],
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
    if not gate.go:
        return declined("create this event and email its guests")
    send_updates = gate.send_updates or send_updates
    if google is None:
        event = await calendar.create_event(fields, "primary", send_updates)
    elif google.result is None:
        return _not_done(google, "create this event")
    else:
        event = calendar.planned_event(google.result)
    invited = sum(1 for a in event.attendees if not a.self_)
    guests = f", {invited} guest(s)" if invited else ""
    report_action(f"Created event {_named(event)!r}: {event_span(event, zone)}{guests}")
    when = f"{event_span(event, zone)}{zone_note(event, zone)}{times_of(event, zone)}"
    lines = [f"Created {event_title(event)}: {when} · event_id={event.id}"]
    if event.recurrence:
        lines.append("Repeats: " + recurrence_text(event.recurrence))
    if event.attendees:
        guests = addresses_text(a.email for a in event.attendees if not a.self_)
        lines.append(f"Guests: {guests} ({NOTIFIED[send_updates]})")
    if add_meet_link:
        lines.append(f"Meet: {link_text(event.meet_link)}" if event.meet_link else "Meet: link still being created")
    lines.append(f"Link: {event.html_link or '-'}")
    lines += [gate.note] if gate.note else []
    return "\n".join(lines)


@dataclass(frozen=True)
class Changes:
    """What calendar_update_event would change: the event as it is, the fields to change, and notes."""

    current: Event
    fields: dict[str, Any]
    notes: list[str]


@reporting
async def event_changes(
    calendar: Calendar,
    zone: TimeZone,
    event_id: str,
    summary: str | None = None,
    start: str | None = None,
    end: str | None = None,
    time_zone: str | None = None,
    description: str | None = None,
    location: str | None = None,
    attendees: list[str] | None = None,
    add_attendees: list[str] | None = None,
    remove_attendees: list[str] | None = None,
    add_meet_link: bool = False,
    calendar_id: str = "primary",
) -> Changes:
    """calendar_update_event's arguments as the fields to change; other guests are kept as they are."""
    current = await calendar.get_event(event_id, calendar_id)
    if current.status == "cancelled":
        raise ToolError(f"Event {event_id} has been deleted; there is nothing to update.")
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name, value in (("summary", summary), ("description", description), ("location", location)):
        if value is not None:
            changes[name] = value
    if start or end:
        changes |= new_times(current, start, end, time_zone, zone)
    elif time_zone:
        raise ToolError("time_zone only applies together with a new start or end.")
    if attendees is not None and (add_attendees or remove_attendees):
        raise ToolError("Give either attendees (the whole new list) or add_attendees/remove_attendees, not both.")
    existing = {a.email.lower(): a for a in current.attendees}
    if attendees is not None:
        wanted = [guest_entry(value) for value in unique_addresses(attendees)]
        changes["attendees"] = [
            existing[g["email"].lower()].wire() if g["email"].lower() in existing else g for g in wanted
        ]
    elif add_attendees or remove_attendees:
        gone = {parse_address(value).addr_spec.lower() for value in remove_attendees or []}
        if absent := sorted(gone - existing.keys()):
            notes.append(f"not on the event, so not removed: {', '.join(absent)}")
        kept = [a.wire() for a in current.attendees if a.email.lower() not in gone]
        added = [
            g for g in map(guest_entry, unique_addresses(add_attendees or [])) if g["email"].lower() not in existing
        ]
        changes["attendees"] = kept + added
    if add_meet_link and current.meet_link:
        notes.append(f"it already has a Meet link: {link_text(current.meet_link)}")
    elif add_meet_link:
        changes["conferenceData"] = meet_request()
    if not changes:
        raise ToolError("Nothing to change: give at least one field to update." + "".join(f" ({n})" for n in notes))
    return Changes(current, changes, notes)


@reporting
async def _update_plan(
    calendar: CalendarChanges,
    changes: Annotated[Changes, Resolve(event_changes)],
    gate: Annotated[Gate, Resolve(update_gate)],
    event_id: str,
    calendar_id: str = "primary",
    send_updates: Updates = "all",
) -> GooglePlan | None:
    if not gate.go:
        return None
    return calendar.plan_update(event_id, changes.fields, calendar_id, gate.send_updates or send_updates, gate.notes)


async def calendar_update_event(
    calendar: CalendarChanges,
    zone: TimeZone,
    planned: Annotated[Changes, Resolve(event_changes)],
    gate: Annotated[Gate, Resolve(update_gate)],
    google: Annotated[Outcome | None, Resolve(APPROVALS.relay(_update_plan))],
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
    changes, notes = planned.fields, planned.notes
    if not gate.go:
        return declined("change this event and email its guests")
    send_updates = gate.send_updates or send_updates
    if google is None:
        event = await calendar.update_event(event_id, changes, calendar_id, send_updates)
    elif google.result is None:
        return _not_done(google, "change this event")
    else:
        event = calendar.planned_event(google.result)
    report_action(f"Changed event {_named(event)!r} ({', '.join(changes)}): {event_span(event, zone)}")
    notified = f"; {NOTIFIED[send_updates]}" if event.attendees else ""
    lines = [
        f"Updated {event_title(event)} ({', '.join(changes)}{notified}): "
        f"{event_span(event, zone)}{zone_note(event, zone)}{times_of(event, zone)} · event_id={event.id}"
    ]
    if event.recurrence:
        lines.append("Changed the whole series: " + recurrence_text(event.recurrence))
    if "attendees" in changes:
        lines.append("Guests now: " + (addresses_text(a.email for a in event.attendees) or "none"))
    if event.meet_link and "conferenceData" in changes:
        lines.append(f"Meet: {link_text(event.meet_link)}")
    lines += [f"Note: {note}" for note in notes]
    lines += [gate.note] if gate.note else []
    return "\n".join(lines)


@reporting
async def _delete_plan(
    calendar: CalendarChanges,
    event: Annotated[Event, Resolve(event_to_delete)],  # read first: an event already deleted is refused
    gate: Annotated[Gate, Resolve(delete_gate)],
    event_id: str,
    calendar_id: str = "primary",
    send_updates: Updates = "all",
) -> GooglePlan | None:
    if not gate.go:
        return None
    return calendar.plan_delete(event_id, calendar_id, send_updates, gate.notes)


async def calendar_delete_event(
    calendar: CalendarChanges,
    zone: TimeZone,
    event: Annotated[Event, Resolve(event_to_delete)],
    gate: Annotated[Gate, Resolve(delete_gate)],
    google: Annotated[Outcome | None, Resolve(APPROVALS.relay(_delete_plan))],
    event_id: str,
    calendar_id: str = "primary",
    send_updates: Updates = "all",
) -> str:
    """Delete an event (a series' own id deletes every occurrence)."""
    if not gate.go:
        return declined("delete this event")
    if google is not None and google.result is None:
        return _not_done(google, "delete this event")
    send_updates = gate.send_updates or send_updates
    if google is None:
        try:
            await calendar.delete_event(event_id, calendar_id, send_updates)
        except NotFound as error:
            if "already been deleted" not in str(error):
                raise
            raise ToolError(f"Event {event_id} has already been deleted; nothing to do.") from error
    scope = " (the whole series)" if event.recurrence else " (this occurrence)" if event.recurring_event_id else ""
    guests = f"; {NOTIFIED[send_updates]}" if event.attendees else ""
    report_action(f"Deleted event {_named(event)!r}{scope}: {event_span(event, zone)}")
    said = f"Deleted {event_title(event)}{scope}: {event_span(event, zone)}{times_of(event, zone)}{guests}."
    return "\n".join([said, gate.note] if gate.note else [said])


async def calendar_respond(
    calendar: Calendar,
    zone: TimeZone,
    event_id: str,
    response: Literal["accepted", "declined", "tentative"],
    gate: Annotated[Gate, Resolve(respond_gate)],
    comment: Annotated[str | None, Field(description="Note to the organizer")] = None,
    calendar_id: str = "primary",
) -> str:
    """Answer an invitation; only your own response changes."""
    if not gate.go:
        return declined("send this answer and its comment")
    event = await calendar.get_event(event_id, calendar_id, time_zone=zone.key)
    me = event.me()
    if me is None:
        whose = "you organize it and are" if event.organizer and event.organizer.self_ else "you are"
        raise ToolError(f"{event_title(event)} has no invitation to answer: {whose} not on its guest list.")
    await calendar.respond(event, calendar_id, response, comment)
    report_action(f"Answered {response} to {_named(event)!r}: {event_span(event, zone)}")
    scope = " (this occurrence only)" if event.recurring_event_id else " (every occurrence)" if event.recurrence else ""
    return (
        f"Responded {response} to {event_title(event)}{scope}: {event_span(event, zone)}{times_of(event, zone)}. "
        f"Organizer {organizer_text(event)} is notified."
    )
