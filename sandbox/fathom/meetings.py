"""Which Fathom meetings a key may see, and `GET /meetings` filtering, ordering and include_* parts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import QueryParams

from sandbox.world import FathomRecording, Person, World

_DOMAIN_TYPES = ("all", "only_internal", "one_or_more_external")
_MEETING_TYPES = {"all": "all", "internal": "only_internal", "external": "one_or_more_external"}
_INCLUDES = ("include_transcript", "include_summary", "include_action_items", "include_crm_matches")


class MeetingFilterError(ValueError):
    """A query parameter Fathom would refuse with 400."""


def summary_part(markdown: str) -> dict[str, str]:
    """A recording's default summary as Fathom returns it (template name as in Fathom's examples)."""
    return {"template_name": "general", "markdown_formatted": markdown}


def team_of(world: World, email: str, meeting: dict[str, Any] | None = None) -> str | None:
    """The Fathom team of a recorder: from the sandbox person, else from the meeting itself."""
    person = world.people.get(email) or world.people.get(email.lower())
    if person is not None:
        return person.fathom_team
    recorded_by: dict[str, Any] = (meeting or {}).get("recorded_by") or {}
    team = recorded_by.get("team")
    return team if isinstance(team, str) else None


def visible(world: World, viewer: Person, meeting: dict[str, Any]) -> bool:
    """Recorded by the key's owner, or by someone on the owner's Fathom team."""
    recorder = str(meeting.get("recorded_by", {}).get("email", "")).lower()
    if recorder == viewer.email.lower():
        return True
    return viewer.fathom_team is not None and team_of(world, recorder, meeting) == viewer.fathom_team


def list_meetings(world: World, viewer: Person, params: QueryParams) -> list[dict[str, Any]]:
    """Every meeting the viewer may see that matches the query, newest first, with the asked-for parts."""
    after, before = _time(params, "created_after"), _time(params, "created_before")
    recorders = {e.lower() for e in _array(params, "recorded_by")}
    teams = set(_array(params, "teams"))
    domains = {d.lower() for d in _array(params, "calendar_invitees_domains")}
    invitees = {e.lower() for e in _array(params, "calendar_invitees")}
    domains_type = _choice(params, "calendar_invitees_domains_type", _DOMAIN_TYPES)
    meeting_type = _choice(params, "meeting_type", tuple(_MEETING_TYPES))
    wanted_types = {t for t in (domains_type, _MEETING_TYPES.get(meeting_type or "")) if t and t != "all"}
    includes = {name: _bool(params, name) for name in _INCLUDES}

    found: list[tuple[datetime, int, FathomRecording]] = []
    for recording_id, recording in world.recordings.items():
        meeting = recording.meeting
        if not visible(world, viewer, meeting):
            continue
        created = _parse(str(meeting.get("created_at", "")))
        recorder = str(meeting.get("recorded_by", {}).get("email", "")).lower()
        people = meeting.get("calendar_invitees", [])
        if created is None or (after and created <= after) or (before and created >= before):
            continue
        if recorders and recorder not in recorders:
            continue
        if teams and team_of(world, recorder, meeting) not in teams:
            continue
        if domains and not domains & {_domain(p) for p in people}:
            continue
        if invitees and not invitees & {str(p.get("email", "")).lower() for p in people}:
            continue
        if any(_domains_type(meeting) != t for t in wanted_types):
            continue
        found.append((created, recording_id, recording))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [_render(recording, includes) for _, _, recording in found]


def _render(recording: FathomRecording, includes: dict[str, bool]) -> dict[str, Any]:
    # Parts not asked for are left out of the item entirely (rather than sent as null).
    meeting = copy.deepcopy(recording.meeting)
    if includes["include_transcript"]:
        meeting["transcript"] = copy.deepcopy(recording.transcript)
    if includes["include_summary"]:
        meeting["default_summary"] = summary_part(recording.summary_markdown)
    if includes["include_action_items"]:
        meeting["action_items"] = copy.deepcopy(recording.action_items)
    if includes["include_crm_matches"]:
        meeting["crm_matches"] = None  # no CRM is connected in the sandbox
    return meeting


def _domains_type(meeting: dict[str, Any]) -> str:
    declared = meeting.get("calendar_invitees_domains_type")
    if declared in ("only_internal", "one_or_more_external"):
        return str(declared)
    external = any(p.get("is_external") for p in meeting.get("calendar_invitees", []))
    return "one_or_more_external" if external else "only_internal"


def _domain(invitee: dict[str, Any]) -> str:
    domain = invitee.get("email_domain") or str(invitee.get("email", "")).rpartition("@")[2]
    return str(domain).lower()


def _array(params: QueryParams, name: str) -> list[str]:
    """A repeated array parameter: `name[]=a&name[]=b` (also `name[0]=a`, as Rails accepts)."""
    values: list[str] = []
    for key, value in params.multi_items():
        if key == f"{name}[]" or (
            key.startswith(f"{name}[") and key.endswith("]") and key[len(name) + 1 : -1].isdigit()
        ):
            values.append(value)
    return values


def _choice(params: QueryParams, name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise MeetingFilterError(f"Invalid {name}: must be one of {', '.join(allowed)}")
    return value


def _bool(params: QueryParams, name: str) -> bool:
    value = params.get(name, "false")
    if value not in ("true", "false"):
        raise MeetingFilterError(f"Invalid {name}: must be true or false")
    return value == "true"


def _time(params: QueryParams, name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    parsed = _parse(value)
    if parsed is None:
        raise MeetingFilterError(f"Invalid {name}: expected an ISO 8601 timestamp")
    return parsed


def _parse(value: str) -> datetime | None:
    """ISO 8601 (a date, or a date-time with or without offset; naive means UTC)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
