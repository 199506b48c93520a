"""The seeded sandbox world: Acme's people with a month of mail, a busy calendar and Fathom meetings.

`build_world(anchor, seed)` is deterministic for a given anchor and seed. Everything is laid out
relative to the anchor ("now"): mail over the past 30 days (a good share in the last 72 hours),
meetings from three weeks ago to next week, Fathom recordings of the meetings already held.

Ground truth for tests rides on a harmless custom header, `X-Sandbox-Expect`: `waiting-on-you`
on a direct question nobody has answered yet, `bulk` on newsletters and notifications.
`waiting_threads` and `bulk_threads` read it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from sandbox.seed.calendar import build_calendars
from sandbox.seed.calendar_plan import held_meetings, plan_events
from sandbox.seed.common import sub_rng
from sandbox.seed.contacts import build_contacts
from sandbox.seed.fathom import build_recordings, fathom_teams
from sandbox.seed.mail import deliver
from sandbox.seed.mail_bulk import bulk_mail
from sandbox.seed.mail_generic import everyday_mail
from sandbox.seed.mail_mime import Clock
from sandbox.seed.mail_notices import fathom_recaps, invitations, responses
from sandbox.seed.mail_stories import story_mail
from sandbox.seed.people import (
    ACCOUNT_EMAILS,
    ALICE,
    BEN,
    CARMEN,
    DIETER,
    DOMAIN,
    EMI,
    FRANK,
    JORDAN,
    SAM,
    WORKSPACE_EMAILS,
    build_people,
)
from sandbox.world import StoredMessage, World

__all__ = [
    "ACCOUNT_EMAILS",
    "ALICE",
    "BEN",
    "CARMEN",
    "CONSUMER",
    "DIETER",
    "EMI",
    "FRANK",
    "UNVERIFIED",
    "WORKSPACE_EMAILS",
    "build_world",
    "bulk_threads",
    "waiting_threads",
]

CONSUMER = SAM  # a consumer Google account (no hd claim)
UNVERIFIED = JORDAN  # an account with email_verified=False, for sign-in refusal tests

_HIDDEN = {"DRAFT", "SPAM", "TRASH"}
_HEADERS = BytesHeaderParser()


def build_world(anchor: datetime | None = None, seed: int = 7) -> World:
    """A fully populated world laid out around `anchor` (default: now, truncated to the hour)."""
    if anchor is None:
        anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    elif anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    anchor = anchor.astimezone(UTC)
    world = World(anchor=anchor, domain=DOMAIN)
    world.people = build_people(sub_rng(seed, "people"))
    world.saved_contacts, world.directories = build_contacts()

    events = plan_events(anchor)
    world.calendars, by_key = build_calendars(world.people, events, sub_rng(seed, "calendar"), anchor)
    slots = held_meetings(events, anchor)
    world.recordings = build_recordings(events, slots, sub_rng(seed, "fathom"))
    world.fathom_teams = fathom_teams(anchor)

    rng = sub_rng(seed, "mail")
    clock = Clock(rng, anchor)
    mail = [
        *story_mail(rng, anchor, slots),
        *everyday_mail(clock),
        *bulk_mail(clock),
        *invitations(events, by_key, rng, anchor),
        *responses(events, by_key, rng, anchor),
        *fathom_recaps(world.recordings, rng, anchor),
    ]
    deliver(world, mail, sub_rng(seed, "delivery"))
    return world


def _expect(message: StoredMessage) -> tuple[str | None, list[str]]:
    headers = _HEADERS.parsebytes(message.raw)
    to = [address.lower() for _, address in getaddresses(headers.get_all("To", []))]
    return headers.get("X-Sandbox-Expect"), to


def _latest_by_thread(world: World, email: str) -> dict[str, StoredMessage]:
    latest: dict[str, StoredMessage] = {}
    for message in world.mailboxes[email].messages.values():
        if message.label_ids & _HIDDEN:
            continue
        current = latest.get(message.thread_id)
        if current is None or (message.internal_date_ms, message.history_id) > (
            current.internal_date_ms,
            current.history_id,
        ):
            latest[message.thread_id] = message
    return latest


def waiting_threads(world: World, email: str) -> set[str]:
    """Thread ids in `email`'s mailbox whose latest message is an unanswered direct question to them.

    Replying in such a thread (through the Gmail API) takes it off the list.
    """
    waiting: set[str] = set()
    for thread_id, message in _latest_by_thread(world, email).items():
        if "SENT" in message.label_ids:
            continue
        expect, to = _expect(message)
        if expect == "waiting-on-you" and email.lower() in to:
            waiting.add(thread_id)
    return waiting


def bulk_threads(world: World, email: str) -> set[str]:
    """Thread ids in `email`'s mailbox that hold newsletters, notifications, promotions or spam."""
    return {message.thread_id for message in world.mailboxes[email].messages.values() if _expect(message)[0] == "bulk"}
