"""Turns the planned schedule into Calendar API v3 event resources in everyone's calendars.

Each event is copied into the calendar of its organizer (primary or a secondary one) and into the
primary calendar of every invited sandbox account, with the same id and iCalUID everywhere and a
per-calendar `self` flag, as Google does.
"""

from __future__ import annotations

import base64
import random
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.seed.calendar_plan import EventSpec, display_name
from sandbox.seed.common import base32hex_id, digits, hex_token, iso_ms_z, rfc3339_local
from sandbox.seed.people import ACCOUNT_EMAILS
from sandbox.world import Calendar, Person

_MEET_ICON = (
    "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/web-512dp/logo_meet_2020q4_color_2x_web_512dp.png"
)


def _meet_code(rng: random.Random) -> str:
    letters = "abcdefghijkmnopqrstuvwxyz"
    return "-".join("".join(rng.choice(letters) for _ in range(n)) for n in (3, 4, 3))


def _conference(rng: random.Random) -> dict[str, Any]:
    code = _meet_code(rng)
    pin, more_pin = digits(rng, 9), digits(rng, 13)
    return {
        "entryPoints": [
            {
                "entryPointType": "video",
                "uri": f"https://meet.google.com/{code}",
                "label": f"meet.google.com/{code}",
            },
            {"entryPointType": "more", "uri": f"https://tel.meet/{code}?pin={more_pin}", "pin": more_pin},
            {
                "entryPointType": "phone",
                "uri": "tel:+1-929-555-0143",
                "label": "+1 929-555-0143",
                "pin": pin,
                "regionCode": "US",
            },
        ],
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet", "iconUri": _MEET_ICON},
        "conferenceId": code,
    }


def _when(value: datetime | date, event_zone: str, calendar_zone: str) -> dict[str, str]:
    """Google writes `dateTime` on the calendar's clock and keeps the event's own zone beside it."""
    if isinstance(value, datetime):
        return {"dateTime": rfc3339_local(value, calendar_zone), "timeZone": event_zone}
    return {"date": value.isoformat()}


def _html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


class _Shared:
    """The parts of an event that are identical in every calendar that holds it."""

    def __init__(self, spec: EventSpec, rng: random.Random, anchor: datetime, secondary_id: str | None) -> None:
        self.id = base32hex_id(rng)
        if spec.organizer in ACCOUNT_EMAILS:
            self.ical_uid = f"{self.id}@google.com"
        else:  # invitations from Outlook carry Exchange's long UIDs
            self.ical_uid = "040000008200E00074C5B7101A82E00800000000" + hex_token(rng, 72).upper()
        first = spec.start if isinstance(spec.start, datetime) else anchor - timedelta(days=3)
        if first > anchor:  # upcoming meetings were mostly scheduled in the last week
            self.created = anchor - timedelta(days=rng.uniform(1, 7))
        else:
            self.created = first - timedelta(days=rng.uniform(2, 14))
        self.created = self.created.replace(microsecond=0)
        self.updated = self.created + timedelta(minutes=rng.randint(1, 3000))
        self.updated = min(self.updated, anchor - timedelta(minutes=5))
        self.sequence = rng.choice((0, 0, 0, 1, 2))
        self.etag_base = int(self.updated.timestamp() * 1000)
        self.conference = _conference(rng) if spec.meet else None
        self.secondary_id = secondary_id


def _attendees(spec: EventSpec, owner: str | None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    people = [(spec.organizer, "accepted", False), *((i.email, i.status, i.optional) for i in spec.invitees)]
    for email, status, optional in people:
        row: dict[str, Any] = {"email": email, "displayName": display_name(email)}
        if email == spec.organizer:
            row["organizer"] = True
        if email == owner:
            row["self"] = True
        if optional:
            row["optional"] = True
        row["responseStatus"] = status
        rows.append(row)
    return rows


def _resource(spec: EventSpec, shared: _Shared, calendar_id: str, owner: str, zone: str) -> dict[str, Any]:
    """The event as the calendar `calendar_id` (belonging to `owner`) returns it."""
    on_secondary = shared.secondary_id is not None and calendar_id == shared.secondary_id
    if on_secondary and shared.secondary_id is not None:
        organizer: dict[str, Any] = {
            "email": shared.secondary_id,
            "displayName": spec.secondary,
            "self": True,
        }
    else:
        organizer = {"email": spec.organizer, "displayName": display_name(spec.organizer)}
        if spec.organizer == owner:
            organizer["self"] = True
    creator: dict[str, Any] = {"email": spec.organizer}
    if spec.organizer == owner:
        creator["self"] = True
    event: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": f'"{shared.etag_base}000"',
        "id": shared.id,
        "status": "confirmed",
        "htmlLink": _html_link(shared.id, calendar_id),
        "created": iso_ms_z(shared.created),
        "updated": iso_ms_z(shared.updated),
        "summary": spec.summary,
    }
    if spec.description:
        event["description"] = spec.description
    if spec.location:
        event["location"] = spec.location
    event["creator"] = creator
    event["organizer"] = organizer
    event["start"] = _when(spec.start, spec.time_zone, zone)
    event["end"] = _when(spec.end, spec.time_zone, zone)
    if spec.recurrence:
        event["recurrence"] = list(spec.recurrence)
    if spec.transparent:
        event["transparency"] = "transparent"
    event["iCalUID"] = shared.ical_uid
    event["sequence"] = shared.sequence
    if spec.invitees:
        event["attendees"] = _attendees(spec, owner)
    if shared.conference is not None:
        event["hangoutLink"] = shared.conference["entryPoints"][0]["uri"]
        event["conferenceData"] = shared.conference
    event["reminders"] = {"useDefault": True}
    event["eventType"] = "default"
    return event


def build_calendars(
    people: dict[str, Person], specs: list[EventSpec], rng: random.Random, anchor: datetime
) -> tuple[dict[str, dict[str, Calendar]], dict[str, dict[str, Any]]]:
    """Everyone's calendars with their events, plus the organizer's copy of each event by plan key."""
    calendars: dict[str, dict[str, Calendar]] = {}
    for person in people.values():
        primary = Calendar(id=person.email, summary=person.email, time_zone=person.time_zone, primary=True)
        calendars[person.email] = {primary.id: primary}
    secondaries: dict[tuple[str, str], Calendar] = {}
    for spec in specs:
        if spec.secondary is not None and (spec.organizer, spec.secondary) not in secondaries:
            owner = people[spec.organizer]
            cal_id = f"c_{hex_token(rng, 64)}@group.calendar.google.com"
            cal = Calendar(id=cal_id, summary=spec.secondary, time_zone=owner.time_zone)
            secondaries[(spec.organizer, spec.secondary)] = cal
            calendars[owner.email][cal_id] = cal

    by_key: dict[str, dict[str, Any]] = {}
    for spec in specs:
        secondary = secondaries.get((spec.organizer, spec.secondary)) if spec.secondary else None
        shared = _Shared(spec, rng, anchor, secondary.id if secondary else None)
        holders: list[tuple[Calendar, str]] = []
        if secondary is not None:
            holders.append((secondary, spec.organizer))
        elif spec.organizer in calendars:
            holders.append((calendars[spec.organizer][spec.organizer], spec.organizer))
        holders += [(calendars[i.email][i.email], i.email) for i in spec.invitees if i.email in calendars]
        for calendar, owner in holders:
            calendar.events[shared.id] = _resource(spec, shared, calendar.id, owner, calendar.time_zone)
        by_key[spec.key] = _resource(spec, shared, spec.organizer, spec.organizer, spec.time_zone)
    return calendars, by_key
