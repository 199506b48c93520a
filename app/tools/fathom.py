"""Fathom tools: find recorded meetings, read a meeting's summary and action items, page a transcript."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resolve import Resolve
from pydantic import Field

from app.storage.store import User
from app.tools.format import (
    NAME_CHARS,
    SENTENCE_CHARS,
    Budget,
    closed,
    link_text,
    person,
    quoted,
    quoted_line,
    span,
    when,
)
from app.tools.registrar import ToolRegistrar
from app.tools.resolvers import Resolvers
from app.tools.summaries import moment, summary_block
from app.tools.times import parse_when, times_in, zone_label
from app.upstream.errors import NotFound
from app.upstream.fathom import ActionItem, FathomClient, Meeting, MeetingPage, TranscriptLine
from app.upstream.mail_addresses import plain_domain

# Fathom allows 60 calls a minute per key (summaries count as heavy): never page further than this.
MAX_PAGES = 5
ACTION_ITEMS_DAYS = 30

Fetch = Callable[[str | None], Awaitable[MeetingPage]]
DateArg = Annotated[str | None, Field(description="A time or YYYY-MM-DD, in your zone")]


@dataclass
class _Scan:
    """Meetings kept while walking pages newest first, and where the walk stopped."""

    kept: list[Meeting] = field(default_factory=list)
    scanned: int = 0
    last_seen: Meeting | None = None
    exhausted: bool = False  # every page was read


async def _scan(fetch: Fetch, keep: Callable[[Meeting], bool], want: int, max_pages: int = MAX_PAGES) -> _Scan:
    """Walk up to `max_pages` pages, stopping once `want` meetings were kept."""
    scan = _Scan()
    cursor: str | None = None
    for _ in range(max_pages):
        page = await fetch(cursor)
        for meeting in page.items:
            scan.scanned += 1
            scan.last_seen = meeting
            if keep(meeting):
                scan.kept.append(meeting)
                if len(scan.kept) >= want:
                    scan.exhausted = page.next_cursor is None and meeting is page.items[-1]
                    return scan
        cursor = page.next_cursor
        if not cursor:
            scan.exhausted = True
            break
    return scan


def _created(meeting: Meeting) -> datetime | None:
    return meeting.created_at or meeting.recording_end_time or meeting.recording_start_time


def _started(meeting: Meeting) -> datetime | None:
    return meeting.recording_start_time or meeting.scheduled_start_time or meeting.created_at


def _duration(meeting: Meeting) -> str:
    start = meeting.recording_start_time or meeting.scheduled_start_time
    end = meeting.recording_end_time or meeting.scheduled_end_time
    if not start or not end or end <= start:
        return "duration unknown"
    minutes = round((end - start).total_seconds() / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def _invitees(meeting: Meeting) -> str:
    internal = [person(i.name, i.email) for i in meeting.calendar_invitees if not i.is_external]
    external = [person(i.name, i.email) for i in meeting.calendar_invitees if i.is_external]
    parts = [f"internal: {', '.join(internal)}"] if internal else []
    parts += [f"external: {', '.join(external)}"] if external else []
    return "; ".join(parts) or "none on the calendar"


def _recorder(meeting: Meeting) -> str:
    return person(meeting.recorded_by.name, meeting.recorded_by.email) if meeting.recorded_by else "(unknown)"


def _assignee(item: ActionItem) -> str:
    return person(item.assignee.name, item.assignee.email) if item.assignee else "unassigned"


def _moment_of(timestamp: str) -> str:
    """Fathom's `HH:MM:SS` as the summaries show moments (`18:33`, `1:02:03`)."""
    parts = timestamp.split(":")
    if not all(part.isdigit() for part in parts):
        return timestamp
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + int(part)
    return moment(seconds)


def _action_line(item: ActionItem, status: bool = True, assignee: bool = True) -> str:
    state = f"[{'done' if item.completed else 'open'}] " if status else ""
    who = f"{_assignee(item)}: " if assignee else ""
    at = f" ({_moment_of(item.recording_timestamp)})" if item.recording_timestamp else ""
    link = f" {link_text(item.recording_playback_url)}" if item.recording_playback_url else ""
    return f"- {state}{who}{quoted_line(item.description, SENTENCE_CHARS)}{at}{link}"


def _title(meeting: Meeting) -> str:
    """A meeting's title, fenced: it comes from the calendar invitation, which anyone may have written."""
    return quoted_line(meeting.title or meeting.meeting_title, empty=f"Recording {meeting.recording_id}")


def _speaker(line: TranscriptLine) -> str:
    return quoted_line(line.speaker.display_name, NAME_CHARS, empty="Unknown")


def _started_text(meeting: Meeting, zone: ZoneInfo) -> str:
    started = _started(meeting)
    return when(started, zone) if started else "date unknown"


def _meeting_lines(meeting: Meeting, zone: ZoneInfo, with_items: bool) -> list[str]:
    lines = [
        f"- {_title(meeting)} · {_started_text(meeting, zone)} · {_duration(meeting)} "
        f"· recording_id={meeting.recording_id}",
        f"  recorded by {_recorder(meeting)} · invitees — {_invitees(meeting)}",
    ]
    if meeting.share_url:
        lines.append(f"  share: {link_text(meeting.share_url)}")
    if with_items:
        open_items = [item for item in meeting.action_items or [] if not item.completed]
        lines.append("  open action items:" if open_items else "  open action items: none")
        lines += [f"    {_action_line(item, status=False)}" for item in open_items]
    return lines


def _stamp(meeting: Meeting | None) -> str:
    """A meeting's created_at as an RFC 3339 `before=` value that resumes the walk after it."""
    created = _created(meeting) if meeting else None
    return created.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if created else ""


def _query_matches(meeting: Meeting, terms: list[str]) -> bool:
    summary = meeting.default_summary.markdown_formatted if meeting.default_summary else None
    text = " ".join(filter(None, (meeting.title, meeting.meeting_title, summary))).lower()
    return all(term in text for term in terms)


def _attendee_matches(meeting: Meeting, needle: str) -> bool:
    return any(
        needle in (invitee.email or "").lower() or needle in (invitee.name or "").lower()
        for invitee in meeting.calendar_invitees
    )


def _speaker_matches(line: TranscriptLine, needle: str) -> bool:
    email = line.speaker.matched_calendar_invitee_email or ""
    return needle in line.speaker.display_name.lower() or needle in email.lower()


def register_fathom_tools(tool: ToolRegistrar, resolvers: Resolvers) -> None:
    # Annotations are evaluated here, at definition, so this server's resolvers are bound in.

    @tool(title="List Fathom meetings", read_only=True, idempotent=True)
    async def fathom_list_meetings(
        fathom: Annotated[FathomClient, Resolve(resolvers.fathom)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        after: DateArg = None,
        before: DateArg = None,
        attendee: Annotated[str | None, Field(description="Invitee email or name fragment")] = None,
        domain: Annotated[str | None, Field(description='Invitee email domain, e.g. "globex.com"')] = None,
        query: Annotated[str | None, Field(description="Words to find in titles and summaries")] = None,
        include_action_items: bool = False,
        max_results: Annotated[int, Field(ge=1, le=50)] = 20,
    ) -> str:
        """Recorded Fathom meetings, newest first: title, time, duration, recorder, invitees, share link, ids."""
        created_after = parse_when(after, zone) if after else None
        created_before = parse_when(before, zone, end_of_day=True) if before else None
        if created_after and created_before and created_after >= created_before:
            raise ToolError("`after` must be earlier than `before`.")
        domains: list[str] = []
        if domain and domain.strip():
            plain = plain_domain(domain)
            if plain is None:
                raise ToolError(f'domain {domain!r} is not an email domain: give one like "globex.com".')
            domains = [plain]
        terms = query.lower().split() if query else []
        needle = attendee.strip().lower() if attendee else ""

        async def fetch(cursor: str | None) -> MeetingPage:
            return await fathom.list_meetings(
                created_after=created_after,
                created_before=created_before,
                invitee_domains=domains,
                include_summary=bool(terms),  # heavy: the page bound keeps it in check
                include_action_items=include_action_items,
                cursor=cursor,
            )

        def keep(meeting: Meeting) -> bool:
            return (not needle or _attendee_matches(meeting, needle)) and _query_matches(meeting, terms)

        scan = await _scan(fetch, keep, max_results)
        filters = [
            f"{name}={value!r}"
            for name, value in (
                ("after", after),
                ("before", before),
                ("attendee", attendee),
                ("domain", domain),
                ("query", query),
            )
            if value
        ]
        described = f" matching {', '.join(filters)}" if filters else ""
        budget = Budget(12_000, "narrow with after/before/attendee/domain or lower max_results")
        if scan.kept:
            budget.add(f"{len(scan.kept)} meeting(s){described}, newest first (times in {zone_label(zone)}):")
            for meeting in scan.kept:
                if not budget.extend(_meeting_lines(meeting, zone, include_action_items)):
                    break
        else:
            budget.add(f"No meetings{described}.")
        text = budget.render()
        if not scan.exhausted and scan.last_seen is not None:
            if len(scan.kept) >= max_results:
                text += f"\nMore may exist: call again with before={_stamp(scan.last_seen)!r}."
            else:
                started = _started_text(scan.last_seen, zone)
                text += (
                    f"\nSearched the {scan.scanned} most recent meetings in range (back to {started}) and stopped "
                    f"there; to search further back, call again with before={_stamp(scan.last_seen)!r}."
                )
        return text

    @tool(title="Fathom meeting summary", read_only=True, idempotent=True)
    async def fathom_get_meeting(
        fathom: Annotated[FathomClient, Resolve(resolvers.fathom)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        recording_id: int,
    ) -> str:
        """One meeting: times, invitees, recorder, links, action items (open/done) and the summary."""
        try:
            summary = await fathom.get_summary(recording_id)
        except NotFound as error:
            raise ToolError(f"{error} Find recording ids with fathom_list_meetings.") from error

        async def fetch(cursor: str | None) -> MeetingPage:
            return await fathom.list_meetings(include_action_items=True, cursor=cursor)

        scan = await _scan(fetch, lambda meeting: meeting.recording_id == recording_id, 1)
        budget = Budget(16_000, "read the transcript with fathom_get_transcript for detail")
        meeting = scan.kept[0] if scan.kept else None
        if meeting is None:
            budget.add(
                f"Recording {recording_id}: its meeting details (title, times, invitees, action items) were not "
                f"found in your {scan.scanned} most recent meetings; the summary follows."
            )
        else:
            scheduled = ""
            if meeting.scheduled_start_time and meeting.scheduled_end_time:
                scheduled = f"Scheduled: {span(meeting.scheduled_start_time, meeting.scheduled_end_time, zone)}\n"
            budget.extend(
                [
                    f"{_title(meeting)} · recording_id={meeting.recording_id} (times in {zone_label(zone)})",
                    f"{scheduled}Recorded: {_started_text(meeting, zone)} · {_duration(meeting)}",
                    f"Recorded by: {_recorder(meeting)}",
                    f"Invitees — {_invitees(meeting)}",
                    f"Links: {link_text(meeting.url) if meeting.url else '-'} · "
                    f"share: {link_text(meeting.share_url) if meeting.share_url else '-'}",
                    "Action items:",
                    *([_action_line(item) for item in meeting.action_items or []] or ["(none)"]),
                ]
            )
        budget.add("\nSummary:")
        budget.add(summary_block(summary.markdown_formatted, 12_000, "fathom_get_transcript has the whole meeting"))
        return budget.render()

    @tool(title="Fathom transcript", read_only=True, idempotent=True)
    async def fathom_get_transcript(
        fathom: Annotated[FathomClient, Resolve(resolvers.fathom)],
        recording_id: int,
        speaker: Annotated[str | None, Field(description="Only lines by this speaker (name or email part)")] = None,
        offset: Annotated[int, Field(ge=0, description="Line to start at")] = 0,
        max_chars: Annotated[int, Field(ge=200, le=50_000)] = 8000,
    ) -> str:
        """A meeting's transcript as "[HH:MM:SS] Speaker: text" lines, paged by line offset."""
        try:
            transcript = await fathom.get_transcript(recording_id)
        except NotFound as error:
            raise ToolError(f"{error} Find recording ids with fathom_list_meetings.") from error
        needle = speaker.strip().lower() if speaker else ""
        lines = [line for line in transcript if _speaker_matches(line, needle)] if needle else transcript
        by = f" by speakers matching {speaker!r}" if needle else ""
        if not lines:
            if not transcript:
                return f"Recording {recording_id} has no transcript."
            speakers = sorted({_speaker(line) for line in transcript})
            return f"No transcript lines{by}. Speakers: {', '.join(speakers)}."
        if offset >= len(lines):
            return f"No lines at offset={offset}: the transcript has {len(lines)} line(s){by}."
        shown: list[str] = []
        used = 0
        for line in lines[offset:]:
            text = f"[{line.timestamp}] {_speaker(line)}: {quoted(line.text)}"
            if used + len(text) + 1 > max_chars:
                if not shown:  # one very long line: show what fits so paging always moves on
                    shown.append(closed(text[: max_chars - 1] + "…"))
                break
            shown.append(text)
            used += len(text) + 1
        end = offset + len(shown)
        header = f"Transcript of recording {recording_id}{by}: lines {offset + 1}–{end} of {len(lines)}."
        text = "\n".join([header, *shown])
        if end < len(lines):
            same = f" and speaker={speaker!r}" if needle else ""
            text += f"\n… continue with offset={end}{same}"
        return text

    @tool(title="Fathom action items", read_only=True, idempotent=True)
    async def fathom_action_items(
        fathom: Annotated[FathomClient, Resolve(resolvers.fathom)],
        zone: Annotated[ZoneInfo, Resolve(resolvers.time_zone)],
        user: Annotated[User, Resolve(resolvers.user)],
        assigned_to_me: bool = True,
        after: Annotated[str | None, Field(description="A time or YYYY-MM-DD; default 30 days ago")] = None,
    ) -> str:
        """Open (not completed) action items from recent meetings, with meeting, assignee and playback link."""
        since = parse_when(after, zone) if after else datetime.now(UTC) - timedelta(days=ACTION_ITEMS_DAYS)
        me = user.email.lower()

        def wanted(item: ActionItem) -> bool:
            mine = item.assignee is not None and (item.assignee.email or "").lower() == me
            return not item.completed and (mine or not assigned_to_me)

        async def fetch(cursor: str | None) -> MeetingPage:
            return await fathom.list_meetings(created_after=since, include_action_items=True, cursor=cursor)

        scan = await _scan(fetch, lambda m: any(wanted(item) for item in m.action_items or []), MAX_PAGES * 10)
        whose = f"assigned to you ({user.email})" if assigned_to_me else "for anyone"
        period = f"meetings since {when(since, zone)}"
        budget = Budget(12_000, "pass a later `after` to see fewer")
        count = sum(1 for m in scan.kept for item in m.action_items or [] if wanted(item))
        if count:
            budget.add(f"{count} open action item(s) {whose} from {period}, newest meeting first{times_in(zone)}:")
        else:
            budget.add(f"No open action items {whose} in {period}{times_in(zone)}.")
        for meeting in scan.kept:
            heading = f"\n{_title(meeting)} · {_started_text(meeting, zone)} · recording_id={meeting.recording_id}"
            items = [
                _action_line(item, status=False, assignee=not assigned_to_me)
                for item in meeting.action_items or []
                if wanted(item)
            ]
            if not budget.extend([heading, *items]):
                break
        text = budget.render()
        if not scan.exhausted and scan.last_seen is not None:
            text += (
                f"\nOnly the {scan.scanned} most recent meetings were checked (back to "
                f"{_started_text(scan.last_seen, zone)}); pass a later `after` to narrow."
            )
        return text
