"""How one event lives in many calendars: the organizer's copy and each sandbox attendee's copy.

Google keeps a copy of an event (same id, same iCalUID) in every guest's calendar. The organizer's
writes reach every copy; a guest's reply (their own `responseStatus`) reaches every copy too; other
guest-side changes stay in the guest's copy. Personal fields (reminders, colour, free/busy) are
never overwritten in someone else's copy.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sandbox.calendar.events import etag_for, html_link
from sandbox.calendar.times import format_stamp
from sandbox.world import Calendar, World

_PERSONAL = ("reminders", "colorId", "transparency")
_REPLY_FIELDS = ("responseStatus", "comment", "additionalGuests")


def primary_calendar(world: World, email: str) -> Calendar | None:
    """A sandbox person's primary calendar, if they are one and have it."""
    calendars = world.calendars.get(email) or world.calendars.get(email.lower()) or {}
    return calendars.get(email) or next((c for c in calendars.values() if c.primary), None)


def copies(world: World, event_id: str) -> list[Calendar]:
    """Every calendar in the world that holds the event."""
    return [cal for cals in world.calendars.values() for cal in cals.values() if event_id in cal.events]


def is_organizer_copy(event: dict[str, Any], calendar: Calendar) -> bool:
    """Whether `calendar` is the organizer's (its writes are the shared truth)."""
    return str(event.get("organizer", {}).get("email", "")).lower() == calendar.id.lower()


def keep_replies(new: dict[str, Any], old: dict[str, Any] | None, organizer_email: str) -> None:
    """Keep existing guests' replies when the organizer rewrites the guest list (only guests answer)."""
    if old is None:
        return
    replies = {a["email"].lower(): a for a in old.get("attendees", [])}
    for attendee in new.get("attendees", []):
        previous = replies.get(attendee["email"].lower())
        if previous is not None and attendee["email"].lower() != organizer_email.lower():
            for field in _REPLY_FIELDS:
                attendee.pop(field, None)
                if field in previous:
                    attendee[field] = previous[field]


def share(world: World, event: dict[str, Any], organizer_calendar: Calendar, now: datetime) -> None:
    """Mirror the organizer's event into each sandbox guest's primary calendar; drop removed guests."""
    guests = {a["email"].lower() for a in event.get("attendees", [])}
    for email in guests:
        calendar = primary_calendar(world, email)
        if calendar is None or calendar is organizer_calendar:
            continue
        mirrored = copy.deepcopy(event)
        mirrored["htmlLink"] = html_link(event["id"], calendar.id)
        previous = calendar.events.get(event["id"])
        for field in _PERSONAL:
            mirrored.pop(field, None)
            if previous is not None and field in previous:
                mirrored[field] = previous[field]
        if "reminders" not in mirrored:
            mirrored["reminders"] = {"useDefault": True}
        calendar.events[event["id"]] = mirrored
        if mirrored["status"] != "cancelled":
            calendar.deleted.discard(event["id"])
        else:
            calendar.deleted.add(event["id"])
    for calendar in copies(world, event["id"]):
        if calendar is not organizer_calendar and calendar.id.lower() not in guests:
            cancel(calendar, event["id"], now)  # uninvited: it leaves their calendar


def share_reply(world: World, event_id: str, attendee: dict[str, Any], now: datetime) -> None:
    """Carry one guest's reply to every copy of the event."""
    email = attendee["email"].lower()
    reply = {field: attendee[field] for field in _REPLY_FIELDS if field in attendee}  # may alias a copy's entry
    for calendar in copies(world, event_id):
        stored = calendar.events[event_id]
        for entry in stored.get("attendees", []):
            if entry["email"].lower() == email:
                for field in _REPLY_FIELDS:
                    entry.pop(field, None)
                entry.update(reply)
                touch(stored, now)


def cancel(calendar: Calendar, event_id: str, now: datetime) -> None:
    """Mark one copy cancelled; it stays readable (GET shows it) and a DELETE now answers 410."""
    stored = calendar.events[event_id]
    stored["status"] = "cancelled"
    touch(stored, now)
    calendar.deleted.add(event_id)


def touch(event: dict[str, Any], now: datetime) -> None:
    """Record a change: new `updated` and `etag`."""
    event["updated"] = format_stamp(now)
    event["etag"] = etag_for(now)
