"""The seeded world: deterministic, well-formed on the wire, and consistent across mail, calendar and Fathom."""

from __future__ import annotations

import email
import functools
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from sandbox.seed import (
    ACCOUNT_EMAILS,
    ALICE,
    CONSUMER,
    UNVERIFIED,
    WORKSPACE_EMAILS,
    build_world,
    bulk_threads,
    waiting_threads,
)
from sandbox.world import StoredMessage, World

ANCHOR = datetime(2025, 3, 5, 15, tzinfo=UTC)  # a Wednesday afternoon
# A Saturday, a Monday just after midnight UTC, and the Sunday US clocks spring forward.
OTHER_ANCHORS = (
    datetime(2025, 3, 8, 11, tzinfo=UTC),
    datetime(2025, 6, 2, 0, tzinfo=UTC),
    datetime(2025, 3, 9, 7, tzinfo=UTC),
)
SYSTEM_LABELS = {
    "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT",
    "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS",
}  # fmt: skip
MEETING_FIELDS = {
    "title", "meeting_title", "recording_id", "url", "share_url", "created_at", "scheduled_start_time",
    "scheduled_end_time", "recording_start_time", "recording_end_time", "calendar_invitees_domains_type",
    "transcript_language", "calendar_invitees", "recorded_by",
}  # fmt: skip


@pytest.fixture(scope="module")
def world() -> World:
    return world_at(ANCHOR)


@pytest.fixture(scope="module")
def parsed(world: World) -> dict[tuple[str, str], EmailMessage]:
    """Every stored message parsed by the modern parser, by (mailbox, message id)."""
    return {
        (owner, mid): _parse(message.raw)
        for owner, box in world.mailboxes.items()
        for mid, message in box.messages.items()
    }


def _parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(raw, policy=policy.default))


def _snapshot(world: World) -> dict[str, Any]:
    return {
        "people": [vars(p) for p in world.people.values()],
        "mail": {
            owner: (
                [
                    (m.id, m.thread_id, m.raw, sorted(m.label_ids), m.internal_date_ms, m.history_id)
                    for m in box.messages.values()
                ],
                [(label.id, label.name, label.type) for label in box.labels.values()],
                dict(box.attachments),
                [(d.id, d.message_id) for d in box.drafts.values()],
            )
            for owner, box in world.mailboxes.items()
        },
        "calendars": {
            owner: [(c.id, c.summary, c.time_zone, c.primary, c.events) for c in cals.values()]
            for owner, cals in world.calendars.items()
        },
        "recordings": {
            rid: (r.meeting, r.summary_markdown, r.transcript, r.action_items) for rid, r in world.recordings.items()
        },
        "teams": world.fathom_teams,
    }  # fmt: skip


def _when(message: StoredMessage) -> datetime:
    return datetime.fromtimestamp(message.internal_date_ms / 1000, UTC)


def _addresses(msg: EmailMessage, header: str) -> list[str]:
    value = msg[header]
    return [a.addr_spec.lower() for a in value.addresses] if value is not None else []


def _threads(world: World, owner: str) -> dict[str, list[StoredMessage]]:
    threads: dict[str, list[StoredMessage]] = defaultdict(list)
    for message in world.mailboxes[owner].messages.values():
        threads[message.thread_id].append(message)
    for messages in threads.values():
        messages.sort(key=lambda m: (m.internal_date_ms, m.history_id))
    return threads


def _start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["start"]["dateTime"])


def _end(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["end"]["dateTime"])


# --- determinism and accounts ----------------------------------------------------------------


def test_the_same_anchor_and_seed_build_identical_worlds(world: World) -> None:
    assert _snapshot(build_world(ANCHOR, seed=7)) == _snapshot(world)


def test_another_seed_keeps_the_cast_but_draws_new_secrets(world: World) -> None:
    other = build_world(ANCHOR, seed=8)
    assert list(other.people) == list(world.people)
    assert other.people[ALICE].fathom_key != world.people[ALICE].fathom_key
    assert other.people[ALICE].sub != world.people[ALICE].sub


def test_the_default_anchor_is_the_current_hour() -> None:
    before = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    anchor = build_world().anchor
    after = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    assert anchor in (before, after)


def test_accounts_cover_a_workspace_a_consumer_and_an_unverified_email(world: World) -> None:
    assert list(world.people) == list(ACCOUNT_EMAILS)
    assert ALICE in WORKSPACE_EMAILS and len(WORKSPACE_EMAILS) >= 6
    for address in WORKSPACE_EMAILS:
        assert world.people[address].hd == "acme.example"
        assert world.people[address].email_verified
    assert world.people[CONSUMER].hd is None and CONSUMER.endswith("@gmail.example")
    assert not world.people[UNVERIFIED].email_verified
    subs = [p.sub for p in world.people.values()]
    assert all(re.fullmatch(r"1\d{20}", sub) for sub in subs) and len(set(subs)) == len(subs)
    assert len({p.time_zone for p in world.people.values()}) >= 5


def test_most_but_not_all_workspace_people_have_a_fathom_key(world: World) -> None:
    keyed = [world.people[a] for a in WORKSPACE_EMAILS if world.people[a].fathom_key]
    assert 0 < len(keyed) < len(WORKSPACE_EMAILS)
    for person in keyed:
        name = person.email.partition("@")[0]
        assert re.fullmatch(rf"fathom-sbx-{name}-[0-9a-f]{{16}}", person.fathom_key or "")
        assert person.fathom_team in ("Product", "Sales")
    assert world.people[ALICE].fathom_key


def test_every_account_has_a_mailbox_and_a_primary_calendar(world: World) -> None:
    for address, person in world.people.items():
        assert world.mailboxes[address].owner == address
        primary = world.calendars[address][address]
        assert primary.primary and primary.access_role == "owner" and primary.time_zone == person.time_zone


# --- mail on the wire -------------------------------------------------------------------------


def test_every_raw_message_parses_with_the_headers_gmail_shows(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    for (owner, mid), msg in parsed.items():
        stored = world.mailboxes[owner].messages[mid]
        assert b"\r\n" in stored.raw and not msg.defects, mid
        for header in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version"):
            assert msg[header], (mid, header)
        sent_at = msg["Date"].datetime
        assert sent_at.tzinfo is not None
        assert int(sent_at.timestamp() * 1000) == stored.internal_date_ms
        assert re.fullmatch(r"<[^<>\s]+@[^<>\s]+>", str(msg["Message-ID"]))
        if str(msg["Subject"]).startswith("Re: "):
            assert msg["In-Reply-To"] and str(msg["In-Reply-To"]) in str(msg["References"]).split()


def test_dates_use_the_senders_time_zone(parsed: dict[tuple[str, str], EmailMessage]) -> None:
    offsets = {msg["Date"].datetime.utcoffset() for (owner, _), msg in parsed.items() if owner == ALICE}
    assert len(offsets) >= 4


def test_replies_sit_in_the_thread_of_the_message_they_answer(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    checked = 0
    for owner, box in world.mailboxes.items():
        by_message_id = {str(parsed[(owner, mid)]["Message-ID"]): m for mid, m in box.messages.items()}
        for mid, message in box.messages.items():
            parent = parsed[(owner, mid)]["In-Reply-To"]
            if parent is not None and str(parent) in by_message_id:
                assert by_message_id[str(parent)].thread_id == message.thread_id
                assert by_message_id[str(parent)].internal_date_ms <= message.internal_date_ms
                checked += 1
    assert checked > 100


def test_a_message_between_accounts_is_copied_into_each_mailbox(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    copies: dict[str, list[tuple[str, StoredMessage]]] = defaultdict(list)
    for (owner, mid), msg in parsed.items():
        copies[str(msg["Message-ID"])].append((owner, world.mailboxes[owner].messages[mid]))
    shared = [c for c in copies.values() if len(c) > 1]
    assert len(shared) > 50
    for group in shared:
        assert len({m.id for _, m in group}) == len(group)
        assert len({m.raw for _, m in group}) == 1
        sender = parsed[(group[0][0], group[0][1].id)]["From"].addresses[0].addr_spec
        for owner, message in group:
            if owner == sender:
                assert "SENT" in message.label_ids and "INBOX" not in message.label_ids
            else:
                assert "SENT" not in message.label_ids


def test_ids_are_unique_and_history_ids_grow_with_time(world: World) -> None:
    ids = [mid for box in world.mailboxes.values() for mid in box.messages]
    assert len(ids) == len(set(ids))
    for box in world.mailboxes.values():
        ordered = sorted(box.messages.values(), key=lambda m: (m.internal_date_ms, m.id))
        history = [m.history_id for m in ordered]
        assert history == sorted(history) and len(set(history)) == len(history)
        for thread_id, messages in _threads(world, box.owner).items():
            assert thread_id == messages[0].id or "DRAFT" in messages[0].label_ids


def test_mail_covers_the_past_month_with_a_good_share_in_the_last_three_days(world: World) -> None:
    for address in WORKSPACE_EMAILS:
        dates = [_when(m) for m in world.mailboxes[address].messages.values()]
        assert len(dates) >= 150
        assert all(ANCHOR - timedelta(days=31) <= d < ANCHOR for d in dates)
        assert sum(d > ANCHOR - timedelta(hours=72) for d in dates) >= len(dates) // 5


def test_labels_are_gmails_system_labels_plus_user_labels(world: World) -> None:
    for box in world.mailboxes.values():
        system = {label.id for label in box.labels.values() if label.type == "system"}
        assert system >= SYSTEM_LABELS
        assert all(box.labels[name].name == name for name in system)
        for label in box.labels.values():
            if label.type == "user":
                assert re.fullmatch(r"Label_\d+", label.id)
        used = set().union(*(m.label_ids for m in box.messages.values()))
        assert used <= set(box.labels)
    alice_labels = {label.name for label in world.mailboxes[ALICE].labels.values()}
    assert {"Customers", "Hiring/Interviews"} <= alice_labels


def test_sent_and_received_mail_is_filed_like_gmail(world: World) -> None:
    labels = [m.label_ids for m in world.mailboxes[ALICE].messages.values()]
    for found in labels:
        assert not ({"SENT", "INBOX"} <= found)
    for wanted in ("SENT", "INBOX", "UNREAD", "STARRED", "IMPORTANT", "SPAM", "TRASH", "DRAFT", "CATEGORY_PERSONAL"):
        assert any(wanted in found for found in labels), wanted
    assert any("CATEGORY_PROMOTIONS" in f for f in labels) and any("CATEGORY_UPDATES" in f for f in labels)
    assert any("CATEGORY_SOCIAL" in f for f in labels) and any("CATEGORY_FORUMS" in f for f in labels)
    assert 0 < sum("UNREAD" in f for f in labels) < len(labels) // 2


def test_mail_mixes_formats_and_registers_its_attachments(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    box = world.mailboxes[ALICE]
    shapes: set[str] = set()
    attachment_types: set[str] = set()
    for mid in box.messages:
        msg = parsed[(ALICE, mid)]
        shapes.add(msg.get_content_type())
        for part in msg.iter_attachments():
            attachment_types.add(part.get_content_type())
            data = part.get_payload(decode=True)
            assert (mid, data) in box.attachments.values()
    assert {"text/plain", "text/html", "multipart/alternative", "multipart/mixed"} <= shapes
    assert {"text/csv", "application/pdf", "application/ics"} <= attachment_types
    pdfs = [data for _, data in box.attachments.values() if data.startswith(b"%PDF-")]
    assert pdfs and all(data.rstrip().endswith(b"%%EOF") for data in pdfs)


def test_bulk_mail_looks_like_newsletters_and_notifications(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    bulk = bulk_threads(world, ALICE)
    assert len(bulk) > 40
    senders: set[str] = set()
    unsubscribable = 0
    for mid, message in world.mailboxes[ALICE].messages.items():
        if message.thread_id in bulk:
            msg = parsed[(ALICE, mid)]
            senders.add(_addresses(msg, "From")[0])
            unsubscribable += msg["List-Unsubscribe"] is not None
            assert "CATEGORY_PERSONAL" not in message.label_ids
    assert unsubscribable > 20
    assert any(s.startswith(("no-reply@", "notifications@")) for s in senders)


# --- threads waiting on someone ------------------------------------------------------------------


@pytest.mark.parametrize("anchor", [ANCHOR, *OTHER_ANCHORS])
def test_waiting_threads_are_recent_unanswered_questions_to_the_person(anchor: datetime) -> None:
    world = world_at(anchor)
    assert len(waiting_threads(world, ALICE)) >= 4
    for address in WORKSPACE_EMAILS:
        waiting = waiting_threads(world, address)
        assert waiting, address
        threads = _threads(world, address)
        for thread_id in waiting:
            messages = [m for m in threads[thread_id] if "DRAFT" not in m.label_ids]
            last = messages[-1]
            msg = _parse(last.raw)
            body = msg.get_body(("plain", "html"))
            assert anchor - timedelta(hours=72) <= _when(last) < anchor
            assert address in _addresses(msg, "To")
            assert "SENT" not in last.label_ids and body is not None and "?" in body.get_content()


@functools.cache
def world_at(anchor: datetime) -> World:
    """A world per anchor, shared by the tests that only read it."""
    return build_world(anchor)


def test_answered_threads_are_not_waiting(world: World) -> None:
    waiting = waiting_threads(world, ALICE)
    answered = [tid for tid, ms in _threads(world, ALICE).items() if "SENT" in ms[-1].label_ids and len(ms) > 1]
    assert len(answered) >= 3
    assert not waiting & set(answered)


def test_waiting_and_bulk_threads_do_not_overlap(world: World) -> None:
    for address in ACCOUNT_EMAILS:
        assert not waiting_threads(world, address) & bulk_threads(world, address)


def test_a_draft_is_listed_and_stored_with_the_draft_label(world: World) -> None:
    drafts = world.mailboxes[ALICE].drafts
    assert drafts
    for draft in drafts.values():
        assert re.fullmatch(r"r\d{19}", draft.id)
        assert world.mailboxes[ALICE].messages[draft.message_id].label_ids == {"DRAFT"}


# --- calendar --------------------------------------------------------------------------------


def test_events_shared_between_people_have_the_same_id_and_their_own_self_flags(world: World) -> None:
    copies: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for owner, calendars in world.calendars.items():
        for calendar in calendars.values():
            for event in calendar.events.values():
                copies[event["id"]].append((owner, event))
    shared = {eid: c for eid, c in copies.items() if len(c) > 1}
    assert len(shared) > 10
    for eid, group in shared.items():
        assert len({e["iCalUID"] for _, e in group}) == 1
        assert len({e["summary"] for _, e in group}) == 1
        for owner, event in group:
            assert event["id"] == eid
            selves = [a["email"] for a in event.get("attendees", []) if a.get("self")]
            assert selves == [owner]
            assert event["organizer"].get("self", False) == (event["organizer"]["email"] == owner)


def test_events_look_like_calendar_api_resources(world: World) -> None:
    for calendars in world.calendars.values():
        for calendar in calendars.values():
            for event in calendar.events.values():
                assert re.fullmatch(r"[0-9a-v]{26}", event["id"])
                assert event["status"] == "confirmed" and event["eventType"] == "default"
                assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
                assert event["reminders"] == {"useDefault": True}
                for edge in ("start", "end"):
                    if "dateTime" in event[edge]:
                        assert re.search(r"(Z|[+-]\d\d:\d\d)$", event[edge]["dateTime"]) and event[edge]["timeZone"]
                if "hangoutLink" in event:
                    assert event["conferenceData"]["conferenceSolution"]["key"]["type"] == "hangoutsMeet"


def test_all_day_events_have_exclusive_end_dates(world: World) -> None:
    lengths: set[int] = set()
    for calendars in world.calendars.values():
        for calendar in calendars.values():
            for event in calendar.events.values():
                if "date" in event["start"]:
                    start, end = date.fromisoformat(event["start"]["date"]), date.fromisoformat(event["end"]["date"])
                    assert "dateTime" not in event["start"] and end > start
                    lengths.add((end - start).days)
    assert 1 in lengths and any(n > 1 for n in lengths)


def test_weekly_series_are_stored_once_as_a_master_event(world: World) -> None:
    series = [e for e in world.calendars[ALICE][ALICE].events.values() if "recurrence" in e]
    assert any(e["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"] for e in series)
    for event in series:
        assert _start(event) < ANCHOR and "recurringEventId" not in event


@pytest.mark.parametrize("anchor", [ANCHOR, *OTHER_ANCHORS])
def test_alice_has_invitations_to_answer_and_a_double_booking_ahead(anchor: datetime) -> None:
    world = world_at(anchor)
    events = [e for e in world.calendars[ALICE][ALICE].events.values() if "dateTime" in e["start"]]
    week = [e for e in events if anchor < _start(e) < anchor + timedelta(days=7) and "recurrence" not in e]
    mine = {e["id"]: next(a for a in e.get("attendees", []) if a.get("self")) for e in week if e.get("attendees")}
    assert any(a["responseStatus"] == "needsAction" for a in mine.values())
    going = [e for e in week if mine.get(e["id"], {}).get("responseStatus") != "declined"]
    overlaps = [
        (a["summary"], b["summary"])
        for a in going
        for b in going
        if a["id"] < b["id"] and _start(a) < _end(b) and _start(b) < _end(a)
    ]
    assert overlaps


def test_a_secondary_calendar_holds_team_offsites(world: World) -> None:
    secondary = [c for c in world.calendars[ALICE].values() if not c.primary]
    assert secondary and re.fullmatch(r"c_[0-9a-f]{64}@group\.calendar\.google\.com", secondary[0].id)
    assert secondary[0].events


# --- Fathom ----------------------------------------------------------------------------------


def test_recordings_line_up_with_meetings_in_the_recorders_calendar(world: World) -> None:
    assert len(world.recordings) >= 6
    for rid, recording in world.recordings.items():
        meeting = recording.meeting
        assert meeting["recording_id"] == rid and set(meeting) == MEETING_FIELDS
        recorder = meeting["recorded_by"]["email"]
        events = [
            e for e in world.calendars[recorder][recorder].events.values() if e["summary"] == meeting["meeting_title"]
        ]
        assert events, meeting["title"]
        start = datetime.fromisoformat(meeting["scheduled_start_time"])
        master = events[0]
        if "recurrence" not in master:
            assert _start(master) == start
        else:  # an occurrence: same weekday and wall-clock time in the series' zone
            zone = ZoneInfo(master["start"]["timeZone"])
            first, held = _start(master).astimezone(zone), start.astimezone(zone)
            assert (held.weekday(), held.time()) == (first.weekday(), first.time()) and held > first
        assert ANCHOR - timedelta(days=22) < start < ANCHOR
        assert meeting["url"] == f"https://fathom.video/calls/{rid}"
        assert re.fullmatch(r"https://fathom\.video/share/\w+", meeting["share_url"])
        for field in ("created_at", "scheduled_start_time", "recording_start_time", "recording_end_time"):
            assert meeting[field].endswith("Z")


def test_recording_people_are_consistent(world: World) -> None:
    for recording in world.recordings.values():
        meeting = recording.meeting
        recorder = world.people[meeting["recorded_by"]["email"]]
        assert recorder.fathom_key and meeting["recorded_by"]["team"] == recorder.fathom_team
        invitees = {i["email"]: i for i in meeting["calendar_invitees"]}
        assert recorder.email in invitees
        for address, invitee in invitees.items():
            assert invitee["email_domain"] == address.rpartition("@")[2]
            assert invitee["is_external"] == (invitee["email_domain"] != "acme.example")
        external = any(i["is_external"] for i in invitees.values())
        assert meeting["calendar_invitees_domains_type"] == ("one_or_more_external" if external else "only_internal")
        speakers = {line["speaker"]["matched_calendar_invitee_email"] for line in recording.transcript}
        assert speakers - {None} <= set(invitees)
        for address, invitee in invitees.items():
            assert (invitee["matched_speaker_display_name"] is not None) == (address in speakers)


def test_transcripts_are_dozens_of_timestamped_lines(world: World) -> None:
    for recording in world.recordings.values():
        transcript = recording.transcript
        assert len(transcript) >= 15
        stamps = [line["timestamp"] for line in transcript]
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d", s) for s in stamps) and stamps == sorted(stamps)
        assert all(set(line["speaker"]) == {"display_name", "matched_calendar_invitee_email"} for line in transcript)
    assert sum(len(r.transcript) for r in world.recordings.values()) / len(world.recordings) >= 24


def test_summaries_follow_fathoms_sections(world: World) -> None:
    for recording in world.recordings.values():
        summary = recording.summary_markdown
        for heading in ("## Meeting Purpose", "## Key Takeaways", "## Topics", "## Next Steps"):
            assert heading in summary
        assert recording.meeting["share_url"] in summary


def test_alice_has_several_open_action_items(world: World) -> None:
    open_items = [
        item
        for recording in world.recordings.values()
        for item in recording.action_items
        if item["assignee"]["email"] == ALICE and not item["completed"]
    ]
    assert len(open_items) >= 3
    for recording in world.recordings.values():
        for item in recording.action_items:
            assert item["user_generated"] is False
            h, m, s = (int(x) for x in item["recording_timestamp"].split(":"))
            expected = f"{recording.meeting['url']}?timestamp={h * 3600 + m * 60 + s}"
            assert item["recording_playback_url"] == expected
            assert set(item["assignee"]) == {"name", "email", "team"}


def test_fathom_teams_are_listed(world: World) -> None:
    assert {team["name"] for team in world.fathom_teams} == {"Product", "Sales"}


def test_mail_calendar_and_meetings_tell_the_same_stories(
    world: World, parsed: dict[tuple[str, str], EmailMessage]
) -> None:
    subjects = {str(msg["Subject"]) for (owner, _), msg in parsed.items() if owner == ALICE}
    titles = {r.meeting["title"] for r in world.recordings.values()}
    summaries = {e["summary"] for e in world.calendars[ALICE][ALICE].events.values()}
    assert "Globex QBR" in titles and "Globex QBR" in summaries
    assert any("Globex QBR" in s for s in subjects)
    assert any(s.startswith("Invitation: Globex renewal check-in") for s in subjects)
    assert any(s.startswith("Recap: ") for s in subjects)
