"""Event writes shared by the sandbox's Calendar REST API and its Calendar MCP server: insert, rewrite, delete.

Each write updates the calendar it is made on and, from the organizer's copy, every guest's copy.
Refusals raise `EventError` with the status, message and reason Google gives.
"""

from __future__ import annotations

from typing import Any

from sandbox.calendar.events import EventError, assemble_event, check_event_id, new_event_id
from sandbox.calendar.series import find_instance, is_master
from sandbox.calendar.sharing import cancel, is_organizer_copy, keep_replies, primary_calendar, share, share_reply
from sandbox.world import Calendar, Person, World


def find_calendar(world: World, person: Person, calendar_id: str) -> Calendar | None:
    """One of the person's calendars by id ("primary" for their primary; ids match case-insensitively)."""
    if calendar_id == "primary":
        return primary_calendar(world, person.email)
    calendars = world.calendars.get(person.email, {})
    wanted = calendar_id.lower()
    return calendars.get(calendar_id) or next((c for c in calendars.values() if c.id.lower() == wanted), None)


def check_writable(calendar: Calendar) -> None:
    """Refuse writes to a calendar the person may only read."""
    if calendar.access_role not in ("owner", "writer"):
        raise EventError(403, "You need to have writer access to this calendar.", "requiredAccessLevel")


def find_event(calendar: Calendar, event_id: str) -> dict[str, Any]:
    """A stored event or a series instance (a deleted one too, with status "cancelled"); 404 when there is none."""
    event = calendar.events.get(event_id) or find_instance(calendar, event_id)
    if event is None:
        raise EventError(404, "Not Found", "notFound")
    return event


def insert_event(
    world: World, person: Person, calendar: Calendar, body: dict[str, Any], conference_version: int = 0
) -> dict[str, Any]:
    """Add a new event (organized by `person`, or by the calendar when it is not theirs) and share it with guests."""
    event_id = check_event_id(body["id"]) if body.get("id") is not None else new_event_id()
    if event_id in calendar.events or event_id in calendar.deleted:
        raise EventError(409, "The requested identifier already exists.", "duplicate")
    now = world.now()
    event = assemble_event(
        body, event_id=event_id, calendar=calendar, actor_email=person.email, now=now,
        conference_version=conference_version,
    )  # fmt: skip
    calendar.events[event_id] = event
    if is_organizer_copy(event, calendar):
        share(world, event, calendar, now)
    return event


def rewrite_event(
    world: World, person: Person, calendar: Calendar, event_id: str, body: dict[str, Any], conference_version: int = 0
) -> dict[str, Any]:
    """Replace an event with `body` (a full event; merge a patch first); a series instance becomes an exception."""
    old = find_event(calendar, event_id)
    now = world.now()
    new = assemble_event(
        body, event_id=event_id, calendar=calendar, actor_email=person.email, now=now,
        conference_version=conference_version, existing=old,
    )  # fmt: skip
    organizer_side = is_organizer_copy(old, calendar)
    if organizer_side:
        keep_replies(new, old, calendar.id)
    calendar.events[event_id] = new
    if new["status"] == "cancelled":
        calendar.deleted.add(event_id)
    else:
        calendar.deleted.discard(event_id)
    if organizer_side:
        share(world, new, calendar, now)
    else:
        reply, before = own_entry(new, calendar), own_entry(old, calendar)
        if reply is not None and reply != before:
            share_reply(world, event_id, reply, now)
    return new


def delete_event(world: World, calendar: Calendar, event_id: str) -> None:
    """Cancel an event (a series takes its modified instances with it); 410 when it is already gone."""
    event = calendar.events.get(event_id) or find_instance(calendar, event_id)
    if event_id in calendar.deleted or (event is not None and event.get("status") == "cancelled"):
        raise EventError(410, "Resource has been deleted", "deleted")
    if event is None:
        raise EventError(404, "Not Found", "notFound")
    calendar.events[event_id] = event  # a deleted instance is kept as a cancelled exception
    now = world.now()
    doomed = [event_id]
    if is_master(event):
        doomed += [e["id"] for e in calendar.events.values() if e.get("recurringEventId") == event_id]
    for doomed_id in doomed:
        cancel(calendar, doomed_id, now)
        if is_organizer_copy(calendar.events[doomed_id], calendar):
            share(world, calendar.events[doomed_id], calendar, now)


def own_entry(event: dict[str, Any], calendar: Calendar) -> dict[str, Any] | None:
    """The attendee entry of the calendar's owner in this copy."""
    return next(
        (a for a in event.get("attendees", []) if str(a.get("email", "")).lower() == calendar.id.lower()),
        None,
    )
