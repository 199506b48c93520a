"""Fathom tools through a real MCP client over HTTP, against the sandbox Fathom."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from app.tools.format import span, when
from sandbox.seed import ALICE
from tests.support.fathom import add_older_meetings, store_fathom_key, visible_recordings
from tests.support.mcp_session import mcp_session
from tests.support.stack import Stack

MEETINGS_PATH = "/fathom/external/v1/meetings"


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _meeting_queries(stack: Stack) -> list[str]:
    return [unquote(r.query) for r in stack.sandbox.faults.requests(MEETINGS_PATH)]


async def test_listing_meetings_shows_titles_zoned_start_times_and_ids(stack: Stack) -> None:
    zone = ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)
    expected = visible_recordings(stack.sandbox.world, ALICE)
    async with mcp_session(stack, ALICE) as alice:
        key = await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_list_meetings")
    assert text.startswith(f"{len(expected)} meeting(s), newest first (times in {zone.key}):")
    titles = [line.split(" · ")[0][2:] for line in text.splitlines() if line.startswith("- ")]
    assert titles == [f"«{recording.meeting['title']}»" for _id, recording in expected]
    for recording_id, recording in expected:
        assert f"recording_id={recording_id}" in text
        assert when(_time(recording.meeting["recording_start_time"]), zone) in text
        assert recording.meeting["share_url"] in text
    assert "recorded by " in text and "internal: " in text
    assert [r.headers["x-api-key"] for r in stack.sandbox.faults.requests("/fathom")] == [key]


async def test_a_domain_filter_and_dates_reach_fathom_as_its_parameters(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok(
            "fathom_list_meetings", {"domain": "initech.example", "after": "2020-01-01", "before": "2099-12-31"}
        )
    assert text.startswith("1 meeting(s) matching ")
    assert "«Initech SSO troubleshooting»" in text and "external: «Raj Patel» <raj.patel@initech.example>" in text
    (query,) = stack.sandbox.faults.requests(MEETINGS_PATH)
    assert "calendar_invitees_domains%5B%5D=initech.example" in query.query
    assert "created_after=2020-01-01T00:00:00-05:00" in unquote(query.query)
    assert "created_before=2100-01-01T00:00:00-05:00" in unquote(query.query)


async def test_a_query_matches_words_in_summaries_not_only_titles(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_list_meetings", {"query": "clock SKEW"})
    assert text.startswith("1 meeting(s) matching query='clock SKEW'")
    assert "Initech SSO troubleshooting" in text
    assert all("include_summary=true" in query for query in _meeting_queries(stack))


async def test_an_attendee_is_matched_by_name_across_pages(stack: Stack) -> None:
    older = add_older_meetings(stack.sandbox.world, ALICE, 25)
    stack.sandbox.world.recordings[older[-1]].meeting["calendar_invitees"].append(
        {"name": "Zed Quill", "email": "zed@quill.example", "email_domain": "quill.example", "is_external": True}
    )
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_list_meetings", {"attendee": "quill"})
    assert text.startswith("1 meeting(s) matching attendee='quill'")
    assert "«Weekly sync #25» · " in text and "external: «Zed Quill» <zed@quill.example>" in text
    queries = _meeting_queries(stack)
    assert len(queries) == 3 and "cursor=" in queries[-1]


async def test_a_summary_search_stops_at_the_page_bound_and_says_how_far_back_it_looked(stack: Stack) -> None:
    add_older_meetings(stack.sandbox.world, ALICE, 60)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_list_meetings", {"query": "zebra"})
    assert text.startswith("No meetings matching query='zebra'.")
    assert "Searched the 50 most recent meetings in range (back to " in text
    assert "call again with before='" in text
    assert len(_meeting_queries(stack)) == 5


async def test_more_meetings_than_asked_for_end_with_a_before_to_continue(stack: Stack) -> None:
    add_older_meetings(stack.sandbox.world, ALICE, 10)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        first = await alice.ok("fathom_list_meetings", {"max_results": 3})
        before = re.search(r"call again with before='(\S+)'", first)
        assert before, first
        second = await alice.ok("fathom_list_meetings", {"max_results": 3, "before": before.group(1)})
    assert first.startswith("3 meeting(s), newest first")
    ids = re.findall(r"recording_id=(\d+)", first + second)
    assert len(ids) == 6 and len(set(ids)) == 6


async def test_open_action_items_are_listed_under_each_meeting_on_request(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_list_meetings", {"include_action_items": True, "domain": "initech.example"})
    assert "open action items:" in text
    assert "«Raj Patel» <raj.patel@initech.example>: «Send the staging Okta metadata XML»" in text
    assert "Ship the SAML clock-skew tolerance fix" not in text  # completed
    assert "include_action_items=true" in _meeting_queries(stack)[0]


async def test_getting_a_meeting_shows_its_details_action_items_and_summary(stack: Stack) -> None:
    zone = ZoneInfo(stack.sandbox.world.people[ALICE].time_zone)
    recording_id, recording = next(
        (rid, rec)
        for rid, rec in visible_recordings(stack.sandbox.world, ALICE)
        if rec.meeting["title"].startswith("Initech")
    )
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_get_meeting", {"recording_id": recording_id})
    meeting = recording.meeting
    assert text.startswith(f"«Initech SSO troubleshooting» · recording_id={recording_id}")
    scheduled = span(_time(meeting["scheduled_start_time"]), _time(meeting["scheduled_end_time"]), zone)
    assert f"Scheduled: {scheduled}\n" in text
    assert f"Links: {meeting['url']} · share: {meeting['share_url']}" in text
    assert "Recorded by: «Carmen Ruiz» <carmen@acme.example>" in text
    done = "- [done] «Carmen Ruiz» <carmen@acme.example>: «Ship the SAML clock-skew tolerance fix» ("
    assert re.search(rf"^{re.escape(done)}\d+:\d\d\) https://", text, re.M)
    assert "- [open] «Alice Nguyen» <alice@acme.example>: «Confirm whether SCIM group push" in text
    assert "?timestamp=" in text
    # The summary in one readable format: each bullet's text with its moment, the recording's link once.
    summary = text.split("\nSummary:\n", 1)[1]
    share = meeting["share_url"]
    assert summary.startswith(
        f"(m:ss) marks a moment in the recording: open {share}?timestamp=SECONDS\n«Meeting Purpose:"
    )
    assert "](" not in text and "##" not in text and text.count(share) == 2  # the Links line and the summary
    for bullet, seconds in re.findall(r"^\s*- \[(.+)\]\(\S+\?timestamp=([\d.]+)\)$", recording.summary_markdown, re.M):
        whole = int(float(seconds))
        assert f"\n- {bullet} ({whole // 60}:{whole % 60:02d})\n" in summary.removesuffix("»") + "\n", bullet
    assert any(r.path.endswith(f"/recordings/{recording_id}/summary") for r in stack.sandbox.faults.requests("/fathom"))


async def test_a_meeting_beyond_the_recent_pages_still_gets_its_summary(stack: Stack) -> None:
    older = add_older_meetings(stack.sandbox.world, ALICE, 60)
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_get_meeting", {"recording_id": older[-1]})
    assert "were not found in your 50 most recent meetings" in text
    assert "Summary:\n«Notes:\nRoutine sync.»" in text
    assert len(_meeting_queries(stack)) == 5


async def test_an_unknown_recording_is_not_found(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        meeting = await alice.error("fathom_get_meeting", {"recording_id": 1})
        transcript = await alice.error("fathom_get_transcript", {"recording_id": 1})
    for text in (meeting, transcript):
        assert text.endswith(
            "Fathom could not find recording 1: check the id. Find recording ids with fathom_list_meetings."
        )


async def test_a_transcript_pages_by_line_offset_with_the_next_call_spelled_out(stack: Stack) -> None:
    recording_id, recording = visible_recordings(stack.sandbox.world, ALICE)[0]
    lines = [f"[{t['timestamp']}] «{t['speaker']['display_name']}»: «{t['text']}»" for t in recording.transcript]
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        first = await alice.ok("fathom_get_transcript", {"recording_id": recording_id, "max_chars": 400})
        offset = int(re.findall(r"… continue with offset=(\d+)$", first)[0])
        second = await alice.ok("fathom_get_transcript", {"recording_id": recording_id, "offset": offset})
    assert first.splitlines()[1:-1] == lines[:offset]
    assert second.splitlines()[1:] == lines[offset:]
    assert second.splitlines()[0].endswith(f"lines {offset + 1}–{len(lines)} of {len(lines)}.")
    assert "continue with" not in second


async def test_a_transcript_can_be_narrowed_to_one_speaker(stack: Stack) -> None:
    recording_id, recording = visible_recordings(stack.sandbox.world, ALICE)[0]
    carmen = [t for t in recording.transcript if t["speaker"]["display_name"] == "Carmen Ruiz"]
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        by_email = await alice.ok("fathom_get_transcript", {"recording_id": recording_id, "speaker": "CARMEN@acme"})
        paged = await alice.ok(
            "fathom_get_transcript", {"recording_id": recording_id, "speaker": "carmen", "max_chars": 200}
        )
        nobody = await alice.ok("fathom_get_transcript", {"recording_id": recording_id, "speaker": "zed"})
    body = by_email.splitlines()[1:]
    assert len(body) == len(carmen) and all(" «Carmen Ruiz»: " in line for line in body)
    assert re.search(r"… continue with offset=\d+ and speaker='carmen'$", paged)
    assert nobody.startswith("No transcript lines by speakers matching 'zed'. Speakers: «Alice Nguyen», ")


async def test_action_items_assigned_to_me_are_my_open_ones_only(stack: Stack) -> None:
    recordings = visible_recordings(stack.sandbox.world, ALICE)
    items = [item for _id, rec in recordings for item in rec.action_items]
    mine = [i for i in items if i["assignee"]["email"] == ALICE]
    mine[0]["completed"] = True  # Alice ticked one off in Fathom
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        text = await alice.ok("fathom_action_items")
        everyone = await alice.ok("fathom_action_items", {"assigned_to_me": False})
    assert text.startswith(f"{len(mine) - 1} open action item(s) assigned to you ({ALICE}) from meetings since ")
    assert mine[0]["description"] not in text
    assert text.count("Alice Nguyen") == 0 and text.count(ALICE) == 1  # said once, at the top
    for item in mine[1:]:
        hours, minutes, seconds = (int(part) for part in item["recording_timestamp"].split(":"))
        at = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
        assert f"\n- «{item['description']}» ({at}) {item['recording_playback_url']}" in text
    assert not any(i["description"] in text for i in items if i["assignee"]["email"] != ALICE)
    open_items = [i for i in items if not i["completed"]]
    assert everyone.startswith(f"{len(open_items)} open action item(s) for anyone")
    assert all(
        f"«{i['assignee']['name']}» <{i['assignee']['email']}>: «{i['description']}»" in everyone for i in open_items
    )
    assert not any(i["description"] in everyone for i in items if i["completed"])
    assert all("created_after=" in query and "include_action_items=true" in query for query in _meeting_queries(stack))


async def test_without_a_key_the_tools_say_where_to_add_one(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        text = await alice.error("fathom_list_meetings")
    assert text.endswith(f"Fathom is not connected. Add your Fathom API key at {stack.settings.public_url}/account")
    assert stack.sandbox.faults.requests("/fathom") == []


async def test_a_wrong_key_asks_to_replace_it(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE, "fathom-not-a-real-key")
        text = await alice.error("fathom_action_items")
    assert text.endswith(
        f"Fathom rejected your API key. Replace your Fathom API key at {stack.settings.public_url}/account"
    )
    assert [r.status for r in stack.sandbox.faults.requests("/fathom")] == [401]


async def test_rate_limiting_becomes_an_error_with_the_wait_not_a_crash(stack: Stack) -> None:
    async with mcp_session(stack, ALICE) as alice:
        await store_fathom_key(stack, ALICE)
        stack.sandbox.faults.fail_next("/fathom", 1, 429, retry_after="30")  # longer than we keep anyone waiting
        slow_down = await alice.error("fathom_action_items")
        stack.sandbox.faults.fail_next("/fathom", 100, 429, retry_after="0")
        storm = await alice.error("fathom_list_meetings")
    assert slow_down.endswith("Fathom is rate-limiting your key (60 calls a minute). (retry after 30 s)")
    assert storm.endswith("Fathom is rate-limiting your key (60 calls a minute).")
    assert [r.status for r in stack.sandbox.faults.requests("/fathom")] == [429] * 5
