"""meeting_prep and meeting_follow_up across Calendar, Gmail and Fathom on the seeded sandbox."""

import email
import email.policy
import re
from datetime import timedelta

from app.tools.meetings import company
from sandbox.seed import ALICE
from sandbox.world import StoredMessage
from tests.support.fathom import store_fathom_key
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack, both_backends, rest_calls

INITECH_CHECK_IN = "Initech pilot weekly check-in"
INITECH_SSO_RECORDING = "Initech SSO troubleshooting"


def _event_id(stack: Stack, title: str) -> str:
    events = stack.sandbox.world.calendars[ALICE][ALICE].events.values()
    return next(e["id"] for e in events if e.get("summary") == title)


def _recording_id(stack: Stack, title: str) -> int:
    return next(rid for rid, rec in stack.sandbox.world.recordings.items() if rec.meeting["title"] == title)


@both_backends
async def test_prep_names_external_attendees_recent_threads_and_past_meetings(stack: Stack, google_access: str) -> None:
    event_id = _event_id(stack, INITECH_CHECK_IN)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("meeting_prep", {"event_id": event_id})
        start = re.search(r"^Meeting: «.*?» — (\S+)", text, re.M)
        assert start, text
        listing = await alice.ok("calendar_list_events", {"start": start.group(1), "query": INITECH_CHECK_IN})
    assert text.startswith(f"Meeting: «{INITECH_CHECK_IN}» — ")
    # Counted as calendar_list_events counts the same event, and the person is among them.
    counted = re.search(rf"event_id={event_id} · .*? · (\d+) attendee\(s\)", listing)
    assert counted, listing
    assert f"\nAttendees ({counted.group(1)}, you included):\n- you (" in text
    assert re.search(r"raj\.patel@initech\.example> \(external — Initech; \w+\)", text)
    assert re.search(r"dieter@acme\.example> \(internal; \w+\)", text)
    assert "SAML clock-skew fix is live" in _recent_email(text), text
    assert f"- «{INITECH_SSO_RECORDING}» (" in text
    assert "open: «Confirm whether SCIM group push is in the Initech pilot scope»" in text
    if google_access == "mcp":
        assert rest_calls(stack) == []


def _recent_email(prep: str) -> str:
    """The prep's "Recent email with them" section."""
    return prep.split("\nRecent email with them (60 days):\n", 1)[1].split("\n\nPast recorded meetings", 1)[0]


@both_backends
async def test_prep_lists_the_thread_with_most_of_the_guests_before_newer_notes_from_one_of_them(
    stack: Stack, google_access: str
) -> None:
    world = stack.sandbox.world
    mailbox = world.mailboxes[ALICE]
    for n in range(12):  # newer than anything seeded, each naming one guest only
        message_id = world.next_id()
        mailbox.history_id += 1
        raw = (
            f"From: Dieter Vogel <dieter@acme.example>\r\nTo: {ALICE}\r\nSubject: Team note {n}\r\n"
            f"Date: Mon, 1 Jun 2026 09:00:00 +0000\r\nMessage-ID: <note-{n}@acme.example>\r\n\r\nNote {n}.\r\n"
        )
        mailbox.messages[message_id] = StoredMessage(
            id=message_id,
            thread_id=message_id,
            raw=raw.encode(),
            label_ids={"INBOX"},
            internal_date_ms=int((world.now() - timedelta(minutes=n)).timestamp() * 1000),
            history_id=mailbox.history_id,
        )
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("meeting_prep", {"event_id": _event_id(stack, INITECH_CHECK_IN)})
    threads = [line for line in _recent_email(text).splitlines() if line.startswith("- ")]
    assert len(threads) == 6, text
    saml = next(i for i, line in enumerate(threads) if "SAML clock-skew fix is live" in line)
    notes = [i for i, line in enumerate(threads) if "Team note" in line]
    assert notes and saml < min(notes), text


@both_backends
async def test_prep_for_next_finds_the_next_meeting_and_notes_a_missing_fathom_key(
    stack: Stack, google_access: str
) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.ok("meeting_prep", {})
    assert text.startswith("Meeting: ")
    assert "Attendees (" in text
    assert "(not available — Fathom is not connected. Add your Fathom API key at" in text
    if google_access == "mcp":
        assert rest_calls(stack) == []


@both_backends
async def test_follow_up_is_a_threaded_draft_to_the_invitees_with_summary_and_owners(
    stack: Stack, google_access: str
) -> None:
    recording = _recording_id(stack, INITECH_SSO_RECORDING)
    mailbox = stack.sandbox.world.mailboxes[ALICE]
    before = set(mailbox.drafts)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("meeting_follow_up", {"recording_id": recording})
    assert text.startswith(
        "Draft saved (not sent) to carmen@acme.example, dieter@acme.example, raj.patel@initech.example"
    )
    assert "in the existing thread" in text
    assert not [m for m in mailbox.messages.values() if "SENT" in m.label_ids and b"Action items:" in m.raw]
    [draft] = [mailbox.drafts[d] for d in set(mailbox.drafts) - before]
    stored = mailbox.messages[draft.message_id]
    thread = re.search(r"thread_id=(\S+)\)", text)
    assert thread and stored.thread_id == thread.group(1)
    raw = email.message_from_bytes(stored.raw, policy=email.policy.default)
    assert raw["In-Reply-To"] and raw["Subject"].startswith("Re: ")
    assert {a.addr_spec for a in raw["To"].addresses} == {
        "carmen@acme.example",
        "dieter@acme.example",
        "raj.patel@initech.example",
    }
    plain = raw.get_body(("plain",))
    assert plain is not None and raw.get_body(("html",)) is not None
    body = plain.get_content().replace("\r\n", "\n")
    assert "Action items:" in body
    assert re.search(r"^- Alice Nguyen: Confirm whether SCIM group push is in the Initech pilot scope$", body, re.M)
    assert "##" not in body and "](" not in body
    if google_access == "mcp":
        assert rest_calls(stack) == []  # Google's MCP server tells no send-as signature: none is added
    else:
        assert body.rstrip().endswith("-- \nAlice Nguyen\nHead of Product, Acme\nacme.example <https://acme.example>")


async def test_follow_up_for_an_unknown_recording_says_so(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.error("meeting_follow_up", {"recording_id": 123})
    assert text.endswith("Fathom could not find recording 123: check the id."), text


def test_a_company_is_named_from_the_registered_domain_not_the_public_suffix() -> None:
    assert company("acme.co.uk") == "Acme"
    assert company("mail.initech.com") == "Initech"
    assert company("globex.example") == "Globex"
    assert company("vandelay-industries.com.au") == "Vandelay Industries"
    assert company("octo.github.io") == "Octo"  # a private suffix: each site is its own organisation


async def test_a_long_summary_in_a_prep_is_cut_after_a_whole_line_and_says_how_to_read_the_rest(stack: Stack) -> None:
    recording = _recording_id(stack, INITECH_SSO_RECORDING)
    summary = stack.sandbox.world.recordings[recording]
    share = summary.meeting["share_url"]
    summary.summary_markdown += "".join(
        f"  - [Step {n}: check the assertion at https://idp.initech.example/saml/{n}]({share}?timestamp={60 * n})\n"
        for n in range(1, 40)
    )
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        prep = await alice.ok("meeting_prep", {"event_id": _event_id(stack, INITECH_CHECK_IN)})
        whole = await alice.ok("fathom_get_meeting", {"recording_id": recording})
    shown = prep.split(f"recording_id={recording}\n", 1)[1].split("\n  open: ", 1)[0]
    kept, notice = shown.rsplit("\n  [cut here: ", 1)
    full = whole.split("\nSummary:\n", 1)[1].replace("«", "", 1).removesuffix("»").splitlines()
    head, fenced = kept.split("\n", 1)
    assert fenced.startswith("  «") and fenced.endswith("»")  # Fathom's text, fenced as someone else's
    kept = f"{head}\n{fenced.replace('«', '', 1).removesuffix('»')}"
    kept_lines = [line.removeprefix("  ") for line in kept.splitlines()]
    assert kept_lines == full[: len(kept_lines)]  # whole lines, each link and URL intact
    left = full[len(kept_lines) :]
    assert notice == (
        f"{len(left)} more line(s), {len(chr(10).join(left).strip())} characters — "
        f"fathom_get_meeting with recording_id={recording} shows all of it]"
    )
    assert "](" not in prep
