"""The seeded calendar's schedule: which meetings happen when, and who is invited.

Times are laid out on business days around the anchor. Meetings that must line up with each other
(the conflicts) are placed on New York wall-clock time and shown in the organizer's own zone.
Mail and Fathom refer to these meetings by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.seed.common import at_local, business_day, local_date
from sandbox.seed.people import (
    ALICE,
    BEN,
    CARMEN,
    DIETER,
    EMI,
    FRANK,
    JESS,
    LENA,
    MAYA,
    NADIA,
    OWEN,
    PRIYA,
    RAJ,
    SAM,
    TESSA,
    TOM,
    contact,
)

NY = "America/New_York"
TEAM_OFFSITES = "Team Offsites"


@dataclass(frozen=True)
class Invitee:
    email: str
    status: str = "accepted"  # needsAction | declined | tentative | accepted
    optional: bool = False


@dataclass
class EventSpec:
    """One event before it is copied into each participant's calendar."""

    key: str
    summary: str
    organizer: str
    time_zone: str
    start: datetime | date  # a UTC instant, or a date for all-day events
    end: datetime | date  # exclusive for all-day events
    invitees: tuple[Invitee, ...] = ()
    description: str = ""
    location: str = ""
    meet: bool = True
    recurrence: tuple[str, ...] = ()
    secondary: str | None = None  # summary of the organizer's secondary calendar holding it
    transparent: bool = False


@dataclass(frozen=True)
class Slot:
    """One held meeting (a one-off event or one occurrence of a series), for Fathom and mail."""

    key: str
    title: str
    start: datetime
    end: datetime
    organizer: str
    participants: tuple[str, ...]  # organizer first, then invitees who did not decline


def _timed(day: date, hour: int, minute: int, minutes: int, wall: str = NY) -> tuple[datetime, datetime]:
    start = at_local(day, hour, minute, wall)
    return start, start + timedelta(minutes=minutes)


def _weekly_start(anchor_day: date, weekday: int, weeks_back: int) -> date:
    """The `weekday` (Monday=0) on or before `anchor_day`, `weeks_back` weeks earlier."""
    back = (anchor_day.weekday() - weekday) % 7
    return anchor_day - timedelta(days=back + 7 * weeks_back)


def plan_events(anchor: datetime) -> list[EventSpec]:
    """Every seeded event, relative to `anchor`."""
    today = local_date(anchor, NY)

    def bd(n: int) -> date:
        return business_day(today, n)

    def inv(*emails: str, status: str = "accepted") -> tuple[Invitee, ...]:
        return tuple(Invitee(e, status) for e in emails)

    events: list[EventSpec] = []

    def add(
        key: str,
        summary: str,
        organizer: str,
        tz: str,
        span: tuple[datetime, datetime] | tuple[date, date],
        *,
        invitees: tuple[Invitee, ...] = (),
        description: str = "",
        location: str = "",
        meet: bool = True,
        recurrence: tuple[str, ...] = (),
        secondary: str | None = None,
        transparent: bool = False,
    ) -> None:
        fields = (invitees, description, location, meet, recurrence, secondary, transparent)
        events.append(EventSpec(key, summary, organizer, tz, span[0], span[1], *fields))

    # fmt: off
    # Series: stored once as the master event, from a start weeks ago.
    add("alice-carmen-1on1", "Alice / Carmen 1:1", ALICE, NY, _timed(_weekly_start(today, 0, 10), 13, 0, 30),
        invitees=inv(CARMEN), recurrence=("RRULE:FREQ=WEEKLY;BYDAY=MO",),
        description="Weekly 1:1. Running notes: https://docs.google.com/document/d/1aC3rm3n-1on1-notes/edit")
    add("product-standup", "Product standup", ALICE, NY, _timed(_weekly_start(today, 0, 8), 12, 0, 15),
        invitees=(Invitee(CARMEN), Invitee(EMI, "declined", optional=True)),
        recurrence=("RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH",),
        description="What shipped, what's blocked. Async updates in #product-standup when you can't make it.")
    add("sales-pipeline", "Sales pipeline review", FRANK, "America/Chicago",
        _timed(_weekly_start(today, 1, 12), 10, 0, 45, "America/Chicago"),
        invitees=(Invitee(BEN), Invitee(DIETER), Invitee(ALICE, "tentative", optional=True)),
        recurrence=("RRULE:FREQ=WEEKLY;BYDAY=TU",),
        description="Commit / best case / pipeline by region. Update Salesforce before the call, please.")
    add("alice-ben-sync", "Alice / Ben — customer sync", BEN, "Europe/London",
        _timed(_weekly_start(today, 3, 6), 10, 30, 30), invitees=inv(ALICE),
        recurrence=("RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TH",),
        description="Customer asks, roadmap questions from the field, escalations.")

    # The past three weeks: the meetings Fathom recorded.
    add("initech-kickoff", "Initech pilot kickoff", DIETER, "Europe/Berlin", _timed(bd(-13), 10, 0, 60),
        invitees=inv(RAJ, MAYA, CARMEN, ALICE),
        description="Pilot goals, success criteria, SSO/SCIM setup and the timeline for the 60-day pilot.")
    add("vandelay-intro", "Vandelay <> Acme partnership intro", DIETER, "Europe/Berlin", _timed(bd(-11), 5, 0, 45),
        invitees=inv(LENA, FRANK), description="Intro call: reseller model for DACH, enablement, deal registration.")
    add("globex-qbr", "Globex QBR", BEN, "Europe/London", _timed(bd(-8), 10, 0, 60),
        invitees=(*inv(PRIYA, TOM, ALICE), Invitee(FRANK, "declined", optional=True)),
        description="Quarterly business review: usage, adoption by department, roadmap, renewal timeline.")
    add("hooli-discovery", "Hooli discovery call", BEN, "Europe/London", _timed(bd(-7), 12, 0, 45),
        invitees=inv(OWEN, JESS, DIETER), description="Discovery: current tooling, team size, evaluation timeline.")
    add("roadmap-review", "Q3 roadmap review", ALICE, NY, _timed(bd(-5), 18, 0, 60), invitees=inv(CARMEN, EMI, FRANK),
        description="Review the Q3 roadmap draft: https://docs.google.com/document/d/1q3R0adm4p-draft/edit")
    add("initech-sso", "Initech SSO troubleshooting", CARMEN, "America/Los_Angeles", _timed(bd(-3), 12, 0, 45),
        invitees=(*inv(RAJ, DIETER), Invitee(ALICE, optional=True)),
        description="SAML assertions failing for some Initech users. Bring IdP logs.")
    add("design-crit", "Onboarding design crit", ALICE, NY, _timed(bd(-2), 18, 30, 45), invitees=inv(EMI, CARMEN),
        description="Flow A vs flow B. Figma: https://www.figma.com/file/Xq7onb0ard1ng/Onboarding-v3")
    add("board-prep", "Board deck prep", FRANK, "America/Chicago", _timed(bd(-1), 15, 0, 60), invitees=inv(ALICE),
        description="Product and revenue slides for the board meeting.")
    add("marketing-sync", "Launch marketing sync", FRANK, "America/Chicago", _timed(bd(0), 16, 0, 30),
        invitees=(Invitee(ALICE, "declined"), Invitee(BEN)))

    # The coming week: invitations, two double bookings, an offsite.
    add("initech-weekly", "Initech pilot weekly check-in", RAJ, "America/Toronto", _timed(bd(1), 11, 0, 30),
        invitees=(Invitee(DIETER), Invitee(CARMEN), Invitee(ALICE, "needsAction")), meet=False,
        location="https://initech.zoom.example/j/81234567890?pwd=pilot",
        description="Weekly pilot check-in. Agenda: SSO status, SCIM groups, usage review.")
    add("hiring-sync", "Hiring sync — Senior PM", TESSA, NY, _timed(bd(1), 11, 15, 30),
        invitees=(Invitee(ALICE), Invitee(EMI, "declined", optional=True)),
        description="Pipeline review for the Senior PM role.")
    add("globex-renewal", "Globex renewal check-in", BEN, "Europe/London", _timed(bd(2), 13, 0, 45),
        invitees=(Invitee(PRIYA), Invitee(ALICE, "needsAction"), Invitee(FRANK)),
        description="Walk through the 250-seat renewal proposal and the audit log timeline.")
    add("audit-scoping", "Audit log export — scoping", CARMEN, "America/Los_Angeles", _timed(bd(2), 13, 30, 60),
        invitees=(Invitee(ALICE), Invitee(EMI, "needsAction", optional=True)),
        description="Scope the audit log export for Globex and Initech: formats, retention, API.")
    add("interview-nadia", "Interview: Nadia Hassan — Senior PM (product sense)", TESSA, NY, _timed(bd(3), 14, 0, 45),
        invitees=(Invitee(ALICE, "needsAction"), Invitee(NADIA)),
        description="Product sense round. Resume and scorecard in Greenhouse.")
    add("forecast-call", "Forecast call", FRANK, "America/Chicago", _timed(bd(2), 9, 0, 30, "America/Chicago"),
        invitees=inv(BEN, DIETER))
    add("vandelay-demo", "Vandelay demo dry-run", DIETER, "Europe/Berlin", _timed(bd(1), 9, 0, 60, "Europe/Berlin"),
        invitees=inv(LENA))
    add("usability-tests", "Usability test session #1", EMI, "Asia/Tokyo", _timed(bd(4), 19, 0, 60),
        invitees=(Invitee(ALICE, "needsAction", optional=True), Invitee(CARMEN, "tentative")),
        description="Moderated test of onboarding flow B with three participants.")
    add("carmen-focus", "Focus: SAML clock-skew fix", CARMEN, "America/Los_Angeles",
        _timed(bd(1), 9, 0, 120, "America/Los_Angeles"), meet=False)

    # All-day events: the end date is exclusive.
    offsite, q2 = bd(4), bd(-15)
    add("offsite", "Product offsite — Lisbon", ALICE, NY, (offsite, offsite + timedelta(days=2)),
        invitees=(Invitee(CARMEN), Invitee(EMI), Invitee(FRANK, "tentative")), meet=False, transparent=True,
        location="Lisbon, Portugal", description="Two days of roadmap, design and team time. Agenda to follow.")
    travel = (offsite - timedelta(days=1), offsite + timedelta(days=3))
    add("offsite-travel", "Offsite travel — Lisbon", ALICE, NY, travel,
        meet=False, secondary=TEAM_OFFSITES, transparent=True)
    add("q2-offsite", "Q2 offsite — Austin", ALICE, NY, (q2, q2 + timedelta(days=2)),
        meet=False, secondary=TEAM_OFFSITES, transparent=True, location="Austin, TX")
    add("ben-ooo", "OOO", BEN, "Europe/London", (bd(3), bd(3) + timedelta(days=1)), meet=False)

    # The consumer account keeps a personal calendar.
    add("sam-dentist", "Dentist", SAM, "America/Denver", _timed(bd(2), 8, 0, 60, "America/Denver"), meet=False,
        location="Cherry Creek Dental, 3000 E 1st Ave, Denver, CO")
    add("sam-climbing", "Climbing", SAM, "America/Denver",
        _timed(_weekly_start(today, 2, 5), 18, 30, 120, "America/Denver"), meet=False,
        recurrence=("RRULE:FREQ=WEEKLY;BYDAY=WE",), location="Movement Climbing, Englewood")
    # fmt: on
    return events


def _series_occurrence(
    spec: EventSpec, start: datetime, end: datetime, anchor: datetime, min_days_ago: int
) -> tuple[datetime, datetime]:
    """The latest weekly occurrence of a series that ended at least `min_days_ago` days before `anchor`."""
    zone = ZoneInfo(spec.time_zone)
    first = start.astimezone(zone).replace(tzinfo=None)
    step = 1
    for part in spec.recurrence[0].removeprefix("RRULE:").split(";"):
        if part.startswith("INTERVAL="):
            step = int(part.removeprefix("INTERVAL="))
    length = end - start
    weeks = 0
    # Step on the wall clock so the occurrence keeps its local time across a DST change.
    while (first + timedelta(weeks=weeks + step)).replace(tzinfo=zone) + length <= anchor - timedelta(
        days=min_days_ago
    ):
        weeks += step
    held = (first + timedelta(weeks=weeks)).replace(tzinfo=zone)
    return held, held + length


def held_meetings(events: list[EventSpec], anchor: datetime) -> dict[str, Slot]:
    """Meetings that already happened, by key; series give their occurrence from a few days ago."""
    slots: dict[str, Slot] = {}
    for spec in events:
        if not isinstance(spec.start, datetime) or not isinstance(spec.end, datetime):
            continue
        start, end = spec.start, spec.end
        if spec.recurrence:
            start, end = _series_occurrence(spec, start, end, anchor, 4)
        if end > anchor:
            continue
        people = (spec.organizer, *(i.email for i in spec.invitees if i.status != "declined"))
        slots[spec.key] = Slot(spec.key, spec.summary, start, end, spec.organizer, people)
    return slots


def display_name(email: str) -> str:
    """The name Calendar shows for an address."""
    return contact(email).name
